package bandop

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// refMulDense is A ⊗ V written plainly over every column j of the dense A
// (the fill, the semiring's zero, outside the band).
func refMulDense(s Semiring, a dense, v []float64, d int) []float64 {
	n := len(a[0])
	out := make([]float64, len(a)*n*d)
	for b := range a {
		for i := 0; i < n; i++ {
			for t := 0; t < d; t++ {
				acc := s.Zero()
				for j := 0; j < n; j++ {
					acc = refPlus(s, acc, refTimes(s, a[b][i][j], v[(b*n+j)*d+t]))
				}
				out[(b*n+i)*d+t] = acc
			}
		}
	}
	return out
}

// sparsen sets about a sixth of a's in-band entries to the semiring's zero,
// so that Log and Max meet rows and sums of only −Inf.
func sparsen(rng *rand.Rand, a *Banded, s Semiring) {
	n, w := a.N(), a.Width()
	for r := 0; r < a.Batch()*n; r++ {
		lo, hi := validSlots(r%n, n, a.lower, w)
		for k := lo; k < hi; k++ {
			if rng.IntN(6) != 0 {
				continue
			}
			switch d := a.data.Data().(type) {
			case []float64:
				d[r*w+k] = s.Zero()
			case []float32:
				d[r*w+k] = float32(s.Zero())
			}
		}
	}
}

func TestMulDenseRef(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 3))
	for _, c := range attnCases() {
		for _, dt := range dtypes {
			for _, s := range semirings {
				t.Run(fmt.Sprintf("%v/%v/%v", s, c, dt), func(t *testing.T) {
					a := randomFor(t, rng, s, dt, c.batch, c.n, c.lower, c.upper)
					if s != Real {
						sparsen(rng, a, s)
					}
					v, vv := randDense(rng, s, dt, c.batch, c.n, c.d)
					ac, vc := a.Clone(), v.Clone().(*tensor.Dense)
					got, err := a.MulDense(v, s)
					if err != nil {
						t.Fatal(err)
					}
					if !got.Shape().Eq(tensor.Shape{c.batch, c.n, c.d}) {
						t.Fatalf("shape %v", got.Shape())
					}
					want := refMulDense(s, denseOf(a), vv, c.d)
					for i, g := range floats(got) {
						if !closeTo(g, want[i], tolFor(dt)) {
							t.Fatalf("r[%d] = %v, want %v", i, g, want[i])
						}
					}
					if !sameBits(a, ac) || !sameDenseBits(v, vc) {
						t.Error("an operand was modified")
					}
					if c.d != 1 {
						return
					}
					// d = 1 is MulVec: Max bit for bit (the same terms), Real
					// and Log to rounding (Go may fuse a multiply and add
					// on some machines and not others).
					mv := must(a.MulVec(tensor.New(tensor.WithShape(c.batch, c.n), tensor.WithBacking(v.Clone().(*tensor.Dense).Data())), s))
					for i, x := range floats(mv) {
						g := floats(got)[i]
						if s == Max && math.Float64bits(g) != math.Float64bits(x) {
							t.Fatalf("r[%d] = %v, MulVec %v", i, g, x)
						}
						if !closeTo(g, x, tolFor(dt)) {
							t.Fatalf("r[%d] = %v, MulVec %v", i, g, x)
						}
					}
				})
			}
		}
	}
}

// The gradients at d = 1 are MulVec's: the same rules (Max to the first
// maximal term, none through a −Inf result) on the same terms.
func TestMulDenseBackwardIsMulVecs(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 4))
	for _, c := range attnCases() {
		if c.d != 1 {
			continue
		}
		for _, s := range semirings {
			t.Run(fmt.Sprintf("%v/%v", s, c), func(t *testing.T) {
				a := randomFor(t, rng, s, tensor.Float64, c.batch, c.n, c.lower, c.upper)
				if s != Real {
					sparsen(rng, a, s)
				}
				if s == Max { // ties, so that the first maximal term matters
					for i, x := range storage[float64](a) {
						storage[float64](a)[i] = math.Round(x)
					}
				}
				l := a.layout()
				_, v := randDense(rng, s, tensor.Float64, c.batch, c.n, 1)
				if s == Max {
					for i := range v {
						v[i] = math.Round(v[i])
					}
				}
				r := make([]float64, len(v))
				denseForward(s, vecRight, r, storage[float64](a), v, l, 1)
				dr := make([]float64, len(v))
				for i := range dr {
					if rng.IntN(5) != 0 {
						dr[i] = 2*rng.Float64() - 1
					}
				}
				for _, wrt := range []vecOperand{gradA, gradV} {
					size := len(v)
					if wrt == gradA {
						size = len(storage[float64](a))
					}
					got, want := make([]float64, size), make([]float64, size)
					mulDenseBackward(s, wrt, got, storage[float64](a), v, r, dr, l, 1)
					vecBackward(s, vecRight, wrt, want, v, storage[float64](a), r, dr, l)
					for i := range got {
						if !closeTo(got[i], want[i], 1e-12) {
							t.Fatalf("wrt %d: g[%d] = %v, MulVec's %v", wrt, i, got[i], want[i])
						}
					}
				}
			})
		}
	}
}

// A row of Log or Max terms that are all −Inf gives −Inf and no gradient,
// even with an infinite incoming gradient; Real's terms A·dR with A = +Inf
// are left out where dR is 0.
func TestMulDenseInfinite(t *testing.T) {
	for _, s := range semirings {
		a := must(Filled(tensor.Float64, 1, 3, 1, 1, s.Zero()))
		storage[float64](a)[4] = math.Inf(1) // A[1][1]
		if s != Real {
			storage[float64](a)[4] = s.One()
		}
		l := a.layout()
		v := []float64{1, 2, 3, 4, 5, 6}
		r := make([]float64, 6)
		denseForward(s, vecRight, r, storage[float64](a), v, l, 2)
		for i, x := range r {
			row := i / 2
			switch {
			case s != Real && row != 1 && !math.IsInf(x, -1):
				t.Errorf("%v: r[%d] = %v, want −Inf (no term)", s, i, x)
			case s == Real && row != 1 && x != 0:
				t.Errorf("%v: r[%d] = %v, want 0", s, i, x)
			}
		}
		dr := []float64{math.Inf(1), 1, 0, 0, 1, 1}
		if s == Real { // Real's 0·Inf is NaN (MulVec's too): dr is finite
			dr[0] = 3
		}
		for _, wrt := range []vecOperand{gradA, gradV} {
			size := 6
			if wrt == gradA {
				size = 9
			}
			g := make([]float64, size)
			mulDenseBackward(s, wrt, g, storage[float64](a), v, r, dr, l, 2)
			for i, x := range g {
				if math.IsNaN(x) {
					t.Errorf("%v wrt %d: g[%d] is NaN", s, wrt, i)
				}
			}
		}
	}
}

func TestMulDenseErrors(t *testing.T) {
	a := must(Random(rand.New(rand.NewPCG(1, 1)), tensor.Float64, 2, 4, 1, 1, 0))
	aLog := must(Filled(tensor.Float64, 2, 4, 1, 1, math.Inf(-1)))
	cases := []struct {
		name string
		a    *Banded
		v    *tensor.Dense
		s    Semiring
		kind error
	}{
		{"nil A", nil, errDense(tensor.Float64, 2, 4, 3), Real, ErrNil},
		{"nil V", a, nil, Real, ErrNil},
		{"rank", a, errDense(tensor.Float64, 2, 4), Real, ErrShape},
		{"batch", a, errDense(tensor.Float64, 3, 4, 3), Real, ErrShape},
		{"n", a, errDense(tensor.Float64, 2, 5, 3), Real, ErrShape},
		{"d 0", a, errDense(tensor.Float64, 2, 4, 0), Real, ErrShape},
		{"dtype", a, errDense(tensor.Float32, 2, 4, 3), Real, ErrDtype},
		{"int", a, intDense(2, 4, 3), Real, ErrDtype},
		{"fill", a, errDense(tensor.Float64, 2, 4, 3), Log, ErrFill},
		{"fill Real", aLog, errDense(tensor.Float64, 2, 4, 3), Real, ErrFill},
		{"semiring", a, errDense(tensor.Float64, 2, 4, 3), Semiring(7), ErrSemiring},
	}
	for _, c := range cases {
		if _, err := c.a.MulDense(c.v, c.s); !errors.Is(err, c.kind) {
			t.Errorf("Banded.MulDense %s: error %v, want kind %v", c.name, err, c.kind)
		}
		if c.a == nil || c.v == nil {
			continue
		}
		g := gorgonia.NewGraph()
		an := must(NewNode(g, c.a, "A"))
		vn := gorgonia.NodeFromAny(g, c.v, gorgonia.WithName("v"))
		if _, err := MulDense(an, vn, c.s); !errors.Is(err, c.kind) {
			t.Errorf("MulDense %s: error %v, want kind %v", c.name, err, c.kind)
		}
	}
	if _, err := MulDense(nil, nil, Real); !errors.Is(err, ErrNil) {
		t.Errorf("MulDense(nil): error %v, want ErrNil", err)
	}
	g := gorgonia.NewGraph()
	vn := gorgonia.NodeFromAny(g, errDense(tensor.Float64, 2, 4, 3), gorgonia.WithName("v"))
	if _, err := MulDense(nil, vn, Real); !errors.Is(err, ErrNil) {
		t.Errorf("MulDense(nil, v): error %v, want ErrNil", err)
	}
	op := &mulDenseOp{s: Real, a: a.layout(), d: 3}
	if _, err := op.Do(a.data, errDense(tensor.Float64, 2, 4, 2)); !errors.Is(err, ErrShape) {
		t.Errorf("mulDenseOp.Do with a wrong V: error %v, want ErrShape", err)
	}
	if _, err := (&mulDenseGradOp{mulDenseOp: *op}).Do(a.data, errDense(tensor.Float64, 2, 4, 3)); !errors.Is(err, ErrShape) {
		t.Errorf("mulDenseGradOp.Do with two inputs: error %v, want ErrShape", err)
	}
}
