package align

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The affine model through the public API: Marginals, Program (Marginals,
// MarginalsInto, MarginalsLengths), LogPartition and LogPartitionLengths,
// against the engine's reference (cpuAffRef).

// cpuAffWant returns the reference log Z and marginals of every item of p
// (θ as dt rounds it).
func cpuAffWant(m Model, p cpuAffProblem, dt tensor.Dtype, lx, ly []int) (z, mu []float64) {
	seen := float64s(p.tensor(dt))
	per := p.n * p.mm * 5
	mu = make([]float64, len(seen))
	for b := range p.batch {
		_, _, total, m1 := cpuAffRef(m, seen, p.n, p.mm, b, lx[b], ly[b])
		z = append(z, total)
		copy(mu[b*per:], m1)
	}
	return z, mu
}

func cpuAffCompare(t *testing.T, name string, z, mu, wz, wmu []float64, tol float64) {
	t.Helper()
	if d := diffFloats(z, wz, tol); d != "" {
		t.Fatalf("%s: log Z: %s", name, d)
	}
	if d := diffFloats(mu, wmu, tol); d != "" {
		t.Fatalf("%s: marginals: %s", name, d)
	}
}

// TestAffineAPI: Marginals, a Program's Marginals, MarginalsInto (over a
// destination full of NaN) and MarginalsLengths (other lengths, the same
// Program), every semiring, mode and dtype, with NaN in every potential no
// path may use; θ is not modified.
func TestAffineAPI(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 3))
	for _, s := range []bandop.Semiring{Log, Max, Real} {
		for _, mode := range []Mode{Global, Local, SemiGlobal} {
			for _, gap := range []int{-1, 2} {
				for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
					m := Model{Semiring: s, Mode: mode, Gapped: gap >= 0, MaxGap: max(gap, 0), Affine: true, NoTurns: gap >= 0}
					name := fmt.Sprintf("%v %v", m, dt)
					p := newCPUAffProblem(rng, s, 3, 7, 9, 0)
					p.poison(m, math.NaN())
					theta := p.tensor(dt)
					before := float64s(theta)
					tol := 1e-9
					if dt == tensor.Float32 {
						tol = 1e-5
					}
					wz, wmu := cpuAffWant(m, p, dt, p.lenX, p.lenY)
					res, err := m.Marginals(theta, p.lenX, p.lenY)
					must(t, err)
					cpuAffCompare(t, name+" Marginals", res.LogZ, float64s(res.Marginals), wz, wmu, tol)

					pr, err := m.Compile(theta.Shape(), dt, p.lenX, p.lenY)
					must(t, err)
					res, err = pr.Marginals(theta)
					must(t, err)
					cpuAffCompare(t, name+" Program.Marginals", res.LogZ, float64s(res.Marginals), wz, wmu, tol)
					dst := tensor.New(tensor.Of(dt), tensor.WithShape(theta.Shape()...))
					for k := range wmu {
						setAt(dst, k, math.NaN())
					}
					z, err := pr.MarginalsInto(dst, theta)
					must(t, err)
					cpuAffCompare(t, name+" MarginalsInto", z, float64s(dst), wz, wmu, tol)
					// Other lengths, other potentials, the same Program.
					p2 := newCPUAffProblem(rng, s, 3, 7, 9, 0)
					p2.lenX, p2.lenY = []int{7, 2, 5}, []int{9, 9, 1}
					p2.poison(m, math.NaN())
					wz2, wmu2 := cpuAffWant(m, p2, dt, p2.lenX, p2.lenY)
					res, err = pr.MarginalsLengths(p2.tensor(dt), p2.lenX, p2.lenY)
					must(t, err)
					cpuAffCompare(t, name+" MarginalsLengths", res.LogZ, float64s(res.Marginals), wz2, wmu2, tol)
					pr.Close()
					if d := diffFloats(float64s(theta), before, 0); d != "" {
						t.Fatalf("%s: θ changed: %s", name, d)
					}
				}
			}
		}
	}
}

// TestAffineGraph: LogPartition and LogPartitionLengths of an affine model
// in a graph of the caller's, run on a TapeMachine, give the reference's
// log Z and, by gorgonia.Grad, its marginals.
func TestAffineGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 4))
	for _, s := range []bandop.Semiring{Log, Real} {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			m := Model{Semiring: s, Mode: Local, Affine: true}
			p := newCPUAffProblem(rng, s, 2, 5, 6, 0)
			theta := p.tensor(dt)
			wz, wmu := cpuAffWant(m, p, dt, p.lenX, p.lenY)
			tol := 1e-9
			if dt == tensor.Float32 {
				tol = 1e-5
			}
			for _, withLengths := range []bool{false, true} {
				g := gorgonia.NewGraph()
				th := gorgonia.NewTensor(g, dt, 4, gorgonia.WithShape(theta.Shape()...), gorgonia.WithValue(theta), gorgonia.WithName("th"))
				var z *gorgonia.Node
				var err error
				if withLengths {
					lv, err2 := Lengths(p.lenX, p.lenY)
					must(t, err2)
					ln := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(2, 2), gorgonia.WithValue(lv), gorgonia.WithName("ln"))
					z, err = m.LogPartitionLengths(th, ln)
				} else {
					z, err = m.LogPartition(th, p.lenX, p.lenY)
				}
				must(t, err)
				if z.Dtype() != dt {
					t.Fatalf("log Z has dtype %v, want %v", z.Dtype(), dt)
				}
				grads, err := gradients(z, []*gorgonia.Node{th})
				must(t, err)
				name := fmt.Sprintf("%v %v lengths node %v", m, dt, withLengths)
				cpuAffCompare(t, name, float64s(z.Value()), float64s(grads[0].Value()), wz, wmu, tol)
			}
		}
	}
}

// TestAffineIEEE: a NaN or +Inf potential that a path may use makes its
// item's log Z NaN or +Inf in a graph (and nothing else), and Marginals
// refuses it (ErrPotential); the LogDepth strategy refuses the affine
// model (ErrMode).
func TestAffineIEEE(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 5))
	for _, s := range []bandop.Semiring{Log, Max, Real} {
		for _, mode := range []Mode{Global, Local, SemiGlobal} {
			for _, ch := range []int{Match, OpenLeft, ExtendLeft, OpenAbove, ExtendAbove} {
				for _, bad := range []float64{math.NaN(), math.Inf(1)} {
					m := Model{Semiring: s, Mode: mode, Affine: true}
					p := newCPUAffProblem(rng, s, 2, 3, 4, 0)
					p.lenX, p.lenY = []int{3, 3}, []int{4, 4}
					clean, err := m.Marginals(p.tensor(tensor.Float64), nil, nil)
					must(t, err)
					// Item 1, cell (2, 2), which paths read through every
					// channel in every mode (lattice.Used).
					if !m.lat(3, 4).Used(2, 2, ch) {
						t.Fatalf("%v: no path reads channel %d of (2, 2)", m, ch)
					}
					p.theta[((1*3+2)*4+2)*5+ch] = bad
					theta := p.tensor(tensor.Float64)
					g := gorgonia.NewGraph()
					th := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(theta.Shape()...), gorgonia.WithValue(theta), gorgonia.WithName("th"))
					z, err := m.LogPartition(th, nil, nil)
					must(t, err)
					vm := gorgonia.NewTapeMachine(g)
					must(t, vm.RunAll())
					vm.Close()
					got := float64s(z.Value())
					if !closeTo(got[0], clean.LogZ[0], 1e-12) || !(math.IsNaN(got[1]) || math.IsInf(got[1], 1)) {
						t.Errorf("%v, θ[%d] %v: log Z %v, want %v for item 0 and NaN or +Inf for item 1", m, ch, bad, got, clean.LogZ[0])
					}
					if _, err := m.Marginals(theta, nil, nil); !errors.Is(err, ErrPotential) {
						t.Errorf("%v, θ[%d] %v: Marginals error %v, want one of kind ErrPotential", m, ch, bad, err)
					}
				}
			}
		}
	}
	m := Model{Affine: true, Strategy: LogDepth}
	if _, err := m.Compile(tensor.Shape{1, 2, 2, 5}, tensor.Float64, nil, nil); !errors.Is(err, ErrMode) {
		t.Errorf("LogDepth with Affine: error %v, want one of kind ErrMode", err)
	}
}

// TestAffineOpenEqualsExtend: with Open = Extend (and turns) the affine
// model is the linear one: Match ↔ FromDiag, Open/ExtendLeft ↔ FromLeft,
// Open/ExtendAbove ↔ FromAbove. Log Z and the marginals (the two gap
// channels of a direction summed) agree in every semiring, mode and gap.
func TestAffineOpenEqualsExtend(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 7))
	for _, s := range []bandop.Semiring{Log, Max, Real} {
		for _, mode := range []Mode{Global, Local, SemiGlobal} {
			for _, gap := range []int{-1, 0, 3} {
				lin := Model{Semiring: s, Mode: mode, Gapped: gap >= 0, MaxGap: max(gap, 0)}
				aff := lin
				aff.Affine = true
				p := randomProblem(rng, 3, 8, 11, true)
				if s == Real {
					for k := range p.theta {
						p.theta[k] = math.Exp(p.theta[k])
					}
				}
				per := len(p.theta) / 3
				th5 := make([]float64, per*5)
				for k := range per {
					c := p.theta[3*k : 3*k+3]
					th5[5*k+Match] = c[FromDiag]
					th5[5*k+OpenLeft], th5[5*k+ExtendLeft] = c[FromLeft], c[FromLeft]
					th5[5*k+OpenAbove], th5[5*k+ExtendAbove] = c[FromAbove], c[FromAbove]
				}
				rl, err := lin.Marginals(p.tensor(tensor.Float64), p.lenX, p.lenY)
				must(t, err)
				ra, err := aff.Marginals(tensor.New(tensor.WithShape(3, 8, 11, 5), tensor.WithBacking(th5)), p.lenX, p.lenY)
				must(t, err)
				name := fmt.Sprintf("%v", aff)
				if d := diffFloats(ra.LogZ, rl.LogZ, 1e-9); d != "" {
					t.Fatalf("%s: log Z: %s", name, d)
				}
				ma, ml := float64s(ra.Marginals), float64s(rl.Marginals)
				back := make([]float64, 3*per)
				for k := range per {
					back[3*k+FromDiag] = ma[5*k+Match]
					back[3*k+FromLeft] = ma[5*k+OpenLeft] + ma[5*k+ExtendLeft]
					back[3*k+FromAbove] = ma[5*k+OpenAbove] + ma[5*k+ExtendAbove]
				}
				if d := diffFloats(back, ml, 1e-9); d != "" {
					t.Fatalf("%s: marginals mapped back: %s", name, d)
				}
			}
		}
	}
}

// TestAffineGradRerun: the gradient Op without the forward's kept weights
// (an α from elsewhere: it runs the forward again) gives the gradient with
// them bit for bit, for random gradients of α, and neither Op writes into
// its inputs.
func TestAffineGradRerun(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 8))
	for _, s := range []bandop.Semiring{Log, Max, Real} {
		for _, m := range cpuAffModels(s) {
			for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
				p := newCPUAffProblem(rng, s, 3, 6, 5, 0.1)
				p.poison(m, math.NaN())
				theta := p.tensor(dt)
				before := float64s(theta)
				g, err := newGrid("test", m, theta.Shape())
				must(t, err)
				lv, err := Lengths(p.lenX, p.lenY)
				must(t, err)
				fwd := newCellsOp(g, dt)
				av, err := fwd.Do(theta, lv)
				must(t, err)
				alpha := av.(*tensor.Dense)
				da := make([]float64, alpha.Shape().TotalSize())
				for k := range da {
					da[k] = rng.Float64()
				}
				dav := tensor.New(tensor.WithShape(alpha.Shape()...), tensor.WithBacking(da))
				grad := fwd.gradOp()
				kept, err := grad.Do(theta, lv, alpha, dav)
				must(t, err)
				again, err := grad.Do(theta, lv, alpha.Clone().(*tensor.Dense), dav)
				must(t, err)
				name := fmt.Sprintf("%v %v", m, dt)
				if d := diffFloats(float64s(again), float64s(kept), 0); d != "" {
					t.Errorf("%s: gradient without the kept weights: %s", name, d)
				}
				if d := diffFloats(float64s(theta), before, 0); d != "" {
					t.Errorf("%s: θ changed: %s", name, d)
				}
				for k, x := range float64s(kept) {
					if x != x {
						t.Fatalf("%s: gradient %d is NaN (NaN only where no path may go)", name, k)
					}
				}
			}
		}
	}
}
