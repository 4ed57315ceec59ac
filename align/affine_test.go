package align

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/align/internal/lattice"
	"github.com/genband/genband/bandop"
	"gorgonia.org/tensor"
)

// The affine cells Ops (affine.go, affine_grad.go) against the engine's
// reference DP (lattice.Forward, Backward, Marginals) and the enumeration
// of every path (lattice.Enumerate).

// cpuAffProblem is a random affine case: θ (batch, n, mm, 5) in float64 and
// the lengths (the first item full).
type cpuAffProblem struct {
	batch, n, mm int
	theta        []float64
	lenX, lenY   []int
}

// newCPUAffProblem draws θ: normal scores (Real: their exp), with a fraction
// negInf of −Inf (Real: 0).
func newCPUAffProblem(rng *rand.Rand, s bandop.Semiring, batch, n, mm int, negInf float64) cpuAffProblem {
	p := cpuAffProblem{batch: batch, n: n, mm: mm, theta: make([]float64, batch*n*mm*5), lenX: make([]int, batch), lenY: make([]int, batch)}
	for k := range p.theta {
		x := rng.NormFloat64()
		if rng.Float64() < negInf {
			x = math.Inf(-1)
		}
		if s == Real {
			x = math.Exp(x / 2)
		}
		p.theta[k] = x
	}
	for b := range batch {
		p.lenX[b], p.lenY[b] = 1+rng.IntN(n), 1+rng.IntN(mm)
	}
	p.lenX[0], p.lenY[0] = n, mm
	return p
}

// poisonAffine puts v in every potential of p that no path of m may use
// (lattice.Used), past the lengths included.
func (p cpuAffProblem) poison(m Model, v float64) {
	for b := range p.batch {
		l := m.lat(p.lenX[b], p.lenY[b])
		for i := range p.n {
			for j := range p.mm {
				for c := range 5 {
					if !l.Used(i, j, c) {
						p.theta[(((b*p.n+i)*p.mm+j)*5)+c] = v
					}
				}
			}
		}
	}
}

func (p cpuAffProblem) tensor(dt tensor.Dtype) *tensor.Dense {
	if dt == tensor.Float32 {
		f := make([]float32, len(p.theta))
		for k, v := range p.theta {
			f[k] = float32(v)
		}
		return tensor.New(tensor.WithShape(p.batch, p.n, p.mm, 5), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(p.batch, p.n, p.mm, 5), tensor.WithBacking(append([]float64(nil), p.theta...)))
}

// cpuAffRef is the engine's answer for item b of θ (float64, as the Ops see
// it): α in the lattice's order, the total, and the gradient of the total
// (Log and Real: lattice.Marginals; Max: the best path by the tie order,
// cpuAffMaxPath), laid out as θ's item.
func cpuAffRef(m Model, th []float64, n, mm, b, lx, ly int) (l *lattice.Lattice, a []float64, total float64, mu []float64) {
	l = m.lat(lx, ly)
	per := n * mm * 5
	theta := lattice.Theta[float64]{D: th[b*per : (b+1)*per], Width: mm, Channels: 5}
	a = make([]float64, l.Size())
	lattice.Forward(l, m.Semiring, theta, a)
	total = lattice.Total(l, m.Semiring, a)
	mu = make([]float64, per)
	if m.Semiring == Max {
		cpuAffMaxPath(l, theta, a, total, func(i, j, c int) { mu[(i*mm+j)*5+c]++ })
		return
	}
	bb := make([]float64, l.Size())
	lattice.Backward(l, m.Semiring, theta, bb)
	lattice.Marginals(l, m.Semiring, theta, a, bb, total, mu)
	return
}

// cpuAffMaxPath calls step with every step of the best path as the tie
// order picks it: the first end state (lattice.Ends' order) whose α is
// the best score, then at each state the first option (lattice.Affine's
// order) whose term is the state's α.
func cpuAffMaxPath(l *lattice.Lattice, th lattice.Theta[float64], a []float64, best float64, step func(i, j, c int)) {
	if math.IsInf(best, -1) || best != best {
		return
	}
	s, i, j := -1, 0, 0
	l.Ends(func(es, ei, ej int) {
		if s < 0 && a[l.Index(es, ei, ej)] == best {
			s, i, j = es, ei, ej
		}
	})
	for s >= 0 {
		v := a[l.Index(s, i, j)]
		next := -2
		for o, op := range l.Top.In[s] {
			if lattice.Term(l, Max, th, a, s, o, i, j) == v {
				step(i, j, op.Channel)
				if op.Start {
					next = -1
				} else {
					next = op.From
					i, j = i-op.DI, j-op.DJ
				}
				break
			}
		}
		if next == -2 {
			panic("cpuAffMaxPath: no option gives the state's value")
		}
		s = next
	}
}

// cpuAffOps runs the Ops of m on θ directly (cellsOp, endOp and their
// gradients, dz = 1): α, log Z and the gradient of θ, in float64.
func cpuAffOps(t *testing.T, m Model, theta *tensor.Dense, lx, ly []int) (g *grid, alpha, z, grad []float64) {
	t.Helper()
	g, err := newGrid("test", m, theta.Shape())
	must(t, err)
	lv, err := Lengths(lx, ly)
	must(t, err)
	dt := theta.Dtype()
	fwd := newCellsOp(g, dt)
	av, err := fwd.Do(theta, lv)
	must(t, err)
	end := &endOp{g: g, dt: dt}
	zv, err := end.Do(av, lv)
	must(t, err)
	ones := make([]float64, g.batch)
	for k := range ones {
		ones[k] = 1
	}
	dz := tensor.New(tensor.WithShape(g.batch), tensor.WithBacking(ones))
	if dt == tensor.Float32 {
		dz = tensor.New(tensor.WithShape(g.batch), tensor.WithBacking(float32sOf(ones)))
	}
	dav, err := end.gradOp().Do(av, lv, dz)
	must(t, err)
	gv, err := fwd.gradOp().Do(theta, lv, av, dav)
	must(t, err)
	return g, float64s(av), float64s(zv), float64s(gv)
}

// cpuAffCheck compares the Ops' α, log Z and gradient of p with the
// reference, item by item, to tol (relative, NaN matching NaN).
func cpuAffCheck(t *testing.T, name string, m Model, p cpuAffProblem, dt tensor.Dtype, tol float64) {
	t.Helper()
	theta := p.tensor(dt)
	seen := float64s(theta) // the values the Ops read
	g, alpha, z, grad := cpuAffOps(t, m, theta, p.lenX, p.lenY)
	per := p.n * p.mm * 5
	for b := range p.batch {
		l, a, total, mu := cpuAffRef(m, seen, p.n, p.mm, b, p.lenX[b], p.lenY[b])
		where := fmt.Sprintf("%s %v %v item %d (lengths %d, %d)", name, m, dt, b, p.lenX[b], p.lenY[b])
		for s := range 3 {
			for i := range p.n {
				for j := range p.mm {
					got := alpha[g.atState(b, s, i, j)]
					want := lattice.Zero(m.Semiring)
					if i < l.LenX && j < l.LenY {
						want = a[l.Index(s, i, j)]
					}
					if !cpuAffClose(got, want, 1e-9) {
						t.Fatalf("%s: α state %d (%d, %d) %v, want %v", where, s, i, j, got, want)
					}
				}
			}
		}
		if !cpuAffClose(z[b], total, tol) { // log Z is rounded to dt
			t.Fatalf("%s: log Z %v, want %v", where, z[b], total)
		}
		for k := range per {
			if got, want := grad[b*per+k], mu[k]; !cpuAffClose(got, want, tol) {
				c := k % 5
				cell := k / 5
				t.Fatalf("%s: gradient (%d, %d, %s) %v, want %v", where, cell/p.mm, cell%p.mm, lattice.Affine(false).ChannelName(c), got, want)
			}
		}
	}
}

func cpuAffClose(got, want, tol float64) bool {
	return closeTo(got, want, tol) || (math.IsNaN(got) && math.IsNaN(want))
}

func cpuAffModels(s bandop.Semiring) []Model {
	var ms []Model
	for _, mode := range []Mode{Global, Local, SemiGlobal} {
		for _, gap := range []int{-1, 0, 1} {
			for _, nt := range []bool{false, true} {
				ms = append(ms, Model{Semiring: s, Mode: mode, Gapped: gap >= 0, MaxGap: max(gap, 0), Affine: true, NoTurns: nt})
			}
		}
	}
	return ms
}

func cpuAffTol(dt tensor.Dtype) float64 {
	if dt == tensor.Float32 {
		return 1e-6 // the gradient rounded to float32
	}
	return 1e-9
}

// TestAffineSmall: every shape up to 4×4, every mode, gap, turn rule,
// semiring and dtype, ragged lengths, with NaN in every potential no path
// may use and, in a second round, −Inf at random: the Ops against the
// reference, and the reference's log Z against the enumeration.
func TestAffineSmall(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 1))
	for _, s := range []bandop.Semiring{Log, Max, Real} {
		for _, m := range cpuAffModels(s) {
			for n := 1; n <= 4; n++ {
				for mm := 1; mm <= 4; mm++ {
					for _, negInf := range []float64{0, 0.25} {
						p := newCPUAffProblem(rng, s, 3, n, mm, negInf)
						p.poison(m, math.NaN())
						for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
							cpuAffCheck(t, "small", m, p, dt, cpuAffTol(dt))
						}
						cpuAffEnumCheck(t, m, p)
					}
				}
			}
		}
	}
}

// cpuAffEnumCheck compares the total of every item of p with the ⊕ of the
// scores of its paths by lattice.Enumerate, and under Log the marginals
// with the paths' posterior counts.
func cpuAffEnumCheck(t *testing.T, m Model, p cpuAffProblem) {
	t.Helper()
	per := p.n * p.mm * 5
	for b := range p.batch {
		l, _, total, mu := cpuAffRef(m, p.theta, p.n, p.mm, b, p.lenX[b], p.lenY[b])
		th := p.theta[b*per : (b+1)*per]
		var scores []float64
		lattice.Enumerate(l, func(path []lattice.Step) {
			v := m.Semiring.One()
			for _, st := range path {
				v = m.Semiring.Times(v, th[(st.I*p.mm+st.J)*5+st.C])
			}
			scores = append(scores, v)
		})
		want := lattice.Plus(m.Semiring, scores)
		if !closeTo(total, want, 1e-9) {
			t.Fatalf("%v item %d: reference total %v, enumeration %v", m, b, total, want)
		}
		if m.Semiring != Log || math.IsInf(want, -1) {
			continue
		}
		counts := make([]float64, per)
		lattice.Enumerate(l, func(path []lattice.Step) {
			v := 0.0
			for _, st := range path {
				v += th[(st.I*p.mm+st.J)*5+st.C]
			}
			for _, st := range path {
				counts[(st.I*p.mm+st.J)*5+st.C] += math.Exp(v - want)
			}
		})
		for k := range per {
			if !closeTo(mu[k], counts[k], 1e-9) {
				t.Fatalf("%v item %d: marginal %d %v, enumeration %v", m, b, k, mu[k], counts[k])
			}
		}
	}
}

// TestAffineLarge: items of 37×53 (batch 3, ragged) against the
// reference, every mode, a gap and none, every semiring and dtype.
func TestAffineLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 2))
	for _, s := range []bandop.Semiring{Log, Max, Real} {
		for _, mode := range []Mode{Global, Local, SemiGlobal} {
			for _, gap := range []int{-1, 5} {
				for _, nt := range []bool{false, true} {
					m := Model{Semiring: s, Mode: mode, Gapped: gap >= 0, MaxGap: max(gap, 0), Affine: true, NoTurns: nt}
					p := newCPUAffProblem(rng, s, 3, 37, 53, 0)
					if s == Real {
						// Keep Z within float64 over ~90 steps.
						for k := range p.theta {
							p.theta[k] /= 3
						}
					}
					for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
						cpuAffCheck(t, "large", m, p, dt, cpuAffTol(dt)*10)
					}
				}
			}
		}
	}
}

// TestAffineBig: items taken as past the caches (stripCopyBytes lowered:
// the passes prefetch and stream the weights) against the reference.
func TestAffineBig(t *testing.T) {
	defer func(b int) { stripCopyBytes = b }(stripCopyBytes)
	stripCopyBytes = 1
	rng := rand.New(rand.NewPCG(20, 9))
	for _, s := range []bandop.Semiring{Log, Max, Real} {
		for _, mode := range []Mode{Global, Local, SemiGlobal} {
			for _, nt := range []bool{false, true} {
				m := Model{Semiring: s, Mode: mode, Affine: true, NoTurns: nt}
				p := newCPUAffProblem(rng, s, 2, 70, 45, 0.02)
				if s == Real {
					for k := range p.theta {
						p.theta[k] /= 3
					}
				}
				for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
					cpuAffCheck(t, "big", m, p, dt, cpuAffTol(dt)*10)
				}
			}
		}
	}
}

// TestAffLogNorm: affLogNorm into float32 weights (the AVX-512 kernel
// where the processor has it, for whole steps of 16 cells, and Go for
// the rest) against affineNorm's Go loop, bit for bit, on runs of every
// length to 40 whose terms include 0 (a sum below 1), NaN and +Inf.
func TestAffLogNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 61))
	specials := []float64{0, math.NaN(), math.Inf(1)}
	for n := 1; n <= 40; n++ {
		per := n + 3
		e := make([]float64, 3*n)
		for k := range e {
			e[k] = rng.Float64()
			if rng.IntN(8) == 0 {
				e[k] = specials[rng.IntN(len(specials))]
			}
		}
		got, want := make([]float32, 3*per), make([]float32, 3*per)
		gs, ws := make([]float64, n), make([]float64, n)
		affLogNorm(3, e, got, per, gs)
		affineNorm(e[:n], e[n:2*n], e[2*n:], want, per, 0, 0, 1, 2, ws)
		for q := range n {
			if !sameFloat(gs[q], ws[q]) {
				t.Fatalf("n %d (ISA %d): sum %d %v, want %v", n, cellsISA, q, gs[q], ws[q])
			}
			for u := range 3 {
				if g, w := got[u*per+q], want[u*per+q]; !sameFloat(float64(g), float64(w)) {
					t.Fatalf("n %d (ISA %d): weight %d of cell %d %v, want %v", n, cellsISA, u, q, g, w)
				}
			}
		}
	}
}

// TestAffPull32: affPull32 (γ from float32 weights: the AVX-512 kernel
// where the processor has it, 8 cells a step, Go the rest) against the
// sum in Go, on runs of every length to 40, and its report of a γ that
// is not finite (a NaN or +Inf weight or γ in any one cell).
func TestAffPull32(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 62))
	for n := 1; n <= 40; n++ {
		for _, bad := range []float64{0, math.NaN(), math.Inf(1)} {
			da, gd, ga, gl := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
			wd, wa, wl := make([]float32, n), make([]float32, n), make([]float32, n)
			for q := range n {
				da[q], gd[q], ga[q], gl[q] = rng.Float64(), rng.Float64(), rng.Float64(), rng.Float64()
				wd[q], wa[q], wl[q] = rng.Float32(), rng.Float32(), rng.Float32()
			}
			at := rng.IntN(n)
			if bad != 0 {
				switch rng.IntN(2) {
				case 0:
					gl[at] = bad
				default:
					wa[at] = float32(bad)
				}
			}
			g := make([]float64, n)
			fin := affPull32(g, da, gd, wd, ga, wa, gl, wl)
			if want := bad == 0; fin != want {
				t.Fatalf("n %d, %v at %d: finite %v, want %v", n, bad, at, fin, want)
			}
			for q := range n {
				want := da[q] + gd[q]*float64(wd[q]) + ga[q]*float64(wa[q]) + gl[q]*float64(wl[q])
				if math.IsNaN(want) || math.IsInf(want, 0) {
					if g[q] == g[q] && !math.IsInf(g[q], 0) {
						t.Fatalf("n %d: γ %d %v, want %v", n, q, g[q], want)
					}
					continue
				}
				if !closeTo(g[q], want, 1e-15) {
					t.Fatalf("n %d: γ %d %v, want %v", n, q, g[q], want)
				}
			}
		}
	}
}
