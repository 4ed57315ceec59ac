package fastexp

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// ulps returns how many float64 spacings got is from want.
func ulps(got, want float64) float64 {
	if got == want {
		return 0
	}
	return math.Abs(got-want) / (math.Nextafter(math.Abs(want), math.Inf(1)) - math.Abs(want))
}

func TestLog64(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 1))
	var xs []float64
	for range 200000 {
		// The sums of the scan lie in [1, width]; check far beyond.
		xs = append(xs, 1+rng.Float64()*2, math.Exp(rng.Float64()*1400-700), 1+rng.Float64()*1e-6, 1-rng.Float64()*1e-6)
	}
	xs = append(xs, 1, 2, 3, 0.5, math.MaxFloat64, 0x1p-1022, math.Nextafter(1, 2), math.Nextafter(1, 0), math.E)
	worst := 0.0
	for _, x := range xs {
		got, want := Log64(x), math.Log(x)
		// Near x = 1 the result is tiny: count against the larger of its
		// ulp and the ulp of the sums it is added to.
		u := ulps(got, want)
		if math.Abs(want) < 1e-3 {
			u = math.Abs(got-want) / 0x1p-62
		}
		worst = max(worst, u)
		if u > 2 {
			t.Fatalf("Log64(%v) = %v, math.Log %v (%.2f ulps)", x, got, want, u)
		}
	}
	t.Logf("worst %.2f ulps", worst)
	for _, x := range []float64{0, -1, math.Inf(1), math.Inf(-1), math.NaN()} {
		got, want := Log64(x), math.Log(x)
		if got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("Log64(%v) = %v, want %v", x, got, want)
		}
	}
	// Subnormals, against ln x correctly rounded (math.Log of amd64 takes
	// them for 2^−1023 times their mantissa).
	for _, x := range []float64{1e-310, math.SmallestNonzeroFloat64, math.Nextafter(0x1p-1022, 0), 0x1p-1030, 3e-320} {
		if got, want := Log64(x), logBig(x); ulps(got, want) > 2 {
			t.Errorf("Log64(%v) = %v, want %v", x, got, want)
		}
	}
}

func BenchmarkLog64(b *testing.B) {
	x := 1.5
	var s float64
	for range b.N {
		s += Log64(x)
		x += 1e-9
	}
	_ = s
}

func BenchmarkMathLog(b *testing.B) {
	x := 1.5
	var s float64
	for range b.N {
		s += math.Log(x)
		x += 1e-9
	}
	_ = s
}

// TestLogSum checks LogSum against math.Log within two ulps on [1, 4]
// (a Log step's sums of up to three weights) and up to e^700 (an
// alignment's sums shifted by a term other than the largest), at both ends
// of every table interval, and on powers of two up to 2^1000.
func TestLogSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	xs := []float64{1, math.Nextafter(1, 2), math.Sqrt2, 2, math.Nextafter(2, 1), 3, 0x1p1000}
	for j := 0; j <= 512; j++ {
		c := 1 + float64(j)/512
		xs = append(xs, c, c+0.5/512, c-0.5/512, math.Nextafter(c+0.5/512, 0), math.Nextafter(c-0.5/512, 3))
	}
	for range 200000 {
		xs = append(xs, 1+3*rng.Float64(), math.Exp(rng.Float64()*700))
	}
	for _, x := range xs {
		if x < 1 {
			continue // outside LogSum's domain
		}
		got, want := LogSum(x), math.Log(x)
		u := ulps(got, want)
		if math.Abs(want) < 1e-3 {
			// As in TestLog64: against the ulp of the sums it is added to.
			u = math.Abs(got-want) / 0x1p-62
		}
		if u > 2 {
			t.Fatalf("LogSum(%v) = %v, math.Log %v (%.2f ulps)", x, got, want, u)
		}
	}
	// The pure-Go LogSums gives LogSum's bits (TestAPI holds the exported
	// one to it).
	sums := append([]float64(nil), xs...)
	logSumsGeneric(sums)
	for k, x := range xs {
		if x >= 1 && math.Float64bits(sums[k]) != math.Float64bits(LogSum(x)) {
			t.Fatalf("LogSums: %v at %v, LogSum %v", sums[k], x, LogSum(x))
		}
	}
	if LogSum(1) != 0 {
		t.Errorf("LogSum(1) = %v, want 0", LogSum(1))
	}
}

func BenchmarkLogSum(b *testing.B) {
	x := 1.5
	var s float64
	for range b.N {
		s += LogSum(x)
		x += 1e-9
	}
	_ = s
}

// TestLogWeight: 1 exactly at 0, Exp64 down to −745, 0 below it and at
// −Inf, NaN for NaN.
func TestLogWeight(t *testing.T) {
	for _, c := range []struct{ d, want float64 }{
		{0, 1}, {-1, Exp64(-1)}, {-744, Exp64(-744)}, {-746, 0}, {math.Inf(-1), 0},
	} {
		if got := LogWeight(c.d); got != c.want {
			t.Errorf("LogWeight(%v) = %v, want %v", c.d, got, c.want)
		}
	}
	if got := LogWeight(math.NaN()); got == got {
		t.Errorf("LogWeight(NaN) = %v, want NaN", got)
	}
}

// logBig returns ln x correctly rounded for a positive finite x, in 200-bit
// arithmetic: x = 2^k·m, ln m = 2·atanh((m − 1)/(m + 1)).
func logBig(x float64) float64 {
	const prec = 200
	fr, k := math.Frexp(x) // fr in [1/2, 1)
	m := new(big.Float).SetPrec(prec).SetFloat64(fr)
	one := new(big.Float).SetPrec(prec).SetInt64(1)
	f := new(big.Float).SetPrec(prec).Quo(new(big.Float).SetPrec(prec).Sub(m, one), new(big.Float).SetPrec(prec).Add(m, one))
	f2 := new(big.Float).SetPrec(prec).Mul(f, f)
	sum := new(big.Float).SetPrec(prec)
	term := new(big.Float).SetPrec(prec).Set(f)
	for j := int64(1); j < 200; j += 2 {
		sum.Add(sum, new(big.Float).SetPrec(prec).Quo(term, new(big.Float).SetPrec(prec).SetInt64(j)))
		term.Mul(term, f2)
	}
	sum.Mul(sum, new(big.Float).SetPrec(prec).SetInt64(2))
	ln2, _, _ := big.ParseFloat("0.693147180559945309417232121458176568075500134360255254120680009493393621969694715605863326996418687542", 10, prec, big.ToNearestEven)
	sum.Add(sum, new(big.Float).SetPrec(prec).Mul(ln2, new(big.Float).SetPrec(prec).SetInt64(int64(k))))
	v, _ := sum.Float64()
	return v
}

// log64Inputs returns positive x of every exponent, subnormals, x near 1
// and near powers of two, the table's rounding points, and special values.
func log64Inputs(n int) []float64 {
	rng := rand.New(rand.NewPCG(31, 32))
	xs := []float64{1, 2, 0.5, 3, math.E, math.MaxFloat64, 0x1p-1022, math.SmallestNonzeroFloat64, 0x1p-1030, 1e-310,
		math.Nextafter(1, 2), math.Nextafter(1, 0), math.Nextafter(2, 0), math.Nextafter(0x1p-1022, 0),
		0, math.Copysign(0, -1), -1, -math.MaxFloat64, math.Inf(1), math.Inf(-1), math.NaN(), -1e-310}
	for j := 0; j <= 32; j++ {
		c := 1 + float64(j)/32
		xs = append(xs, c, math.Nextafter(c, 0), math.Nextafter(c, 3), c/2, math.Nextafter(c/2, 0))
	}
	for i := range n {
		xs = append(xs,
			math.Ldexp(1+rng.Float64(), rng.IntN(2046)-1022),
			1+(rng.Float64()-0.5)*1e-3, 1+(rng.Float64()-0.5)*1e-9,
			1+3*rng.Float64())
		if i%8 == 0 {
			xs = append(xs, math.Ldexp(rng.Float64(), -1022)) // subnormal or 0
		}
	}
	return xs
}
