package lattice

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
)

func randTheta(r *rand.Rand, n, m, c int) Theta[float64] {
	d := make([]float64, n*m*c)
	for k := range d {
		d[k] = r.NormFloat64()
	}
	return Theta[float64]{D: d, Width: m, Channels: c}
}

// enumTotal is the ⊕ over every path of its score, by Enumerate.
func enumTotal(l *Lattice, sr bandop.Semiring, th Theta[float64]) (float64, []float64, int) {
	var scores []float64
	mu := make([]float64, len(th.D))
	Enumerate(l, func(p []Step) {
		s := 0.0
		if sr == bandop.Real {
			s = 1
		}
		for _, st := range p {
			if sr == bandop.Real {
				s *= th.At(st.I, st.J, st.C)
			} else {
				s += th.At(st.I, st.J, st.C)
			}
		}
		scores = append(scores, s)
	})
	total := Plus(sr, scores)
	if sr == bandop.Log {
		Enumerate(l, func(p []Step) {
			s := 0.0
			for _, st := range p {
				s += th.At(st.I, st.J, st.C)
			}
			for _, st := range p {
				mu[(st.I*th.Width+st.J)*th.Channels+st.C] += math.Exp(s - total)
			}
		})
	}
	return total, mu, len(scores)
}

func near(a, b float64) bool {
	if math.IsInf(a, 0) || math.IsInf(b, 0) {
		return a == b
	}
	return math.Abs(a-b) <= 1e-9*(1+math.Abs(b))
}

// TestForwardEnum checks Forward, Total, Backward and Marginals against
// enumeration for every topology, mode, band and semiring on small items.
func TestForwardEnum(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tops := []*Topology{Linear, Affine(false), Affine(true)}
	for _, top := range tops {
		for _, mode := range []Mode{Global, Local, SemiGlobal} {
			for _, gap := range []int{-1, 0, 1} {
				for lx := 1; lx <= 4; lx++ {
					for ly := 1; ly <= 4; ly++ {
						it := NewItem(mode, lx, ly, gap >= 0, max(gap, 0))
						l := &Lattice{Item: it, Top: top}
						th := randTheta(r, 4, 5, top.Channels)
						for _, sr := range []bandop.Semiring{bandop.Log, bandop.Max, bandop.Real} {
							if sr == bandop.Real {
								for k := range th.D {
									th.D[k] = math.Exp(th.D[k] / 2)
								}
							}
							want, wmu, count := enumTotal(l, sr, th)
							a := make([]float64, l.Size())
							b := make([]float64, l.Size())
							Forward(l, sr, th, a)
							got := Total(l, sr, a)
							if count == 0 {
								if got != Zero(sr) {
									t.Fatalf("%s %v gap %d %d×%d %v: no path, total %v", top.Name, mode, gap, lx, ly, sr, got)
								}
								continue
							}
							if !near(got, want) {
								t.Fatalf("%s %v gap %d %d×%d %v: total %v, enumeration %v", top.Name, mode, gap, lx, ly, sr, got, want)
							}
							Backward(l, sr, th, b)
							// The ⊕ over starts of θ ⊗ b is the total too.
							var st []float64
							for i := range lx {
								for j := range ly {
									if l.Start(i, j) {
										v, w := th.At(i, j, top.StartChannel), b[l.Index(top.StartState, i, j)]
										if sr == bandop.Real {
											st = append(st, v*w)
										} else {
											st = append(st, v+w)
										}
									}
								}
							}
							if back := Plus(sr, st); !near(back, want) {
								t.Fatalf("%s %v gap %d %d×%d %v: backward total %v, want %v", top.Name, mode, gap, lx, ly, sr, back, want)
							}
							if sr == bandop.Log {
								mu := make([]float64, len(th.D))
								Marginals(l, sr, th, a, b, got, mu)
								for k := range mu {
									if math.Abs(mu[k]-wmu[k]) > 1e-9 {
										t.Fatalf("%s %v gap %d %d×%d: marginal %d is %v, enumeration %v", top.Name, mode, gap, lx, ly, k, mu[k], wmu[k])
									}
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestAffineIsLinear: with Open = Extend and turns allowed, the affine
// model sums the linear model's paths with the same scores.
func TestAffineIsLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, mode := range []Mode{Global, Local, SemiGlobal} {
		lin := randTheta(r, 5, 6, 3)
		aff := Theta[float64]{D: make([]float64, 5*6*5), Width: 6, Channels: 5}
		for k := range 5 * 6 {
			aff.D[5*k+ChMatch] = lin.D[3*k+LinDiag]
			aff.D[5*k+ChOpenLeft] = lin.D[3*k+LinLeft]
			aff.D[5*k+ChExtendLeft] = lin.D[3*k+LinLeft]
			aff.D[5*k+ChOpenAbove] = lin.D[3*k+LinAbove]
			aff.D[5*k+ChExtendAbove] = lin.D[3*k+LinAbove]
		}
		it := NewItem(mode, 5, 6, true, 2)
		for _, sr := range []bandop.Semiring{bandop.Log, bandop.Max} {
			ll, la := &Lattice{Item: it, Top: Linear}, &Lattice{Item: it, Top: Affine(false)}
			a1, a2 := make([]float64, ll.Size()), make([]float64, la.Size())
			Forward(ll, sr, lin, a1)
			Forward(la, sr, aff, a2)
			if z1, z2 := Total(ll, sr, a1), Total(la, sr, a2); !near(z1, z2) {
				t.Errorf("%v %v: linear %v, affine %v", mode, sr, z1, z2)
			}
		}
	}
}

// TestCheck: every enumerated path passes Check, and broken ones fail at
// the step that breaks them.
func TestCheck(t *testing.T) {
	for _, top := range []*Topology{Linear, Affine(false), Affine(true)} {
		l := &Lattice{Item: NewItem(SemiGlobal, 3, 4, true, 1), Top: top}
		n := 0
		Enumerate(l, func(p []Step) {
			n++
			if k, why := l.Check(len(p), func(k int) (int, int, int) { return p[k].I, p[k].J, p[k].C }); k >= 0 {
				t.Fatalf("%s: path %v fails at %d: %s", top.Name, p, k, why)
			}
		})
		if n == 0 {
			t.Fatalf("%s: no path", top.Name)
		}
	}
	// Affine without turns: a gap from above right after a gap from the left.
	l := &Lattice{Item: NewItem(Global, 2, 2, false, 0), Top: Affine(true)}
	p := []Step{{0, 0, ChMatch}, {0, 1, ChOpenLeft}, {1, 1, ChOpenAbove}}
	if k, _ := l.Check(3, func(k int) (int, int, int) { return p[k].I, p[k].J, p[k].C }); k != 2 {
		t.Errorf("a turn without turns breaks at %d, want 2", k)
	}
	l.Top = Affine(false)
	if k, why := l.Check(3, func(k int) (int, int, int) { return p[k].I, p[k].J, p[k].C }); k != -1 {
		t.Errorf("a turn with turns breaks at %d: %s", k, why)
	}
	q := []Step{{0, 0, ChMatch}, {0, 1, ChExtendLeft}, {1, 1, ChMatch}}
	if k, _ := l.Check(3, func(k int) (int, int, int) { return q[k].I, q[k].J, q[k].C }); k != 1 {
		t.Errorf("an extension of no gap breaks at %d, want 1", k)
	}
}

// TestUsedExact: Used holds exactly for the potentials some enumerated
// path reads, and Live for the states some path visits, for every
// topology, mode, band and shape up to 4×4.
func TestUsedExact(t *testing.T) {
	for _, top := range []*Topology{Linear, Affine(false), Affine(true)} {
		for _, mode := range []Mode{Global, Local, SemiGlobal} {
			for _, gap := range []int{-1, 0, 1} {
				for lx := 1; lx <= 4; lx++ {
					for ly := 1; ly <= 4; ly++ {
						l := &Lattice{Item: NewItem(mode, lx, ly, gap >= 0, max(gap, 0)), Top: top}
						read := map[[3]int]bool{}
						visit := map[[3]int]bool{}
						Enumerate(l, func(p []Step) {
							for _, st := range p {
								read[[3]int{st.I, st.J, st.C}] = true
								visit[[3]int{top.StateOf(st.C), st.I, st.J}] = true
							}
						})
						for i := range lx {
							for j := range ly {
								for c := range top.Channels {
									if got, want := l.Used(i, j, c), read[[3]int{i, j, c}]; got != want {
										t.Fatalf("%s %v gap %d %d×%d: Used(%d, %d, %s) = %v, enumeration %v", top.Name, mode, gap, lx, ly, i, j, top.ChannelName(c), got, want)
									}
								}
								for s := range top.States {
									if got, want := l.Live(s, i, j), visit[[3]int{s, i, j}]; got != want {
										t.Fatalf("%s %v gap %d %d×%d: Live(%s, %d, %d) = %v, enumeration %v", top.Name, mode, gap, lx, ly, top.StateNames[s], i, j, got, want)
									}
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestClean: Clean leaves θ alone without a bad value in the item's
// cells, and otherwise zeroes exactly the bad potentials no path uses,
// in a copy.
func TestClean(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	l := &Lattice{Item: NewItem(Global, 4, 5, true, 1), Top: Affine(true)}
	th := randTheta(r, 5, 6, 5)
	var buf []float64
	if got := Clean(l, false, th, &buf); &got.D[0] != &th.D[0] {
		t.Fatal("Clean copied θ without a bad value")
	}
	for k := range th.D {
		if r.IntN(3) == 0 {
			th.D[k] = math.NaN()
		}
	}
	orig := append([]float64(nil), th.D...)
	got := Clean(l, false, th, &buf)
	for i := range l.LenX { // Clean's copy holds the item's rows
		for j := range 6 {
			for c := range 5 {
				k := (i*6+j)*5 + c
				if !math.IsNaN(orig[k]) {
					continue
				}
				want := math.NaN()
				if l.Valid(i, j) && !l.Used(i, j, c) {
					want = math.Inf(-1)
				}
				if g := got.D[k]; !(g == want || g != g && want != want) {
					t.Errorf("(%d, %d, %d): %v, want %v", i, j, c, g, want)
				}
			}
		}
	}
	for k := range orig {
		if !(orig[k] == th.D[k] || orig[k] != orig[k] && th.D[k] != th.D[k]) {
			t.Fatal("Clean wrote into θ")
		}
	}
}
