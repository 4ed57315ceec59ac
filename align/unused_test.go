package align

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestUnusedPotentials puts NaN in every potential that no path may use
// (lattice.Lattice.Used: past a length, outside the gap, or a move whose source
// cell is outside the item's lattice) and compares log Z and the marginals
// of both strategies, in both dtypes, with the brute-force enumeration on
// the clean potentials: every mode, no gap and gaps 0, 1 and 2, every
// semiring, ragged lengths with N < M, N > M and N = M. The marginal of a
// poisoned potential must be exactly 0. BestPaths, which reads the lattice
// cell by cell, must find the enumeration's best score too.
func TestUnusedPotentials(t *testing.T) {
	rng := rand.New(rand.NewPCG(71, 72))
	for _, mode := range []Mode{Global, Local, SemiGlobal} {
		for _, gap := range []int{-1, 0, 1, 2} {
			for _, s := range []bandop.Semiring{Log, Max, Real} {
				for _, sh := range [][2]int{{5, 4}, {3, 5}, {4, 4}} {
					p := randomProblem(rng, 3, sh[0], sh[1], true)
					for _, st := range strategies {
						for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
							m := Model{Semiring: s, Mode: mode, Strategy: st, Gapped: gap >= 0, MaxGap: max(gap, 0)}
							testUnused(t, m, p, dt)
						}
					}
				}
			}
		}
	}
}

func testUnused(t *testing.T, m Model, p problem, dt tensor.Dtype) {
	t.Helper()
	clean := p
	clean.theta = float64s(p.tensor(dt)) // the values the run sees
	theta := clean.tensor(dt)
	poisonUnused(m, theta, clean)
	res, err := m.Marginals(theta, p.lenX, p.lenY)
	if err != nil {
		t.Fatalf("%v %v lengths %v %v: %v", m, dt, p.lenX, p.lenY, err)
	}
	tol := 1e-9
	if dt == tensor.Float32 {
		tol = 2e-4
	}
	marg, th := float64s(res.Marginals), float64s(theta)
	for x, v := range th {
		if math.IsNaN(v) && marg[x] != 0 {
			t.Fatalf("%v %v lengths %v %v: the marginal of unused potential %d is %v, want 0", m, dt, p.lenX, p.lenY, x, marg[x])
		}
	}
	checkAgainst(t, "unused", m, clean, res.LogZ, marg, bruteForce, tol)
	scores, _, err := m.BestPaths(theta, p.lenX, p.lenY)
	if err != nil {
		t.Fatalf("%v %v: BestPaths: %v", m, dt, err)
	}
	for b := range p.batch {
		if want, _ := bruteForce(Max, m.Mode, clean.item(m, b)); !closeTo(scores[b], want, 1e-12) {
			t.Fatalf("%v %v item %d: BestPaths score %v, want %v", m, dt, b, scores[b], want)
		}
	}
}

// TestGapSourceNaN is the case that found the layout's bug: a global item
// of lengths (5, 4) with MaxGap 0 allows the offsets −1 and 0, and
// θ[2, 1, FromLeft] enters an allowed cell from (2, 0), outside the gap.
// NaN there must not reach log Z or the marginals, in either strategy.
func TestGapSourceNaN(t *testing.T) {
	for _, st := range strategies {
		for _, s := range []bandop.Semiring{Log, Max, Real} {
			m := Model{Semiring: s, Strategy: st, Gapped: true, MaxGap: 0}
			p := problem{batch: 1, n: 5, mm: 4, theta: make([]float64, 5*4*3)}
			for x := range p.theta {
				p.theta[x] = 0.25 + 0.01*float64(x%7)
			}
			theta := p.tensor(tensor.Float64)
			setAt(theta, (2*4+1)*3+FromLeft, math.NaN())
			res, err := m.Marginals(theta, nil, nil)
			if err != nil {
				t.Fatalf("%v: %v", m, err)
			}
			checkAgainst(t, "gap source", m, p, res.LogZ, float64s(res.Marginals), bruteForce, 1e-12)
		}
	}
}

// TestGraphIEEE: the graph nodes keep IEEE semantics where the eager
// functions refuse a bad potential. A NaN or +Inf potential that a path
// may use makes its item's log Z NaN or +Inf in a run of LogPartition's
// graph, with no error, in every mode and semiring (a Max ⊕ of the ends
// that dropped a NaN gave a finite log Z), and leaves the other item's log
// Z as Marginals gives it.
func TestGraphIEEE(t *testing.T) {
	p := randomProblem(rand.New(rand.NewPCG(73, 74)), 2, 3, 4, false)
	at := ((1*3+1)*4+1)*3 + FromDiag // item 1, cell (1, 1)
	for _, s := range []bandop.Semiring{Log, Max, Real} {
		for _, mode := range []Mode{Global, Local, SemiGlobal} {
			clean, err := Model{Semiring: s, Mode: mode}.Marginals(p.tensor(tensor.Float64), nil, nil)
			must(t, err)
			for _, st := range strategies {
				for _, bad := range []float64{math.NaN(), math.Inf(1)} {
					m := Model{Semiring: s, Mode: mode, Strategy: st}
					g := gorgonia.NewGraph()
					theta := p.tensor(tensor.Float64)
					setAt(theta, at, bad)
					th := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(theta.Shape()...), gorgonia.WithValue(theta), gorgonia.WithName("th"))
					z, err := m.LogPartition(th, nil, nil)
					must(t, err)
					vm := gorgonia.NewTapeMachine(g)
					must(t, vm.RunAll())
					vm.Close()
					got := float64s(z.Value())
					if !closeTo(got[0], clean.LogZ[0], 1e-12) || !(math.IsNaN(got[1]) || math.IsInf(got[1], 1)) {
						t.Errorf("%v, θ %v: log Z %v, want %v for item 0 and NaN or +Inf for item 1", m, bad, got, clean.LogZ[0])
					}
					if _, err := m.Marginals(theta, nil, nil); !errors.Is(err, ErrPotential) {
						t.Errorf("%v, θ %v: Marginals error %v, want one of kind ErrPotential", m, bad, err)
					}
				}
			}
		}
	}
}
