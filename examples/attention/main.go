// Command attention trains a small model with one banded attention layer
// (attention.Banded) on a task that needs context inside its window.
//
// The data are synthetic and seeded: sequences of 28 to 48 tokens over an
// alphabet of 8, padded to 48, and the target at position i is the token
// K = 3 positions back, x[i−K], for K ≤ i < the sequence's length. Each
// position's features are its token, one-hot, and a fixed sinusoidal code
// of its position (4 frequencies). The model is one causal attention layer
// with a window of Lower = 5 keys back (K lies inside it):
//
//	q = F·Wq, k = F·Wk, v = F·Wv    (F the features, (B, N, 16))
//	h = attention.Banded(q, k, v, Lower, 0, 1/√D, WithLengths(lengths))
//	logits = h·Wo
//
// and the loss is the cross-entropy of the targets, over the positions that
// have one. Attention alone can solve the task only by learning to look K
// back: q and k must turn the position codes into a match of i with i − K,
// and v must carry the token. Adam minimises the loss; the graph is built
// once and every batch binds its features, targets and lengths with
// gorgonia.Let.
//
// It prints the accuracy of the argmax of the logits on a held-out batch
// before and after training, and writes weights.png into -out: the
// attention weights of one held-out sequence before and after training, a
// band below the diagonal, with the target's position K back ringed.
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/genband/genband/attention"
	"github.com/genband/genband/examples/internal/figure"
	"github.com/genband/genband/examples/internal/seeded"
	"gonum.org/v1/plot/vg"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

const (
	V     = 8  // the alphabet's size
	B     = 16 // sequences in a batch
	N     = 48 // the padded length
	Freqs = 4  // frequencies of the position code
	C     = V + 2*Freqs
	D     = 16 // the width of q, k and v
	K     = 3  // the target of position i is the token at i − K
	Lower = 5  // keys before the query in its window (causal: none after)
)

// A batch is B sequences of tokens, each of its own length.
type batch struct{ seqs [][]int }

func newBatch(rng *rand.Rand) batch {
	var bt batch
	for range B {
		s := make([]int, 28+rng.IntN(N-28+1))
		for i := range s {
			s[i] = rng.IntN(V)
		}
		bt.seqs = append(bt.seqs, s)
	}
	return bt
}

// features returns the features (B, N, C), the one-hot targets (B·N, V),
// the lengths (B) and the number of positions with a target. Padding and
// the first K positions have no target: their rows of the targets are 0.
func (bt batch) features() (f, y, lens *tensor.Dense, count int) {
	fv, yv, lv := make([]float32, B*N*C), make([]float32, B*N*V), make([]int, B)
	for b, s := range bt.seqs {
		lv[b] = len(s)
		for i, c := range s {
			row := fv[(b*N+i)*C : (b*N+i+1)*C]
			row[c] = 1
			for k := range Freqs {
				w := 2 * math.Pi / float64(int(4)<<k) // periods 4, 8, 16, 32
				row[V+2*k] = float32(math.Sin(w * float64(i)))
				row[V+2*k+1] = float32(math.Cos(w * float64(i)))
			}
			if i >= K {
				yv[(b*N+i)*V+s[i-K]] = 1
				count++
			}
		}
	}
	return tensor.New(tensor.WithShape(B, N, C), tensor.WithBacking(fv)),
		tensor.New(tensor.WithShape(B*N, V), tensor.WithBacking(yv)),
		tensor.New(tensor.WithShape(B), tensor.WithBacking(lv)), count
}

// A Report is what run measured.
type Report struct {
	Steps    []int     // the steps where the held-out batch was measured
	HeldAcc  []float64 // the held-out accuracy at each of Steps
	HeldLoss []float64 // the held-out loss per target, nats, at each of Steps
	Pictures []string  // the PNG files written
}

func main() {
	steps := flag.Int("steps", 150, "Adam steps, one batch of 16 sequences each")
	every := flag.Int("every", 25, "measure the held-out batch every this many steps")
	out := flag.String("out", "out/attention", "folder for weights.png (created if missing)")
	flag.Parse()
	rep, err := run(os.Stdout, *steps, *every, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "attention:", err)
		os.Exit(1)
	}
	k := len(rep.Steps) - 1
	fmt.Printf("held-out accuracy %.3f → %.3f (chance 1/%d), loss %.2f → %.2f nats per target\n",
		rep.HeldAcc[0], rep.HeldAcc[k], V, rep.HeldLoss[0], rep.HeldLoss[k])
}

// run trains for steps batches, measuring the held-out batch before the
// first step, every every steps and after the last, prints its progress to
// w and writes its picture into the folder out.
func run(w io.Writer, steps, every int, out string) (*Report, error) {
	if steps < 1 || every < 1 {
		return nil, fmt.Errorf("want steps ≥ 1 and every ≥ 1, got %d and %d", steps, every)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	g := gorgonia.NewGraph()
	init := rand.New(rand.NewPCG(11, 12))
	param := func(name string, r, c int) *gorgonia.Node {
		return gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(r, c), gorgonia.WithName(name),
			gorgonia.WithValue(seeded.Glorot(r, c, init)))
	}
	wq, wk, wv, wo := param("Wq", C, D), param("Wk", C, D), param("Wv", C, D), param("Wo", D, V)
	F := gorgonia.NewTensor(g, tensor.Float32, 3, gorgonia.WithShape(B, N, C), gorgonia.WithName("F"))
	Y := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(B*N, V), gorgonia.WithName("Y"))
	lengths := gorgonia.NewTensor(g, tensor.Int, 1, gorgonia.WithShape(B), gorgonia.WithName("lengths"))
	count := gorgonia.NewScalar(g, tensor.Float32, gorgonia.WithName("count"))

	flat := gorgonia.Must(gorgonia.Reshape(F, tensor.Shape{B * N, C}))
	proj := func(wm *gorgonia.Node) *gorgonia.Node {
		return gorgonia.Must(gorgonia.Reshape(gorgonia.Must(gorgonia.Mul(flat, wm)), tensor.Shape{B, N, D}))
	}
	q, k, v := proj(wq), proj(wk), proj(wv)
	h, err := attention.Banded(q, k, v, Lower, 0, 1/math.Sqrt(D), attention.WithLengths(lengths))
	if err != nil {
		return nil, err
	}
	logits := gorgonia.Must(gorgonia.Mul(gorgonia.Must(gorgonia.Reshape(h, tensor.Shape{B * N, D})), wo))
	logp := gorgonia.Must(gorgonia.LogSoftMax(logits))
	// Σ over the targets of −log p, per target: Y is 0 where there is none.
	picked := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(logp, Y))))
	loss := gorgonia.Must(gorgonia.Neg(gorgonia.Must(gorgonia.Div(picked, count))))
	params := gorgonia.Nodes{wq, wk, wv, wo}
	if _, err := gorgonia.Grad(loss, params...); err != nil {
		return nil, err
	}
	vm := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(params...))
	defer vm.Close()
	solver := gorgonia.NewAdamSolver(gorgonia.WithLearnRate(0.02))

	// forward binds bt and runs the graph: the loss per target, and the
	// gradients of the parameters for the solver.
	forward := func(bt batch) (float64, error) {
		fv, yv, lv, n := bt.features()
		for _, b := range []struct {
			n *gorgonia.Node
			v gorgonia.Value
		}{{F, fv}, {Y, yv}, {lengths, lv}, {count, gorgonia.NewF32(float32(n))}} {
			if err := gorgonia.Let(b.n, b.v); err != nil {
				return 0, err
			}
		}
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			return 0, err
		}
		return float64(loss.Value().Data().(float32)), nil
	}

	rng := rand.New(rand.NewPCG(1, 2))
	held := newBatch(rand.New(rand.NewPCG(3, 4)))
	rep := &Report{}
	var first [][]float64 // the held-out sequence's weights before training
	var weights [][]float64
	measure := func(step int) error {
		l, err := forward(held)
		if err != nil {
			return err
		}
		acc := accuracy(logits.Value().Data().([]float32), held)
		weights = attentionWeights(q.Value(), k.Value(), len(held.seqs[0]))
		if first == nil {
			first = weights
		}
		rep.Steps, rep.HeldAcc, rep.HeldLoss = append(rep.Steps, step), append(rep.HeldAcc, acc), append(rep.HeldLoss, l)
		fmt.Fprintf(w, "step %3d: held-out loss %5.3f nats per target, accuracy %.3f\n", step, l, acc)
		return nil
	}
	for s := range steps {
		if s%every == 0 {
			if err := measure(s); err != nil {
				return nil, err
			}
		}
		if _, err := forward(newBatch(rng)); err != nil {
			return nil, err
		}
		if err := solver.Step(gorgonia.NodesToValueGrads(params)); err != nil {
			return nil, err
		}
	}
	if err := measure(steps); err != nil {
		return nil, err
	}
	pic := filepath.Join(out, "weights.png")
	if err := plotWeights(pic, first, weights, len(held.seqs[0]), steps); err != nil {
		return nil, err
	}
	fmt.Fprintln(w, "wrote", pic)
	rep.Pictures = []string{pic}
	return rep, nil
}

// accuracy is the share of bt's targets that the argmax of the logits (B·N,
// V) predicts.
func accuracy(logits []float32, bt batch) float64 {
	right, all := 0, 0
	for b, s := range bt.seqs {
		for i := K; i < len(s); i++ {
			row := logits[(b*N+i)*V : (b*N+i+1)*V]
			best := 0
			for c := range row {
				if row[c] > row[best] {
					best = c
				}
			}
			all++
			if best == s[i-K] {
				right++
			}
		}
	}
	return float64(right) / float64(all)
}

// attentionWeights returns the attention weights of the layer for sequence
// 0 of the batch, of length n, from the values of q and k: row i is the
// softmax of its window, the numbers attention.Banded weighs v with (it
// keeps none of them, so they are computed again here).
func attentionWeights(qv, kv gorgonia.Value, n int) [][]float64 {
	q, k := qv.Data().([]float32), kv.Data().([]float32)
	p := make([][]float64, n)
	for i := range n {
		p[i] = make([]float64, n)
		lo := max(0, i-Lower)
		m := math.Inf(-1)
		for j := lo; j <= i; j++ {
			s := 0.0
			for x := range D {
				s += float64(q[i*D+x]) * float64(k[j*D+x])
			}
			p[i][j] = s / math.Sqrt(D)
			m = max(m, p[i][j])
		}
		z := 0.0
		for j := lo; j <= i; j++ {
			p[i][j] = math.Exp(p[i][j] - m)
			z += p[i][j]
		}
		for j := lo; j <= i; j++ {
			p[i][j] /= z
		}
	}
	return p
}

// plotWeights draws the attention weights of held-out sequence 0 before
// and after training, with the key each query should attend to ringed.
func plotWeights(path string, before, after [][]float64, n, steps int) error {
	// figure labels the axes as positions in x and y: here both are the
	// sequence's.
	target := figure.Path{Label: fmt.Sprintf("rings: the key %d back", K), Colour: figure.GoldColour, Rings: true}
	for i := K; i < n; i++ {
		target.Cells = append(target.Cells, [2]int{i, i - K})
	}
	var panels []figure.Panel
	for _, p := range []struct {
		title string
		w     [][]float64
	}{
		{"before training", before},
		{fmt.Sprintf("after %d steps", steps), after},
	} {
		panels = append(panels, figure.Panel{
			Title:  fmt.Sprintf("%s: weight of key j for query i", p.title),
			Grid:   figure.Grid{Rows: n, Cols: n, At: func(i, j int) float64 { return p.w[i][j] }},
			Paths:  []figure.Path{target},
			XLabel: "j (key: position in the sequence)",
			YLabel: "i (query: position in the sequence)",
		})
	}
	return figure.Write(path, 13*vg.Centimeter, panels...)
}
