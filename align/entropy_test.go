package align

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/genband/genband/align/internal/lattice"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// divModels are the models the expectation tests run: every mode, with and
// without a gap.
func divModels() []Model {
	var ms []Model
	for _, mode := range []Mode{Global, Local, SemiGlobal} {
		for _, gap := range []int{-1, 0, 1} {
			ms = append(ms, Model{Semiring: Log, Mode: mode, Gapped: gap >= 0, MaxGap: max(gap, 0)})
		}
	}
	return ms
}

// bruteDiv is what the enumeration of one item's paths says of its
// entropy, cross-entropy and KL divergence: the values, indexed by
// divergence, their gradients with respect to θp and θq (flat over the
// item's N×M×3 potentials), and the marginals μp and μq. It follows the
// package's contract where the quantities are not finite: an item with no
// path under p (or, for CE and KL, under q) is NaN with a zero gradient;
// where CE and KL are +Inf their gradient with respect to p is NaN at
// every potential a path may use, and with respect to q it is μq − μp.
type bruteDiv struct {
	val      [3]float64
	dp, dq   [3][]float64
	logZp    float64
	paths    [][]feature
	mup, muq []float64
	scoreP   []float64 // of each path, in the order of paths
	infinite bool      // p gives weight to a path that q does not
	noP, noQ bool      // no path under p, under q
}

// bruteDivergences enumerates the paths of itp (itq has its lengths and
// gap) and derives the values and gradients from the path probabilities:
// ∂p(path)/∂θp(f) = p(path)(1[f ∈ path] − μp(f)), so ∂E_p[g]/∂θp(f) is
// the covariance of 1[f ∈ path] and g under p.
func bruteDivergences(mode Mode, itp, itq item) bruteDiv {
	n, mm := len(itp.theta), len(itp.theta[0])
	at := func(f feature) int { return (f.i*mm+f.j)*3 + f.c }
	l := &lattice.Lattice{Item: lattice.Item{Mode: lattice.Mode(mode), LenX: itp.lenX, LenY: itp.lenY, Lo: itp.lo, Hi: itp.hi}, Top: lattice.Linear}
	r := bruteDiv{paths: enumerate(mode, itp), mup: make([]float64, n*mm*3), muq: make([]float64, n*mm*3)}
	for k := range 3 {
		r.dp[k], r.dq[k] = make([]float64, n*mm*3), make([]float64, n*mm*3)
	}
	score := func(it item, p []feature) float64 {
		var s float64
		for _, f := range p {
			s += it.theta[f.i][f.j][f.c]
		}
		return s
	}
	sp, sq := make([]float64, len(r.paths)), make([]float64, len(r.paths))
	for k, p := range r.paths {
		sp[k], sq[k] = score(itp, p), score(itq, p)
	}
	r.scoreP = sp
	logZ := func(s []float64) float64 {
		m := math.Inf(-1)
		for _, x := range s {
			m = max(m, x)
		}
		if math.IsInf(m, -1) {
			return m
		}
		var sum float64
		for _, x := range s {
			sum += math.Exp(x - m)
		}
		return m + math.Log(sum)
	}
	zp, zq := logZ(sp), logZ(sq)
	r.logZp = zp
	r.noP, r.noQ = math.IsInf(zp, -1), math.IsInf(zq, -1)
	nan := math.NaN()
	if r.noP {
		r.val = [3]float64{nan, nan, nan}
		return r
	}
	marginals := func(s []float64, z float64, mu []float64) {
		for k, p := range r.paths {
			if w := math.Exp(s[k] - z); w > 0 {
				for _, f := range p {
					mu[at(f)] += w
				}
			}
		}
	}
	marginals(sp, zp, r.mup)
	// cov returns Cov_p(1[f ∈ path], g(path)) for every f, over the paths p
	// gives weight to.
	cov := func(g func(k int) float64) []float64 {
		out := make([]float64, n*mm*3)
		for k, p := range r.paths {
			w := math.Exp(sp[k] - zp)
			if w == 0 {
				continue
			}
			gk := g(k)
			in := map[int]bool{}
			for _, f := range p {
				in[at(f)] = true
			}
			for x := range out {
				d := -r.mup[x]
				if in[x] {
					d++
				}
				out[x] += w * d * gk
			}
		}
		return out
	}
	var h float64
	for k := range r.paths {
		if lp := sp[k] - zp; !math.IsInf(lp, -1) {
			h -= math.Exp(lp) * lp
		}
	}
	r.val[divEntropy] = h
	dh := cov(func(k int) float64 { return -(sp[k] - zp) })
	for x := range dh {
		r.dp[divEntropy][x] = dh[x]
	}
	if r.noQ {
		r.val[divCrossEntropy], r.val[divKL] = nan, nan
		return r
	}
	marginals(sq, zq, r.muq)
	var ce float64
	for k := range r.paths {
		if math.IsInf(sp[k], -1) {
			continue
		}
		if math.IsInf(sq[k], -1) {
			r.infinite = true
			continue
		}
		ce -= math.Exp(sp[k]-zp) * (sq[k] - zq)
	}
	dce := cov(func(k int) float64 {
		if math.IsInf(sq[k], -1) {
			return 0 // the value is +Inf: see below
		}
		return -(sq[k] - zq)
	})
	for x := range dce {
		if r.infinite {
			if l.Used(x/3/mm, x/3%mm, x%3) {
				dce[x] = nan
			}
		}
		r.dp[divCrossEntropy][x] = dce[x]
		r.dp[divKL][x] = dce[x] - dh[x]
		r.dq[divCrossEntropy][x] = r.muq[x] - r.mup[x]
		r.dq[divKL][x] = r.muq[x] - r.mup[x]
	}
	if r.infinite {
		ce = math.Inf(1)
	}
	r.val[divCrossEntropy], r.val[divKL] = ce, ce-h
	return r
}

// divProblem returns two potentials of one random shape, with the
// unused potentials NaN.
func divProblem(rng *rand.Rand, m Model, batch, n, mm int) (problem, problem) {
	p := randomProblem(rng, batch, n, mm, true)
	q := p
	q.theta = make([]float64, len(p.theta))
	for x := range q.theta {
		q.theta[x] = rng.Float64()*2 - 1
	}
	for _, pr := range []problem{p, q} {
		th := tensor.New(tensor.WithShape(batch, n, mm, 3), tensor.WithBacking(pr.theta))
		poisonUnused(m, th, pr)
	}
	return p, q
}

// divGraph is a graph of one of Entropy, CrossEntropy and KL with its
// gradients, built once.
type divGraph struct {
	p, q, lengths *gorgonia.Node
	out           *gorgonia.Node
	dp, dq        *gorgonia.Node
	vm            gorgonia.VM
}

func newDivGraph(t *testing.T, m Model, div divergence, dt tensor.Dtype, batch, n, mm int) *divGraph {
	t.Helper()
	g := gorgonia.NewGraph()
	c := m.Channels()
	d := &divGraph{
		p:       gorgonia.NewTensor(g, dt, 4, gorgonia.WithShape(batch, n, mm, c), gorgonia.WithName("p")),
		q:       gorgonia.NewTensor(g, dt, 4, gorgonia.WithShape(batch, n, mm, c), gorgonia.WithName("q")),
		lengths: gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(batch, 2), gorgonia.WithName("lengths")),
	}
	var err error
	switch div {
	case divEntropy:
		d.out, err = m.EntropyNode(d.p, d.lengths)
	case divCrossEntropy:
		d.out, err = m.CrossEntropyNode(d.p, d.q, d.lengths)
	case divKL:
		d.out, err = m.KLNode(d.p, d.q, d.lengths)
	}
	if err != nil {
		t.Fatal(err)
	}
	cost, err := gorgonia.Sum(d.out)
	if err != nil {
		t.Fatal(err)
	}
	wrt := gorgonia.Nodes{d.p}
	if div != divEntropy {
		wrt = append(wrt, d.q)
	}
	grads, err := gorgonia.Grad(cost, wrt...)
	if err != nil {
		t.Fatal(err)
	}
	d.dp = grads[0]
	if div != divEntropy {
		d.dq = grads[1]
	}
	d.vm = gorgonia.NewTapeMachine(g)
	t.Cleanup(func() { d.vm.Close() })
	return d
}

// run binds the potentials and lengths, runs the graph and returns the
// values and the gradients (dq nil for the entropy).
func (d *divGraph) run(t *testing.T, p, q *tensor.Dense, lenX, lenY []int) (v, dp, dq []float64) {
	t.Helper()
	lv, err := Lengths(lenX, lenY)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []struct {
		n *gorgonia.Node
		v *tensor.Dense
	}{{d.p, p}, {d.q, q}, {d.lengths, lv}} {
		if err := gorgonia.Let(l.n, l.v); err != nil {
			t.Fatal(err)
		}
	}
	d.vm.Reset()
	if err := d.vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	v, dp = float64s(d.out.Value()), float64s(d.dp.Value())
	if d.dq != nil {
		dq = float64s(d.dq.Value())
	}
	return v, dp, dq
}

// eagerDiv calls the eager function of div.
func eagerDiv(m Model, div divergence, p, q *tensor.Dense, lenX, lenY []int) ([]float64, error) {
	switch div {
	case divEntropy:
		return m.Entropy(p, lenX, lenY)
	case divCrossEntropy:
		return m.CrossEntropy(p, q, lenX, lenY)
	}
	return m.KL(p, q, lenX, lenY)
}

var divs = []divergence{divEntropy, divCrossEntropy, divKL}

// TestDivergenceEnumerator compares the entropy, cross-entropy and KL
// divergence, eager and in a graph, float64 and float32, with the
// brute-force enumeration of every path, on every shape up to 4×4, every
// mode, with and without a gap, with lengths shorter than the padding and
// NaN in every potential no path may use; and the float32 gradients with
// the float64 ones.
func TestDivergenceEnumerator(t *testing.T) {
	rng := rand.New(rand.NewPCG(101, 102))
	for n := 1; n <= 4; n++ {
		for mm := 1; mm <= 4; mm++ {
			for _, m := range divModels() {
				const batch = 3
				pp, pq := divProblem(rng, m, batch, n, mm)
				want := make([][3]float64, batch)
				for b := range batch {
					want[b] = bruteDivergences(m.Mode, pp.item(m, b), pq.item(m, b)).val
				}
				for k, div := range divs {
					name := fmt.Sprintf("%v %v %dx%d", div, m, n, mm)
					var grad64 [2][]float64
					for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
						tol := 1e-9
						if dt == tensor.Float32 {
							// The potentials are rounded to float32: the
							// entropy moves by about their rounding error
							// times the path length.
							tol = 2e-6
						}
						tp, tq := pp.tensor(dt), pq.tensor(dt)
						got, err := eagerDiv(m, div, tp, tq, pp.lenX, pp.lenY)
						if err != nil {
							t.Fatalf("%s %v: %v", name, dt, err)
						}
						v, dp, dq := newDivGraph(t, m, div, dt, batch, n, mm).run(t, tp, tq, pp.lenX, pp.lenY)
						if dt == tensor.Float64 {
							grad64 = [2][]float64{dp, dq}
						} else {
							// The float32 gradient is the float64 one
							// rounded, up to the potentials' rounding.
							for wrt, g := range [2][]float64{dp, dq} {
								for x := range g {
									if math.Abs(g[x]-grad64[wrt][x]) > 1e-5 {
										t.Fatalf("%s: float32 gradient wrt %c %d is %v, float64 %v", name, "pq"[wrt], x, g[x], grad64[wrt][x])
									}
								}
							}
						}
						for b := range batch {
							if !closeTo(got[b], want[b][k], tol) {
								t.Fatalf("%s %v item %d: eager %v, enumeration %v", name, dt, b, got[b], want[b][k])
							}
							if !closeTo(v[b], want[b][k], tol) {
								t.Fatalf("%s %v item %d: graph %v, enumeration %v", name, dt, b, v[b], want[b][k])
							}
						}
					}
				}
			}
		}
	}
}

// TestDivergenceGradient checks the gradients of Entropy, CrossEntropy
// and KL with respect to both potentials against central finite
// differences of the eager values, on small shapes in every mode, with
// and without a gap and with NaN in every unused potential, whose
// gradient must be exactly 0.
func TestDivergenceGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(103, 104))
	shapes := [][2]int{{1, 1}, {1, 3}, {3, 1}, {2, 3}, {3, 3}, {4, 3}, {3, 4}}
	for k, sh := range shapes {
		for _, m := range divModels() {
			const batch = 2
			n, mm := sh[0], sh[1]
			pp, pq := divProblem(rng, m, batch, n, mm)
			for _, div := range divs {
				name := fmt.Sprintf("%v %v %dx%d", div, m, n, mm)
				g := newDivGraph(t, m, div, tensor.Float64, batch, n, mm)
				// A weighted sum, so that an item's gradient is scaled by
				// the output's gradient.
				_, dp, dq := g.run(t, pp.tensor(tensor.Float64), pq.tensor(tensor.Float64), pp.lenX, pp.lenY)
				for wrt, grad := range [][]float64{dp, dq} {
					if grad == nil {
						continue
					}
					base := pp
					if wrt == 1 {
						base = pq
					}
					for x := range base.theta {
						if math.IsNaN(base.theta[x]) {
							if grad[x] != 0 {
								t.Fatalf("%s: gradient %v of unused potential %d, want 0", name, grad[x], x)
							}
							continue
						}
						if (x+k)%3 != 0 && n*mm > 4 {
							continue // a sample of the potentials keeps the test fast
						}
						f := func(h float64) float64 {
							th := append([]float64(nil), base.theta...)
							th[x] += h
							tp, tq := pp.tensor(tensor.Float64), pq.tensor(tensor.Float64)
							if wrt == 0 {
								tp = tensor.New(tensor.WithShape(batch, n, mm, 3), tensor.WithBacking(th))
							} else {
								tq = tensor.New(tensor.WithShape(batch, n, mm, 3), tensor.WithBacking(th))
							}
							v, err := eagerDiv(m, div, tp, tq, pp.lenX, pp.lenY)
							if err != nil {
								t.Fatal(err)
							}
							return v[0] + v[1]
						}
						const h = 1e-5
						fd := (f(h) - f(-h)) / (2 * h)
						if !closeTo(grad[x], fd, 1e-6) {
							t.Fatalf("%s: gradient wrt %c of potential %d is %v, finite difference %v", name, "pq"[wrt], x, grad[x], fd)
						}
					}
				}
			}
		}
	}
}

// TestKLProperties checks that KL(θ‖θ) = 0 with a zero gradient, that KL
// is positive for random pairs, and that CE = H + KL, in every mode at a
// moderate size.
func TestKLProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(105, 106))
	for _, m := range divModels() {
		const batch, n, mm = 3, 9, 7
		pp, pq := divProblem(rng, m, batch, n, mm)
		tp, tq := pp.tensor(tensor.Float64), pq.tensor(tensor.Float64)
		// KL(θ‖θ): the same node as both arguments.
		g := gorgonia.NewGraph()
		th := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(batch, n, mm, 3), gorgonia.WithName("theta"), gorgonia.WithValue(tp))
		lv, _ := Lengths(pp.lenX, pp.lenY)
		ln := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(batch, 2), gorgonia.WithName("lengths"), gorgonia.WithValue(lv))
		kl, err := m.KLNode(th, th, ln)
		if err != nil {
			t.Fatal(err)
		}
		grads, err := gradients(kl, gorgonia.Nodes{th})
		if err != nil {
			t.Fatal(err)
		}
		for b, v := range float64s(kl.Value()) {
			if math.Abs(v) > 1e-12 {
				t.Errorf("%v: KL(θ‖θ) of item %d is %v, want 0", m, b, v)
			}
		}
		for x, v := range float64s(grads[0].Value()) {
			if math.Abs(v) > 1e-12 {
				t.Fatalf("%v: gradient %d of KL(θ‖θ) is %v, want 0", m, x, v)
			}
		}
		h, err := m.Entropy(tp, pp.lenX, pp.lenY)
		if err != nil {
			t.Fatal(err)
		}
		ce, err := m.CrossEntropy(tp, tq, pp.lenX, pp.lenY)
		if err != nil {
			t.Fatal(err)
		}
		d, err := m.KL(tp, tq, pp.lenX, pp.lenY)
		if err != nil {
			t.Fatal(err)
		}
		for b := range batch {
			// One path (a single cell, or a gap of 0 in semi-global
			// mode) has KL 0 from any q.
			if d[b] <= 0 {
				if paths := len(enumerate(m.Mode, pp.item(m, b))); paths > 1 {
					t.Errorf("%v item %d: KL(p‖q) = %v over %d paths, want > 0", m, b, d[b], paths)
				}
			}
			if h[b] < 0 {
				t.Errorf("%v item %d: H = %v, want ≥ 0", m, b, h[b])
			}
			if !closeTo(ce[b], h[b]+d[b], 1e-12) {
				t.Errorf("%v item %d: CE %v, H + KL %v", m, b, ce[b], h[b]+d[b])
			}
		}
	}
}

// TestDivergenceLengths runs one graph with two bindings of the lengths
// and compares each with the eager values of those lengths.
func TestDivergenceLengths(t *testing.T) {
	rng := rand.New(rand.NewPCG(107, 108))
	const batch, n, mm = 3, 6, 5
	for _, m := range []Model{{Semiring: Log}, {Semiring: Log, Mode: Local, Gapped: true, MaxGap: 1}, {Semiring: Log, Mode: SemiGlobal}} {
		for _, div := range divs {
			g := newDivGraph(t, m, div, tensor.Float64, batch, n, mm)
			for run := range 2 {
				pp := randomProblem(rng, batch, n, mm, true)
				pq := randomProblem(rng, batch, n, mm, false)
				pp.lenX[1], pp.lenY[1] = 2+run, 5-run
				tp, tq := pp.tensor(tensor.Float64), pq.tensor(tensor.Float64)
				v, dp, _ := g.run(t, tp, tq, pp.lenX, pp.lenY)
				want, err := eagerDiv(m, div, tp, tq, pp.lenX, pp.lenY)
				if err != nil {
					t.Fatal(err)
				}
				for b := range batch {
					if v[b] != want[b] {
						t.Errorf("%v %v run %d item %d: graph %v, eager %v", div, m, run, b, v[b], want[b])
					}
				}
				// Past item 1's lengths the gradient is 0.
				lx, ly := pp.lengths(1)
				for i := range n {
					for j := range mm {
						for c := range 3 {
							if x := ((n+i)*mm+j)*3 + c; (i >= lx || j >= ly) && dp[x] != 0 {
								t.Fatalf("%v %v run %d: gradient of (%d,%d,%d) past the lengths is %v", div, m, run, i, j, c, dp[x])
							}
						}
					}
				}
			}
		}
	}
}

// TestDivergenceInputs checks that the functions leave their inputs as
// they were and accept views.
func TestDivergenceInputs(t *testing.T) {
	rng := rand.New(rand.NewPCG(109, 110))
	m := Model{Semiring: Log, Mode: Local}
	pp, pq := divProblem(rng, m, 2, 4, 5)
	tp, tq := pp.tensor(tensor.Float64), pq.tensor(tensor.Float64)
	bp, bq := append([]float64(nil), tp.Data().([]float64)...), append([]float64(nil), tq.Data().([]float64)...)
	for _, div := range divs {
		want, err := eagerDiv(m, div, tp, tq, pp.lenX, pp.lenY)
		if err != nil {
			t.Fatal(err)
		}
		g := newDivGraph(t, m, div, tensor.Float64, 2, 4, 5)
		g.run(t, tp, tq, pp.lenX, pp.lenY)
		if !sameBits(tp.Data().([]float64), bp) || !sameBits(tq.Data().([]float64), bq) {
			t.Fatalf("%v modified its potentials", div)
		}
		// A view: a slice of a larger tensor along the batch.
		big := tensor.New(tensor.WithShape(3, 4, 5, 3), tensor.WithBacking(append(append([]float64(nil), bp...), make([]float64, 60)...)))
		view, err := big.Slice(gorgonia.S(0, 2))
		if err != nil {
			t.Fatal(err)
		}
		got, err := eagerDiv(m, div, view.(*tensor.Dense), tq, pp.lenX, pp.lenY)
		if err != nil {
			t.Fatal(err)
		}
		for b := range got {
			if got[b] != want[b] {
				t.Errorf("%v of a view: item %d %v, want %v", div, b, got[b], want[b])
			}
		}
	}
}

// TestDivergenceErrors checks that bad input gives an error naming the
// function and the problem: another semiring, mismatched potentials, bad
// lengths, and a NaN or +Inf potential in a used cell (naming the item
// and the cell).
func TestDivergenceErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(111, 112))
	pp, pq := randomProblem(rng, 2, 3, 3, false), randomProblem(rng, 2, 3, 3, false)
	tp, tq := pp.tensor(tensor.Float64), pq.tensor(tensor.Float64)
	bad := func(v float64, at int) *tensor.Dense {
		th := append([]float64(nil), pq.theta...)
		th[at] = v
		return tensor.New(tensor.WithShape(2, 3, 3, 3), tensor.WithBacking(th))
	}
	full := Model{Semiring: Log}
	cases := []struct {
		name string
		call func() error
		want []string
	}{
		{"max semiring", func() error { _, err := (Model{Semiring: Max}).Entropy(tp, nil, nil); return err }, []string{"Entropy", "Log"}},
		{"real semiring", func() error { _, err := (Model{Semiring: Real}).KL(tp, tq, nil, nil); return err }, []string{"KL", "Log"}},
		{"nil q", func() error { _, err := full.CrossEntropy(tp, nil, nil, nil); return err }, []string{"CrossEntropy", "nil"}},
		{"shapes", func() error {
			_, err := full.KL(tp, tensor.New(tensor.WithShape(2, 3, 2, 3), tensor.Of(tensor.Float64)), nil, nil)
			return err
		}, []string{"KL", "shape"}},
		{"dtype", func() error { _, err := full.KL(tp, pq.tensor(tensor.Float32), nil, nil); return err }, []string{"KL", "dtype"}},
		{"lengths", func() error { _, err := full.Entropy(tp, []int{1, 4}, nil); return err }, []string{"Entropy", "lenX[1] = 4"}},
		{"NaN in q", func() error {
			_, err := full.KL(tp, bad(math.NaN(), ((1*3+1)*3+2)*3+FromDiag), nil, nil)
			return err
		}, []string{"KL", "item 1", "q[1, 1, 2, FromDiag]", "NaN"}},
		{"+Inf", func() error {
			_, err := full.Entropy(bad(math.Inf(1), ((0*3+2)*3+2)*3+FromAbove), nil, nil)
			return err
		}, []string{"Entropy", "item 0", "θ[0, 2, 2, FromAbove]", "+Inf"}},
		{"no path", func() error {
			th := make([]float64, 2*3*3*3)
			for x := range th {
				th[x] = math.Inf(-1)
			}
			_, err := full.Entropy(tensor.New(tensor.WithShape(2, 3, 3, 3), tensor.WithBacking(th)), nil, nil)
			return err
		}, []string{"Entropy", "item 0", "−Inf"}},
		{"graph lengths", func() error {
			g := gorgonia.NewGraph()
			th := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(2, 3, 3, 3))
			ln := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(3, 2))
			_, err := full.EntropyNode(th, ln)
			return err
		}, []string{"Entropy", "(2, 2)"}},
		{"graph semiring", func() error {
			g := gorgonia.NewGraph()
			th := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(2, 3, 3, 3))
			ln := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(2, 2))
			_, err := Model{Semiring: Max}.KLNode(th, th, ln)
			return err
		}, []string{"KL", "Log"}},
	}
	for _, c := range cases {
		err := c.call()
		var ae *Error
		if !errors.As(err, &ae) {
			t.Errorf("%s: error %v, want an *align.Error", c.name, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", c.name, err, w)
			}
		}
	}
}

// TestDivergenceSharedStates builds H, CE and KL of the same potentials in
// one graph: CE and KL share one forward pass, and CE = H + KL.
func TestDivergenceSharedStates(t *testing.T) {
	rng := rand.New(rand.NewPCG(113, 114))
	const batch, n, mm = 2, 5, 4
	m := Model{Semiring: Log, Mode: SemiGlobal}
	pp, pq := divProblem(rng, m, batch, n, mm)
	g := gorgonia.NewGraph()
	p := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(batch, n, mm, 3), gorgonia.WithName("p"), gorgonia.WithValue(pp.tensor(tensor.Float64)))
	q := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(batch, n, mm, 3), gorgonia.WithName("q"), gorgonia.WithValue(pq.tensor(tensor.Float64)))
	lv, _ := Lengths(pp.lenX, pp.lenY)
	ln := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(batch, 2), gorgonia.WithName("lengths"), gorgonia.WithValue(lv))
	h, err := m.EntropyNode(p, ln)
	if err != nil {
		t.Fatal(err)
	}
	ce, err := m.CrossEntropyNode(p, q, ln)
	if err != nil {
		t.Fatal(err)
	}
	kl, err := m.KLNode(p, q, ln)
	if err != nil {
		t.Fatal(err)
	}
	states := 0
	for _, nd := range g.AllNodes() {
		if _, ok := nd.Op().(*expectOp); ok {
			states++
		}
	}
	if states != 2 {
		t.Errorf("%d forward passes, want 2 (one for H, one shared by CE and KL)", states)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	hv, cv, kv := float64s(h.Value()), float64s(ce.Value()), float64s(kl.Value())
	for b := range batch {
		if !closeTo(cv[b], hv[b]+kv[b], 1e-12) {
			t.Errorf("item %d: CE %v, H + KL %v", b, cv[b], hv[b]+kv[b])
		}
	}
}

// TestDivergenceMarginals checks the three quantities on larger grids
// against the scan's log Z and marginals μ (Model.Marginals), from
// H = log Z_p − Σ μ_p θp and CE = log Z_q − Σ μ_p θq.
func TestDivergenceMarginals(t *testing.T) {
	rng := rand.New(rand.NewPCG(115, 116))
	for k, sh := range [][2]int{{20, 25}, {31, 7}} {
		for _, mode := range []Mode{Global, Local, SemiGlobal} {
			m := Model{Semiring: Log, Mode: mode, Gapped: k == 1, MaxGap: 3}
			const batch = 2
			// NaN past the lengths only: the scan, unlike these
			// functions, reads some potentials of moves from outside a
			// global gap.
			pp := randomProblem(rng, batch, sh[0], sh[1], true)
			pq := randomProblem(rng, batch, sh[0], sh[1], false)
			pq.lenX, pq.lenY = pp.lenX, pp.lenY
			tp, tq := pp.tensor(tensor.Float64), pq.tensor(tensor.Float64)
			poisonPast(tp, pp)
			poisonPast(tq, pq)
			rp, err := m.Marginals(tp, pp.lenX, pp.lenY)
			if err != nil {
				t.Fatal(err)
			}
			rq, err := m.Marginals(tq, pp.lenX, pp.lenY)
			if err != nil {
				t.Fatal(err)
			}
			h, _ := m.Entropy(tp, pp.lenX, pp.lenY)
			ce, _ := m.CrossEntropy(tp, tq, pp.lenX, pp.lenY)
			kl, err := m.KL(tp, tq, pp.lenX, pp.lenY)
			if err != nil {
				t.Fatal(err)
			}
			mu := float64s(rp.Marginals)
			per := len(mu) / batch
			for b := range batch {
				var sp, sq float64
				for x := b * per; x < (b+1)*per; x++ {
					if mu[x] != 0 {
						sp += mu[x] * pp.theta[x]
						sq += mu[x] * pq.theta[x]
					}
				}
				wh, wce := rp.LogZ[b]-sp, rq.LogZ[b]-sq
				name := fmt.Sprintf("%v %v item %d", m, sh, b)
				if !closeTo(h[b], wh, 1e-9) || !closeTo(ce[b], wce, 1e-9) || !closeTo(kl[b], wce-wh, 1e-9) {
					t.Errorf("%s: H %v CE %v KL %v, from the marginals %v %v %v", name, h[b], ce[b], kl[b], wh, wce, wce-wh)
				}
			}
		}
	}
}

// TestDivergenceComposed differentiates the entropy of potentials that
// other Gorgonia ops compute, θ = 2·φ: the gradient with respect to φ is
// twice the gradient with respect to θ.
func TestDivergenceComposed(t *testing.T) {
	rng := rand.New(rand.NewPCG(117, 118))
	const batch, n, mm = 2, 4, 5
	m := Model{Semiring: Log, Mode: Local}
	pp := randomProblem(rng, batch, n, mm, true)
	g := gorgonia.NewGraph()
	phi := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(batch, n, mm, 3), gorgonia.WithName("phi"), gorgonia.WithValue(pp.tensor(tensor.Float64)))
	theta, err := gorgonia.Mul(phi, gorgonia.NewConstant(2.0))
	if err != nil {
		t.Fatal(err)
	}
	lv, _ := Lengths(pp.lenX, pp.lenY)
	ln := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(batch, 2), gorgonia.WithName("lengths"), gorgonia.WithValue(lv))
	h, err := m.EntropyNode(theta, ln)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := gradients(h, gorgonia.Nodes{phi})
	if err != nil {
		t.Fatal(err)
	}
	th := pp.tensor(tensor.Float64)
	for x, v := range th.Data().([]float64) {
		th.Data().([]float64)[x] = 2 * v
	}
	_, dtheta, _ := newDivGraph(t, m, divEntropy, tensor.Float64, batch, n, mm).run(t, th, th, pp.lenX, pp.lenY)
	dphi := float64s(grads[0].Value())
	nonzero := 0
	for x := range dphi {
		if !closeTo(dphi[x], 2*dtheta[x], 1e-12) {
			t.Fatalf("gradient %d: wrt φ %v, wrt θ %v", x, dphi[x], dtheta[x])
		}
		if dphi[x] != 0 {
			nonzero++
		}
	}
	if nonzero == 0 {
		t.Fatal("the gradient is 0 everywhere")
	}
	want, err := m.Entropy(th, pp.lenX, pp.lenY)
	if err != nil {
		t.Fatal(err)
	}
	for b, v := range float64s(h.Value()) {
		if !closeTo(v, want[b], 1e-12) {
			t.Errorf("item %d: H %v, eager %v", b, v, want[b])
		}
	}
}

// TestDivergenceNegInf gives some used potentials −Inf (moves no path may
// take): the values still match the enumeration, an item without a path
// is an error naming it, the gradients are finite, and KL(p‖q) is +Inf
// where q forbids a move that p's paths take.
func TestDivergenceNegInf(t *testing.T) {
	rng := rand.New(rand.NewPCG(119, 120))
	for _, m := range divModels() {
		const batch, n, mm = 3, 3, 4
		pp, pq := divProblem(rng, m, batch, n, mm)
		for x, v := range pp.theta {
			if !math.IsNaN(v) && rng.IntN(5) == 0 {
				pp.theta[x] = math.Inf(-1)
			}
		}
		// q forbids the diagonal move into (1, 1).
		for b := range batch {
			pq.theta[((b*n+1)*mm+1)*3+FromDiag] = math.Inf(-1)
		}
		tp, tq := pp.tensor(tensor.Float64), pq.tensor(tensor.Float64)
		for k, div := range divs {
			name := fmt.Sprintf("%v %v", div, m)
			got, err := eagerDiv(m, div, tp, tq, pp.lenX, pp.lenY)
			var want []float64
			noPath := -1
			for b := range batch {
				w := bruteDivergences(m.Mode, pp.item(m, b), pq.item(m, b)).val[k]
				if math.IsNaN(w) && noPath < 0 {
					noPath = b // every path scores −Inf under p (or q)
				}
				want = append(want, w)
			}
			if noPath >= 0 {
				if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("item %d", noPath)) {
					t.Errorf("%s: error %v, want one naming item %d, which has no path", name, err, noPath)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for b := range batch {
				if !closeTo(got[b], want[b], 1e-9) {
					t.Errorf("%s item %d: %v, enumeration %v", name, b, got[b], want[b])
				}
			}
			_, dp, dq := newDivGraph(t, m, div, tensor.Float64, batch, n, mm).run(t, tp, tq, pp.lenX, pp.lenY)
			// Where CE and KL are +Inf, so is their value near p: the
			// gradient with respect to p is NaN there (TestEnumNegInf
			// checks it against the enumeration).
			per := n * mm * 3
			for wrt, g := range [][]float64{dp, dq} {
				for x, v := range g {
					if wrt == 0 && math.IsInf(got[x/per], 1) {
						continue
					}
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("%s: gradient wrt %c %d is %v", name, "pq"[wrt], x, v)
					}
				}
			}
		}
	}
}
