package bandop

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// refSum is ⊕ of every entry of each dense matrix (the fill outside the
// band being the semiring's zero, it adds nothing).
func refSum(s Semiring, a dense) []float64 {
	r := make([]float64, len(a))
	for b := range a {
		acc := s.Zero()
		for i := range a[b] {
			for j := range a[b][i] {
				acc = refPlus(s, acc, a[b][i][j])
			}
		}
		r[b] = acc
	}
	return r
}

func TestSumDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	cases := append([]struct{ batch, n, l1, u1, l2, u2 int }{}, bandCases...)
	cases = append(cases, struct{ batch, n, l1, u1, l2, u2 int }{2, 3, -5, 6, 0, 0}) // no valid entry
	for _, c := range cases {
		for _, dt := range dtypes {
			for _, s := range semirings {
				t.Run(fmt.Sprintf("%v/%v/b%d_n%d_(%d,%d)", s, dt, c.batch, c.n, c.l1, c.u1), func(t *testing.T) {
					a := randomFor(t, rng, s, dt, c.batch, c.n, c.l1, c.u1)
					ac := a.Clone()
					got, err := a.Sum(s)
					if err != nil {
						t.Fatal(err)
					}
					if !got.Shape().Eq(tensor.Shape{c.batch}) {
						t.Fatalf("shape %v, want (%d)", got.Shape(), c.batch)
					}
					want := refSum(s, denseOf(a))
					for b, w := range want {
						if g := floats(got)[b]; !closeTo(g, w, tolFor(dt)) {
							t.Errorf("r[%d] = %v, want %v", b, g, w)
						}
					}
					if !sameBits(a, ac) {
						t.Error("Sum modified its operand")
					}
				})
			}
		}
	}
}

func TestSumBackwardFiniteDiff(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, c := range bandCases {
		for _, s := range semirings {
			t.Run(fmt.Sprintf("%v/b%d_n%d_(%d,%d)", s, c.batch, c.n, c.l1, c.u1), func(t *testing.T) {
				a := randomFor(t, rng, s, tensor.Float64, c.batch, c.n, c.l1, c.u1)
				l, ad := a.layout(), storage[float64](a)
				r := make([]float64, c.batch)
				dr := make([]float64, c.batch)
				for i := range dr {
					dr[i] = 2*rng.Float64() - 1
				}
				cost := func() float64 {
					sumForward(s, r, ad, l)
					sum := 0.0
					for i := range r {
						sum += dr[i] * r[i]
					}
					return sum
				}
				cost()
				g := make([]float64, len(ad))
				sumBackward(s, g, ad, r, dr, l)
				fdCheck(t, "dA", ad, validIndices(a), cost, g)
				checkGradPadding(t, a, g)
			})
		}
	}
}

// TestSumEdges: an all −Inf matrix, or one without valid entries, sums to
// −Inf with gradient 0 (dr infinite); on a Max tie the first entry in
// row-major order gets dr.
func TestSumEdges(t *testing.T) {
	inf := math.Inf(-1)
	for _, s := range []Semiring{Log, Max} {
		for _, band := range [][2]int{{1, 1}, {-4, 5}} {
			a, _ := Filled(tensor.Float64, 2, 4, band[0], band[1], inf)
			poison(a)
			r, err := a.Sum(s)
			if err != nil {
				t.Fatal(err)
			}
			rv := floats(r)
			if !math.IsInf(rv[0], -1) || !math.IsInf(rv[1], -1) {
				t.Errorf("%v band %v: sums %v, want -Inf", s, band, rv)
			}
			g := make([]float64, len(storage[float64](a)))
			sumBackward(s, g, storage[float64](a), rv, []float64{math.Inf(1), 1}, a.layout())
			for i, x := range g {
				if x != 0 {
					t.Errorf("%v band %v: gradient %d = %v, want 0", s, band, i, x)
				}
			}
		}
	}
	for _, dt := range dtypes {
		// Band (1, 1) of n = 3, every entry 1: the first entry in row-major
		// order is (0, 0), in slot 1 of row 0.
		a, _ := Filled(dt, 1, 3, 1, 1, inf)
		switch d := a.data.Data().(type) {
		case []float64:
			fillSlice(d, 1)
		case []float32:
			fillSlice(d, 1)
		}
		poison(a)
		r, _ := a.Sum(Max)
		g := make([]float64, 9)
		sumBackward(Max, g, floats(a.data), floats(r), []float64{5}, a.layout())
		for i, x := range g {
			if want := map[bool]float64{true: 5, false: 0}[i == 1]; x != want {
				t.Errorf("%v Max tie: gradient slot %d = %v, want %v", dt, i, x, want)
			}
		}
	}
}

func TestSumGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	for _, batch := range []int{1, 3} {
		for _, dt := range dtypes {
			for _, s := range semirings {
				g := gorgonia.NewGraph()
				av := randomFor(t, rng, s, dt, batch, 5, 1, 2)
				a, _ := NewNode(g, av, "A")
				r, err := Sum(a, s)
				if err != nil {
					t.Fatal(err)
				}
				if !r.Shape().Eq(tensor.Shape{batch}) {
					t.Fatalf("node shape %v, want (%d)", r.Shape(), batch)
				}
				grads, err := gorgonia.Grad(gorgonia.Must(gorgonia.Sum(r)), a.Node)
				if err != nil {
					t.Fatal(err)
				}
				m := gorgonia.NewTapeMachine(g)
				if err := m.RunAll(); err != nil {
					t.Fatal(err)
				}
				m.Close()
				want, _ := av.Sum(s)
				checkTensors(t, fmt.Sprintf("Sum %v %v", s, dt), r.Value(), want, 0)
				ones := newDense(dt, tensor.Shape{batch}, 1)
				wg, err := (&sumGradOp{sumOp{s: s, a: av.layout()}}).Do(av.data, want, ones)
				if err != nil {
					t.Fatal(err)
				}
				checkTensors(t, fmt.Sprintf("Sum %v %v dA", s, dt), grads[0].Value(), wg, tolFor(dt))
			}
		}
	}
}

func TestSumErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(37, 38))
	a := randomFor(t, rng, Real, tensor.Float64, 2, 4, 1, 1)
	var nilA *Banded
	for _, c := range []struct {
		name string
		a    *Banded
		s    Semiring
	}{{"fill", a, Log}, {"semiring", a, Semiring(-1)}, {"nil", nilA, Real}} {
		_, err := c.a.Sum(c.s)
		if e, ok := err.(*Error); !ok || e.Op != "Sum" {
			t.Errorf("bad %s: error %v, want a *Error of Sum", c.name, err)
		}
	}
}

// TestSumBackwardLarge runs the Sum gradient on a batch big enough to be
// split over goroutines: Real gives dr[b] to every in-band slot of matrix
// b, Max gives it to the first maximal slot only.
func TestSumBackwardLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(63, 64))
	for _, s := range []Semiring{Real, Max} {
		a := randomFor(t, rng, s, tensor.Float64, 8, 200, 15, 15)
		l := a.layout()
		if l.batch*l.n*l.width() < minParallelWork {
			t.Fatal("too small to run in parallel")
		}
		r, err := a.Sum(s)
		if err != nil {
			t.Fatal(err)
		}
		rv := floats(r)
		dr := make([]float64, l.batch)
		for b := range dr {
			dr[b] = float64(b + 1)
		}
		g := make([]float64, l.batch*l.n*l.width())
		sumBackward(s, g, storage[float64](a), rv, dr, l)
		w := l.width()
		for b := 0; b < l.batch; b++ {
			got, slots := 0.0, 0
			for i := 0; i < l.n; i++ {
				lo, hi := validSlots(i, l.n, l.lower, w)
				for k := 0; k < w; k++ {
					v := g[(b*l.n+i)*w+k]
					if k < lo || k >= hi {
						if v != 0 {
							t.Fatalf("%v: padding gradient %v", s, v)
						}
						continue
					}
					if v != 0 {
						got += v
						slots++
					}
				}
			}
			want, wantSlots := dr[b]*float64(l.n*w-l.lower*(l.lower+1)/2-l.upper*(l.upper+1)/2), l.n*w-l.lower*(l.lower+1)/2-l.upper*(l.upper+1)/2
			if s == Max {
				want, wantSlots = dr[b], 1
			}
			if slots != wantSlots || !closeTo(got, want, 1e-12) {
				t.Errorf("%v matrix %d: gradient sums to %v over %d slots, want %v over %d", s, b, got, slots, want, wantSlots)
			}
		}
	}
}
