package align

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/genband/genband/align/internal/lattice"
	"gorgonia.org/tensor"
)

// This file checks the entropy, cross-entropy and KL divergence of the
// affine model, with and without turns, against the engine's enumeration
// of every path (lattice.Enumerate): values and gradients with respect to
// p and q, eager and as graph nodes, float64 and float32, on every shape
// up to 4×4 in every mode with and without a gap, with ragged lengths,
// NaN in every potential no path may use and random patterns of −Inf.

// entAffModels are the affine models of these tests: with and without
// turns, every mode, with and without a gap.
func entAffModels() []Model {
	var ms []Model
	for _, noTurns := range []bool{false, true} {
		for _, m := range divModels() {
			m.Affine, m.NoTurns = true, noTurns
			ms = append(ms, m)
		}
	}
	return ms
}

// entAffCase is a batch of potential pairs p, q of a model, (batch, n, mm,
// channels) flat, with the items' lengths.
type entAffCase struct {
	m            Model
	batch, n, mm int
	p, q         []float64
	lenX, lenY   []int
}

func (c entAffCase) per() int { return c.n * c.mm * c.m.Channels() }

func (c entAffCase) lat(b int) *lattice.Lattice { return c.m.lat(c.lenX[b], c.lenY[b]) }

// tensors returns p and q as tensors of dt.
func (c entAffCase) tensors(dt tensor.Dtype) (*tensor.Dense, *tensor.Dense) {
	shape := []int{c.batch, c.n, c.mm, c.m.Channels()}
	mk := func(th []float64) *tensor.Dense {
		if dt == tensor.Float32 {
			f := make([]float32, len(th))
			for x, v := range th {
				f[x] = float32(v)
			}
			return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f))
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), th...)))
	}
	return mk(c.p), mk(c.q)
}

// rounded returns the case with its potentials rounded to dt, so that the
// enumeration sees what the code sees.
func (c entAffCase) rounded(dt tensor.Dtype) entAffCase {
	if dt == tensor.Float32 {
		tp, tq := c.tensors(dt)
		c.p, c.q = float64s(tp), float64s(tq)
	}
	return c
}

// item returns item b alone, as a case of its own.
func (c entAffCase) item(b int) entAffCase {
	per := c.per()
	c.batch = 1
	c.p, c.q = c.p[b*per:(b+1)*per], c.q[b*per:(b+1)*per]
	c.lenX, c.lenY = c.lenX[b:b+1], c.lenY[b:b+1]
	return c
}

// newEntAffCase draws a case: ragged lengths (the first item's full), p
// and q in (−2, 2), NaN in every potential no path may use, and in each
// item −Inf in some of the potentials a path may use, at a density and in
// a relation between p's and q's that the item draws (as negInfPair does
// for the linear model): independent, q's within p's, p's only, q's only,
// or none at all.
func newEntAffCase(rng *rand.Rand, m Model, batch, n, mm int) entAffCase {
	c := entAffCase{m: m, batch: batch, n: n, mm: mm, lenX: make([]int, batch), lenY: make([]int, batch)}
	per := c.per()
	c.p, c.q = make([]float64, batch*per), make([]float64, batch*per)
	for b := range batch {
		c.lenX[b], c.lenY[b] = 1+rng.IntN(n), 1+rng.IntN(mm)
		if b == 0 {
			c.lenX[b], c.lenY[b] = n, mm
		}
		l := c.lat(b)
		dens := []float64{0, 0.1, 0.2, 0.35}[rng.IntN(4)]
		kind := rng.IntN(4)
		nc := m.Channels()
		for x := b * per; x < (b+1)*per; x++ {
			cell := x % per / nc
			if !l.Used(cell/mm, cell%mm, x%nc) {
				c.p[x], c.q[x] = math.NaN(), math.NaN()
				continue
			}
			c.p[x], c.q[x] = rng.Float64()*4-2, rng.Float64()*4-2
			fp, fq := rng.Float64() < dens, rng.Float64() < dens
			switch kind {
			case 1:
				fp = fp || fq
			case 2:
				fq = false
			case 3:
				fp = false
			}
			if fp {
				c.p[x] = math.Inf(-1)
			}
			if fq {
				c.q[x] = math.Inf(-1)
			}
		}
	}
	return c
}

// entAffWant is what the enumeration of one item's paths says: the
// values, indexed by divergence, and their gradients with respect to p and
// q (flat over the item's potentials), following the package's contract
// where the quantities are not finite (see bruteDiv).
type entAffWant struct {
	val      [3]float64
	dp, dq   [3][]float64
	noP, noQ bool // no path under p, under q
	infinite bool // p gives weight to a path that q does not
}

// entAffEnumerate derives item b's values and gradients from its paths'
// probabilities: ∂p(path)/∂θp(f) = p(path)(n_f(path) − μp(f)), n_f the
// number of times the path reads f, so ∂E_p[g]/∂θp(f) is the covariance
// of n_f and g under p.
func entAffEnumerate(c entAffCase, b int) entAffWant {
	per := c.per()
	l := c.lat(b)
	thp, thq := c.p[b*per:(b+1)*per], c.q[b*per:(b+1)*per]
	nc := c.m.Channels()
	var paths [][]int
	lattice.Enumerate(l, func(p []lattice.Step) {
		f := make([]int, len(p))
		for k, s := range p {
			f[k] = (s.I*c.mm+s.J)*nc + s.C
		}
		paths = append(paths, f)
	})
	var r entAffWant
	for k := range 3 {
		r.dp[k], r.dq[k] = make([]float64, per), make([]float64, per)
	}
	score := func(th []float64, f []int) float64 {
		var s float64
		for _, x := range f {
			s += th[x]
		}
		return s
	}
	sp, sq := make([]float64, len(paths)), make([]float64, len(paths))
	for k, f := range paths {
		sp[k], sq[k] = score(thp, f), score(thq, f)
	}
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
	r.noP, r.noQ = math.IsInf(zp, -1), math.IsInf(zq, -1)
	nan := math.NaN()
	if r.noP {
		r.val = [3]float64{nan, nan, nan}
		return r
	}
	marginals := func(s []float64, z float64) []float64 {
		mu := make([]float64, per)
		for k, f := range paths {
			if w := math.Exp(s[k] - z); w > 0 {
				for _, x := range f {
					mu[x] += w
				}
			}
		}
		return mu
	}
	mup := marginals(sp, zp)
	// cov returns Cov_p(n_f, g) for every f.
	cov := func(g func(k int) float64) []float64 {
		out := make([]float64, per)
		for k, f := range paths {
			w := math.Exp(sp[k] - zp)
			if w == 0 {
				continue
			}
			gk := g(k)
			for x := range out {
				out[x] -= w * mup[x] * gk
			}
			for _, x := range f {
				out[x] += w * gk
			}
		}
		return out
	}
	var h float64
	for k := range paths {
		if lp := sp[k] - zp; !math.IsInf(lp, -1) {
			h -= math.Exp(lp) * lp
		}
	}
	r.val[divEntropy] = h
	dh := cov(func(k int) float64 { return -(sp[k] - zp) })
	copy(r.dp[divEntropy], dh)
	if r.noQ {
		r.val[divCrossEntropy], r.val[divKL] = nan, nan
		return r
	}
	muq := marginals(sq, zq)
	var ce float64
	for k := range paths {
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
			return 0 // the value is +Inf: its gradient is NaN below
		}
		return -(sq[k] - zq)
	})
	for x := range dce {
		if r.infinite {
			dce[x] = 0
			cell := x / nc
			if l.Used(cell/c.mm, cell%c.mm, x%nc) {
				dce[x] = nan
			}
		}
		r.dp[divCrossEntropy][x] = dce[x]
		r.dp[divKL][x] = dce[x] - dh[x]
		r.dq[divCrossEntropy][x] = muq[x] - mup[x]
		r.dq[divKL][x] = muq[x] - mup[x]
	}
	if r.infinite {
		ce = math.Inf(1)
	}
	r.val[divCrossEntropy], r.val[divKL] = ce, ce-h
	return r
}

// defined reports whether div has a value for the item: p has a path, and
// for CE and KL so has q.
func (w entAffWant) defined(div divergence) bool {
	return !w.noP && (div == divEntropy || !w.noQ)
}

// TestAffineDivergenceEnumerator compares the three quantities of the
// affine model, eager and as nodes, and the nodes' gradients with respect
// to p and q, with the enumeration, on every case: shapes 1…4 × 1…4,
// with and without turns, every mode, with and without a gap, float64 and
// float32.
func TestAffineDivergenceEnumerator(t *testing.T) {
	rng := rand.New(rand.NewPCG(201, 202))
	seen := map[string]int{}
	for n := 1; n <= 4; n++ {
		for mm := 1; mm <= 4; mm++ {
			for _, m := range entAffModels() {
				const batch = 5
				c0 := newEntAffCase(rng, m, batch, n, mm)
				for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
					c := c0.rounded(dt)
					want := make([]entAffWant, batch)
					for b := range batch {
						want[b] = entAffEnumerate(c, b)
						if dt == tensor.Float64 {
							seen[entAffKind(want[b])]++
						}
					}
					for _, div := range divs {
						name := fmt.Sprintf("%v %v %dx%d %v", div, m, n, mm, dt)
						checkEntAffEager(t, name, c, div, dt, want)
						checkEntAffNode(t, name, c, div, dt, want)
					}
				}
			}
		}
	}
	t.Logf("items by kind: %v", seen)
	for _, k := range []string{"finite", "no path under p", "no path under q", "+Inf"} {
		if seen[k] < 20 {
			t.Errorf("%d items of kind %q, want at least 20", seen[k], k)
		}
	}
}

// entAffKind names what the enumeration says of an item.
func entAffKind(w entAffWant) string {
	switch {
	case w.noP:
		return "no path under p"
	case w.noQ:
		return "no path under q"
	case w.infinite:
		return "+Inf"
	}
	return "finite"
}

// entAffTol is the tolerance of a value or gradient: the float32
// potentials are rounded, but the enumeration takes the rounded ones, so
// only the rounding of the float32 gradient remains.
func entAffTol(dt tensor.Dtype) float64 {
	if dt == tensor.Float32 {
		return 1e-6
	}
	return 1e-9
}

// checkEntAffEager calls the eager function of div on each item alone: an
// item without a distribution is an error naming it, every other item's
// value is the enumeration's.
func checkEntAffEager(t *testing.T, name string, c entAffCase, div divergence, dt tensor.Dtype, want []entAffWant) {
	t.Helper()
	for b := range c.batch {
		it := c.item(b)
		tp, tq := it.tensors(dt)
		got, err := eagerDiv(c.m, div, tp, tq, it.lenX, it.lenY)
		if !want[b].defined(div) {
			if err == nil || !strings.Contains(err.Error(), "item 0") || !strings.Contains(err.Error(), "−Inf") {
				t.Fatalf("%s item %d: error %v, want one saying every path scores −Inf", name, b, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s item %d: %v", name, b, err)
		}
		if !closeTo(got[0], want[b].val[div], entAffTol(dt)) {
			t.Fatalf("%s item %d: eager %v, enumeration %v", name, b, got[0], want[b].val[div])
		}
	}
}

// checkEntAffNode runs div's node and its gradients on the whole batch:
// the values (NaN where an item has no distribution) and the gradients
// with respect to p and q match the enumeration's, NaN for NaN.
func checkEntAffNode(t *testing.T, name string, c entAffCase, div divergence, dt tensor.Dtype, want []entAffWant) {
	t.Helper()
	tp, tq := c.tensors(dt)
	v, dp, dq := newDivGraph(t, c.m, div, dt, c.batch, c.n, c.mm).run(t, tp, tq, c.lenX, c.lenY)
	per := c.per()
	tol := entAffTol(dt)
	for b := range c.batch {
		if !sameOrNaN(v[b], want[b].val[div], tol) {
			t.Fatalf("%s item %d: node %v, enumeration %v", name, b, v[b], want[b].val[div])
		}
		for wrt, g := range [][]float64{dp, dq} {
			if g == nil {
				continue
			}
			w := want[b].dp[div]
			if wrt == 1 {
				w = want[b].dq[div]
			}
			for x := range per {
				if got := g[b*per+x]; !sameOrNaN(got, w[x], tol) {
					cell := x / c.m.Channels()
					t.Fatalf("%s item %d: gradient wrt %c of (%d, %d, %s) is %v, enumeration %v", name, b, "pq"[wrt],
						cell/c.mm, cell%c.mm, c.lat(b).Top.ChannelName(x%c.m.Channels()), got, w[x])
				}
			}
		}
	}
}

// TestAffineDivergenceFiniteDiff checks the affine gradients against
// central finite differences of the eager values, on items whose values
// are finite, at every finite potential: this checks the enumeration's
// gradients too.
func TestAffineDivergenceFiniteDiff(t *testing.T) {
	rng := rand.New(rand.NewPCG(203, 204))
	shapes := [][2]int{{1, 1}, {2, 3}, {3, 2}, {3, 3}, {4, 3}}
	for _, sh := range shapes {
		for _, m := range entAffModels() {
			c := newEntAffCase(rng, m, 2, sh[0], sh[1])
			for b := range c.batch {
				it := c.item(b)
				w := entAffEnumerate(it, 0)
				for _, div := range divs {
					if !w.defined(div) || math.IsInf(w.val[div], 0) {
						continue
					}
					name := fmt.Sprintf("%v %v %dx%d item %d", div, m, sh[0], sh[1], b)
					tp, tq := it.tensors(tensor.Float64)
					_, dp, dq := newDivGraph(t, m, div, tensor.Float64, 1, sh[0], sh[1]).run(t, tp, tq, it.lenX, it.lenY)
					for wrt, g := range [][]float64{dp, dq} {
						if g == nil {
							continue
						}
						th := it.p
						if wrt == 1 {
							th = it.q
						}
						for x, v := range th {
							if math.IsNaN(v) || math.IsInf(v, 0) {
								continue
							}
							f := func(h float64) float64 {
								moved := it
								moved.p, moved.q = append([]float64(nil), it.p...), append([]float64(nil), it.q...)
								if wrt == 0 {
									moved.p[x] += h
								} else {
									moved.q[x] += h
								}
								tp, tq := moved.tensors(tensor.Float64)
								got, err := eagerDiv(m, div, tp, tq, it.lenX, it.lenY)
								if err != nil {
									t.Fatalf("%s: %v", name, err)
								}
								return got[0]
							}
							const h = 1e-5
							fd := (f(h) - f(-h)) / (2 * h)
							if !closeTo(g[x], fd, 1e-6) {
								t.Fatalf("%s: gradient wrt %c %d is %v, finite difference %v", name, "pq"[wrt], x, g[x], fd)
							}
						}
					}
				}
			}
		}
	}
}

// TestAffineDivergenceLinear checks that the affine model with equal open
// and extend potentials (and turns) has the linear model's distribution:
// the same H, CE and KL, and gradients that sum to the linear ones
// (FromLeft to OpenLeft + ExtendLeft, and so on), on grids too large to
// enumerate, in every mode with and without a gap.
func TestAffineDivergenceLinear(t *testing.T) {
	rng := rand.New(rand.NewPCG(205, 206))
	const batch, n, mm = 2, 9, 7
	for _, lin := range divModels() {
		aff := lin
		aff.Affine = true
		lp, lq := randomProblem(rng, batch, n, mm, true), randomProblem(rng, batch, n, mm, false)
		lq.lenX, lq.lenY = lp.lenX, lp.lenY
		// The affine potentials of the same scores.
		widen := func(th []float64) []float64 {
			out := make([]float64, batch*n*mm*5)
			for x := range batch * n * mm {
				l := th[x*3 : x*3+3]
				copy(out[x*5:x*5+5], []float64{l[FromDiag], l[FromLeft], l[FromLeft], l[FromAbove], l[FromAbove]})
			}
			return out
		}
		c := entAffCase{m: aff, batch: batch, n: n, mm: mm, p: widen(lp.theta), q: widen(lq.theta), lenX: lp.lenX, lenY: lp.lenY}
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			tol := entAffTol(dt) * 10
			for _, div := range divs {
				name := fmt.Sprintf("%v %v %v", div, aff, dt)
				tp, tq := lp.tensor(dt), lq.tensor(dt)
				wantV, err := eagerDiv(lin, div, tp, tq, lp.lenX, lp.lenY)
				if err != nil {
					t.Fatal(err)
				}
				ap, aq := c.tensors(dt)
				gotV, err := eagerDiv(aff, div, ap, aq, c.lenX, c.lenY)
				if err != nil {
					t.Fatal(err)
				}
				_, ldp, ldq := newDivGraph(t, lin, div, dt, batch, n, mm).run(t, tp, tq, lp.lenX, lp.lenY)
				v, adp, adq := newDivGraph(t, aff, div, dt, batch, n, mm).run(t, ap, aq, c.lenX, c.lenY)
				for b := range batch {
					if !closeTo(gotV[b], wantV[b], tol) || !closeTo(v[b], wantV[b], tol) {
						t.Fatalf("%s item %d: affine eager %v node %v, linear %v", name, b, gotV[b], v[b], wantV[b])
					}
				}
				for wrt, pair := range [][2][]float64{{ldp, adp}, {ldq, adq}} {
					lg, ag := pair[0], pair[1]
					if lg == nil {
						continue
					}
					for x := range batch * n * mm {
						a := ag[x*5 : x*5+5]
						sum := [3]float64{FromLeft: a[OpenLeft] + a[ExtendLeft], FromDiag: a[Match], FromAbove: a[OpenAbove] + a[ExtendAbove]}
						for ch := range 3 {
							if !closeTo(sum[ch], lg[x*3+ch], tol) {
								t.Fatalf("%s: gradient wrt %c of cell %d channel %d: affine %v, linear %v", name, "pq"[wrt], x, ch, sum[ch], lg[x*3+ch])
							}
						}
					}
				}
			}
		}
	}
}

// TestAffineDivergenceErrors checks the eager functions' refusals under
// the affine model: potentials of the linear shape, and a NaN or +Inf
// potential that a path may read (naming the item, the cell and the
// channel), while the same value where no path reads it changes nothing.
func TestAffineDivergenceErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(207, 208))
	m := Model{Semiring: Log, Affine: true, NoTurns: true}
	c := newEntAffCase(rng, m, 2, 3, 3)
	for x := range c.p {
		c.p[x], c.q[x] = rng.Float64(), rng.Float64() // full lengths below: every potential finite
	}
	c.lenX, c.lenY = []int{3, 3}, []int{3, 3}
	tp, tq := c.tensors(tensor.Float64)
	lin := randomProblem(rng, 2, 3, 3, false).tensor(tensor.Float64)
	if _, err := m.Entropy(lin, nil, nil); err == nil || !strings.Contains(err.Error(), "(batch, N, M, 5)") {
		t.Errorf("linear potentials under the affine model: error %v, want one asking for 5 channels", err)
	}
	at := func(b, i, j, ch int) int { return ((b*3+i)*3+j)*5 + ch }
	cases := []struct {
		name string
		x    int
		v    float64
		inQ  bool
		want []string // nil: no error
	}{
		// Without turns a path opens a gap only out of a match, and in a
		// global item no path is in a match in row 0 past (0, 0): these
		// two are read by paths, and the next two by none (lattice.Used).
		{"NaN in p", at(1, 2, 2, OpenLeft), math.NaN(), false, []string{"item 1", "p[1, 2, 2, OpenLeft]", "NaN"}},
		{"+Inf in q", at(0, 2, 2, OpenAbove), math.Inf(1), true, []string{"item 0", "q[0, 2, 2, OpenAbove]", "+Inf"}},
		{"NaN where a gap from above reads, in row 0's dead gap", at(1, 1, 2, OpenAbove), math.NaN(), false, nil},
		// Column 0 has no gap from the left, so no path reads ExtendLeft
		// there; and no path starts at (1, 1) in global mode, nor comes
		// diagonally from outside the grid at (0, 1).
		{"NaN where no path reads", at(0, 1, 0, ExtendLeft), math.NaN(), false, nil},
		{"+Inf where no path reads", at(1, 0, 1, Match), math.Inf(1), true, nil},
	}
	for _, cs := range cases {
		for _, div := range []divergence{divCrossEntropy, divKL} {
			p, q := tp.Clone().(*tensor.Dense), tq.Clone().(*tensor.Dense)
			target := p
			if cs.inQ {
				target = q
			}
			target.Data().([]float64)[cs.x] = cs.v
			got, err := eagerDiv(m, div, p, q, nil, nil)
			if cs.want == nil {
				want, werr := eagerDiv(m, div, tp, tq, nil, nil)
				if err != nil || werr != nil || got[0] != want[0] || got[1] != want[1] {
					t.Errorf("%s, %v: %v (%v), want %v as without it", cs.name, div, got, err, want)
				}
				continue
			}
			for _, w := range cs.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("%s, %v: error %v, want one saying %q", cs.name, div, err, w)
				}
			}
		}
	}
}

// TestDivergenceIEEE checks the nodes' IEEE semantics in both models: a
// NaN or +Inf potential that a path reads makes its item NaN (in q, the
// item's CE and KL; H does not read q), and leaves the other items as
// they were. (An option may be open, lattice.Used, where no path takes it:
// without turns, a gap from above in row 1 of a global item that no state
// reaches. A NaN there changes nothing.)
func TestDivergenceIEEE(t *testing.T) {
	rng := rand.New(rand.NewPCG(209, 210))
	for _, m := range append(divModels(), entAffModels()...) {
		c := newEntAffCase(rng, m, 2, 3, 4)
		for x := range c.p {
			if !math.IsNaN(c.p[x]) {
				c.p[x], c.q[x] = rng.Float64(), rng.Float64() // no −Inf: every item has paths
			}
		}
		tp, tq := c.tensors(tensor.Float64)
		for _, div := range divs {
			g := newDivGraph(t, m, div, tensor.Float64, c.batch, c.n, c.mm)
			clean, _, _ := g.run(t, tp, tq, c.lenX, c.lenY)
			for _, bad := range []float64{math.NaN(), math.Inf(1)} {
				for wrt := range 2 {
					// A potential of item 0 that a path reads, at random.
					read := map[int]bool{}
					lattice.Enumerate(c.lat(0), func(p []lattice.Step) {
						for _, s := range p {
							read[(s.I*c.mm+s.J)*m.Channels()+s.C] = true
						}
					})
					var used []int
					for x := range c.per() {
						if read[x] {
							used = append(used, x)
						}
					}
					x := used[rng.IntN(len(used))]
					p, q := tp.Clone().(*tensor.Dense), tq.Clone().(*tensor.Dense)
					target := p
					if wrt == 1 {
						target = q
					}
					target.Data().([]float64)[x] = bad
					v, _, _ := g.run(t, p, q, c.lenX, c.lenY)
					name := fmt.Sprintf("%v %v, %v in %c at %d", div, m, bad, "pq"[wrt], x)
					if wrt == 1 && div == divEntropy {
						if v[0] != clean[0] {
							t.Errorf("%s: H %v, want %v as without it", name, v[0], clean[0])
						}
					} else if !math.IsNaN(v[0]) {
						t.Errorf("%s: item 0 is %v, want NaN", name, v[0])
					}
					if v[1] != clean[1] {
						t.Errorf("%s: item 1 is %v, want %v as before", name, v[1], clean[1])
					}
				}
			}
		}
	}
}
