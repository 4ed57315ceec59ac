package align

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
	"gorgonia.org/tensor"
)

// TestGridSkew checks the skewed order of α: every cell of an N×M grid has
// its own index in [0, N·M), the cells of an anti-diagonal are
// consecutive, row by row, and anti-diagonals follow each other.
func TestGridSkew(t *testing.T) {
	for _, sh := range [][2]int{{1, 1}, {1, 5}, {5, 1}, {3, 7}, {7, 3}, {6, 6}} {
		g, err := newGrid("test", Model{}, tensor.Shape{2, sh[0], sh[1], 3})
		must(t, err)
		next := 0
		for d := range sh[0] + sh[1] - 1 {
			for i := range sh[0] {
				j := d - i
				if j < 0 || j >= sh[1] {
					continue
				}
				if at := g.at(1, i, j) - sh[0]*sh[1]; at != next {
					t.Fatalf("%v: cell (%d, %d) of item 1 at %d, want %d", sh, i, j, at, next)
				}
				next++
			}
		}
		if next != sh[0]*sh[1] {
			t.Fatalf("%v: %d cells, want %d", sh, next, sh[0]*sh[1])
		}
	}
}

// TestCellsGradRerun checks the gradient of the cells without the
// forward's kept weights (α from elsewhere: it runs the forward again)
// against the one with them, bit for bit, under every semiring, mode, gap
// and dtype, with ragged lengths and a NaN in every potential no path may
// use; and that neither Op writes into its inputs.
func TestCellsGradRerun(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	p := randomProblem(rng, 3, 5, 6, true)
	for _, s := range []bandop.Semiring{Log, Max, Real} {
		for _, mode := range []Mode{Global, Local, SemiGlobal} {
			for _, gap := range []int{-1, 1} {
				for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
					m := Model{Semiring: s, Mode: mode, Gapped: gap >= 0, MaxGap: max(gap, 0)}
					name := fmt.Sprintf("%v %v", m, dt)
					theta := p.tensor(dt)
					poisonUnused(m, theta, p)
					g, err := newGrid("test", m, theta.Shape())
					must(t, err)
					lv, err := Lengths(p.lenX, p.lenY)
					must(t, err)
					before := theta.Clone().(*tensor.Dense)
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
					if d := diffFloats(float64s(again), float64s(kept), 0); d != "" {
						t.Errorf("%s: gradient without the kept weights: %s", name, d)
					}
					if d := diffFloats(float64s(theta), float64s(before), 0); d != "" {
						t.Errorf("%s: θ changed: %s", name, d)
					}
					for k, x := range float64s(dav) {
						if x != da[k] {
							t.Fatalf("%s: the gradient of α changed at %d", name, k)
						}
					}
				}
			}
		}
	}
}

// TestCellsShift checks the Log forward where a cell's terms lie far apart
// (the shift by the FromDiag term would overflow, so the cell is summed
// from its maximum) or are −Inf, against the brute-force enumeration.
func TestCellsShift(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, mode := range []Mode{Global, Local, SemiGlobal} {
		for _, spread := range []float64{1e3, 1e6, math.Inf(-1)} {
			p := randomProblem(rng, 2, 4, 4, true)
			for k := range p.theta {
				switch {
				case math.IsInf(spread, -1) && rng.IntN(4) == 0:
					p.theta[k] = spread
				case !math.IsInf(spread, -1) && rng.IntN(3) == 0:
					p.theta[k] = -spread * rng.Float64()
				}
			}
			m := Model{Semiring: Log, Mode: mode}
			res, err := m.Marginals(p.tensor(tensor.Float64), p.lenX, p.lenY)
			must(t, err)
			checkAgainst(t, fmt.Sprintf("%v spread %v", mode, spread), m, p, res.LogZ, float64s(res.Marginals), bruteForce, 1e-9)
		}
	}
}

// TestCellsGradUnusedStayZero: even where a used potential is NaN or +Inf,
// so that the gradients around it are NaN (IEEE semantics of the graph),
// every potential no path may use gets a gradient of exactly 0, under
// every semiring, mode and gap.
func TestCellsGradUnusedStayZero(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	p := randomProblem(rng, 2, 5, 4, true)
	for _, s := range []bandop.Semiring{Log, Max, Real} {
		for _, mode := range []Mode{Global, Local, SemiGlobal} {
			for _, gap := range []int{-1, 1} {
				for _, bad := range []float64{math.NaN(), math.Inf(1)} {
					m := Model{Semiring: s, Mode: mode, Gapped: gap >= 0, MaxGap: max(gap, 0)}
					theta := p.tensor(tensor.Float64)
					poisonUnused(m, theta, p)
					// Item 0 fills the grid: its cell (1, 1) is used.
					setAt(theta, (1*p.mm+1)*3+FromDiag, bad)
					g, err := newGrid("test", m, theta.Shape())
					must(t, err)
					lv, err := Lengths(p.lenX, p.lenY)
					must(t, err)
					fwd := newCellsOp(g, tensor.Float64)
					av, err := fwd.Do(theta, lv)
					must(t, err)
					da := make([]float64, av.Shape().TotalSize())
					for k := range da {
						da[k] = 1
					}
					dv, err := fwd.gradOp().Do(theta, lv, av, tensor.New(tensor.WithShape(av.Shape()...), tensor.WithBacking(da)))
					must(t, err)
					d := float64s(dv)
					nan := false
					for b := range p.batch {
						lx, ly := p.lengths(b)
						l := m.lat(lx, ly)
						for i := range p.n {
							for j := range p.mm {
								for c := range 3 {
									x := d[((b*p.n+i)*p.mm+j)*3+c]
									nan = nan || math.IsNaN(x)
									if !l.Used(i, j, c) && x != 0 {
										t.Fatalf("%v, θ %v: the gradient of unused θ[%d, %d, %d, %d] is %v, want 0", m, bad, b, i, j, c, x)
									}
								}
							}
						}
					}
					if !nan && s == Log {
						t.Errorf("%v, θ %v: no NaN in the gradient; the test no longer reaches the case it is for", m, bad)
					}
				}
			}
		}
	}
}

// TestCellsStrips checks grids taller than a strip of the Log forward
// (stripRows), ragged and gapped, against the plain forward–backward DP in
// every mode: the strips must hand their last row on whole.
func TestCellsStrips(t *testing.T) {
	rng := rand.New(rand.NewPCG(37, 38))
	for _, sh := range [][2]int{{stripRows + 1, 3}, {2*stripRows + 5, 9}, {stripRows + 7, stripRows + 3}} {
		for _, mode := range []Mode{Global, Local, SemiGlobal} {
			for _, gap := range []int{-1, 2} {
				p := randomProblem(rng, 2, sh[0], sh[1], true)
				p.lenX[1] = stripRows + 1 + rng.IntN(sh[0]-stripRows)
				m := Model{Semiring: Log, Mode: mode, Gapped: gap >= 0, MaxGap: max(gap, 0)}
				res, err := m.Marginals(p.tensor(tensor.Float64), p.lenX, p.lenY)
				must(t, err)
				checkAgainst(t, fmt.Sprint("strips ", sh), m, p, res.LogZ, float64s(res.Marginals), forwardBackward, 1e-9)
			}
		}
	}
}
