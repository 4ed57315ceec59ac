package bandop

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// setBand sets every in-band entry (b, i, j) of a to f(b, i, j).
func setBand(a *Banded, f func(b, i, j int) float64) {
	l, w, n := a.Lower(), a.Width(), a.N()
	for b := 0; b < a.Batch(); b++ {
		for i := 0; i < n; i++ {
			for j := max(0, i-l); j < min(n, i+a.Upper()+1); j++ {
				x := (b*n+i)*w + j - i + l
				switch d := a.data.Data().(type) {
				case []float32:
					d[x] = float32(f(b, i, j))
				case []float64:
					d[x] = f(b, i, j)
				}
			}
		}
	}
}

// logTermsRef is the Log sum of terms by definition, with the special
// values the kernels give: NaN if a term is NaN, +Inf if one is +Inf,
// −Inf if every term is −Inf (or there are none).
func logTermsRef(terms []float64) float64 {
	m := math.Inf(-1)
	for _, t := range terms {
		if math.IsNaN(t) {
			return t
		}
		m = math.Max(m, t)
	}
	if math.IsInf(m, 0) {
		return m
	}
	var s float64
	for _, t := range terms {
		s += math.Exp(t - m)
	}
	return m + math.Log(s)
}

// TestMulLogSpread checks the Log product where its row-wise shift is not
// enough: slots whose terms lie far below the row's largest (ramps), holes
// of −Inf and whole rows of it, NaN, +Inf, and sums that overflow. Each
// slot is compared with logTermsRef of its terms, within a few ulps of the
// largest magnitude of the operands (the rounding of a + b).
func TestMulLogSpread(t *testing.T) {
	const batch, n = 2, 40
	type gen func(rng *rand.Rand, b, i, j int) float64
	uniform := func(rng *rand.Rand, b, i, j int) float64 { return 6*rng.Float64() - 3 }
	cases := []struct {
		name string
		a, b gen
		far  bool // some slot's largest term is far below its row's
	}{
		{"uniform", uniform, uniform, false},
		{"ramp", uniform, func(rng *rand.Rand, b, i, j int) float64 { return -60*float64(j%20) + rng.Float64() }, true},
		{"ramp64", uniform, func(rng *rand.Rand, b, i, j int) float64 { return -120*float64(j%20) + rng.Float64() }, true},
		{"holes", uniform, func(rng *rand.Rand, b, i, j int) float64 {
			if rng.IntN(3) == 0 {
				return math.Inf(-1)
			}
			return -120*float64(j%7) + rng.Float64()
		}, true},
		{"empty rows", func(rng *rand.Rand, b, i, j int) float64 {
			if i%5 == 2 {
				return math.Inf(-1)
			}
			return uniform(rng, b, i, j)
		}, func(rng *rand.Rand, b, i, j int) float64 {
			if i%7 == 3 {
				return math.Inf(-1)
			}
			return uniform(rng, b, i, j)
		}, false},
		{"nan and inf", func(rng *rand.Rand, b, i, j int) float64 {
			switch {
			case i == 5 && j == 7:
				return math.NaN()
			case i == 20 && j == 22:
				return math.Inf(1)
			}
			return uniform(rng, b, i, j)
		}, uniform, false},
		{"overflow", uniform, func(rng *rand.Rand, b, i, j int) float64 {
			if i == 9 {
				return 3.3e38
			}
			return uniform(rng, b, i, j)
		}, false},
	}
	for _, c := range cases {
		for _, dt := range dtypes {
			t.Run(fmt.Sprintf("%s/%v", c.name, dt), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(5, 6))
				a := randomFor(t, rng, Log, dt, batch, n, 5, 7)
				b := randomFor(t, rng, Log, dt, batch, n, 6, 4)
				setBand(a, func(bt, i, j int) float64 { return c.a(rng, bt, i, j) })
				setBand(b, func(bt, i, j int) float64 { return c.b(rng, bt, i, j) })
				got, err := a.Mul(b, Log)
				if err != nil {
					t.Fatal(err)
				}
				A, B := denseOf(a), denseOf(b)
				eps, scale := 0x1p-53, 1.0
				if dt == tensor.Float32 {
					eps = 0x1p-24
				}
				for _, m := range [][][][]float64{A, B} {
					for _, row := range m[0] {
						for _, v := range row {
							if !math.IsInf(v, 0) && !math.IsNaN(v) && math.Abs(v) < 1e30 {
								scale = math.Max(scale, 2*math.Abs(v))
							}
						}
					}
				}
				far, bad := 0.0, 0
				for bt := range batch {
					for i := range n {
						rowMax := math.Inf(-1)
						slotMax := make([]float64, n)
						for j := range n {
							var terms []float64
							for k := range n {
								if a.InBand(i, k) && b.InBand(k, j) {
									terms = append(terms, A[bt][i][k]+B[bt][k][j])
								}
							}
							want := logTermsRef(terms)
							if dt == tensor.Float32 && math.Abs(want) > math.MaxFloat32 && !math.IsInf(want, 0) {
								want = math.Copysign(math.Inf(1), want)
							}
							slotMax[j] = math.Inf(-1)
							for _, x := range terms {
								slotMax[j] = math.Max(slotMax[j], x)
							}
							rowMax = math.Max(rowMax, slotMax[j])
							g := got.At(bt, i, j)
							ok := math.IsNaN(g) == math.IsNaN(want)
							if ok && !math.IsNaN(want) {
								if math.IsInf(want, 0) || math.IsInf(g, 0) {
									ok = g == want
								} else {
									ok = math.Abs(g-want) <= 16*eps*math.Max(scale, math.Abs(want))
								}
							}
							if !ok {
								if bad++; bad <= 5 {
									t.Errorf("[%d][%d][%d] = %v, want %v", bt, i, j, g, want)
								}
							}
						}
						for _, sm := range slotMax {
							if !math.IsInf(sm, -1) && !math.IsInf(rowMax, 0) {
								far = math.Max(far, rowMax-sm)
							}
						}
					}
				}
				checkPadding(t, got)
				// The far cases must reach the per-slot sums: a slot whose
				// largest term is more than ln 2^64 (float32) or ln 2^900
				// below its row's.
				lim := 900 * math.Ln2
				if dt == tensor.Float32 {
					lim = 64 * math.Ln2
				}
				if c.far && (c.name != "ramp64" || dt == tensor.Float64) && far <= lim+5 {
					t.Errorf("the slots lie at most %.1f below their rows' largest terms: the case does not reach the per-slot sums", far)
				}
			})
		}
	}
}

// TestMulLogGradSpread checks the Log product's gradients on operands with
// far-apart terms, holes of −Inf, and sums of +Inf and NaN (which take the
// kernel that skips a dC of 0), against the gradient written out term by
// term: dC·e^(a + b − C) for every term whose dC is not 0 and whose C is
// not −Inf. Every third dC is 0, and dC is +Inf where C is −Inf.
func TestMulLogGradSpread(t *testing.T) {
	const batch, n = 2, 30
	uniform := func(rng *rand.Rand, i, j int) float64 { return 6*rng.Float64() - 3 }
	cases := []struct {
		name string
		a, b func(rng *rand.Rand, i, j int) float64
	}{
		{"ramp", uniform, func(rng *rand.Rand, i, j int) float64 { return -120*float64(j%20) + rng.Float64() }},
		{"holes", uniform, func(rng *rand.Rand, i, j int) float64 {
			if rng.IntN(3) == 0 {
				return math.Inf(-1)
			}
			return uniform(rng, i, j)
		}},
		{"nan", func(rng *rand.Rand, i, j int) float64 {
			if i == 5 && j == 7 {
				return math.NaN()
			}
			return uniform(rng, i, j)
		}, uniform},
		{"inf", func(rng *rand.Rand, i, j int) float64 {
			if i == 20 && j == 22 {
				return math.Inf(1)
			}
			return uniform(rng, i, j)
		}, uniform},
	}
	for _, c := range cases {
		for _, dt := range dtypes {
			t.Run(fmt.Sprintf("%s/%v", c.name, dt), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(7, 8))
				a := randomFor(t, rng, Log, dt, batch, n, 4, 6)
				b := randomFor(t, rng, Log, dt, batch, n, 5, 3)
				setBand(a, func(_, i, j int) float64 { return c.a(rng, i, j) })
				setBand(b, func(_, i, j int) float64 { return c.b(rng, i, j) })
				cc, err := a.Mul(b, Log)
				if err != nil {
					t.Fatal(err)
				}
				dc, err := Random(rng, dt, batch, n, cc.Lower(), cc.Upper(), 0)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < batch*n*cc.Width(); i++ {
					switch {
					case math.IsInf(getAt(cc, i), -1):
						setAt(dc, i, math.Inf(1))
					case i%3 == 0:
						setAt(dc, i, 0)
					}
				}
				A, B, C, D := denseOf(a), denseOf(b), denseOf(cc), denseOf(dc)
				ga, gb := newDenseRef(batch, n, 0), newDenseRef(batch, n, 0)
				for bt := range batch {
					for i := range n {
						for j := range n {
							d := D[bt][i][j]
							if d == 0 || math.IsInf(C[bt][i][j], -1) {
								continue
							}
							for k := range n {
								if a.InBand(i, k) && b.InBand(k, j) {
									w := d * math.Exp(A[bt][i][k]+B[bt][k][j]-C[bt][i][j])
									ga[bt][i][k] += w
									gb[bt][k][j] += w
								}
							}
						}
					}
				}
				la, lb, lc := a.layout(), b.layout(), cc.layout()
				eps := 0x1p-53
				if dt == tensor.Float32 {
					eps = 0x1p-24
				}
				for wrt, want := range []dense{ga, gb} {
					l := []layout{la, lb}[wrt]
					g := newBanded(l, 0)
					poison(g)
					switch dt {
					case tensor.Float32:
						mulBackward(Log, wrt, storage[float32](g), storage[float32](a), storage[float32](b), storage[float32](cc), storage[float32](dc), la, lb, lc)
					default:
						mulBackward(Log, wrt, storage[float64](g), storage[float64](a), storage[float64](b), storage[float64](cc), storage[float64](dc), la, lb, lc)
					}
					bad := 0
					for bt := range batch {
						for i := range n {
							for j := range n {
								if !g.InBand(i, j) {
									continue
								}
								got, w := g.At(bt, i, j), want[bt][i][j]
								ok := math.IsNaN(got) == math.IsNaN(w)
								if ok && !math.IsNaN(w) {
									ok = got == w || math.Abs(got-w) <= 4096*eps*math.Max(1, math.Abs(w))
								}
								if !ok {
									if bad++; bad <= 5 {
										t.Errorf("wrt %d: [%d][%d][%d] = %v, want %v", wrt, bt, i, j, got, w)
									}
								}
							}
						}
					}
				}
			})
		}
	}
}
