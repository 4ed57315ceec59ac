package fastexp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Accuracy bounds of the vector kernels (the package doc states them):
// against the exact values, and against the pure-Go functions.
const (
	exp32MaxULP = 1.0 // against e^x, in float32 ulps of e^x
	exp32GenULP = 1   // against Exp32
	exp64MaxULP = 1   // against e^x correctly rounded
	exp64GenULP = 2   // against Exp64
	log64MaxULP = 1   // against ln x correctly rounded
	log64GenULP = 2   // against Log64
	// lse3GenULP bounds LSE3 against the pure-Go LSE3, in ulps of the
	// largest of 1, |m| and the result: both round the sum of the weights,
	// in [1, 3], before its log.
	lse3GenULP = 2
	// nearOneLogUnit replaces the ulp of a log under 1e-3 in magnitude:
	// the ulp of the sums it is added to.
	nearOneLogUnit = 0x1p-62
)

func same32(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b }
func same64(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) || a != a && b != b }

// ulpsTo64 returns |got − want|/ulp(want) for a float64 want that is
// finite, counting in the subnormal spacing below 2^−1022.
func ulpsTo64(got, want float64) float64 {
	if got == want {
		return 0
	}
	u := math.Nextafter(math.Abs(want), math.Inf(1)) - math.Abs(want)
	return math.Abs(got-want) / u
}

// tol32 and tol64 are the largest difference allowed between two loops'
// results of terms whose magnitudes sum to abs, n of them summed: the exps'
// bound on each term, and the summation's rounding in any order.
func tol32(abs float64, n int) float64 { return abs * (2*exp32GenULP + float64(n+2)) * 0x1p-24 }
func tol64(abs float64, n int) float64 { return abs * (2*exp64GenULP + float64(n+2)) * 0x1p-53 }

// TestAPI holds the exported loops, whichever instruction set runs them
// (ISA), to their pure-Go versions within the bounds; on a pure-Go build
// they are those versions. Special values give the same results, aliases of
// dst are allowed, and a term's error bound holds per element.
func TestAPI(t *testing.T) {
	t.Logf("the loops run on %s", ISA())
	rng := rand.New(rand.NewPCG(61, 62))
	xs := exp32Inputs(4099)
	xs = append(xs, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 0, -800, 800)
	n := len(xs)
	// Elementwise exps, in place.
	got32 := append([]float32(nil), xs...)
	ExpSlice32(got32, got32)
	sh32 := append([]float32(nil), xs...)
	Shift32(sh32, 0)
	for i, x := range xs {
		want := Exp32(x)
		if want != want {
			if got32[i] == got32[i] || sh32[i] == sh32[i] {
				t.Fatalf("ExpSlice32/Shift32(%g) = %g/%g, want NaN", x, got32[i], sh32[i])
			}
			continue
		}
		if d := max(ulpDiff32(got32[i], want), ulpDiff32(sh32[i], want)); d > exp32GenULP {
			t.Fatalf("ExpSlice32/Shift32(%g) = %g/%g, Exp32 %g", x, got32[i], sh32[i], want)
		}
	}
	x64 := make([]float64, n)
	for i, x := range xs {
		x64[i] = 7.5 * float64(x)
	}
	got64 := make([]float64, n)
	ExpSlice64(got64, x64)
	sh64 := append([]float64(nil), x64...)
	Shift64(sh64, 0)
	for i, x := range x64 {
		want := Exp64(x)
		if want != want {
			if got64[i] == got64[i] || sh64[i] == sh64[i] {
				t.Fatalf("ExpSlice64/Shift64(%v) = %v/%v, want NaN", x, got64[i], sh64[i])
			}
			continue
		}
		if d := max(ulpDiff64(got64[i], want), ulpDiff64(sh64[i], want)); d > exp64GenULP {
			t.Fatalf("ExpSlice64/Shift64(%v) = %v/%v, Exp64 %v", x, got64[i], sh64[i], want)
		}
	}
	// The fused loops over finite terms, against the pure-Go loops.
	src32, m32, w32, d32 := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	src64, m64, w64, d64 := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		src32[i] = float32(rng.Float64()*180 - 170)
		m32[i], w32[i], d32[i] = float32(rng.Float64()*10), float32(2*rng.Float64()-1), float32(rng.Float64())
		src64[i], m64[i], w64[i], d64[i] = float64(src32[i])*4, float64(m32[i]), float64(w32[i]), float64(d32[i])
	}
	const av = 1.25
	for _, k := range []int{0, 1, 7, 31, 100, n} {
		a32, b32 := append([]float32(nil), d32[:k]...), append([]float32(nil), d32[:k]...)
		s1 := AccWSum32(a32, w32, src32, m32, av)
		s2 := accWSum32Generic(b32, w32[:k], src32[:k], m32[:k], av)
		abs := 0.0
		for i := range k {
			term := math.Abs(float64(w32[i] * Exp32(av+src32[i]-m32[i])))
			abs += term
			if d := math.Abs(float64(a32[i] - b32[i])); d > tol32(term, 0)+float64(ulp32(b32[i])) {
				t.Fatalf("AccWSum32 term %d of %d: %g, pure Go %g", i, k, a32[i], b32[i])
			}
		}
		if d := math.Abs(float64(s1 - s2)); d > tol32(abs, k) {
			t.Errorf("AccWSum32 of %d terms: %g, pure Go %g", k, s1, s2)
		}
		if d := math.Abs(float64(Dot32(w32[:k], src32, m32, av) - s2)); d > tol32(abs, k) {
			t.Errorf("Dot32 of %d terms: %g, pure Go %g", k, Dot32(w32[:k], src32, m32, av), s2)
		}
		c64, e64 := append([]float64(nil), d64[:k]...), append([]float64(nil), d64[:k]...)
		r1 := AccWSum64(c64, w64, src64, m64, av)
		r2 := accWSum64Generic(e64, w64[:k], src64[:k], m64[:k], av)
		abs = 0
		for i := range k {
			term := math.Abs(w64[i] * Exp64(av+src64[i]-m64[i]))
			abs += term
			if d := math.Abs(c64[i] - e64[i]); d > tol64(term, 0)+ulp64(e64[i]) {
				t.Fatalf("AccWSum64 term %d of %d: %v, pure Go %v", i, k, c64[i], e64[i])
			}
		}
		if d := math.Abs(r1 - r2); d > tol64(abs, k) {
			t.Errorf("AccWSum64 of %d terms: %v, pure Go %v", k, r1, r2)
		}
		if d := math.Abs(Dot64(w64[:k], src64, m64, av) - r2); d > tol64(abs, k) {
			t.Errorf("Dot64 of %d terms: %v, pure Go %v", k, Dot64(w64[:k], src64, m64, av), r2)
		}
		// Acc and AccW add what AccWSum adds (Acc with weights 1).
		a32 = append(a32[:0], d32[:k]...)
		AccW32(a32, w32, src32, m32, av)
		for i := range k {
			if d := math.Abs(float64(a32[i] - b32[i])); d > tol32(math.Abs(float64(b32[i]-d32[i])), 0)+float64(ulp32(b32[i])) {
				t.Fatalf("AccW32 term %d of %d: %g, pure Go %g", i, k, a32[i], b32[i])
			}
		}
		a32 = append(a32[:0], d32[:k]...)
		b32 = append(b32[:0], d32[:k]...)
		Acc32(a32, src32, m32, av)
		acc32Generic(b32, src32[:k], m32[:k], av)
		for i := range k {
			if d := math.Abs(float64(a32[i] - b32[i])); d > tol32(math.Abs(float64(b32[i]-d32[i])), 0)+float64(ulp32(b32[i])) {
				t.Fatalf("Acc32 term %d of %d: %g, pure Go %g", i, k, a32[i], b32[i])
			}
		}
		c64 = append(c64[:0], d64[:k]...)
		AccW64(c64, w64, src64, m64, av)
		for i := range k {
			if d := math.Abs(c64[i] - e64[i]); d > tol64(math.Abs(e64[i]-d64[i]), 0)+ulp64(e64[i]) {
				t.Fatalf("AccW64 term %d of %d: %v, pure Go %v", i, k, c64[i], e64[i])
			}
		}
		c64 = append(c64[:0], d64[:k]...)
		e64 = append(e64[:0], d64[:k]...)
		Acc64(c64, src64, m64, av)
		acc64Generic(e64, src64[:k], m64[:k], av)
		for i := range k {
			if d := math.Abs(c64[i] - e64[i]); d > tol64(math.Abs(e64[i]-d64[i]), 0)+ulp64(e64[i]) {
				t.Fatalf("Acc64 term %d of %d: %v, pure Go %v", i, k, c64[i], e64[i])
			}
		}
	}
	// Logs: LogSlice64 over every kind of input, LogSums over its domain.
	ls := log64Inputs(2000)
	gl := make([]float64, len(ls))
	LogSlice64(gl, ls)
	var sums []float64
	for i, x := range ls {
		want := Log64(x)
		if x >= 1 && x <= 0x1p1023 {
			sums = append(sums, x)
		}
		if !(x > 0 && x <= math.MaxFloat64) {
			if !same64(gl[i], want) {
				t.Fatalf("LogSlice64(%v) = %v, want %v", x, gl[i], want)
			}
			continue
		}
		if u := logULPs(gl[i], want); u > log64GenULP {
			t.Fatalf("LogSlice64(%v) = %v, Log64 %v (%.2f ulps)", x, gl[i], want, u)
		}
	}
	gs := append([]float64(nil), sums...)
	LogSums(gs)
	for i, x := range sums {
		if u := logULPs(gs[i], LogSum(x)); u > log64GenULP {
			t.Fatalf("LogSums: %v at %v, LogSum %v (%.2f ulps)", gs[i], x, LogSum(x), u)
		}
	}
	// LSE3, in place.
	a, b, c := lse3Inputs(5000)
	dst := append([]float64(nil), b...)
	LSE3(dst, a, dst, c)
	for i := range a {
		want := lse3One(a[i], b[i], c[i])
		if want != want || math.IsInf(want, 0) {
			if !same64(dst[i], want) {
				t.Fatalf("LSE3(%v, %v, %v) = %v, want %v", a[i], b[i], c[i], dst[i], want)
			}
			continue
		}
		scale := max(math.Abs(max(a[i], b[i], c[i])), math.Abs(want), 1)
		if d := math.Abs(dst[i] - want); d > lse3GenULP*ulp64(scale) {
			t.Fatalf("LSE3(%v, %v, %v) = %v, pure Go %v", a[i], b[i], c[i], dst[i], want)
		}
	}
}

// ulp32 and ulp64 are the spacing of the floats above |x|.
func ulp32(x float32) float32 {
	x = float32(math.Abs(float64(x)))
	return math.Nextafter32(x, float32(math.Inf(1))) - x
}

func ulp64(x float64) float64 {
	x = math.Abs(x)
	return math.Nextafter(x, math.Inf(1)) - x
}

// logULPs is how far apart two logs are: in ulps of want, in
// nearOneLogUnit where want is under 1e-3 in magnitude.
func logULPs(got, want float64) float64 {
	if math.Abs(want) < 1e-3 {
		return math.Abs(got-want) / nearOneLogUnit
	}
	return ulpsTo64(got, want)
}

// lse3Inputs returns triples of terms: close and far apart, of every
// magnitude, with infinities and NaN among them.
func lse3Inputs(n int) (a, b, c []float64) {
	rng := rand.New(rand.NewPCG(51, 52))
	special := []float64{math.Inf(1), math.Inf(-1), math.NaN(), 0, -1000, 1000, math.MaxFloat64, -math.MaxFloat64}
	pick := func(base float64) float64 {
		switch rng.IntN(10) {
		case 0:
			return special[rng.IntN(len(special))]
		case 1:
			return base + 1e-3*rng.NormFloat64()
		case 2:
			return base - 800*rng.Float64()
		}
		return base + 5*rng.NormFloat64()
	}
	for range n {
		base := math.Ldexp(rng.NormFloat64(), rng.IntN(24)-8)
		a, b, c = append(a, pick(base)), append(b, pick(base)), append(c, pick(base))
	}
	return a, b, c
}
