// Command train learns an aligner end to end in a Gorgonia graph.
//
// The data are synthetic and seeded: x is a random string over a
// four-letter alphabet and y a noisy copy of it, with substitutions (one
// systematic confusion a → a+1), insertions and deletions, so that the gold
// alignment of every pair is known. The model has learnable scores: W[a][b]
// for aligning letter a of x with letter b of y, and one score for each kind
// of gap. The potentials θ of a padded batch of 16 pairs are computed from
// them in the graph (θ[b, i, j, FromDiag] = W[x_i][y_j], the gap channels
// the gap scores), and the loss is
//
//	Σ_b log Z_b − score_b(gold path) = −Σ_b log P(gold path of pair b)
//
// from align.Model.LogProbNode, whose lengths and gold-path masks
// (align.Model.Mask of the gold align.Paths) are inputs of the graph: the
// graph is built and compiled once, and every batch binds its strings,
// lengths and masks with gorgonia.Let. Adam minimises it.
//
// Every few steps it runs a fixed held-out batch through the same graph and
// prints the held-out loss, the entropy of the model's distribution over
// the held-out pairs' paths (align.Model.Entropy) and the F1 of the
// aligned pairs (x_i, y_j) of the held-out Viterbi paths
// (align.Model.BestPaths on θ read back from the graph) against the gold
// ones. It writes two pictures into -out:
// loss.png, the loss and F1 curves, and marginals.png, one held-out pair's
// marginals before and after training with its gold and Viterbi paths.
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
	N = 40 // the padded length of x and of y
)

// pair draws x, a noisy copy y of it, and the gold path that aligns them.
// x has 20 to 35 letters before the copy is cut to fit N; each letter of x
// is deleted with probability 0.08 or else copied (a → a+1 with probability
// 0.2), after a random inserted letter with probability 0.08. The path
// starts by aligning x₀ with y₀, as a global path must.
func pair(rng *rand.Rand) (x, y []int, path align.Path) {
	n := 20 + rng.IntN(16)
	x = make([]int, n)
	for k := range x {
		x[k] = rng.IntN(V)
	}
	i, j := -1, -1
	for k := 0; k < n && len(y) < N; k++ {
		r := rng.Float64()
		switch {
		case k > 0 && r < 0.08: // x[k] deleted: a gap in y
			i++
			path = append(path, align.Step{I: i, J: j, Move: align.FromAbove})
			continue
		case k > 0 && r < 0.16 && len(y) < N-1: // a letter inserted into y: a gap in x
			y = append(y, rng.IntN(V))
			j++
			path = append(path, align.Step{I: i, J: j, Move: align.FromLeft})
		}
		c := x[k]
		if rng.Float64() < 0.2 {
			c = (c + 1) % V
		}
		y = append(y, c)
		i, j = i+1, j+1
		path = append(path, align.Step{I: i, J: j, Move: align.FromDiag})
	}
	// When y filled up first, the letters of x past the path's last cell
	// are dropped, so that the path ends at (len(x)−1, len(y)−1).
	return x[:i+1], y, path
}

type batch struct {
	xs, ys [][]int
	paths  []align.Path
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

// A Report is what run measured. Losses are per pair: −log P(gold path),
// in nats.
type Report struct {
	Steps     []int     // the steps where the held-out batch was measured
	HeldLoss  []float64 // the held-out loss at each of Steps (before that step's update)
	HeldF1    []float64 // the held-out Viterbi F1 at each of Steps
	HeldH     []float64 // the entropy of the held-out pairs' path distributions at each of Steps, nats per pair
	TrainLoss []float64 // the training batch's loss at every step
	Pictures  []string  // the PNG files written
}

func main() {
	steps := flag.Int("steps", 150, "Adam steps, one batch of 16 pairs each")
	every := flag.Int("every", 10, "measure the held-out batch every this many steps")
	out := flag.String("out", "out/train", "folder for loss.png and marginals.png (created if missing)")
	flag.Parse()
	rep, err := run(os.Stdout, *steps, *every, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
	k := len(rep.Steps) - 1
	fmt.Printf("held-out loss %.2f → %.2f nats per pair, Viterbi F1 %.3f → %.3f\n",
		rep.HeldLoss[0], rep.HeldLoss[k], rep.HeldF1[0], rep.HeldF1[k])
}

// run trains for steps batches, measuring the held-out batch before the
// first step, every every steps and after the last, prints its progress to
// w and writes its pictures into the folder out.
func run(w io.Writer, steps, every int, out string) (*Report, error) {
	if steps < 1 || every < 1 {
		return nil, fmt.Errorf("want steps ≥ 1 and every ≥ 1, got %d and %d", steps, every)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	g := gorgonia.NewGraph()
	W := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(V, V), gorgonia.WithName("W"), gorgonia.WithInit(gorgonia.Zeroes()))
	gaps := gorgonia.NewVector(g, tensor.Float32, gorgonia.WithShape(2), gorgonia.WithName("gaps"), gorgonia.WithInit(gorgonia.Zeroes()))
	X := gorgonia.NewTensor(g, tensor.Float32, 3, gorgonia.WithShape(B, N, V), gorgonia.WithName("X"))
	Y := gorgonia.NewTensor(g, tensor.Float32, 3, gorgonia.WithShape(B, N, V), gorgonia.WithName("Y"))
	gold := gorgonia.NewTensor(g, tensor.Float32, 4, gorgonia.WithShape(B, N, N, 3), gorgonia.WithName("gold")) // the gold paths' 0/1 mask
	ones := gorgonia.NewTensor(g, tensor.Float32, 3, gorgonia.WithShape(B, N, N), gorgonia.WithName("ones"), gorgonia.WithInit(gorgonia.Ones()))
	lengths := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(B, 2), gorgonia.WithName("lengths"))

	// θ[b, i, j, ·] = (gap in x, W[x_i][y_j], gap in y), x and y one-hot.
	xw := gorgonia.Must(gorgonia.Reshape(gorgonia.Must(gorgonia.Mul(gorgonia.Must(gorgonia.Reshape(X, tensor.Shape{B * N, V})), W)), tensor.Shape{B, N, V}))
	diag := gorgonia.Must(gorgonia.BatchedMatMul(xw, Y, false, true)) // (B, N, N)
	left := gorgonia.Must(gorgonia.Mul(ones, gorgonia.Must(gorgonia.Slice(gaps, gorgonia.S(0)))))
	above := gorgonia.Must(gorgonia.Mul(ones, gorgonia.Must(gorgonia.Slice(gaps, gorgonia.S(1)))))
	r4 := func(n *gorgonia.Node) *gorgonia.Node {
		return gorgonia.Must(gorgonia.Reshape(n, tensor.Shape{B, N, N, 1}))
	}
	channels := [3]*gorgonia.Node{align.FromLeft: left, align.FromDiag: diag, align.FromAbove: above}
	theta := gorgonia.Must(gorgonia.Concat(3, r4(channels[0]), r4(channels[1]), r4(channels[2])))

	// log P(gold path) = score(gold path) − log Z for every pair; the
	// zero Model is the global alignment under the Log semiring.
	var m align.Model
	logp, err := m.LogProbNode(theta, gold, lengths)
	if err != nil {
		return nil, err
	}
	loss := gorgonia.Must(gorgonia.Neg(gorgonia.Must(gorgonia.Sum(logp))))
	if _, err := gorgonia.Grad(loss, W, gaps); err != nil {
		return nil, err
	}
	vm := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(W, gaps))
	defer vm.Close()
	solver := gorgonia.NewAdamSolver(gorgonia.WithLearnRate(0.05))

	// forward binds bt and runs the graph: the loss per pair, and the
	// gradients of W and gaps for the solver.
	forward := func(bt batch) (float64, error) {
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
		mask, err := m.Mask(bt.paths, tensor.Shape{B, N, N, 3}, tensor.Float32, lx, ly)
		if err != nil {
			return 0, err
		}
		for _, b := range []struct {
			n *gorgonia.Node
			v gorgonia.Value
		}{
			{X, tensor.New(tensor.WithShape(B, N, V), tensor.WithBacking(xv))},
			{Y, tensor.New(tensor.WithShape(B, N, V), tensor.WithBacking(yv))},
			{gold, mask},
			{lengths, lv},
		} {
			if err := gorgonia.Let(b.n, b.v); err != nil {
				return 0, err
			}
		}
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			return 0, err
		}
		return float64(loss.Value().Data().(float32)) / B, nil
	}
	// heldTheta is θ of the held-out batch, read after forward(held): no
	// Op of the graph writes into θ's value.
	heldTheta := func() *tensor.Dense { return theta.Value().(*tensor.Dense).Clone().(*tensor.Dense) }

	rng := rand.New(rand.NewPCG(1, 2))
	held := newBatch(rand.New(rand.NewPCG(3, 4)))
	rep := &Report{}
	var first *tensor.Dense // the held-out θ before training
	measure := func(step int) error {
		l, err := forward(held)
		if err != nil {
			return err
		}
		th := heldTheta()
		f1, err := viterbiF1(th, held)
		if err != nil {
			return err
		}
		lx, ly := held.lengths()
		hs, err := m.Entropy(th, lx, ly)
		if err != nil {
			return err
		}
		var h float64
		for _, v := range hs {
			h += v / B
		}
		if first == nil {
			first = th
		}
		rep.Steps, rep.HeldLoss, rep.HeldF1, rep.HeldH = append(rep.Steps, step), append(rep.HeldLoss, l), append(rep.HeldF1, f1), append(rep.HeldH, h)
		fmt.Fprintf(w, "step %3d: held-out loss %6.2f, entropy %6.2f nats per pair; Viterbi F1 %.3f\n", step, l, h, f1)
		return nil
	}
	for s := range steps {
		if s%every == 0 {
			if err := measure(s); err != nil {
				return nil, err
			}
		}
		l, err := forward(newBatch(rng))
		if err != nil {
			return nil, err
		}
		rep.TrainLoss = append(rep.TrainLoss, l)
		if err := solver.Step(gorgonia.NodesToValueGrads(gorgonia.Nodes{W, gaps})); err != nil {
			return nil, err
		}
	}
	if err := measure(steps); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "learnt W (rows: letter of x, columns: letter of y) =\n%v\ngap scores (FromLeft: gap in x, FromAbove: gap in y) = %v\n", W.Value(), gaps.Value())

	lossPNG := filepath.Join(out, "loss.png")
	if err := plotCurves(lossPNG, rep); err != nil {
		return nil, err
	}
	margPNG := filepath.Join(out, "marginals.png")
	if err := plotMarginals(margPNG, first, heldTheta(), held, steps); err != nil {
		return nil, err
	}
	for _, p := range []string{lossPNG, margPNG} {
		fmt.Fprintln(w, "wrote", p)
	}
	rep.Pictures = []string{lossPNG, margPNG}
	return rep, nil
}

// viterbiF1 decodes every pair of bt on θ with the Max semiring and
// returns the F1 of the aligned pairs (FromDiag cells) of the decoded
// paths against the gold ones.
func viterbiF1(theta *tensor.Dense, bt batch) (float64, error) {
	lx, ly := bt.lengths()
	_, best, err := align.Model{}.BestPaths(theta, lx, ly)
	if err != nil {
		return 0, err
	}
	var tp, decoded, goldN float64
	for b := range B {
		want := map[[2]int]bool{}
		for _, s := range bt.paths[b] {
			if s.Move == align.FromDiag {
				want[[2]int{s.I, s.J}] = true
			}
		}
		for _, s := range best[b] {
			if s.Move == align.FromDiag {
				decoded++
				if want[[2]int{s.I, s.J}] {
					tp++
				}
			}
		}
		goldN += float64(len(want))
	}
	return 2 * tp / (decoded + goldN), nil
}

// plotMarginals draws the marginals of held-out pair 0 under θ before and
// after training, each with the gold path and the Viterbi path.
func plotMarginals(path string, before, after *tensor.Dense, held batch, steps int) error {
	lx, ly := len(held.xs[0]), len(held.ys[0])
	gold := figure.Path{Label: "blue rings: gold path", Colour: figure.GoldColour, Rings: true}
	for _, s := range held.paths[0] {
		gold.Cells = append(gold.Cells, [2]int{s.I, s.J})
	}
	var panels []figure.Panel
	for _, p := range []struct {
		title string
		theta *tensor.Dense
	}{
		{"before training (θ = 0: every path ties)", before},
		{fmt.Sprintf("after %d steps", steps), after},
	} {
		// Item 0 alone, cut to its lengths: cells past them have
		// probability 0 and would only shrink the picture.
		th := item0(p.theta, lx, ly)
		res, err := align.Model{}.Marginals(th, nil, nil)
		if err != nil {
			return err
		}
		marg := res.Marginals.Data().([]float32)
		_, best, err := align.Model{}.BestPaths(th, nil, nil)
		if err != nil {
			return err
		}
		viterbi := figure.Path{Label: "green: Viterbi path", Colour: figure.PathColour}
		for _, s := range best[0] {
			viterbi.Cells = append(viterbi.Cells, [2]int{s.I, s.J})
		}
		panels = append(panels, figure.Panel{
			Title: fmt.Sprintf("held-out pair 0, %s: P(path enters (i, j))", p.title),
			Grid: figure.Grid{Rows: lx, Cols: ly, At: func(i, j int) float64 {
				k := (i*ly + j) * 3
				return float64(marg[k] + marg[k+1] + marg[k+2])
			}},
			// Rings over the line: where the two agree both show.
			Paths: []figure.Path{viterbi, gold},
		})
	}
	return figure.Write(path, 13*vg.Centimeter, panels...)
}

// item0 returns batch item 0 of θ, (B, N, N, 3), cut to lx×ly: a
// (1, lx, ly, 3) tensor.
func item0(theta *tensor.Dense, lx, ly int) *tensor.Dense {
	src := theta.Data().([]float32)
	dst := make([]float32, lx*ly*3)
	for i := range lx {
		copy(dst[i*ly*3:(i+1)*ly*3], src[i*N*3:(i*N+ly)*3])
	}
	return tensor.New(tensor.WithShape(1, lx, ly, 3), tensor.WithBacking(dst))
}
