package bandop

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// This file holds the plain dense reference every op is tested against:
// matrices as [batch][n][n]float64, semiring sums written as loops.

type dense [][][]float64

// denseOf returns a's matrices entry by entry, the fill outside the band.
func denseOf(a *Banded) dense {
	d := make(dense, a.Batch())
	for b := range d {
		d[b] = make([][]float64, a.N())
		for i := range d[b] {
			d[b][i] = make([]float64, a.N())
			for j := range d[b][i] {
				d[b][i][j] = a.At(b, i, j)
			}
		}
	}
	return d
}

func newDenseRef(batch, n int, v float64) dense {
	d := make(dense, batch)
	for b := range d {
		d[b] = make([][]float64, n)
		for i := range d[b] {
			d[b][i] = make([]float64, n)
			for j := range d[b][i] {
				d[b][i][j] = v
			}
		}
	}
	return d
}

// refPlus is ⊕ of two terms written out plainly.
func refPlus(s Semiring, x, y float64) float64 {
	switch s {
	case Real:
		return x + y
	case Max:
		return math.Max(x, y)
	}
	if math.IsInf(x, -1) && math.IsInf(y, -1) {
		return math.Inf(-1)
	}
	m := math.Max(x, y)
	return m + math.Log(math.Exp(x-m)+math.Exp(y-m))
}

func refTimes(s Semiring, x, y float64) float64 {
	if s == Real {
		return x * y
	}
	return x + y
}

func refMul(s Semiring, a, b dense) dense {
	n := len(a[0])
	c := newDenseRef(len(a), n, s.Zero())
	for bt := range a {
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				acc := s.Zero()
				for k := 0; k < n; k++ {
					acc = refPlus(s, acc, refTimes(s, a[bt][i][k], b[bt][k][j]))
				}
				c[bt][i][j] = acc
			}
		}
	}
	return c
}

// poison writes NaN into every padding slot of a: no op may read them.
func poison(a *Banded) {
	n, w := a.N(), a.Width()
	for r := 0; r < a.Batch()*n; r++ {
		lo, hi := validSlots(r%n, n, a.lower, w)
		for k := 0; k < w; k++ {
			if k >= lo && k < hi {
				continue
			}
			switch d := a.data.Data().(type) {
			case []float64:
				d[r*w+k] = math.NaN()
			case []float32:
				d[r*w+k] = float32(math.NaN())
			}
		}
	}
}

// randomFor returns a random banded value whose entries suit semiring s:
// uniform in [0,1) for Real, uniform in [-3, 3) for Log and Max, with the
// padding poisoned.
func randomFor(t testing.TB, rng *rand.Rand, s Semiring, dt tensor.Dtype, batch, n, lower, upper int) *Banded {
	t.Helper()
	a, err := Random(rng, dt, batch, n, lower, upper, s.Zero())
	if err != nil {
		t.Fatal(err)
	}
	if s != Real {
		switch d := a.data.Data().(type) {
		case []float64:
			for i := range d {
				d[i] = 6*d[i] - 3
			}
		case []float32:
			for i := range d {
				d[i] = 6*d[i] - 3
			}
		}
	}
	poison(a)
	return a
}

func checkPadding(t testing.TB, a *Banded) {
	t.Helper()
	n, w := a.N(), a.Width()
	for r := 0; r < a.Batch()*n; r++ {
		lo, hi := validSlots(r%n, n, a.lower, w)
		for k := 0; k < w; k++ {
			if k >= lo && k < hi {
				continue
			}
			var v float64
			switch d := a.data.Data().(type) {
			case []float64:
				v = d[r*w+k]
			case []float32:
				v = float64(d[r*w+k])
			}
			if v != a.fill && !(math.IsNaN(v) && math.IsNaN(a.fill)) {
				t.Fatalf("padding slot (row %d, slot %d) holds %v, want fill %v", r, k, v, a.fill)
			}
		}
	}
}

// bandCases are the shapes every op is tested on: n = 1, zero bands, bands
// wider than n, negative limits, asymmetric bands, batch > 1.
var bandCases = []struct {
	batch, n, l1, u1, l2, u2 int
}{
	{1, 1, 0, 0, 0, 0},
	{1, 1, 2, 3, 1, 0},
	{2, 5, 0, 0, 0, 0},
	{3, 6, 1, 2, 2, 1},
	{1, 7, 9, 8, 3, 10},
	{2, 8, -1, 3, 2, -1},
	{1, 9, 3, -2, -3, 4},
	{2, 10, 4, 0, 0, 4},
	{1, 12, 2, 5, 5, 2},
	{4, 3, 1, 1, 1, 1},
}

var dtypes = []tensor.Dtype{tensor.Float64, tensor.Float32}
var semirings = []Semiring{Real, Log, Max}
