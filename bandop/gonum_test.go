package bandop

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gorgonia.org/tensor"
)

// TestBandDense converts every matrix of random batches to gonum and checks
// every entry against mat's own At, and that the result shares a's storage
// exactly when the doc says so (a write through SetBand shows in a, or does
// not).
func TestBandDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	cases := []struct {
		dt             tensor.Dtype
		n, l, u        int
		wantShared     bool
		wantKL, wantKU int
	}{
		{tensor.Float64, 5, 1, 2, true, 1, 2},
		{tensor.Float64, 4, 0, 0, true, 0, 0},
		{tensor.Float64, 4, 3, 3, true, 3, 3},
		{tensor.Float64, 1, 0, 0, true, 0, 0},
		{tensor.Float32, 5, 1, 2, false, 1, 2},
		{tensor.Float64, 6, -1, 3, false, 0, 3}, // no diagonal: widened to it
		{tensor.Float64, 6, 2, -1, false, 2, 0},
		{tensor.Float64, 3, 5, 1, false, 2, 1}, // more sub-diagonals than the matrix has
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v/n%d_(%d,%d)", c.dt, c.n, c.l, c.u), func(t *testing.T) {
			a := randomFor(t, rng, Real, c.dt, 3, c.n, c.l, c.u)
			before := a.Clone()
			for b := 0; b < a.Batch(); b++ {
				m, err := a.BandDense(b)
				if err != nil {
					t.Fatal(err)
				}
				if r, cc := m.Dims(); r != c.n || cc != c.n {
					t.Fatalf("dims %d×%d, want %d×%d", r, cc, c.n, c.n)
				}
				if kl, ku := m.Bandwidth(); kl != c.wantKL || ku != c.wantKU {
					t.Errorf("band (%d, %d), want (%d, %d)", kl, ku, c.wantKL, c.wantKU)
				}
				for i := 0; i < c.n; i++ {
					for j := 0; j < c.n; j++ {
						if got, want := m.At(i, j), a.At(b, i, j); got != want {
							t.Errorf("matrix %d: At(%d, %d) = %v, want %v", b, i, j, got, want)
						}
					}
				}
				i, j := c.n-1, c.n-1-c.wantKL // an entry of gonum's band
				m.SetBand(i, j, 42)
				if shared := a.At(b, i, j) == 42; shared != c.wantShared {
					t.Errorf("matrix %d: shares a's storage: %v, want %v", b, shared, c.wantShared)
				}
			}
			if !c.wantShared && !sameBits(a, before) {
				t.Error("a copy wrote to a")
			}
		})
	}
}

// TestFromBandDense converts gonum matrices and checks every entry against
// mat's At, the padding, and the sharing of a single compact matrix.
func TestFromBandDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, c := range []struct{ batch, n, kl, ku int }{{1, 5, 1, 2}, {3, 5, 1, 2}, {2, 4, 0, 0}, {1, 1, 0, 0}, {2, 6, 5, 0}} {
		t.Run(fmt.Sprintf("b%d_n%d_(%d,%d)", c.batch, c.n, c.kl, c.ku), func(t *testing.T) {
			ms := make([]*mat.BandDense, c.batch)
			for x := range ms {
				ms[x] = mat.NewBandDense(c.n, c.n, c.kl, c.ku, nil)
				for i := 0; i < c.n; i++ {
					for j := max(0, i-c.kl); j <= min(c.n-1, i+c.ku); j++ {
						ms[x].SetBand(i, j, rng.Float64()*2-1)
					}
				}
			}
			a, err := FromBandDense(ms...)
			if err != nil {
				t.Fatal(err)
			}
			if a.Batch() != c.batch || a.N() != c.n || a.Lower() != c.kl || a.Upper() != c.ku || a.Fill() != 0 || a.Dtype() != tensor.Float64 {
				t.Fatalf("got %v", a)
			}
			for x, m := range ms {
				for i := 0; i < c.n; i++ {
					for j := 0; j < c.n; j++ {
						if got, want := a.At(x, i, j), m.At(i, j); got != want {
							t.Errorf("matrix %d: At(%d, %d) = %v, want %v", x, i, j, got, want)
						}
					}
				}
			}
			checkPadding(t, a)
			back, err := a.BandDense(0)
			if err != nil {
				t.Fatal(err)
			}
			if !mat.Equal(back, ms[0]) {
				t.Error("BandDense(FromBandDense(m)) differs from m")
			}
			ms[0].SetBand(0, 0, 42)
			if shared, want := a.At(0, 0, 0) == 42, c.batch == 1; shared != want {
				t.Errorf("shares the matrix's storage: %v, want %v", shared, want)
			}
		})
	}
}

// TestBandDenseErrors: the conversions' bad input, by kind.
func TestBandDenseErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	logA := randomFor(t, rng, Log, tensor.Float64, 2, 4, 1, 1)
	a := randomFor(t, rng, Real, tensor.Float64, 2, 4, 1, 1)
	m4, m5 := mat.NewBandDense(4, 4, 1, 1, nil), mat.NewBandDense(5, 5, 1, 1, nil)
	cases := []struct {
		name string
		kind error
		call func() error
	}{
		{"fill", ErrFill, func() error { _, err := logA.BandDense(0); return err }},
		{"index", ErrLength, func() error { _, err := a.BandDense(2); return err }},
		{"negative index", ErrLength, func() error { _, err := a.BandDense(-1); return err }},
		{"nil value", ErrNil, func() error { _, err := (*Banded)(nil).BandDense(0); return err }},
		{"no matrices", ErrShape, func() error { _, err := FromBandDense(); return err }},
		{"nil matrix", ErrNil, func() error { _, err := FromBandDense(m4, nil); return err }},
		{"orders differ", ErrShape, func() error { _, err := FromBandDense(m4, m5); return err }},
		{"bands differ", ErrShape, func() error { _, err := FromBandDense(m4, mat.NewBandDense(4, 4, 0, 1, nil)); return err }},
		{"not square", ErrShape, func() error { _, err := FromBandDense(mat.NewBandDense(4, 5, 1, 1, nil)); return err }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			var e *Error
			if !errors.Is(err, c.kind) || !errors.As(err, &e) {
				t.Fatalf("error %v, want a *bandop.Error of kind %v", err, c.kind)
			}
			if e.Op != "BandDense" && e.Op != "FromBandDense" {
				t.Errorf("error %q names %q", err, e.Op)
			}
		})
	}
}
