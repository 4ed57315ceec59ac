// Command ctc trains a small model with ctc.Loss to read label strings
// out of noisy frames, and shows its forced alignments.
//
// The data are synthetic and seeded: each sequence hides a string of 3 to
// 6 labels over an alphabet of V = 5 (classes 1…5; class 0 is CTC's
// blank). Each label lasts 2 to 4 frames, with 0 to 2 blank frames before
// it (and always one between two equal labels), and the frames after the
// last label are blank. A frame's features are the one-hot code of its
// class, scaled and blurred with Gaussian noise, and a second noisy copy
// of its neighbours' codes. The model is one linear layer on each frame,
// logits = features·W + b, a log-softmax over the classes, and ctc.Loss of
// the hidden strings, which never sees where a label starts or ends. Adam
// minimises the loss; the graph is built once and every batch binds its
// frames, strings and lengths with gorgonia.Let.
//
// It prints, for one held-out sequence before and after training, the
// greedy reading (the best class of each frame, repeats merged, blanks
// dropped) and the forced alignment (ctc.Align: where the hidden string's
// labels sit in its frames), with the held-out loss and the share of
// strings read exactly; and it writes alignment.png into -out: the
// posteriors of the held-out sequence's labels (ctc.Posteriors; frames
// across, labels down), before and after training, with the forced path
// on top.
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/genband/genband/ctc"
	"github.com/genband/genband/examples/internal/figure"
	"github.com/genband/genband/examples/internal/seeded"
	"gonum.org/v1/plot/vg"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

const (
	V     = 5     // labels 1…V; class 0 is the blank
	C     = V + 1 // classes
	F     = 2 * C // features of a frame: its class, its neighbours'
	B     = 16    // sequences in a batch
	T     = 30    // frames, padded
	L     = 6     // labels at most, padded
	Noise = 0.5   // the features' noise, standard deviation
)

// A batch is B sequences: each hidden string, its frames' classes and its
// length in frames.
type batch struct {
	labels [][]int
	frames [][]int
}

func newBatch(rng *rand.Rand) batch {
	var bt batch
	for range B {
		var lab, fr []int
		n := 3 + rng.IntN(L-3+1)
		for j := range n {
			c := 1 + rng.IntN(V)
			// A repeat needs a blank between; beyond that, up to 2 blanks
			// while room is left for this and the labels still to come
			// (4 frames and a blank each at most: 6·5 − 1 ≤ T).
			least := 0
			if j > 0 && c == lab[j-1] {
				least = 1
			}
			gap := least + rng.IntN(3)
			if len(fr)+gap+5*(n-j)-1 > T {
				gap = least
			}
			for range gap {
				fr = append(fr, 0)
			}
			for range 2 + rng.IntN(3) {
				fr = append(fr, c)
			}
			lab = append(lab, c)
		}
		bt.labels, bt.frames = append(bt.labels, lab), append(bt.frames, fr)
	}
	return bt
}

// tensors returns the features (T, B, F), the padded strings (B, L) and
// the frame and label counts, (B) each, as Gorgonia wants them.
func (bt batch) tensors(rng *rand.Rand) (x, tg, il, tl *tensor.Dense) {
	xv, tv, iv, lv := make([]float32, T*B*F), make([]int, B*L), make([]int, B), make([]int, B)
	for b := range B {
		fr := bt.frames[b]
		iv[b], lv[b] = len(fr), len(bt.labels[b])
		copy(tv[b*L:], bt.labels[b])
		for t := range T {
			row := xv[(t*B+b)*F : (t*B+b+1)*F]
			for k := range row {
				row[k] = float32(Noise * rng.NormFloat64())
			}
			if t >= len(fr) {
				continue
			}
			row[fr[t]] += 1.5
			for _, n := range []int{t - 1, t + 1} {
				if n >= 0 && n < len(fr) {
					row[C+fr[n]] += 0.75
				}
			}
		}
	}
	return tensor.New(tensor.WithShape(T, B, F), tensor.WithBacking(xv)),
		tensor.New(tensor.WithShape(B, L), tensor.WithBacking(tv)),
		tensor.New(tensor.WithShape(B), tensor.WithBacking(iv)),
		tensor.New(tensor.WithShape(B), tensor.WithBacking(lv))
}

// A Report is what run measured.
type Report struct {
	Steps    []int     // the steps where the held-out batch was measured
	HeldLoss []float64 // the held-out loss (mean per label), at each of Steps
	HeldRead []float64 // the share of held-out strings read exactly by greedy decoding
	Pictures []string  // the PNG files written
}

func main() {
	steps := flag.Int("steps", 400, "Adam steps, one batch of 16 sequences each")
	every := flag.Int("every", 100, "measure the held-out batch every this many steps")
	out := flag.String("out", "out/ctc", "folder for alignment.png (created if missing)")
	flag.Parse()
	rep, err := run(os.Stdout, *steps, *every, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ctc:", err)
		os.Exit(1)
	}
	k := len(rep.Steps) - 1
	fmt.Printf("held-out loss %.2f → %.2f nats per label, strings read exactly %.2f → %.2f\n",
		rep.HeldLoss[0], rep.HeldLoss[k], rep.HeldRead[0], rep.HeldRead[k])
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
	wt := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(F, C), gorgonia.WithName("W"), gorgonia.WithValue(seeded.Glorot(F, C, rand.New(rand.NewPCG(7, 8)))))
	bias := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(1, C), gorgonia.WithName("b"), gorgonia.WithInit(gorgonia.Zeroes()))
	X := gorgonia.NewTensor(g, tensor.Float32, 3, gorgonia.WithShape(T, B, F), gorgonia.WithName("X"))
	targets := gorgonia.NewMatrix(g, tensor.Int, gorgonia.WithShape(B, L), gorgonia.WithName("targets"))
	inLen := gorgonia.NewVector(g, tensor.Int, gorgonia.WithShape(B), gorgonia.WithName("inputLengths"))
	tgtLen := gorgonia.NewVector(g, tensor.Int, gorgonia.WithShape(B), gorgonia.WithName("targetLengths"))

	flat := gorgonia.Must(gorgonia.Reshape(X, tensor.Shape{T * B, F}))
	logits := gorgonia.Must(gorgonia.BroadcastAdd(gorgonia.Must(gorgonia.Mul(flat, wt)), bias, nil, []byte{0}))
	logp := gorgonia.Must(gorgonia.Reshape(gorgonia.Must(gorgonia.LogSoftMax(logits)), tensor.Shape{T, B, C}))
	loss, err := ctc.Loss(logp, targets, inLen, tgtLen, gorgonia.ReductionMean)
	if err != nil {
		return nil, err
	}
	params := gorgonia.Nodes{wt, bias}
	if _, err := gorgonia.Grad(loss, params...); err != nil {
		return nil, err
	}
	vm := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(params...))
	defer vm.Close()
	solver := gorgonia.NewAdamSolver(gorgonia.WithLearnRate(0.05))

	// forward binds bt's tensors and runs the graph: the loss, and the
	// gradients of the parameters for the solver.
	forward := func(x, tg, il, tl *tensor.Dense) (float64, error) {
		for _, b := range []struct {
			n *gorgonia.Node
			v *tensor.Dense
		}{{X, x}, {targets, tg}, {inLen, il}, {tgtLen, tl}} {
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
	hx, htg, hil, htl := held.tensors(rand.New(rand.NewPCG(5, 6)))
	rep := &Report{}
	var panels []figure.Panel
	measure := func(step int) error {
		l, err := forward(hx, htg, hil, htl)
		if err != nil {
			return err
		}
		lp := logp.Value().(*tensor.Dense).Clone().(*tensor.Dense)
		read := 0
		for b := range B {
			if slices.Equal(greedy(lp, b, len(held.frames[b])), held.labels[b]) {
				read++
			}
		}
		spans, err := ctc.Align(lp, htg, hil, htl)
		if err != nil {
			return err
		}
		post, err := ctc.Posteriors(lp, htg, hil, htl)
		if err != nil {
			return err
		}
		rep.Steps, rep.HeldLoss = append(rep.Steps, step), append(rep.HeldLoss, l)
		rep.HeldRead = append(rep.HeldRead, float64(read)/B)
		fmt.Fprintf(w, "step %3d: held-out loss %5.3f nats per label, strings read exactly %2d/%d\n", step, l, read, B)
		if step == 0 || step == steps {
			fmt.Fprintf(w, "  sequence 0, hidden string %v over %d frames (true classes %s)\n", held.labels[0], len(held.frames[0]), classes(held.frames[0]))
			fmt.Fprintf(w, "    greedy reading   %v\n", greedy(lp, 0, len(held.frames[0])))
			fmt.Fprintf(w, "    forced alignment %s\n", alignment(spans[0], len(held.frames[0])))
			panels = append(panels, panel(post, spans[0], len(held.labels[0]), len(held.frames[0]), step))
		}
		return nil
	}
	for s := range steps {
		if s%every == 0 {
			if err := measure(s); err != nil {
				return nil, err
			}
		}
		bt := newBatch(rng)
		if _, err := forward(bt.tensors(rng)); err != nil {
			return nil, err
		}
		if err := solver.Step(gorgonia.NodesToValueGrads(params)); err != nil {
			return nil, err
		}
	}
	if err := measure(steps); err != nil {
		return nil, err
	}
	pic := filepath.Join(out, "alignment.png")
	if err := figure.Write(pic, 12*vg.Centimeter, panels...); err != nil {
		return nil, err
	}
	fmt.Fprintln(w, "wrote", pic)
	rep.Pictures = []string{pic}
	return rep, nil
}

// greedy reads item b from logProbs (T, B, C): the best class of each of
// its n frames, repeats merged, blanks dropped.
func greedy(lp *tensor.Dense, b, n int) []int {
	d := lp.Data().([]float32)
	out := []int{}
	prev := -1
	for t := range n {
		row := d[(t*B+b)*C : (t*B+b+1)*C]
		best := 0
		for c := range row {
			if row[c] > row[best] {
				best = c
			}
		}
		if best != prev && best != 0 {
			out = append(out, best)
		}
		prev = best
	}
	return out
}

// classes writes frames' classes, '.' for the blank.
func classes(fr []int) string {
	var s strings.Builder
	for _, c := range fr {
		if c == 0 {
			s.WriteByte('.')
		} else {
			fmt.Fprint(&s, c)
		}
	}
	return s.String()
}

// alignment writes a forced alignment over n frames as classes() does.
func alignment(spans []ctc.Span, n int) string {
	if spans == nil {
		return "(none)"
	}
	fr := make([]int, n)
	for _, s := range spans {
		for t := s.Start; t < s.End; t++ {
			fr[t] = s.Class
		}
	}
	return classes(fr)
}

// panel draws the posteriors of item 0's labels (rows: its l labels;
// columns: its n frames) with the forced path on top.
func panel(post *tensor.Dense, spans []ctc.Span, l, n, step int) figure.Panel {
	d := post.Data().([]float64)
	s := post.Shape()[2]
	path := figure.Path{Label: "green: forced alignment; rows: labels, columns: frames", Colour: figure.PathColour}
	for _, sp := range spans {
		for t := sp.Start; t < sp.End; t++ {
			path.Cells = append(path.Cells, [2]int{sp.Label, t})
		}
	}
	title := "before training"
	if step > 0 {
		title = fmt.Sprintf("after %d steps", step)
	}
	return figure.Panel{
		Title:  title + ": P(frame t on label j)",
		Grid:   figure.Grid{Rows: l, Cols: n, At: func(j, t int) float64 { return d[t*s+2*j+1] }},
		Paths:  []figure.Path{path},
		XLabel: "t (frame)",
		YLabel: "j (label: position in the target)",
	}
}
