package bandop

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

func TestZipDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	f := func(x, y float64) float64 { return 2*x - y + 0.5 }
	for _, c := range bandCases {
		for _, dt := range dtypes {
			t.Run(fmt.Sprintf("%v/b%d_n%d_(%d,%d)_(%d,%d)", dt, c.batch, c.n, c.l1, c.u1, c.l2, c.u2), func(t *testing.T) {
				a := randomFor(t, rng, Real, dt, c.batch, c.n, c.l1, c.u1)
				b := randomFor(t, rng, Real, dt, c.batch, c.n, c.l2, c.u2)
				a.fill = 3 // any fill: Zip is not a semiring op
				poison(a)
				ac, bc := a.Clone(), b.Clone()
				got, err := Zip(a, b, f)
				if err != nil {
					t.Fatal(err)
				}
				if got.Lower() != max(c.l1, c.l2) || got.Upper() != max(c.u1, c.u2) || got.Fill() != f(3, 0) {
					t.Errorf("band (%d,%d) fill %v, want (%d,%d) %v", got.Lower(), got.Upper(), got.Fill(), max(c.l1, c.l2), max(c.u1, c.u2), f(3, 0))
				}
				da, db := denseOf(a), denseOf(b)
				want := newDenseRef(c.batch, c.n, 0)
				for bt := range want {
					for i := range want[bt] {
						for j := range want[bt][i] {
							want[bt][i][j] = f(da[bt][i][j], db[bt][i][j])
						}
					}
				}
				checkDense(t, got, want, tolFor(dt))
				if !sameBits(a, ac) || !sameBits(b, bc) {
					t.Error("an operand was modified")
				}
			})
		}
	}
}

func TestZipErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	a := randomFor(t, rng, Real, tensor.Float64, 2, 4, 1, 1)
	add := func(x, y float64) float64 { return x + y }
	cases := []struct {
		name string
		b    *Banded
		f    func(x, y float64) float64
	}{
		{"n", randomFor(t, rng, Real, tensor.Float64, 2, 5, 1, 1), add},
		{"batch", randomFor(t, rng, Real, tensor.Float64, 1, 4, 1, 1), add},
		{"dtype", randomFor(t, rng, Real, tensor.Float32, 2, 4, 1, 1), add},
		{"nil B", nil, add},
		{"nil f", a, nil},
		{"panicking f", a, func(x, y float64) float64 { panic("boom") }},
	}
	for _, c := range cases {
		got, err := Zip(a, c.b, c.f)
		if e, ok := err.(*Error); !ok || e.Op != "Zip" || got != nil {
			t.Errorf("%s: %v, %v; want nil and a *Error of Zip", c.name, got, err)
		}
	}
	// NaN from f is a value, not an error.
	if got, err := Zip(a, a, func(x, y float64) float64 { return math.NaN() }); err != nil || !math.IsNaN(got.Fill()) {
		t.Errorf("NaN f: %v, %v", got, err)
	}
}
