package align

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
	"gorgonia.org/tensor"
)

// TestOracleSemiGlobal checks the two references against each other in
// semi-global mode, and the enumerator against path counts worked out by
// hand: on a 2×2 grid a path starts at (0,0), (0,1) or (1,0) and ends at
// (0,1), (1,0) or (1,1): five paths leave (0,0), two each leave (0,1) and
// (1,0).
func TestOracleSemiGlobal(t *testing.T) {
	counts := []struct{ n, m, count int }{
		{1, 1, 1}, // the one cell is a start and an end
		{1, 3, 6}, // any contiguous run of a single row: 3+2+1
		{2, 2, 9},
	}
	for _, c := range counts {
		p := problem{batch: 1, n: c.n, mm: c.m, theta: make([]float64, c.n*c.m*3)}
		if got := len(enumerate(SemiGlobal, p.item(Model{Mode: SemiGlobal}, 0))); got != c.count {
			t.Errorf("%dx%d: %d semi-global paths, want %d", c.n, c.m, got, c.count)
		}
	}
	rng := rand.New(rand.NewPCG(41, 42))
	for n := 1; n <= 4; n++ {
		for mm := 1; mm <= 4; mm++ {
			for _, gap := range []int{-1, 0, 1} {
				for _, s := range []bandop.Semiring{Log, Real, Max} {
					m := Model{Semiring: s, Mode: SemiGlobal, Gapped: gap >= 0, MaxGap: max(gap, 0)}
					p := randomProblem(rng, 2, n, mm, true)
					for b := range p.batch {
						it := p.item(m, b)
						bz, bm := bruteForce(s, SemiGlobal, it)
						fz, fm := forwardBackward(s, SemiGlobal, it)
						if !closeTo(fz, bz, 1e-12) {
							t.Fatalf("%v %dx%d item %d: DP log Z %v, enumerator %v", m, n, mm, b, fz, bz)
						}
						if s == Max {
							continue // the DP gives Max's best score only
						}
						for i := range n {
							for j := range mm {
								for c := range 3 {
									if !closeTo(fm[i][j][c], bm[i][j][c], 1e-12) {
										t.Fatalf("%v %dx%d item %d: DP marginal (%d,%d,%d) %v, enumerator %v",
											m, n, mm, b, i, j, c, fm[i][j][c], bm[i][j][c])
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

// TestSemiGlobal compares log Z and the marginals of semi-global models
// with the brute-force posterior on every shape up to 4×4: every semiring,
// both strategies and dtypes, without a gap and with gaps 0 and 1, ragged
// lengths with NaN in every cell past them.
func TestSemiGlobal(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	for n := 1; n <= 4; n++ {
		for mm := 1; mm <= 4; mm++ {
			for _, s := range []bandop.Semiring{Log, Max, Real} {
				for _, gap := range []int{-1, 0, 1} {
					for _, st := range strategies {
						for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
							m := Model{Semiring: s, Mode: SemiGlobal, Strategy: st, Gapped: gap >= 0, MaxGap: max(gap, 0)}
							p := randomProblem(rng, 3, n, mm, true)
							if dt == tensor.Float32 {
								// The reference sees the potentials float32 holds.
								for x, v := range p.theta {
									p.theta[x] = float64(float32(v))
								}
							}
							th := p.tensor(dt)
							poisonPast(th, p)
							res, err := m.Marginals(th, p.lenX, p.lenY)
							if err != nil {
								t.Fatalf("%v %v: %v", m, dt, err)
							}
							tol := 1e-9
							if dt == tensor.Float32 {
								tol = 2e-5
							}
							name := fmt.Sprintf("enumerator %v", dt)
							checkAgainst(t, name, m, p, res.LogZ, float64s(res.Marginals), bruteForce, tol)
						}
					}
				}
			}
		}
	}
}

// TestSemiGlobalDP compares both strategies with the forward–backward DP on
// larger ragged shapes, N > M included, under Log and Real, and the best
// score under Max.
func TestSemiGlobalDP(t *testing.T) {
	rng := rand.New(rand.NewPCG(47, 48))
	for k, sh := range [][2]int{{23, 31}, {30, 9}, {1, 17}, {12, 1}, {16, 16}} {
		for _, st := range strategies {
			for _, s := range []bandop.Semiring{Log, Real, Max} {
				m := Model{Semiring: s, Mode: SemiGlobal, Strategy: st, Gapped: k%2 == 1, MaxGap: 3}
				p := randomProblem(rng, 3, sh[0], sh[1], true)
				if s == Real {
					// Keep Z within float64 range.
					for x := range p.theta {
						p.theta[x] = 0.3 + 0.2*rng.Float64()
					}
				}
				z, marg := run(t, m, p)
				if s != Max {
					checkAgainst(t, "DP", m, p, z, marg, forwardBackward, 1e-9)
					continue
				}
				for b := range p.batch {
					if wz, _ := forwardBackward(Max, SemiGlobal, p.item(m, b)); !closeTo(z[b], wz, 1e-12) {
						t.Errorf("DP %v item %d: best score %v, want %v", m, b, z[b], wz)
					}
				}
			}
		}
	}
}

// TestSemiGlobalGradient checks that the gradient of log Z in a graph built
// with LogPartitionLengths, run twice with other lengths, is the
// brute-force posterior, and that it is the derivative of log Z: central
// differences of the brute-force log Z along every potential an item may
// use.
func TestSemiGlobalGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(49, 50))
	const batch, n, mm = 2, 3, 4
	for _, gap := range []int{-1, 1} {
		m := Model{Mode: SemiGlobal, Gapped: gap >= 0, MaxGap: max(gap, 0)} // the zero value's Log
		lg := newLengthsGraph(t, m, tensor.Float64, batch, n, mm)
		for k := range 2 {
			p := randomProblem(rng, batch, n, mm, true)
			p.lenX[0], p.lenY[0] = 1+rng.IntN(n), 1+rng.IntN(mm)
			if err := lg.run(p.tensor(tensor.Float64), p.lenX, p.lenY); err != nil {
				t.Fatal(err)
			}
			gz, gm := float64s(lg.z.Value()), float64s(lg.grad.Value())
			checkAgainst(t, fmt.Sprintf("graph run %d", k), m, p, gz, gm, bruteForce, 1e-9)
			const h = 1e-5
			for b := range batch {
				it := p.item(m, b)
				for i := range it.lenX {
					for j := range it.lenY {
						for c := range 3 {
							if !it.valid(i, j) {
								continue
							}
							v := it.theta[i][j][c]
							it.theta[i][j][c] = v + h
							up, _ := bruteForce(Log, SemiGlobal, it)
							it.theta[i][j][c] = v - h
							down, _ := bruteForce(Log, SemiGlobal, it)
							it.theta[i][j][c] = v
							fd := (up - down) / (2 * h)
							if got := gm[((b*n+i)*mm+j)*3+c]; math.Abs(got-fd) > 1e-7 {
								t.Errorf("%v run %d item %d: ∂ log Z/∂θ[%d,%d,%d] = %v, central difference %v", m, k, b, i, j, c, got, fd)
							}
						}
					}
				}
			}
		}
	}
}

// TestSemiGlobalBestPaths checks that the best score of BestPaths is the
// brute-force maximum.
func TestSemiGlobalBestPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(53, 54))
	for _, gap := range []int{-1, 0, 1} {
		m := Model{Mode: SemiGlobal, Gapped: gap >= 0, MaxGap: max(gap, 0)}
		p := randomProblem(rng, 3, 4, 3, true)
		scores, _, err := m.BestPaths(p.tensor(tensor.Float64), p.lenX, p.lenY)
		if err != nil {
			t.Fatal(err)
		}
		for b := range p.batch {
			if want, _ := bruteForce(Max, SemiGlobal, p.item(m, b)); !closeTo(scores[b], want, 1e-12) {
				t.Errorf("%v item %d: best score %v, enumerator %v", m, b, scores[b], want)
			}
		}
	}
}

// TestZeroModel checks that the zero Model computes log Z: the log of the
// number of global paths when every potential is 0.
func TestZeroModel(t *testing.T) {
	theta := tensor.New(tensor.WithShape(1, 3, 3, 3), tensor.WithBacking(make([]float64, 27)))
	res, err := Model{}.Marginals(theta, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := problem{batch: 1, n: 3, mm: 3, theta: make([]float64, 27)}
	if want := math.Log(float64(len(enumerate(Global, p.item(Model{}, 0))))); !closeTo(res.LogZ[0], want, 1e-12) {
		t.Errorf("Model{}: log Z %v, want log of the path count %v", res.LogZ[0], want)
	}
}

// A global path must begin by aligning x₀ with y₀; a sentinel symbol
// prepended to both sequences lifts that. With x and y of length 2 and
// every potential 1 under Real, Z counts the alignments: 3 without the
// sentinel (x₀ against y₀ first), 13 with it (every alignment of two
// symbols against two, the Delannoy number D(2, 2)): the sentinel pair's
// FromDiag at (0, 0) must score the semiring's one, as every potential does
// here. The moves out of the sentinel's row and column are the leading
// gaps, y₀ or x₀ against nothing, and the marginals count the alignments
// that use them.
func ExampleModel_Marginals_sentinel() {
	ones := func(n, m int) *tensor.Dense {
		th := make([]float64, n*m*3)
		for k := range th {
			th[k] = 1
		}
		return tensor.New(tensor.WithShape(1, n, m, 3), tensor.WithBacking(th))
	}
	m := Model{Semiring: Real}
	plain, err := m.Marginals(ones(2, 2), nil, nil)
	if err != nil {
		panic(err)
	}
	padded := ones(3, 3) // row 0 and column 0 are the sentinel's
	res, err := m.Marginals(padded, nil, nil)
	if err != nil {
		panic(err)
	}
	g := res.Marginals.Data().([]float64)
	at := func(i, j, c int) float64 { return g[(i*3+j)*3+c] }
	fmt.Printf("without the sentinel: %.0f alignments\n", plain.LogZ[0])
	fmt.Printf("with it: %.0f alignments, %.0f begin with y₀ against a gap, %.0f with x₀ against a gap\n",
		res.LogZ[0], at(0, 1, FromLeft), at(1, 0, FromAbove))
	// Output:
	// without the sentinel: 3 alignments
	// with it: 13 alignments, 5 begin with y₀ against a gap, 5 with x₀ against a gap
}
