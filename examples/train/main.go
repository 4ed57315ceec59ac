// Command train learns an aligner: substitution scores W[a][b] of a
// four-letter alphabet and two gap scores, from pairs of strings whose
// gold alignments are known (y is x with substitutions — one systematic
// confusion a → a+1 — insertions and deletions). The loss of a batch is
// Σ log Z − score(gold path), with log Z from align.LogPartitionLengths
// inside the graph that computes the potentials θ from W. The graph is
// built once; every batch binds new strings, lengths and gold paths with
// gorgonia.Let. Held-out pairs are decoded with Model.BestPaths (Viterbi)
// on θ read back from the graph, and the F1 of their aligned pairs is
// printed before and after training.
package main

import (
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"

	"github.com/genband/genband/align"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

const (
	V = 4  // alphabet
	B = 16 // batch
	N = 40 // padded lengths
)

type move struct{ i, j, c int }

// pair makes x, a mutation y of it, and the gold path.
func pair(rng *rand.Rand) (x, y []int, path []move) {
	n := 20 + rng.IntN(16)
	x = make([]int, n)
	for k := range x {
		x[k] = rng.IntN(V)
	}
	i, j := -1, -1
	for k := 0; k < n; k++ {
		r := rng.Float64()
		switch {
		case k > 0 && r < 0.08 && len(y) > 0: // x[k] deleted: Up
			i++
			path = append(path, move{i, j, align.Up})
		case k > 0 && r < 0.16 && len(y) < N-1: // insertion in y, then match
			y = append(y, rng.IntN(V))
			j++
			path = append(path, move{i, j, align.Down})
			fallthrough
		default:
			c := x[k]
			if rng.Float64() < 0.2 {
				c = (c + 1) % V // a systematic confusion
			}
			y = append(y, c)
			i, j = i+1, j+1
			path = append(path, move{i, j, align.Mid})
		}
		if len(y) >= N {
			break
		}
	}
	// Fix the path to end at the last cell: drop trailing x that were
	// never reached.
	return x[:i+1], y, path
}

func main() {
	before, after, err := run(os.Stdout, 120)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("held-out F1: %.3f before training, %.3f after\n", before, after)
}

// run trains for steps batches and returns the held-out F1 before and
// after.
func run(out io.Writer, steps int) (before, after float64, err error) {
	rng := rand.New(rand.NewPCG(1, 2))
	g := gorgonia.NewGraph()
	W := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(V, V), gorgonia.WithName("W"), gorgonia.WithInit(gorgonia.Zeroes()))
	gaps := gorgonia.NewVector(g, tensor.Float32, gorgonia.WithShape(2), gorgonia.WithName("gaps"), gorgonia.WithInit(gorgonia.Zeroes()))
	X := gorgonia.NewTensor(g, tensor.Float32, 3, gorgonia.WithShape(B, N, V), gorgonia.WithName("X"))
	Y := gorgonia.NewTensor(g, tensor.Float32, 3, gorgonia.WithShape(B, N, V), gorgonia.WithName("Y"))
	gold := gorgonia.NewTensor(g, tensor.Float32, 4, gorgonia.WithShape(B, N, N, 3), gorgonia.WithName("gold"))
	ones := gorgonia.NewTensor(g, tensor.Float32, 3, gorgonia.WithShape(B, N, N), gorgonia.WithName("ones"), gorgonia.WithInit(gorgonia.Ones()))
	lengths := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(B, 2), gorgonia.WithName("lengths"))

	xw := gorgonia.Must(gorgonia.Reshape(gorgonia.Must(gorgonia.Mul(gorgonia.Must(gorgonia.Reshape(X, tensor.Shape{B * N, V})), W)), tensor.Shape{B, N, V}))
	mid := gorgonia.Must(gorgonia.BatchedMatMul(xw, Y, false, true)) // (B, N, N)
	down := gorgonia.Must(gorgonia.Mul(ones, gorgonia.Must(gorgonia.Slice(gaps, gorgonia.S(0)))))
	up := gorgonia.Must(gorgonia.Mul(ones, gorgonia.Must(gorgonia.Slice(gaps, gorgonia.S(1)))))
	r4 := func(n *gorgonia.Node) *gorgonia.Node {
		return gorgonia.Must(gorgonia.Reshape(n, tensor.Shape{B, N, N, 1}))
	}
	theta := gorgonia.Must(gorgonia.Concat(3, r4(down), r4(mid), r4(up)))

	m := align.Model{Semiring: align.Log}
	z, err := m.LogPartitionLengths(theta, lengths)
	if err != nil {
		return 0, 0, err
	}
	score := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(theta, gold))))
	loss := gorgonia.Must(gorgonia.Sub(gorgonia.Must(gorgonia.Sum(z)), score))
	if _, err := gorgonia.Grad(loss, W, gaps); err != nil {
		return 0, 0, err
	}
	var thetaVal gorgonia.Value
	gorgonia.Read(theta, &thetaVal)
	vm := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(W, gaps))
	defer vm.Close()
	solver := gorgonia.NewAdamSolver(gorgonia.WithLearnRate(0.05))

	batch := func() (xs, ys [][]int, paths [][]move) {
		for range B {
			x, y, p := pair(rng)
			xs, ys, paths = append(xs, x), append(ys, y), append(paths, p)
		}
		return
	}
	bind := func(xs, ys [][]int, paths [][]move) ([]int, []int) {
		xv, yv := make([]float32, B*N*V), make([]float32, B*N*V)
		gv := make([]float32, B*N*N*3)
		lx, ly := make([]int, B), make([]int, B)
		for b := range B {
			lx[b], ly[b] = len(xs[b]), len(ys[b])
			for i, c := range xs[b] {
				xv[(b*N+i)*V+c] = 1
			}
			for j, c := range ys[b] {
				yv[(b*N+j)*V+c] = 1
			}
			for _, mv := range paths[b] {
				gv[((b*N+mv.i)*N+mv.j)*3+mv.c] = 1
			}
		}
		lv, _ := align.Lengths(lx, ly)
		gorgonia.Let(X, tensor.New(tensor.WithShape(B, N, V), tensor.WithBacking(xv)))
		gorgonia.Let(Y, tensor.New(tensor.WithShape(B, N, V), tensor.WithBacking(yv)))
		gorgonia.Let(gold, tensor.New(tensor.WithShape(B, N, N, 3), tensor.WithBacking(gv)))
		gorgonia.Let(lengths, lv)
		return lx, ly
	}
	f1 := func(xs, ys [][]int, paths [][]move) (float64, error) {
		lx, ly := bind(xs, ys, paths)
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			return 0, err
		}
		// θ is read through a Read node: θ's own value may have been
		// reused in place by the elementwise product with the gold mask.
		th := thetaVal.(*tensor.Dense).Clone().(*tensor.Dense)
		_, best, err := align.Model{Semiring: align.Max}.BestPaths(th, lx, ly)
		if err != nil {
			return 0, err
		}
		var tp, np, ng float64
		for b := range B {
			want := map[[2]int]bool{}
			for _, mv := range paths[b] {
				if mv.c == align.Mid {
					want[[2]int{mv.i, mv.j}] = true
				}
			}
			for _, s := range best[b] {
				if s.Move == align.Mid {
					np++
					if want[[2]int{s.I, s.J}] {
						tp++
					}
				}
			}
			ng += float64(len(want))
		}
		return 2 * tp / (np + ng), nil
	}
	tx, ty, tp := batch()
	if before, err = f1(tx, ty, tp); err != nil {
		return 0, 0, err
	}
	for s := range steps {
		xs, ys, paths := batch()
		bind(xs, ys, paths)
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			return 0, 0, err
		}
		if s%30 == 0 {
			fmt.Fprintf(out, "step %d: loss %.2f\n", s, loss.Value().Data())
		}
		if err := solver.Step(gorgonia.NodesToValueGrads(gorgonia.Nodes{W, gaps})); err != nil {
			return 0, 0, err
		}
	}
	if after, err = f1(tx, ty, tp); err != nil {
		return 0, 0, err
	}
	fmt.Fprintf(out, "W =\n%v\ngap scores (insert, delete) = %v\n", W.Value(), gaps.Value())
	return before, after, nil
}
