package align

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/genband/genband/bandop"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var strategies = []Strategy{Linear, LogDepth}

// problem is a random test case.
type problem struct {
	batch, n, mm int
	theta        []float64
	lenX, lenY   []int
}

func randomProblem(rng *rand.Rand, batch, n, mm int, ragged bool) problem {
	p := problem{batch: batch, n: n, mm: mm, theta: make([]float64, batch*n*mm*3)}
	for x := range p.theta {
		p.theta[x] = rng.Float64()*2 - 1
	}
	if ragged {
		p.lenX, p.lenY = make([]int, batch), make([]int, batch)
		for b := range batch {
			p.lenX[b], p.lenY[b] = 1+rng.IntN(n), 1+rng.IntN(mm)
		}
		// The first item keeps the full lengths.
		p.lenX[0], p.lenY[0] = n, mm
	}
	return p
}

func (p problem) lengths(b int) (int, int) {
	if p.lenX == nil {
		return p.n, p.mm
	}
	return p.lenX[b], p.lenY[b]
}

func (p problem) tensor(dt tensor.Dtype) *tensor.Dense {
	if dt == tensor.Float32 {
		f := make([]float32, len(p.theta))
		for i, v := range p.theta {
			f[i] = float32(v)
		}
		return tensor.New(tensor.WithShape(p.batch, p.n, p.mm, 3), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(p.batch, p.n, p.mm, 3), tensor.WithBacking(append([]float64(nil), p.theta...)))
}

func (p problem) item(m Model, b int) item {
	lx, ly := p.lengths(b)
	return newItem(m, p.theta, b, p.n, p.mm, lx, ly)
}

func run(t *testing.T, m Model, p problem) ([]float64, []float64) {
	t.Helper()
	res, err := m.Marginals(p.tensor(tensor.Float64), p.lenX, p.lenY)
	if err != nil {
		t.Fatalf("%v: %v", m, err)
	}
	return res.LogZ, float64s(res.Marginals)
}

// checkAgainst compares log Z and marginals of every item with a reference.
func checkAgainst(t *testing.T, name string, m Model, p problem, z, marg []float64,
	ref func(bandop.Semiring, Mode, item) (float64, [][][3]float64), tol float64) {
	t.Helper()
	for b := range p.batch {
		wz, wm := ref(m.Semiring, m.Mode, p.item(m, b))
		if !closeTo(z[b], wz, tol) {
			t.Fatalf("%s %v n %d m %d item %d: log Z %v, want %v", name, m, p.n, p.mm, b, z[b], wz)
		}
		for i := range p.n {
			for j := range p.mm {
				for c := range 3 {
					got := marg[((b*p.n+i)*p.mm+j)*3+c]
					if !closeTo(got, wm[i][j][c], tol) {
						t.Fatalf("%s %v n %d m %d item %d: marginal (%d,%d,%d) %v, want %v", name, m, p.n, p.mm, b, i, j, c, got, wm[i][j][c])
					}
				}
			}
		}
	}
}

// TestEnumerator compares log Z and marginals with the brute-force
// posterior on every small shape, under every semiring, mode, gap and
// strategy.
func TestEnumerator(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 5; n++ {
		for mm := 1; mm <= 5; mm++ {
			for _, s := range []bandop.Semiring{Log, Max, Real} {
				for _, mode := range []Mode{Global, Local} {
					for _, gap := range []int{-1, 0, 1} {
						for _, st := range strategies {
							if (n+mm)%2 == 1 && st == LogDepth && s == Real {
								continue // a smaller sample keeps the test fast
							}
							m := Model{Semiring: s, Mode: mode, Strategy: st, Gapped: gap >= 0, MaxGap: max(gap, 0)}
							p := randomProblem(rng, 2, n, mm, true)
							z, marg := run(t, m, p)
							checkAgainst(t, "enumerator", m, p, z, marg, bruteForce, 1e-9)
						}
					}
				}
			}
		}
	}
}

// TestDP compares both strategies with the forward–backward DP on sampled
// shapes with N in 1..40 and M in 1..3N+5, N > M included.
func TestDP(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	shapes := [][2]int{{1, 1}, {1, 8}, {40, 1}, {40, 125}, {37, 12}, {7, 26}, {23, 23}, {12, 40}}
	for k := 0; k < 4; k++ {
		n := 1 + rng.IntN(40)
		shapes = append(shapes, [2]int{n, 1 + rng.IntN(3*n+5)})
	}
	for k, sh := range shapes {
		for _, st := range strategies {
			for _, s := range []bandop.Semiring{Log, Real} {
				mode := Mode(k % 2)
				m := Model{Semiring: s, Mode: mode, Strategy: st, Gapped: k%3 == 0, MaxGap: k % 5}
				if st == LogDepth && sh[0]+sh[1] > 60 && !m.Gapped {
					continue
				}
				p := randomProblem(rng, 2, sh[0], sh[1], true)
				if s == Real {
					// Keep Z within float64 range on large grids.
					for x := range p.theta {
						p.theta[x] = 0.3 + 0.2*rng.Float64()
					}
				}
				z, marg := run(t, m, p)
				checkAgainst(t, "DP", m, p, z, marg, forwardBackward, 1e-8)
				if s == Log {
					// Max: log Z (the best score) only; its marginals are
					// checked against the enumerator.
					m.Semiring = Max
					zm, _ := run(t, m, p)
					for b := range p.batch {
						if wz, _ := forwardBackward(Max, mode, p.item(m, b)); !closeTo(zm[b], wz, 1e-12) {
							t.Fatalf("DP %v item %d: best score %v, want %v", m, b, zm[b], wz)
						}
					}
				}
			}
		}
	}
}

// TestFlow checks global Log marginals: rows and columns are each entered
// exactly once, (0, 0, FromDiag) has marginal 1, and the flow into every cell
// leaves it again except at the end.
func TestFlow(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, st := range strategies {
		for _, sh := range [][2]int{{9, 4}, {6, 11}, {8, 8}} {
			m := Model{Semiring: Log, Strategy: st}
			p := randomProblem(rng, 3, sh[0], sh[1], true)
			_, marg := run(t, m, p)
			at := func(b, i, j, c int) float64 {
				if i >= p.n || j >= p.mm {
					return 0
				}
				return marg[((b*p.n+i)*p.mm+j)*3+c]
			}
			for b := range p.batch {
				lx, ly := p.lengths(b)
				if g := at(b, 0, 0, FromDiag); math.Abs(g-1) > 1e-12 {
					t.Errorf("%v item %d: (0,0,FromDiag) marginal %v, want 1", st, b, g)
				}
				for i := 1; i < lx; i++ {
					var sum float64
					for j := range ly {
						sum += at(b, i, j, FromAbove) + at(b, i, j, FromDiag)
					}
					if math.Abs(sum-1) > 1e-9 {
						t.Errorf("%v item %d: row %d entered with mass %v, want 1", st, b, i, sum)
					}
				}
				for j := 1; j < ly; j++ {
					var sum float64
					for i := range lx {
						sum += at(b, i, j, FromLeft) + at(b, i, j, FromDiag)
					}
					if math.Abs(sum-1) > 1e-9 {
						t.Errorf("%v item %d: column %d entered with mass %v, want 1", st, b, j, sum)
					}
				}
				for i := range lx {
					for j := range ly {
						in := at(b, i, j, 0) + at(b, i, j, 1) + at(b, i, j, 2)
						out := at(b, i, j+1, FromLeft) + at(b, i+1, j+1, FromDiag) + at(b, i+1, j, FromAbove)
						if j+1 >= ly {
							out -= at(b, i, j+1, FromLeft)
						}
						if i+1 >= lx {
							out -= at(b, i+1, j+1, FromDiag) + at(b, i+1, j, FromAbove)
						} else if j+1 >= ly {
							out -= at(b, i+1, j+1, FromDiag)
						}
						if i == lx-1 && j == ly-1 {
							out = 1
						}
						if math.Abs(in-out) > 1e-9 {
							t.Errorf("%v item %d: cell (%d,%d) in %v, out %v", st, b, i, j, in, out)
						}
					}
				}
			}
		}
	}
}

// TestPastLengths checks that potentials no path may use (cells past a
// length or outside the gap, moves from such cells) get exactly 0 and that
// NaN there changes nothing, in both dtypes.
func TestPastLengths(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, st := range strategies {
			for _, mode := range []Mode{Global, Local} {
				for _, s := range []bandop.Semiring{Log, Max, Real} {
					m := Model{Semiring: s, Mode: mode, Strategy: st, Gapped: true, MaxGap: 2}
					p := randomProblem(rng, 3, 7, 9, true)
					p.lenX[1], p.lenY[1] = 3, 8
					clean, err := m.Marginals(p.tensor(dt), p.lenX, p.lenY)
					if err != nil {
						t.Fatal(err)
					}
					poisonUnused(m, tensor.New(tensor.WithShape(p.batch, p.n, p.mm, 3), tensor.WithBacking(p.theta)), p)
					poisoned, err := m.Marginals(p.tensor(dt), p.lenX, p.lenY)
					if err != nil {
						t.Fatal(err)
					}
					cm, pm := float64s(clean.Marginals), float64s(poisoned.Marginals)
					for x := range cm {
						if math.Float64bits(cm[x]) != math.Float64bits(pm[x]) {
							t.Fatalf("%v %v: marginal %d is %v clean, %v with NaN past the lengths", m, dt, x, cm[x], pm[x])
						}
						if math.IsNaN(p.theta[x]) && cm[x] != 0 {
							t.Fatalf("%v %v: marginal %d past a length is %v, want 0", m, dt, x, cm[x])
						}
					}
					for b := range clean.LogZ {
						if clean.LogZ[b] != poisoned.LogZ[b] || math.IsNaN(clean.LogZ[b]) {
							t.Fatalf("%v %v: log Z %v clean, %v poisoned", m, dt, clean.LogZ[b], poisoned.LogZ[b])
						}
					}
				}
			}
		}
	}
}

// TestMaxLimit checks that Max marginals are 0/1 along one path and that
// Log on βθ divided by β approaches Max as β grows.
func TestMaxLimit(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, st := range strategies {
		for _, mode := range []Mode{Global, Local} {
			p := randomProblem(rng, 2, 6, 8, false)
			zMax, mMax := run(t, Model{Semiring: Max, Mode: mode, Strategy: st}, p)
			for x, v := range mMax {
				if v != 0 && v != 1 {
					t.Fatalf("%v %v: Max marginal %d is %v, want 0 or 1", st, mode, x, v)
				}
			}
			scores, paths, err := Model{Mode: mode, Strategy: st}.BestPaths(p.tensor(tensor.Float64), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			for b := range p.batch {
				var sum float64
				for _, s := range paths[b] {
					sum += p.theta[((b*p.n+s.I)*p.mm+s.J)*3+s.Move]
				}
				if math.Abs(sum-scores[b]) > 1e-12 || !closeTo(scores[b], zMax[b], 1e-12) {
					t.Errorf("%v %v item %d: path %v scores %v, best score %v", st, mode, b, paths[b], sum, scores[b])
				}
				if mode == Global && (paths[b][0] != Step{0, 0, FromDiag} || paths[b][len(paths[b])-1].I != p.n-1 || paths[b][len(paths[b])-1].J != p.mm-1) {
					t.Errorf("%v item %d: path %v does not run from corner to corner", st, b, paths[b])
				}
			}
			prevErr := math.Inf(1)
			for _, beta := range []float64{1, 10, 100, 1000} {
				q := p
				q.theta = make([]float64, len(p.theta))
				for x, v := range p.theta {
					q.theta[x] = beta * v
				}
				zLog, mLog := run(t, Model{Semiring: Log, Mode: mode, Strategy: st}, q)
				var e float64
				for b := range zLog {
					e = math.Max(e, math.Abs(zLog[b]/beta-zMax[b]))
				}
				if e > prevErr+1e-12 {
					t.Errorf("%v %v β %v: |log Z/β − max| = %v grew from %v", st, mode, beta, e, prevErr)
				}
				prevErr = e
				if beta == 1000 {
					for x := range mLog {
						if math.Abs(mLog[x]-mMax[x]) > 1e-6 {
							t.Fatalf("%v %v: Log marginal %d at β 1000 is %v, Max %v", st, mode, x, mLog[x], mMax[x])
						}
					}
				}
			}
			if prevErr > 0.01 {
				t.Errorf("%v %v: log Z/β still %v from max at β 1000", st, mode, prevErr)
			}
		}
	}
}

// TestCounts checks that Real with potentials 1 counts the global paths
// (Delannoy numbers) and Log with potentials 0 gives their logarithm.
func TestCounts(t *testing.T) {
	for _, st := range strategies {
		for _, c := range []struct{ n, m, count int }{{3, 3, 13}, {5, 5, 321}, {1, 4, 1}, {2, 3, 5}, {4, 2, 7}} {
			p := problem{batch: 1, n: c.n, mm: c.m, theta: make([]float64, c.n*c.m*3)}
			for x := range p.theta {
				p.theta[x] = 1
			}
			z, _ := run(t, Model{Semiring: Real, Strategy: st}, p)
			if z[0] != float64(c.count) {
				t.Errorf("%v %dx%d: Real count %v, want %d", st, c.n, c.m, z[0], c.count)
			}
			for x := range p.theta {
				p.theta[x] = 0
			}
			z, _ = run(t, Model{Semiring: Log, Strategy: st}, p)
			if math.Abs(z[0]-math.Log(float64(c.count))) > 1e-12 {
				t.Errorf("%v %dx%d: Log of count %v, want log %d", st, c.n, c.m, z[0], c.count)
			}
		}
	}
}

// TestGraph checks LogPartition on a potentials node against Marginals,
// with gorgonia.Grad taken with respect to θ itself.
func TestGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, st := range strategies {
		for _, mode := range []Mode{Global, Local} {
			m := Model{Semiring: Log, Mode: mode, Strategy: st}
			p := randomProblem(rng, 2, 5, 7, true)
			g := gorgonia.NewGraph()
			th := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(2, 5, 7, 3), gorgonia.WithValue(p.tensor(tensor.Float64)), gorgonia.WithName("theta"))
			z, err := m.LogPartition(th, p.lenX, p.lenY)
			if err != nil {
				t.Fatal(err)
			}
			grads, err := gradients(z, []*gorgonia.Node{th})
			if err != nil {
				t.Fatal(err)
			}
			gz, gm := float64s(z.Value()), float64s(grads[0].Value())
			wz, wm := run(t, m, p)
			for b := range wz {
				if !closeTo(gz[b], wz[b], 1e-12) {
					t.Errorf("%v: graph log Z %v, Marginals %v", m, gz[b], wz[b])
				}
			}
			for x := range wm {
				if !closeTo(gm[x], wm[x], 1e-12) {
					t.Fatalf("%v: graph marginal %d %v, Marginals %v", m, x, gm[x], wm[x])
				}
			}
		}
	}
}

// TestErrors checks that bad input gives an error naming the problem.
func TestErrors(t *testing.T) {
	good := tensor.New(tensor.WithShape(2, 3, 4, 3), tensor.WithBacking(make([]float64, 72)))
	cases := []struct {
		name       string
		m          Model
		theta      *tensor.Dense
		lenX, lenY []int
		want       string
	}{
		{"rank", Model{Semiring: Log}, tensor.New(tensor.WithShape(3, 4, 3), tensor.WithBacking(make([]float64, 36))), nil, nil, "shape"},
		{"last dim", Model{Semiring: Log}, tensor.New(tensor.WithShape(1, 3, 4, 2), tensor.WithBacking(make([]float64, 24))), nil, nil, "shape"},
		{"dtype", Model{Semiring: Log}, tensor.New(tensor.WithShape(1, 1, 1, 3), tensor.WithBacking([]int{1, 2, 3})), nil, nil, "dtype"},
		{"nil", Model{Semiring: Log}, nil, nil, nil, "nil"},
		{"lenX zero", Model{Semiring: Log}, good, []int{0, 1}, nil, "lenX[0] = 0"},
		{"lenX past N", Model{Semiring: Log}, good, []int{1, 4}, nil, "lenX[1] = 4"},
		{"lenY past M", Model{Semiring: Log}, good, nil, []int{5, 1}, "lenY[0] = 5"},
		{"lenY count", Model{Semiring: Log}, good, nil, []int{1}, "1 lengths for batch 2"},
		{"gap", Model{Semiring: Log, Gapped: true, MaxGap: -1}, good, nil, nil, "negative MaxGap"},
		{"strategy", Model{Semiring: Log, Strategy: 7}, good, nil, nil, "unknown strategy"},
		{"semiring", Model{Semiring: 9}, good, nil, nil, "unknown semiring"},
		{"mode", Model{Semiring: Log, Mode: 3}, good, nil, nil, "unknown mode"},
	}
	for _, c := range cases {
		_, err := c.m.Marginals(c.theta, c.lenX, c.lenY)
		var ae *Error
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Marginals error %v, want one naming %q", c.name, err, c.want)
		}
		if c.theta == nil || c.theta.Dtype() != tensor.Float64 {
			continue
		}
		g := gorgonia.NewGraph()
		th := gorgonia.NewTensor(g, tensor.Float64, c.theta.Dims(), gorgonia.WithShape(c.theta.Shape()...), gorgonia.WithName("theta"))
		if _, err := c.m.LogPartition(th, c.lenX, c.lenY); !errors.As(err, &ae) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: LogPartition error %v, want one naming %q", c.name, err, c.want)
		}
	}
	if _, err := (Model{}).LogPartition(nil, nil, nil); err == nil {
		t.Error("LogPartition(nil) gave no error")
	}
}

func Example() {
	theta := tensor.New(tensor.WithShape(1, 3, 3, 3), tensor.WithBacking(make([]float64, 27)))
	res, err := Model{Semiring: Log}.Marginals(theta, nil, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("log Z = log 13: %.6f\n", res.LogZ[0])
	// Output: log Z = log 13: 2.564949
}

// TestProgram checks that a compiled program run twice on different
// potentials gives what one-shot Marginals gives, and refuses other shapes.
func TestProgram(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, st := range strategies {
		m := Model{Semiring: Log, Mode: Local, Strategy: st}
		p1, p2 := randomProblem(rng, 2, 4, 6, false), randomProblem(rng, 2, 4, 6, false)
		pr, err := m.Compile(tensor.Shape{2, 4, 6, 3}, tensor.Float64, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []problem{p1, p2, p1} {
			res, err := pr.Marginals(p.tensor(tensor.Float64))
			if err != nil {
				t.Fatal(err)
			}
			checkAgainst(t, "program", m, p, res.LogZ, float64s(res.Marginals), forwardBackward, 1e-10)
		}
		if _, err := pr.Marginals(p1.tensor(tensor.Float32)); err == nil {
			t.Errorf("%v: program ran on float32 potentials", st)
		}
		if _, err := pr.Marginals(randomProblem(rng, 1, 4, 6, false).tensor(tensor.Float64)); err == nil {
			t.Errorf("%v: program ran on potentials of another shape", st)
		}
		pr.Close()
		if _, err := pr.Marginals(p1.tensor(tensor.Float64)); err == nil {
			t.Errorf("%v: closed program ran", st)
		}
	}
}
