package bandop

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// refMulGrad returns the dense gradients of Σ dC·C with respect to A and B,
// C = A ⊗ B, written out term by term over the pairs (A[i,k], B[k,j]) both
// in band: Real weighs dC[i,j] by the other factor, Log by
// exp(A[i,k]+B[k,j]−C[i,j]), Max by 1 for the first k (lowest) whose term
// is maximal and greater than −Inf. Terms of a Log C of −Inf and Max terms
// other than that first one add nothing, whatever dC is.
func refMulGrad(s Semiring, a, b *Banded, dc dense) (ga, gb dense) {
	A, B := denseOf(a), denseOf(b)
	C := refMul(s, A, B)
	batch, n := a.Batch(), a.N()
	ga, gb = newDenseRef(batch, n, 0), newDenseRef(batch, n, 0)
	for m := 0; m < batch; m++ {
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				first := -1
				best := math.Inf(-1)
				for k := 0; k < n; k++ {
					if a.InBand(i, k) && b.InBand(k, j) && A[m][i][k]+B[m][k][j] > best {
						first, best = k, A[m][i][k]+B[m][k][j]
					}
				}
				for k := 0; k < n; k++ {
					if !a.InBand(i, k) || !b.InBand(k, j) {
						continue
					}
					d := dc[m][i][j]
					var wa, wb float64
					switch s {
					case Real:
						wa, wb = B[m][k][j], A[m][i][k]
					case Log:
						if !math.IsInf(C[m][i][j], -1) {
							wa = math.Exp(A[m][i][k] + B[m][k][j] - C[m][i][j])
							wb = wa
						}
					case Max:
						if k == first {
							wa, wb = 1, 1
						}
					}
					if s == Log && math.IsInf(C[m][i][j], -1) || s == Max && k != first {
						continue // no gradient by definition, whatever d is
					}
					ga[m][i][k] += d * wa
					gb[m][k][j] += d * wb
				}
			}
		}
	}
	return ga, gb
}

// TestMulBackward checks the backward kernel against refMulGrad on the
// shared band cases and one large enough to run in parallel. Max operands are
// small integers, so that ties between terms are common and the first
// maximal term must be the one chosen; a third of Log and Max entries are the
// semiring zero, so that some outputs are sums of only −Inf.
func TestMulBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cases := append(bandCases[:len(bandCases):len(bandCases)], struct{ batch, n, l1, u1, l2, u2 int }{2, 200, 8, 8, 8, 8})
	for _, c := range cases {
		for _, dt := range dtypes {
			for _, s := range semirings {
				t.Run(fmt.Sprintf("%v/%v/b%d_n%d_(%d,%d)x(%d,%d)", s, dt, c.batch, c.n, c.l1, c.u1, c.l2, c.u2), func(t *testing.T) {
					a := benchGradOperand(t, rng, s, dt, c.batch, c.n, c.l1, c.u1)
					b := benchGradOperand(t, rng, s, dt, c.batch, c.n, c.l2, c.u2)
					cc, err := a.Mul(b, s)
					if err != nil {
						t.Fatal(err)
					}
					dc, err := Random(rng, dt, c.batch, c.n, cc.Lower(), cc.Upper(), 0)
					if err != nil {
						t.Fatal(err)
					}
					// Some zero seeds: a zero dC must add nothing. Some
					// infinite ones where they reach no term or, for Max,
					// only the first maximal one: no NaN may come of them.
					for i := 0; i < c.batch*c.n*cc.Width(); i += 3 {
						setAt(dc, i, 0)
					}
					for i := 1; i < c.batch*c.n*cc.Width(); i += 5 {
						if s == Max || s == Log && math.IsInf(getAt(cc, i), -1) {
							setAt(dc, i, math.Inf(1))
						}
					}
					wantA, wantB := refMulGrad(s, a, b, denseOf(dc))
					la, lb, lc := a.layout(), b.layout(), cc.layout()
					tol := tolFor(dt) * 10
					for wrt, want := range []dense{wantA, wantB} {
						l := []layout{la, lb}[wrt]
						g := newBanded(l, 0)
						poison(g) // the kernel must write every slot
						switch dt {
						case tensor.Float32:
							mulBackward(s, wrt, storage[float32](g), storage[float32](a), storage[float32](b), storage[float32](cc), storage[float32](dc), la, lb, lc)
						default:
							mulBackward(s, wrt, storage[float64](g), storage[float64](a), storage[float64](b), storage[float64](cc), storage[float64](dc), la, lb, lc)
						}
						g.fill = 0
						checkDense(t, g, want, tol)
					}
				})
			}
		}
	}
}

// benchGradOperand returns a random operand for TestMulBackward with the
// padding poisoned.
func benchGradOperand(t *testing.T, rng *rand.Rand, s Semiring, dt tensor.Dtype, batch, n, l, u int) *Banded {
	a := randomFor(t, rng, s, dt, batch, n, l, u)
	w := a.Width()
	for r := 0; r < batch*n; r++ {
		lo, hi := validSlots(r%n, n, l, w)
		for k := lo; k < hi; k++ {
			v := getAt(a, r*w+k)
			switch {
			case s != Real && rng.IntN(3) == 0:
				v = math.Inf(-1)
			case s == Max:
				v = math.Floor(v)
			}
			setAt(a, r*w+k, v)
		}
	}
	return a
}

// getAt and setAt read and write storage element i of a in float64.
func getAt(a *Banded, i int) float64 {
	if d, ok := a.data.Data().([]float32); ok {
		return float64(d[i])
	}
	return a.data.Data().([]float64)[i]
}

func setAt(a *Banded, i int, v float64) {
	if d, ok := a.data.Data().([]float32); ok {
		d[i] = float32(v)
		return
	}
	a.data.Data().([]float64)[i] = v
}
