// Command affine learns gap costs from pairs with long indels, once with
// linear gaps and once with affine gaps, on the same data, and compares
// how well each aligns held-out pairs.
//
// The data are synthetic and seeded: x is a random string over a
// four-letter alphabet and y a noisy copy of it (a → a+1 with probability
// 0.25) in which, at each letter with probability 0.04, a run of letters is
// deleted or a run of random letters inserted, each run 1 + a geometric
// number of letters (mean 6). So gaps are rare but long: a gap should cost
// much to open and little to extend, which linear gaps cannot say.
//
// Both models learn a 4×4 score matrix W (θ[b, i, j, diagonal channel] =
// W[x_i][y_j]) and their gap scores (linear: one per direction; affine:
// open and extend per direction) by minimising −Σ log P(gold path) with
// align.Model.LogProbNode on batches of 16 pairs, Adam, in one Gorgonia graph
// each. Before and after training it prints the held-out F1 of the aligned
// pairs (x_i, y_j) of each model's best paths (align.Model.BestPaths)
// against the gold ones, and at the end the learnt gap scores, and writes
// paths.png: one held-out pair's marginals under each model with the gold
// and the best paths.
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
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

const (
	V = 4  // the alphabet's size
	B = 16 // pairs in a batch
	N = 64 // the padded length of x and of y
)

// pair draws x, a noisy copy y of it and the gold path that aligns them,
// in the linear model's channels (FromDiag, FromLeft, FromAbove).
func pair(rng *rand.Rand) (x, y []int, path align.Path) {
	n := 30 + rng.IntN(21)
	x = make([]int, n)
	for k := range x {
		x[k] = rng.IntN(V)
	}
	i, j := -1, -1
	for k := 0; k < n && j < N-1 && i < N-1; k++ {
		if k > 0 && rng.Float64() < 0.04 {
			run := 1
			for rng.Float64() < 0.8 {
				run++
			}
			if rng.IntN(2) == 0 { // x[k …] deleted: a gap in y
				for ; run > 0 && k < n-1; run-- {
					i++
					path = append(path, align.Step{I: i, J: j, Move: align.FromAbove})
					k++
				}
			} else { // letters inserted into y: a gap in x
				for ; run > 0 && j < N-2; run-- {
					y = append(y, rng.IntN(V))
					j++
					path = append(path, align.Step{I: i, J: j, Move: align.FromLeft})
				}
			}
		}
		c := x[k]
		if rng.Float64() < 0.25 {
			c = (c + 1) % V
		}
		y = append(y, c)
		i, j = i+1, j+1
		path = append(path, align.Step{I: i, J: j, Move: align.FromDiag})
	}
	// The path ends at (len(x)−1, len(y)−1): letters of x past it are
	// dropped.
	return x[:i+1], y, path
}

// affinePath returns p in the affine model's channels: a diagonal step is
// Match, a gap's first step an opening and the others extensions.
func affinePath(p align.Path) align.Path {
	q := make(align.Path, len(p))
	for k, s := range p {
		q[k] = s
		prev := -1
		if k > 0 {
			prev = p[k-1].Move
		}
		switch s.Move {
		case align.FromDiag:
			q[k].Move = align.Match
		case align.FromLeft:
			q[k].Move = align.OpenLeft
			if prev == align.FromLeft {
				q[k].Move = align.ExtendLeft
			}
		case align.FromAbove:
			q[k].Move = align.OpenAbove
			if prev == align.FromAbove {
				q[k].Move = align.ExtendAbove
			}
		}
	}
	return q
}

type batch struct {
	xs, ys [][]int
	paths  []align.Path // linear channels
}

func newBatch(rng *rand.Rand) batch {
	var bt batch
	for range B {
		x, y, p := pair(rng)
		bt.xs, bt.ys, bt.paths = append(bt.xs, x), append(bt.ys, y), append(bt.paths, p)
	}
	return bt
}

func (bt batch) lengths() (lx, ly []int) {
	for b := range B {
		lx, ly = append(lx, len(bt.xs[b])), append(ly, len(bt.ys[b]))
	}
	return lx, ly
}

// A learner is one model's graph: θ from W and the gap scores, and the
// loss −Σ log P(gold path).
type learner struct {
	m                   align.Model
	name                string
	W, gaps             *gorgonia.Node
	X, Y, gold, lengths *gorgonia.Node
	theta, loss         *gorgonia.Node
	vm                  gorgonia.VM
	solver              gorgonia.Solver
	gapNames            []string
}

func newLearner(affine bool) (*learner, error) {
	l := &learner{m: align.Model{Affine: affine}, name: "linear gaps", gapNames: []string{"FromLeft", "FromAbove"}}
	if affine {
		l.name, l.gapNames = "affine gaps", []string{"OpenLeft", "ExtendLeft", "OpenAbove", "ExtendAbove"}
	}
	C := l.m.Channels()
	g := gorgonia.NewGraph()
	l.W = gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(V, V), gorgonia.WithName("W"), gorgonia.WithInit(gorgonia.Zeroes()))
	l.gaps = gorgonia.NewVector(g, tensor.Float32, gorgonia.WithShape(len(l.gapNames)), gorgonia.WithName("gaps"), gorgonia.WithInit(gorgonia.Zeroes()))
	l.X = gorgonia.NewTensor(g, tensor.Float32, 3, gorgonia.WithShape(B, N, V), gorgonia.WithName("X"))
	l.Y = gorgonia.NewTensor(g, tensor.Float32, 3, gorgonia.WithShape(B, N, V), gorgonia.WithName("Y"))
	l.gold = gorgonia.NewTensor(g, tensor.Float32, 4, gorgonia.WithShape(B, N, N, C), gorgonia.WithName("gold"))
	ones := gorgonia.NewTensor(g, tensor.Float32, 3, gorgonia.WithShape(B, N, N), gorgonia.WithName("ones"), gorgonia.WithInit(gorgonia.Ones()))
	l.lengths = gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(B, 2), gorgonia.WithName("lengths"))

	// The diagonal channel: W[x_i][y_j], x and y one-hot.
	xw := gorgonia.Must(gorgonia.Reshape(gorgonia.Must(gorgonia.Mul(gorgonia.Must(gorgonia.Reshape(l.X, tensor.Shape{B * N, V})), l.W)), tensor.Shape{B, N, V}))
	diag := gorgonia.Must(gorgonia.BatchedMatMul(xw, l.Y, false, true)) // (B, N, N)
	gap := func(k int) *gorgonia.Node {
		return gorgonia.Must(gorgonia.Mul(ones, gorgonia.Must(gorgonia.Slice(l.gaps, gorgonia.S(k)))))
	}
	var channels []*gorgonia.Node
	if affine {
		channels = []*gorgonia.Node{align.Match: diag, align.OpenLeft: gap(0), align.ExtendLeft: gap(1), align.OpenAbove: gap(2), align.ExtendAbove: gap(3)}
	} else {
		channels = []*gorgonia.Node{align.FromLeft: gap(0), align.FromDiag: diag, align.FromAbove: gap(1)}
	}
	for k, c := range channels {
		channels[k] = gorgonia.Must(gorgonia.Reshape(c, tensor.Shape{B, N, N, 1}))
	}
	l.theta = gorgonia.Must(gorgonia.Concat(3, channels...))
	logp, err := l.m.LogProbNode(l.theta, l.gold, l.lengths)
	if err != nil {
		return nil, err
	}
	l.loss = gorgonia.Must(gorgonia.Neg(gorgonia.Must(gorgonia.Sum(logp))))
	if _, err := gorgonia.Grad(l.loss, l.W, l.gaps); err != nil {
		return nil, err
	}
	l.vm = gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(l.W, l.gaps))
	l.solver = gorgonia.NewAdamSolver(gorgonia.WithLearnRate(0.05))
	return l, nil
}

// forward binds bt and runs the graph; it returns the loss per pair.
func (l *learner) forward(bt batch) (float64, error) {
	xv, yv := make([]float32, B*N*V), make([]float32, B*N*V)
	for b := range B {
		for i, c := range bt.xs[b] {
			xv[(b*N+i)*V+c] = 1
		}
		for j, c := range bt.ys[b] {
			yv[(b*N+j)*V+c] = 1
		}
	}
	lx, ly := bt.lengths()
	lv, err := align.Lengths(lx, ly)
	if err != nil {
		return 0, err
	}
	paths := bt.paths
	if l.m.Affine {
		paths = make([]align.Path, B)
		for b, p := range bt.paths {
			paths[b] = affinePath(p)
		}
	}
	mask, err := l.m.Mask(paths, tensor.Shape{B, N, N, l.m.Channels()}, tensor.Float32, lx, ly)
	if err != nil {
		return 0, err
	}
	for _, b := range []struct {
		n *gorgonia.Node
		v gorgonia.Value
	}{
		{l.X, tensor.New(tensor.WithShape(B, N, V), tensor.WithBacking(xv))},
		{l.Y, tensor.New(tensor.WithShape(B, N, V), tensor.WithBacking(yv))},
		{l.gold, mask},
		{l.lengths, lv},
	} {
		if err := gorgonia.Let(b.n, b.v); err != nil {
			return 0, err
		}
	}
	l.vm.Reset()
	if err := l.vm.RunAll(); err != nil {
		return 0, fmt.Errorf("%s: %w", l.name, err)
	}
	return float64(l.loss.Value().Data().(float32)) / B, nil
}

// step trains on one batch and returns its loss per pair.
func (l *learner) step(bt batch) (float64, error) {
	loss, err := l.forward(bt)
	if err != nil {
		return 0, err
	}
	return loss, l.solver.Step(gorgonia.NodesToValueGrads(gorgonia.Nodes{l.W, l.gaps}))
}

// heldOut runs bt through the graph (no update) and returns its loss, θ
// and the F1 of the aligned pairs of the best paths against the gold ones.
func (l *learner) heldOut(bt batch) (loss, f1 float64, theta *tensor.Dense, best []align.Path, err error) {
	if loss, err = l.forward(bt); err != nil {
		return 0, 0, nil, nil, err
	}
	// No Op of the graph writes into θ's value; the clone outlives the
	// next run.
	theta = l.theta.Value().(*tensor.Dense).Clone().(*tensor.Dense)
	lx, ly := bt.lengths()
	if _, best, err = l.m.BestPaths(theta, lx, ly); err != nil {
		return 0, 0, nil, nil, err
	}
	diag := align.FromDiag
	if l.m.Affine {
		diag = align.Match
	}
	var tp, decoded, gold float64
	for b := range B {
		want := map[[2]int]bool{}
		for _, s := range bt.paths[b] {
			if s.Move == align.FromDiag {
				want[[2]int{s.I, s.J}] = true
			}
		}
		for _, s := range best[b] {
			if s.Move == diag {
				decoded++
				if want[[2]int{s.I, s.J}] {
					tp++
				}
			}
		}
		gold += float64(len(want))
	}
	return loss, 2 * tp / (decoded + gold), theta, best, nil
}

// A Report is what run measured, per model: index 0 linear, 1 affine.
type Report struct {
	Loss0, Loss1 [2]float64 // held-out loss per pair before and after training
	F10, F11     [2]float64 // held-out F1 before and after training
	Gaps         [2][]float32
	Picture      string
}

func main() {
	steps := flag.Int("steps", 100, "Adam steps per model, one batch of 16 pairs each")
	out := flag.String("out", "out/affine", "folder for paths.png (created if missing)")
	flag.Parse()
	if _, err := run(os.Stdout, *steps, *out); err != nil {
		fmt.Fprintln(os.Stderr, "affine:", err)
		os.Exit(1)
	}
}

// run trains both models for steps batches on the same data and prints
// and draws the comparison.
func run(w io.Writer, steps int, out string) (*Report, error) {
	if steps < 1 {
		return nil, fmt.Errorf("want steps ≥ 1, got %d", steps)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	held := newBatch(rand.New(rand.NewPCG(3, 4)))
	rep := &Report{}
	var panels []figure.Panel
	for k, affine := range []bool{false, true} {
		l, err := newLearner(affine)
		if err != nil {
			return nil, err
		}
		if rep.Loss0[k], rep.F10[k], _, _, err = l.heldOut(held); err != nil {
			return nil, err
		}
		rng := rand.New(rand.NewPCG(1, 2)) // both models see the same batches
		for range steps {
			if _, err := l.step(newBatch(rng)); err != nil {
				return nil, err
			}
		}
		loss, f1, theta, best, err := l.heldOut(held)
		if err != nil {
			return nil, err
		}
		rep.Loss1[k], rep.F11[k] = loss, f1
		rep.Gaps[k] = append([]float32(nil), l.gaps.Value().Data().([]float32)...)
		fmt.Fprintf(w, "%-12s held-out loss %6.2f → %6.2f nats per pair, best-path F1 %.3f → %.3f\n", l.name+":", rep.Loss0[k], loss, rep.F10[k], f1)
		fmt.Fprintf(w, "%-12s learnt gap scores:", "")
		for g, name := range l.gapNames {
			fmt.Fprintf(w, " %s %.2f", name, rep.Gaps[k][g])
		}
		fmt.Fprintln(w)
		p, err := panel(l, theta, best[0], held)
		if err != nil {
			return nil, err
		}
		panels = append(panels, p)
	}
	fmt.Fprintf(w, "held-out F1 after %d steps: affine %.3f, linear %.3f\n", steps, rep.F11[1], rep.F11[0])
	rep.Picture = filepath.Join(out, "paths.png")
	if err := figure.Write(rep.Picture, 13*vg.Centimeter, panels...); err != nil {
		return nil, err
	}
	fmt.Fprintln(w, "wrote", rep.Picture)
	return rep, nil
}

// panel draws held-out pair 0's marginals under l's trained θ (summed over
// the channels: the probability that a path enters each cell) with the gold
// path and l's best path.
func panel(l *learner, theta *tensor.Dense, best align.Path, held batch) (figure.Panel, error) {
	lx, ly := len(held.xs[0]), len(held.ys[0])
	C := l.m.Channels()
	src := theta.Data().([]float32)
	one := make([]float32, lx*ly*C)
	for i := range lx {
		copy(one[i*ly*C:(i+1)*ly*C], src[i*N*C:(i*N+ly)*C])
	}
	res, err := l.m.Marginals(tensor.New(tensor.WithShape(1, lx, ly, C), tensor.WithBacking(one)), nil, nil)
	if err != nil {
		return figure.Panel{}, err
	}
	marg := res.Marginals.Data().([]float32)
	gold := figure.Path{Label: "blue rings: gold path", Colour: figure.GoldColour, Rings: true}
	for _, s := range held.paths[0] {
		gold.Cells = append(gold.Cells, [2]int{s.I, s.J})
	}
	viterbi := figure.Path{Label: "green: best path", Colour: figure.PathColour}
	for _, s := range best {
		viterbi.Cells = append(viterbi.Cells, [2]int{s.I, s.J})
	}
	return figure.Panel{
		Title: fmt.Sprintf("held-out pair 0, %s: P(path enters (i, j))", l.name),
		Grid: figure.Grid{Rows: lx, Cols: ly, At: func(i, j int) float64 {
			var p float32
			for c := range C {
				p += marg[(i*ly+j)*C+c]
			}
			return float64(p)
		}},
		Paths: []figure.Path{viterbi, gold},
	}, nil
}
