// Command alignment runs the seed example of genband's alignment: random
// potentials θ of shape (1, 200, 200, 3) in [0, 1), with every cell of rows
// ≥ 180 or columns ≥ 180 set to 1e6. It computes log Z and the marginals
// (the gradient of log Z) with the Log semiring and the Viterbi path with
// the Max semiring, prints them, and writes two pictures into -out:
//
//   - marginals.png: the probability that the path enters each cell (the
//     marginals summed over the three moves), rows i down and columns j
//     across, on a log10 colour scale from 1e-6 to 1, with the Viterbi path
//     drawn on top;
//   - moves.png: the three moves (channels of θ's last dimension), each an
//     arrow into cell (i, j) from the neighbour it comes from.
//
// The best paths run along row 0 or down column 0 into the high block, so
// the interior has probability 0, and log Z ≈ 2.19e8 (219 cells at 1e6).
// Inside the block every path without a diagonal move ties, so the Viterbi
// path there is one of many.
// float32 potentials give the same answer: at that size float32 values are
// 16 apart, but the alignment's scan keeps its states and sums in float64,
// so only the potentials themselves are rounded.
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/genband/genband/align"
	"github.com/genband/genband/examples/internal/figure"
	"gonum.org/v1/plot/vg"
	"gorgonia.org/tensor"
)

func main() {
	out := flag.String("out", "./out", "folder for marginals.png and moves.png (created if missing)")
	dtype := flag.String("dtype", "float64", "float64 or float32")
	seed := flag.Uint64("seed", 1, "random seed of the potentials")
	n := flag.Int("n", 200, "sequence lengths N = M")
	block := flag.Int("block", 180, "rows and columns from here on score 1e6")
	flag.Parse()
	if err := run(os.Stdout, *out, *dtype, *seed, *n, *block); err != nil {
		fmt.Fprintln(os.Stderr, "alignment:", err)
		os.Exit(1)
	}
}

const high = 1e6

// run computes the example for an n×n θ and writes its report to w and its
// pictures into the folder out.
func run(w io.Writer, out, dtype string, seed uint64, n, block int) error {
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
	var m align.Model // the zero Model: global paths, log Z under the Log semiring
	res, err := m.Marginals(t, nil, nil)
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
	fmt.Fprintf(w, "log Z = %.9e\n", res.LogZ[0])
	fmt.Fprintf(w, "sum of marginals = %.9f (a path enters %d cells)\n", total, 2*n-1)
	fmt.Fprintf(w, "mass in the interior (1..%d, 1..%d) = %.3g\n", block-2, block-2, interior)
	if n > 1 {
		// The two ways out of (0, 0) that do not lose a cell: each is named
		// by the neighbour the path comes from, as the channels are.
		fmt.Fprintf(w, "the move after (0,0): P(enter (0,1) from the left) = %.3f, P(enter (1,0) from above) = %.3f\n",
			marg[(0*n+1)*3+align.FromLeft], marg[(1*n+0)*3+align.FromAbove])
	}
	_, best, err := m.BestPaths(t, nil, nil) // Viterbi, whatever the semiring
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Viterbi path: %s\n", describe(best[0]))
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	path := filepath.Join(out, "marginals.png")
	// In the 1e6 block every path that avoids the diagonal ties, so the
	// Viterbi path there is one of many: the first maximal choice.
	viterbi := figure.Path{Label: "green: a Viterbi path (ties go to the first maximal choice)", Colour: figure.PathColour}
	for _, s := range best[0] {
		viterbi.Cells = append(viterbi.Cells, [2]int{s.I, s.J})
	}
	panel := figure.Panel{
		Title: fmt.Sprintf("P(path enters (i, j)), seed example %d×%d", n, n),
		Grid:  figure.Grid{Rows: n, Cols: n, At: func(i, j int) float64 { return cells[i*n+j] }},
		Paths: []figure.Path{viterbi},
	}
	if err := figure.Write(path, 16*vg.Centimeter, panel); err != nil {
		return err
	}
	fmt.Fprintln(w, "wrote", path)
	path = filepath.Join(out, "moves.png")
	if err := drawMoves(path); err != nil {
		return err
	}
	fmt.Fprintln(w, "wrote", path)
	return nil
}

// describe summarises a path as runs of one move, e.g.
// "(0,0) start, 180 × FromLeft, 199 × FromAbove, end (199,199)".
func describe(p []align.Step) string {
	if len(p) == 0 {
		return "empty"
	}
	s := fmt.Sprintf("(%d,%d) start", p[0].I, p[0].J)
	for k := 1; k < len(p); {
		e := k
		for e < len(p) && p[e].Move == p[k].Move {
			e++
		}
		s += fmt.Sprintf(", %d × %s", e-k, moveNames[p[k].Move])
		k = e
	}
	return s + fmt.Sprintf(", end (%d,%d)", p[len(p)-1].I, p[len(p)-1].J)
}

// moveNames are the channels' names: each says where its move comes from.
var moveNames = [3]string{
	align.FromLeft:  "FromLeft",
	align.FromDiag:  "FromDiag",
	align.FromAbove: "FromAbove",
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
