package genmul

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// The reference: each product as the broadcast composition in plain loops,
// term T[b,i,k,j] = A[b,i,k] ⊗ B[b,k,j] formed for every k of each output
// and reduced, in float64 (terms formed in the operands' precision, so that
// Max's ties and ProdMax's products are those of the kernels).

type refCase struct {
	batch, n, k, m int
	a, b           []float64 // values, already rounded to the dtype
	dt             tensor.Dtype
}

func (r refCase) String() string {
	return fmt.Sprintf("%v/b%d_n%d_k%d_m%d", r.dt, r.batch, r.n, r.k, r.m)
}

// round returns x rounded to dt.
func round(dt tensor.Dtype, x float64) float64 {
	if dt == tensor.Float32 {
		return float64(float32(x))
	}
	return x
}

// term returns A[b,i,k] ⊗ B[b,k,j] for p in dt's arithmetic.
func (r refCase) term(p product, b, i, k, j int) float64 {
	av, bv := r.a[(b*r.n+i)*r.k+k], r.b[(b*r.k+k)*r.m+j]
	if p == prodMaxProd {
		return round(r.dt, av*bv)
	}
	return round(r.dt, av+bv)
}

// forward returns the reference C.
func (r refCase) forward(p product) []float64 {
	c := make([]float64, r.batch*r.n*r.m)
	for b := 0; b < r.batch; b++ {
		for i := 0; i < r.n; i++ {
			for j := 0; j < r.m; j++ {
				mx := math.Inf(-1)
				for k := 0; k < r.k; k++ {
					mx = max(mx, r.term(p, b, i, k, j))
				}
				v := mx
				if (p == logProd || p == sampleProd) && !math.IsInf(mx, 0) && !math.IsNaN(mx) {
					s := 0.0
					for k := 0; k < r.k; k++ {
						s += math.Exp(r.term(p, b, i, k, j) - mx)
					}
					v = mx + math.Log(s)
				}
				c[(b*r.n+i)*r.m+j] = v
			}
		}
	}
	return c
}

// weights returns, for output (b, i, j), the gradient weight of each k:
// the softmax for Log, an indicator of the first maximal k for Max and
// ProdMax; all 0 where the output is −Inf.
func (r refCase) weights(p product, c []float64, b, i, j int) []float64 {
	w := make([]float64, r.k)
	cv := c[(b*r.n+i)*r.m+j]
	if math.IsInf(cv, -1) {
		return w
	}
	for k := range w {
		t := r.term(p, b, i, k, j)
		if p == logProd {
			w[k] = math.Exp(t - cv)
			continue
		}
		if t == cv {
			w[k] = 1
			break
		}
	}
	return w
}

// grads returns the reference gradients of Σ dc ⊙ C.
func (r refCase) grads(p product, dc []float64) (da, db []float64) {
	c := r.forward(p)
	da, db = make([]float64, len(r.a)), make([]float64, len(r.b))
	for b := 0; b < r.batch; b++ {
		for i := 0; i < r.n; i++ {
			for j := 0; j < r.m; j++ {
				d := dc[(b*r.n+i)*r.m+j]
				for k, w := range r.weights(p, c, b, i, j) {
					if w == 0 {
						continue
					}
					ga, gb := d*w, d*w
					if p == prodMaxProd {
						ga *= r.b[(b*r.k+k)*r.m+j]
						gb *= r.a[(b*r.n+i)*r.k+k]
					}
					da[(b*r.n+i)*r.k+k] += ga
					db[(b*r.k+k)*r.m+j] += gb
				}
			}
		}
	}
	return da, db
}

// values returns size values for product p: spread-out reals (positive
// for ProdMax's B) with about one in eight −Inf when negInf is set.
func values(rng *rand.Rand, p product, size int, isB, negInf bool, dt tensor.Dtype) []float64 {
	v := make([]float64, size)
	for i := range v {
		switch {
		case negInf && rng.IntN(8) == 0 && !(p == prodMaxProd && isB):
			// ProdMax's B stays positive: −Inf·B is then −Inf.
			v[i] = math.Inf(-1)
		case p == prodMaxProd && isB:
			v[i] = 0.1 + 2*rng.Float64()
		case p == prodMaxProd:
			v[i] = 4*rng.Float64() - 2
		default:
			v[i] = 6*rng.Float64() - 3
		}
		v[i] = round(dt, v[i])
	}
	return v
}

// newRefCase draws operands for p; with negInf, some entries and one row of
// A per matrix are −Inf, so that some outputs have only −Inf terms.
func newRefCase(rng *rand.Rand, p product, dt tensor.Dtype, batch, n, k, m int, negInf bool) refCase {
	r := refCase{batch: batch, n: n, k: k, m: m, dt: dt}
	r.a = values(rng, p, batch*n*k, false, negInf, dt)
	r.b = values(rng, p, batch*k*m, true, negInf, dt)
	if negInf {
		for b := 0; b < batch; b++ {
			i := rng.IntN(n)
			for kk := 0; kk < k; kk++ {
				r.a[(b*n+i)*k+kk] = math.Inf(-1)
			}
		}
	}
	return r
}

func toDense(dt tensor.Dtype, shape []int, v []float64) *tensor.Dense {
	if dt == tensor.Float32 {
		s := make([]float32, len(v))
		for i, x := range v {
			s[i] = float32(x)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(s))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), v...)))
}

func (r refCase) tensors() (a, b *tensor.Dense) {
	return toDense(r.dt, []int{r.batch, r.n, r.k}, r.a), toDense(r.dt, []int{r.batch, r.k, r.m}, r.b)
}

func floats(t testing.TB, d *tensor.Dense) []float64 {
	t.Helper()
	switch s := d.Data().(type) {
	case []float64:
		return append([]float64(nil), s...)
	case []float32:
		out := make([]float64, len(s))
		for i, x := range s {
			out[i] = float64(x)
		}
		return out
	}
	t.Fatalf("tensor of dtype %v", d.Dtype())
	return nil
}

// compare checks got against want: equal infinities, no NaN unless want is
// NaN, and otherwise |got − want| ≤ tol·max(1, |want|).
func compare(got, want []float64, tol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d values, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g == w || math.IsNaN(g) && math.IsNaN(w) {
			continue
		}
		if math.IsNaN(g) || math.IsInf(g, 0) || math.IsInf(w, 0) || math.Abs(g-w) > tol*math.Max(1, math.Abs(w)) {
			return fmt.Errorf("element %d = %v, want %v", i, g, w)
		}
	}
	return nil
}

// tolerance is the relative error allowed against the float64 reference:
// exact for Max and ProdMax, a few float32 or float64 roundings of a sum of
// k terms for Log.
func tolerance(p product, dt tensor.Dtype) float64 {
	if p == maxProd || p == prodMaxProd {
		return 0
	}
	if dt == tensor.Float32 {
		return 1e-5
	}
	return 1e-12
}
