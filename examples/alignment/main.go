// Command alignment runs the seed example of genband's alignment: random
// potentials θ of shape (1, 200, 200, 3) in [0, 1), with every cell of rows
// ≥ 180 or columns ≥ 180 set to 1e6. It computes log Z and the marginals
// (the gradient of log Z) with the Log semiring, prints log Z and the sum
// of the marginals, and writes a heatmap of the marginals summed over the
// three moves, on a 0..1 scale, to <out>/marginals.png.
//
// The best paths run along row 0 or down column 0 into the high block, so
// the interior has probability 0, and log Z ≈ 2.19e8 (219 cells at 1e6).
// float32 potentials give the same answer: at that size float32 values are
// 16 apart, but the alignment's scan keeps its states and sums in float64,
// so only the potentials themselves are rounded.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/genband/genband/align"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gorgonia.org/tensor"
)

func main() {
	out := flag.String("out", "./out", "directory for marginals.png")
	dtype := flag.String("dtype", "float64", "float64 or float32")
	seed := flag.Uint64("seed", 1, "random seed of the potentials")
	n := flag.Int("n", 200, "sequence lengths N = M")
	block := flag.Int("block", 180, "rows and columns from here on score 1e6")
	flag.Parse()
	if err := run(*out, *dtype, *seed, *n, *block); err != nil {
		fmt.Fprintln(os.Stderr, "alignment:", err)
		os.Exit(1)
	}
}

const high = 1e6

func run(out, dtype string, seed uint64, n, block int) error {
	if n < 1 || block < 0 {
		return fmt.Errorf("want n ≥ 1 and block ≥ 0, got %d and %d", n, block)
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	theta := make([]float64, n*n*3)
	for i := range n {
		for j := range n {
			for c := range 3 {
				v := rng.Float64()
				if i >= block || j >= block {
					v = high
				}
				theta[(i*n+j)*3+c] = v
			}
		}
	}
	var t *tensor.Dense
	switch dtype {
	case "float64":
		t = tensor.New(tensor.WithShape(1, n, n, 3), tensor.WithBacking(theta))
	case "float32":
		f := make([]float32, len(theta))
		for i, v := range theta {
			f[i] = float32(v)
		}
		t = tensor.New(tensor.WithShape(1, n, n, 3), tensor.WithBacking(f))
	default:
		return fmt.Errorf("unknown dtype %q (want float64 or float32)", dtype)
	}
	res, err := align.Model{Semiring: align.Log}.Marginals(t, nil, nil)
	if err != nil {
		return err
	}
	marg := values(res.Marginals)
	cells := make([]float64, n*n)
	var total, interior float64
	for i := range n {
		for j := range n {
			for c := range 3 {
				m := marg[(i*n+j)*3+c]
				cells[i*n+j] += m
				total += m
				if i >= 1 && j >= 1 && i < block-1 && j < block-1 {
					interior += m
				}
			}
		}
	}
	fmt.Printf("log Z = %.9e\n", res.LogZ[0])
	fmt.Printf("sum of marginals = %.9f (a path enters %d cells)\n", total, 2*n-1)
	fmt.Printf("mass in the interior (1..%d, 1..%d) = %.3g\n", block-2, block-2, interior)
	fmt.Printf("first move out of (0,0): right %.3f, down %.3f\n", marg[(0*n+1)*3+align.Down], marg[(1*n+0)*3+align.Up])
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	path := filepath.Join(out, "marginals.png")
	if err := heatmap(cells, n, path); err != nil {
		return err
	}
	fmt.Println("wrote", path)
	return nil
}

func values(d *tensor.Dense) []float64 {
	switch x := d.Data().(type) {
	case []float64:
		return x
	case []float32:
		out := make([]float64, len(x))
		for i, f := range x {
			out[i] = float64(f)
		}
		return out
	}
	return nil
}

// grid is the n×n matrix of cell marginals as a plotter.GridXYZ: column c
// is j, row r is i, drawn with i growing downwards as in a matrix.
type grid struct {
	z []float64
	n int
}

func (g grid) Dims() (c, r int)   { return g.n, g.n }
func (g grid) Z(c, r int) float64 { return g.z[(g.n-1-r)*g.n+c] }
func (g grid) X(c int) float64    { return float64(c) }
func (g grid) Y(r int) float64    { return float64(r) }

func heatmap(cells []float64, n int, path string) error {
	p := plot.New()
	p.Title.Text = "alignment marginals (sum over moves)"
	p.X.Label.Text = "j"
	p.Y.Label.Text = fmt.Sprintf("%d − i", n-1)
	h := plotter.NewHeatMap(grid{cells, n}, moreland.SmoothBlueRed().Palette(256))
	h.Min, h.Max = 0, 1
	p.Add(h)
	return p.Save(6*vg.Inch, 6*vg.Inch, path)
}
