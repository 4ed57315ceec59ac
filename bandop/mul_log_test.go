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

// TestMulDenseLogSpread checks MulDense's Log forward (A ⊗ V and Aᵀ ⊗ V)
// and its gradients on V with far-apart columns, holes of −Inf, NaN and
// +Inf, against the sums and gradients written out term by term, as
// TestMulLogSpread and TestMulLogGradSpread do for Mul.
func TestMulDenseLogSpread(t *testing.T) {
	const batch, n, d = 2, 24, 9
	cases := []struct {
		name string
		v    func(rng *rand.Rand, j, x int) float64
	}{
		{"uniform", func(rng *rand.Rand, j, x int) float64 { return 6*rng.Float64() - 3 }},
		{"ramp", func(rng *rand.Rand, j, x int) float64 { return -150*float64(x) + rng.Float64() }},
		{"holes", func(rng *rand.Rand, j, x int) float64 {
			if rng.IntN(3) == 0 {
				return math.Inf(-1)
			}
			return -150*float64(x%5) + rng.Float64()
		}},
		{"nan", func(rng *rand.Rand, j, x int) float64 {
			if j == 4 && x == 2 {
				return math.NaN()
			}
			return rng.Float64()
		}},
		{"inf", func(rng *rand.Rand, j, x int) float64 {
			if j == 9 && x == 5 {
				return math.Inf(1)
			}
			return rng.Float64()
		}},
	}
	for _, c := range cases {
		t.Run(c.name+"/float32", func(t *testing.T) { denseLogSpread[float32](t, c.v, batch, n, d) })
		t.Run(c.name+"/float64", func(t *testing.T) { denseLogSpread[float64](t, c.v, batch, n, d) })
	}
}

func denseLogSpread[T float](t *testing.T, vf func(rng *rand.Rand, j, x int) float64, batch, n, d int) {
	rng := rand.New(rand.NewPCG(9, 10))
	dt, eps := tensor.Float64, 0x1p-53
	if isF32(T(0)) {
		dt, eps = tensor.Float32, 0x1p-24
	}
	a := randomFor(t, rng, Log, dt, batch, n, 3, 5)
	l := a.layout()
	A := denseOf(a)
	v := make([]T, batch*n*d)
	for i := range v {
		v[i] = T(vf(rng, i/d%n, i%d))
	}
	at := func(bt, i, j int) (float64, bool) { return A[bt][i][j], a.InBand(i, j) }
	check := func(what string, got []T, want []float64, tol float64) {
		t.Helper()
		bad := 0
		for i, w := range want {
			g := float64(got[i])
			ok := math.IsNaN(g) == math.IsNaN(w)
			if ok && !math.IsNaN(w) {
				if math.IsInf(w, 0) || math.IsInf(g, 0) {
					ok = g == w
				} else {
					ok = math.Abs(g-w) <= tol*math.Max(1, math.Abs(w))
				}
			}
			if !ok {
				if bad++; bad <= 5 {
					t.Errorf("%s[%d] = %v, want %v", what, i, g, w)
				}
			}
		}
	}
	for _, side := range []vecSide{vecRight, vecLeft} {
		r := make([]T, batch*n*d)
		denseForward(Log, side, r, storage[T](a), v, l, d)
		want := make([]float64, len(r))
		for bt := range batch {
			for i := range n {
				for x := range d {
					var terms []float64
					for j := range n {
						av, ok := at(bt, i, j)
						if side == vecLeft {
							av, ok = at(bt, j, i)
						}
						if ok {
							terms = append(terms, av+float64(v[(bt*n+j)*d+x]))
						}
					}
					want[(bt*n+i)*d+x] = logTermsRef(terms)
				}
			}
		}
		check(fmt.Sprintf("side %d: R", side), r, want, 16*eps*2000)
		if side == vecLeft {
			continue
		}
		dr := make([]T, len(r))
		for i := range dr {
			switch {
			case math.IsInf(float64(r[i]), -1):
				dr[i] = T(math.Inf(1))
			case i%3 != 0:
				dr[i] = T(rng.Float64() - 0.5)
			}
		}
		wantA, wantV := make([]float64, len(storage[T](a))), make([]float64, len(v))
		w := l.width()
		for bt := range batch {
			for i := range n {
				for x := range d {
					o := (bt*n+i)*d + x
					if dr[o] == 0 || math.IsInf(float64(r[o]), -1) {
						continue
					}
					for j := range n {
						if av, ok := at(bt, i, j); ok {
							e := float64(dr[o]) * math.Exp(av+float64(v[(bt*n+j)*d+x])-float64(r[o]))
							wantA[(bt*n+i)*w+j-i+l.lower] += e
							wantV[(bt*n+j)*d+x] += e
						}
					}
				}
			}
		}
		ga, gv := make([]T, len(wantA)), make([]T, len(wantV))
		mulDenseBackward(Log, gradA, ga, storage[T](a), v, r, dr, l, d)
		mulDenseBackward(Log, gradV, gv, storage[T](a), v, r, dr, l, d)
		check("gA", ga, wantA, 4096*eps)
		check("gV", gv, wantV, 4096*eps)
	}
}

// TestVecMulLogWide checks VecMul's and MulVec's Log forward and gradients
// on bands wider than vecBuf (sums taken a chunk at a time) against the
// sums and gradients written out term by term.
func TestVecMulLogWide(t *testing.T) {
	t.Run("float32", func(t *testing.T) { vecLogWide[float32](t) })
	t.Run("float64", func(t *testing.T) { vecLogWide[float64](t) })
}

func vecLogWide[T float](t *testing.T) {
	const batch, n = 2, 150
	rng := rand.New(rand.NewPCG(11, 12))
	dt, eps := tensor.Float64, 0x1p-53
	if isF32(T(0)) {
		dt, eps = tensor.Float32, 0x1p-24
	}
	a := randomFor(t, rng, Log, dt, batch, n, 70, 75)
	l := a.layout()
	A := denseOf(a)
	v := make([]T, batch*n)
	for i := range v {
		v[i] = T(20*rng.Float64() - 10)
	}
	for _, side := range []vecSide{vecLeft, vecRight} {
		// term(bt, o, j) is the term of output o with v's entry j.
		term := func(bt, o, j int) (float64, bool) {
			if side == vecLeft {
				return float64(v[bt*n+j]) + A[bt][j][o], a.InBand(j, o)
			}
			return A[bt][o][j] + float64(v[bt*n+j]), a.InBand(o, j)
		}
		r := make([]T, batch*n)
		vecForward(Log, side, r, v, storage[T](a), l)
		dr := make([]T, len(r))
		for i := range dr {
			dr[i] = T(rng.Float64() - 0.5)
		}
		wantV, wantA := make([]float64, len(v)), make([]float64, len(storage[T](a)))
		w := l.width()
		for bt := range batch {
			for o := range n {
				var terms []float64
				for j := range n {
					if x, ok := term(bt, o, j); ok {
						terms = append(terms, x)
					}
				}
				want := logTermsRef(terms)
				if g := float64(r[bt*n+o]); math.Abs(g-want) > 64*eps*math.Max(1, math.Abs(want)) {
					t.Errorf("%s: r[%d][%d] = %v, want %v", side.String(), bt, o, g, want)
				}
				for j := range n {
					if x, ok := term(bt, o, j); ok {
						e := float64(dr[bt*n+o]) * math.Exp(x-float64(r[bt*n+o]))
						wantV[bt*n+j] += e
						i, k := o, j // A's entry
						if side == vecLeft {
							i, k = j, o
						}
						wantA[(bt*n+i)*w+k-i+l.lower] += e
					}
				}
			}
		}
		gv, ga := make([]T, len(wantV)), make([]T, len(wantA))
		vecBackward(Log, side, gradV, gv, v, storage[T](a), r, dr, l)
		vecBackward(Log, side, gradA, ga, v, storage[T](a), r, dr, l)
		for _, c := range []struct {
			what string
			got  []T
			want []float64
		}{{"gv", gv, wantV}, {"ga", ga, wantA}} {
			for i, w := range c.want {
				if g := float64(c.got[i]); math.Abs(g-w) > 1024*eps*math.Max(1, math.Abs(w)) {
					t.Errorf("%s: %s[%d] = %v, want %v", side.String(), c.what, i, g, w)
					break
				}
			}
		}
	}
}

// TestScanLogWide checks a Log scan whose sums have more terms than the
// buffer they go through (scanBuf), taken a chunk at a time, against the
// recurrence written out with logTermsRef.
func TestScanLogWide(t *testing.T) {
	const items, n, steps = 2, 150, 3
	for _, dt := range dtypes {
		t.Run(dt.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(15, 16))
			a := randomFor(t, rng, Log, dt, items*steps, n, 70, 66)
			v0 := make([]float64, items*n)
			for i := range v0 {
				v0[i] = 4*rng.Float64() - 2
			}
			var vt *tensor.Dense
			if dt == tensor.Float32 {
				vt = tensor.New(tensor.WithShape(items, n), tensor.WithBacking(f32s(v0)))
			} else {
				vt = tensor.New(tensor.WithShape(items, n), tensor.WithBacking(append([]float64(nil), v0...)))
			}
			got, err := a.Scan(vt, Log, nil)
			if err != nil {
				t.Fatal(err)
			}
			if dt == tensor.Float32 {
				for i := range v0 {
					v0[i] = float64(float32(v0[i]))
				}
			}
			A := denseOf(a)
			v := v0
			for st := range steps {
				next := make([]float64, len(v))
				for b := range items {
					for j := range n {
						var terms []float64
						for i := range n {
							if a.InBand(i, j) {
								terms = append(terms, v[b*n+i]+A[st*items+b][i][j])
							}
						}
						next[b*n+j] = logTermsRef(terms)
					}
				}
				v = next
			}
			g := floats(got)
			for i, w := range v {
				if math.Abs(g[i]-w) > tolFor(dt)*math.Max(1, math.Abs(w)) {
					t.Errorf("state %d = %v, want %v", i, g[i], w)
					break
				}
			}
		})
	}
}
