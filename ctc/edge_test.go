package ctc

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestLossEmptyTarget: an empty target's loss is −Σ_t log p(blank), the
// negation of gorgonia's value, and its gradient −weight on the blank of
// each of its frames.
func TestLossEmptyTarget(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		p := randomProblem(rng, 5, 2, 4, 0, 3)
		var want float64
		for b := range p.batch {
			for tt := range p.inLen[b] {
				want -= p.lp[(tt*p.batch+b)*p.cls]
			}
		}
		got, grad := runLoss(t, ours(), p, dt, gorgonia.ReductionSum, false, true)
		gor, _ := runLoss(t, gorgonia.CTCLoss, p, dt, gorgonia.ReductionSum, false, false)
		if !near(got, want, 1e-5) || !near(gor, -want, 1e-5) {
			t.Errorf("%v: loss %v, gorgonia %v, want %v (gorgonia −%[4]v)", dt, got, gor, want)
		}
		for i, g := range grad {
			tt, b, c := i/(p.batch*p.cls), i/p.cls%p.batch, i%p.cls
			w := 0.0
			if c == 0 && tt < p.inLen[b] {
				w = -1
			}
			if g != float64(w) {
				t.Fatalf("%v: gradient[%d, %d, %d] = %v, want %v", dt, tt, b, c, g, w)
			}
		}
	}
}

// TestLossImpossible: an item whose labels need more frames than it has
// (here two repeats, which need a blank between them) has loss +Inf and
// gradient 0; the other items' gradients are untouched.
func TestLossImpossible(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		p := randomProblem(rng, 4, 2, 3, 2, 4)
		p.targets[0] = []int{1, 1, 2} // needs 4 frames: 1 ∅ 1 2
		p.width = 3
		p.inLen[0] = 3
		p.targets[1] = []int{2}
		got, grad := runLoss(t, ours(), p, dt, gorgonia.ReductionSum, false, true)
		if !math.IsInf(got, 1) {
			t.Errorf("%v: loss %v, want +Inf", dt, got)
		}
		_, want := brute(p, gorgonia.ReductionSum)
		for i := range grad {
			if !near(grad[i], want[i], 1e-5) {
				t.Fatalf("%v: gradient[%d] = %v, want %v", dt, i, grad[i], want[i])
			}
			if i%(p.batch*p.cls) < p.cls && grad[i] != 0 {
				t.Fatalf("%v: gradient[%d] of the impossible item = %v, want 0", dt, i, grad[i])
			}
		}
		// Enough frames: finite.
		p.inLen[0] = 4
		if got, _ := runLoss(t, ours(), p, dt, gorgonia.ReductionSum, false, false); math.IsInf(got, 0) {
			t.Errorf("%v: loss %v with 4 frames for 1 ∅ 1 2, want finite", dt, got)
		}
	}
}

// TestLossBlank: with Blank(k), a batch whose classes are permuted so that
// the blank sits at k has the loss and (permuted) gradient of the original.
func TestLossBlank(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	p := randomProblem(rng, 7, 3, 5, 3, 5)
	want, wantGrad := runLoss(t, ours(), p, tensor.Float64, gorgonia.ReductionMean, false, true)
	// Swap classes 0 and 3.
	swap := func(c int) int {
		switch c {
		case 0:
			return 3
		case 3:
			return 0
		}
		return c
	}
	q := p
	q.blank = 3
	q.lp = make([]float64, len(p.lp))
	for i, x := range p.lp {
		q.lp[i-i%p.cls+swap(i%p.cls)] = x
	}
	q.targets = nil
	for _, lab := range p.targets {
		var l []int
		for _, c := range lab {
			l = append(l, swap(c))
		}
		q.targets = append(q.targets, l)
	}
	got, grad := runLoss(t, ours(Blank(3)), q, tensor.Float64, gorgonia.ReductionMean, false, true)
	if !near(got, want, 1e-12) {
		t.Errorf("loss %v with Blank(3), want %v", got, want)
	}
	for i, g := range grad {
		if w := wantGrad[i-i%p.cls+swap(i%p.cls)]; !near(g, w, 1e-12) {
			t.Fatalf("gradient[%d] %v, want %v", i, g, w)
		}
	}
}

// TestLossLogSoftmax: behind a log-softmax, with Sum reduction and full
// input lengths, the gradient with respect to the logits equals
// gorgonia.CTCLoss's gradient with respect to its logProbs (which folds
// the softmax in).
func TestLossLogSoftmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	p := randomProblem(rng, 8, 3, 5, 3, 8)
	for b := range p.targets {
		if len(p.targets[b]) == 0 {
			p.targets[b] = []int{2}
		}
	}
	_, want := runLoss(t, gorgonia.CTCLoss, p, tensor.Float64, gorgonia.ReductionSum, false, true)
	behind := func(lp, tg, il, tl *gorgonia.Node, red gorgonia.Reduction) (*gorgonia.Node, error) {
		// p.lp is already normalized, so the log-softmax leaves it as it
		// is and the gradient is with respect to logits = lp.
		ls, err := gorgonia.LogSoftMax(lp, 2)
		if err != nil {
			return nil, err
		}
		return Loss(ls, tg, il, tl, red)
	}
	_, got := runLoss(t, behind, p, tensor.Float64, gorgonia.ReductionSum, false, true)
	for i := range got {
		if !near(got[i], want[i], 1e-9) {
			t.Fatalf("gradient[%d] %v, gorgonia's %v", i, got[i], want[i])
		}
	}
}

// TestLossRerun: lengths and labels are values of the run: one graph run
// on one batch, then another of the same shapes (gorgonia.Let), gives each
// batch's loss and gradient, and the buffers the Ops keep carry nothing
// from one run to the next.
func TestLossRerun(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	ps := []problem{randomProblem(rng, 6, 3, 3, 3, 1), randomProblem(rng, 6, 3, 3, 3, 1)}
	g := gorgonia.NewGraph()
	lp := gorgonia.NewTensor(g, tensor.Float64, 3, gorgonia.WithShape(6, 3, 3), gorgonia.WithName("lp"))
	tg := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(3, 3), gorgonia.WithName("tg"))
	il := gorgonia.NewTensor(g, tensor.Int, 1, gorgonia.WithShape(3), gorgonia.WithName("il"))
	tl := gorgonia.NewTensor(g, tensor.Int, 1, gorgonia.WithShape(3), gorgonia.WithName("tl"))
	cost, err := Loss(lp, tg, il, tl, gorgonia.ReductionMean)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := gorgonia.Grad(cost, lp)
	if err != nil {
		t.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	for run := range 4 {
		p := ps[run%2]
		p.width = 3
		for _, x := range []struct {
			n *gorgonia.Node
			v *tensor.Dense
		}{
			{lp, tensor.New(tensor.WithShape(6, 3, 3), tensor.WithBacking(append([]float64(nil), p.lp...)))},
			{tg, tensor.New(tensor.WithShape(3, 3), tensor.WithBacking(p.padded()))},
			{il, tensor.New(tensor.WithShape(3), tensor.WithBacking(append([]int(nil), p.inLen...)))},
			{tl, tensor.New(tensor.WithShape(3), tensor.WithBacking(p.targetLens()))},
		} {
			if err := gorgonia.Let(x.n, x.v); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		want, wantGrad := brute(p, gorgonia.ReductionMean)
		if got := cost.Value().Data().(float64); !near(got, want, 1e-9) {
			t.Errorf("run %d: loss %v, want %v", run, got, want)
		}
		for i, x := range grads[0].Value().Data().([]float64) {
			if !near(x, wantGrad[i], 1e-9) {
				t.Fatalf("run %d: gradient[%d] %v, want %v", run, i, x, wantGrad[i])
			}
		}
		m.Reset()
	}
}

// TestLossErrors: bad arguments are errors of the right kind, at build
// time (shapes, dtypes, the blank) or from the run (values), never panics.
func TestLossErrors(t *testing.T) {
	type in struct {
		lp        tensor.Shape
		dt        tensor.Dtype
		tg        []int
		tgShape   tensor.Shape
		tgDt      tensor.Dtype
		il, tl    []int
		opts      []Option
		buildKind error // nil: the build succeeds
		runKind   error
		runMsg    string // the run error's whole message, where checked
	}
	base := func() in {
		return in{lp: tensor.Shape{4, 2, 3}, dt: tensor.Float64, tg: []int{1, 2, 2, 1}, tgShape: tensor.Shape{2, 2}, tgDt: tensor.Int, il: []int{4, 3}, tl: []int{2, 1}}
	}
	cases := map[string]func(*in){
		"label outside classes":  func(c *in) { c.tg[1] = 3; c.runKind = ErrLength },
		"negative label":         func(c *in) { c.tg[0] = -1; c.runKind = ErrLength },
		"label is blank":         func(c *in) { c.tg[2] = 0; c.runKind = ErrLength },
		"label is Blank(2)":      func(c *in) { c.opts = []Option{Blank(2)}; c.runKind = ErrLength },
		"blank outside classes":  func(c *in) { c.opts = []Option{Blank(3)}; c.buildKind = ErrLength },
		"negative target length": func(c *in) { c.tl[1] = -1; c.runKind = ErrLength },
		"target length past pad": func(c *in) { c.tl[0] = 3; c.runKind = ErrLength },
		"input length 0":         func(c *in) { c.il[1] = 0; c.runKind = ErrLength },
		"input length past T": func(c *in) {
			c.il[0] = 5
			c.runKind = ErrLength
			c.runMsg = "ctc.Loss: item 0 has input length 5, want 1 ≤ length ≤ T = 4"
		},
		"negative input length":  func(c *in) { c.il[0] = -2; c.runKind = ErrLength },
		"concatenated too short": func(c *in) { c.tgShape = tensor.Shape{4}; c.tl = []int{3, 2}; c.runKind = ErrLength },
		"capped by MaxTarget":    func(c *in) { c.tgShape = tensor.Shape{4}; c.opts = []Option{MaxTargetLength(1)}; c.runKind = ErrLength },
		"targets float":          func(c *in) { c.tgDt = tensor.Float64; c.buildKind = ErrDtype },
		"logProbs int":           func(c *in) { c.dt = tensor.Int; c.buildKind = ErrDtype },
		"logProbs 2-D":           func(c *in) { c.lp = tensor.Shape{4, 6}; c.buildKind = ErrShape },
		"targets of other batch": func(c *in) { c.tgShape = tensor.Shape{1, 4}; c.buildKind = ErrShape },
		"lengths of other batch": func(c *in) { c.il = []int{4}; c.buildKind = ErrShape },
		"concatenated, fine":     func(c *in) { c.tgShape = tensor.Shape{4} },
		"capped, impossible item": func(c *in) {
			c.tgShape = tensor.Shape{4}
			c.opts = []Option{MaxTargetLength(1)}
			c.il = []int{1, 3}
			c.tl = []int{2, 1}
		},
	}
	for name, mod := range cases {
		c := base()
		mod(&c)
		g := gorgonia.NewGraph()
		var lp *gorgonia.Node
		if c.dt == tensor.Int {
			lp = gorgonia.NewTensor(g, c.dt, c.lp.Dims(), gorgonia.WithShape(c.lp...), gorgonia.WithName("lp"), gorgonia.WithValue(tensor.New(tensor.Of(c.dt), tensor.WithShape(c.lp...))))
		} else {
			lp = gorgonia.NewTensor(g, c.dt, c.lp.Dims(), gorgonia.WithShape(c.lp...), gorgonia.WithName("lp"), gorgonia.WithInit(gorgonia.Uniform(-2, -1)))
		}
		var tg *gorgonia.Node
		if c.tgDt == tensor.Int {
			tg = gorgonia.NewTensor(g, tensor.Int, c.tgShape.Dims(), gorgonia.WithShape(c.tgShape...), gorgonia.WithName("tg"), gorgonia.WithValue(tensor.New(tensor.WithShape(c.tgShape...), tensor.WithBacking(c.tg))))
		} else {
			tg = gorgonia.NewTensor(g, c.tgDt, c.tgShape.Dims(), gorgonia.WithShape(c.tgShape...), gorgonia.WithName("tg"), gorgonia.WithInit(gorgonia.Zeroes()))
		}
		il := gorgonia.NewTensor(g, tensor.Int, 1, gorgonia.WithShape(len(c.il)), gorgonia.WithName("il"), gorgonia.WithValue(tensor.New(tensor.WithShape(len(c.il)), tensor.WithBacking(c.il))))
		tl := gorgonia.NewTensor(g, tensor.Int, 1, gorgonia.WithShape(len(c.tl)), gorgonia.WithName("tl"), gorgonia.WithValue(tensor.New(tensor.WithShape(len(c.tl)), tensor.WithBacking(c.tl))))
		cost, err := Loss(lp, tg, il, tl, gorgonia.ReductionSum, c.opts...)
		if c.buildKind != nil {
			if !errors.Is(err, c.buildKind) {
				t.Errorf("%s: build error %v, want kind %v", name, err, c.buildKind)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: build error %v", name, err)
			continue
		}
		if _, err := gorgonia.Grad(cost, lp); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m := gorgonia.NewTapeMachine(g)
		err = m.RunAll()
		m.Close()
		if c.runKind == nil {
			if err != nil {
				t.Errorf("%s: run error %v", name, err)
			}
			continue
		}
		cause := bandop.Cause(err)
		if !errors.Is(cause, c.runKind) {
			t.Errorf("%s: run error %v, want kind %v", name, err, c.runKind)
		}
		// A run error names the function the caller called, never an
		// internal Op.
		var e *Error
		if !errors.As(cause, &e) || e.Op != "Loss" {
			t.Errorf("%s: run error %v does not name Loss", name, cause)
		}
		if c.runMsg != "" && (cause == nil || cause.Error() != c.runMsg) {
			t.Errorf("%s: run error %v, want %q", name, cause, c.runMsg)
		}
	}
	g := gorgonia.NewGraph()
	x := gorgonia.NewTensor(g, tensor.Float64, 3, gorgonia.WithShape(2, 1, 2), gorgonia.WithName("x"))
	n := gorgonia.NewTensor(g, tensor.Int, 1, gorgonia.WithShape(1), gorgonia.WithName("n"))
	if _, err := Loss(x, n, n, n, gorgonia.Reduction(7)); !errors.Is(err, ErrReduction) {
		t.Errorf("reduction 7: error %v, want kind ErrReduction", err)
	}
	if _, err := Loss(nil, nil, nil, nil, gorgonia.ReductionSum); !errors.Is(err, ErrNil) {
		t.Errorf("nil nodes: error %v, want kind ErrNil", err)
	}
}

// TestLossLongTarget: 2,000 labels, no cap. With as many frames as
// labels (no two equal labels in a row) the only path puts label t on
// frame t: p is the product of those frames' probabilities, and the
// gradient is −1 on each of those classes and 0 elsewhere.
func TestLossLongTarget(t *testing.T) {
	const n, cls = 2000, 5
	rng := rand.New(rand.NewPCG(25, 26))
	p := randomProblem(rng, n, 1, cls, 0, n)
	lab := make([]int, n)
	want := 0.0
	for i := range lab {
		lab[i] = 1 + rng.IntN(cls-1)
		for i > 0 && lab[i] == lab[i-1] {
			lab[i] = 1 + rng.IntN(cls-1)
		}
		want -= p.lp[i*cls+lab[i]]
	}
	p.targets = [][]int{lab}
	p.width = n
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		got, grad := runLoss(t, ours(), p, dt, gorgonia.ReductionSum, false, true)
		tol := 1e-9
		if dt == tensor.Float32 {
			tol = 1e-5
		}
		if !near(got, want, tol) {
			t.Errorf("%v: loss %v, want %v", dt, got, want)
		}
		for i, g := range grad {
			w := 0.0
			if i%cls == lab[i/cls] {
				w = -1
			}
			if !near(g, w, tol) {
				t.Fatalf("%v: gradient[%d, 0, %d] = %v, want %v", dt, i/cls, i%cls, g, w)
			}
		}
	}
}

// TestLossTwoReductions: the two reductions of one batch in one graph are
// two nodes with their own values (gorgonia.CTCLoss hashes every node
// alike, so the graph would merge them), and Mean is Sum's items weighed.
func TestLossTwoReductions(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	p := randomProblem(rng, 6, 3, 4, 3, 4)
	g := gorgonia.NewGraph()
	lpv, tgv, ilv, tlv := p.tensors(tensor.Float64)
	var ns []*gorgonia.Node
	for i, v := range []*tensor.Dense{lpv, tgv, ilv, tlv} {
		ns = append(ns, gorgonia.NewTensor(g, v.Dtype(), v.Dims(), gorgonia.WithShape(v.Shape()...), gorgonia.WithName(argNames[i]), gorgonia.WithValue(v)))
	}
	sum, err := Loss(ns[0], ns[1], ns[2], ns[3], gorgonia.ReductionSum)
	if err != nil {
		t.Fatal(err)
	}
	mean, err := Loss(ns[0], ns[1], ns[2], ns[3], gorgonia.ReductionMean)
	if err != nil {
		t.Fatal(err)
	}
	if sum == mean {
		t.Fatal("the two reductions are one node")
	}
	if err := run("test", g); err != nil {
		t.Fatal(err)
	}
	wantSum, _ := brute(p, gorgonia.ReductionSum)
	wantMean, _ := brute(p, gorgonia.ReductionMean)
	if got := sum.Value().Data().(float64); !near(got, wantSum, 1e-9) {
		t.Errorf("Sum %v, want %v", got, wantSum)
	}
	if got := mean.Value().Data().(float64); !near(got, wantMean, 1e-9) {
		t.Errorf("Mean %v, want %v", got, wantMean)
	}
}
