package genmul

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// LogMatMul's forward shifts each output's sum by the bound max_k A[i,k] +
// max_k B[k,j] (logBounds); the tests below make that bound far above an
// output's largest term, so far that the shifted sum underflows to 0 (the
// result would be −Inf without the exact path), or give the bound a NaN or
// an infinity, and compare with the reference.

// farCase returns a case whose columns in far have every term at most −gap
// (but the bound 0), the other columns terms near 0. In a far column the
// largest terms are A[i,0] + B[0,j] and A[i,1] + B[1,j], both −gap.
func farCase(rng *rand.Rand, dtIdx, m int, gap float64, far ...int) refCase {
	const batch, n, k = 2, 5, 7
	r := refCase{batch: batch, n: n, k: k, m: m, dt: dtypes[dtIdx]}
	r.a, r.b = make([]float64, batch*n*k), make([]float64, batch*k*m)
	for b := range batch {
		for i := range n {
			for kk := range k {
				v := -gap - round(r.dt, rng.Float64())
				switch kk {
				case 0:
					v = 0
				case 1:
					v = -gap
				}
				r.a[(b*n+i)*k+kk] = v
			}
		}
		for kk := range k {
			for j := range m {
				r.b[(b*k+kk)*m+j] = round(r.dt, rng.Float64())
			}
		}
		for _, j := range far {
			for kk := range k {
				v := -gap - round(r.dt, rng.Float64())
				if kk == 1 {
					v = 0
				}
				r.b[(b*k+kk)*m+j] = v
			}
		}
	}
	return r
}

// TestLogFarFromBound checks Log and Sample, forward and gradients, where
// the bound is far above some outputs' terms: a few columns (each output
// computed again alone) and every column (each row computed again whole).
func TestLogFarFromBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for dtIdx := range dtypes {
		for _, c := range []struct {
			name string
			m    int
			far  []int
		}{
			{"two columns of 48", 48, []int{3, 17}},
			{"every column", 9, []int{0, 1, 2, 3, 4, 5, 6, 7, 8}},
			{"one column of one", 1, []int{0}},
		} {
			// 70 puts a float32 sum under sumFloor, but not a float64 one;
			// 200 and 2000 make the shifted sums 0. (float32 gradients at
			// −2000 would be off by C's rounding.)
			gaps := []float64{70, 200}
			if r := dtypes[dtIdx]; r == tensor.Float64 {
				gaps = []float64{70, 2000}
			}
			for _, gap := range gaps {
				r := farCase(rng, dtIdx, c.m, gap, c.far...)
				for _, p := range []product{logProd, sampleProd} {
					t.Run(c.name, func(t *testing.T) {
						checkProduct(t, p, r, upstream(rng, r.dt, r.batch*r.n*r.m))
					})
				}
			}
		}
	}
}

// TestLogBoundSpecial checks Log's forward where a row of A or a column
// of B holds a NaN, +Inf or only −Inf, so that its bound is not a number
// or infinite: those outputs are NaN, +Inf and −Inf as the reference's,
// and the others are unaffected.
func TestLogBoundSpecial(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, dt := range dtypes {
		for _, c := range []struct {
			name     string
			row, col int     // where v goes: row of A (col < 0) or column of B
			v        float64 // the entry's value
			all      bool    // the whole row or column
		}{
			{"NaN in A", 1, -1, math.NaN(), false},
			{"NaN in B", -1, 2, math.NaN(), false},
			{"+Inf in A", 2, -1, math.Inf(1), false},
			{"+Inf in B", -1, 0, math.Inf(1), false},
			{"-Inf row of A", 0, -1, math.Inf(-1), true},
			{"-Inf column of B", -1, 3, math.Inf(-1), true},
			{"-Inf in A", 3, -1, math.Inf(-1), false},
			{"-Inf in B", -1, 1, math.Inf(-1), false},
		} {
			const n, k, m = 4, 6, 5
			r := refCase{batch: 1, n: n, k: k, m: m, dt: dt, a: make([]float64, n*k), b: make([]float64, k*m)}
			for i := range r.a {
				r.a[i] = round(dt, 4*rng.Float64()-2)
			}
			for i := range r.b {
				r.b[i] = round(dt, 4*rng.Float64()-2)
			}
			for kk := range k {
				if !c.all && kk != 2 {
					continue
				}
				if c.col < 0 {
					r.a[c.row*k+kk] = c.v
				} else {
					r.b[kk*m+c.col] = c.v
				}
			}
			for _, p := range []product{logProd, sampleProd} {
				a, b := r.tensors()
				got, err := eagerFn(p)(a, b)
				if err != nil {
					t.Fatal(err)
				}
				if err := compare(floats(t, got), r.forward(p), tolerance(p, dt)); err != nil {
					t.Errorf("%v %v %s: %v", p, dt, c.name, err)
				}
			}
		}
	}
}
