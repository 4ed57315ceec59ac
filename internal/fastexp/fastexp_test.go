package fastexp

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// ulpDiff32 returns how many float32 values lie between got and want, both
// finite and non-negative.
func ulpDiff32(got, want float32) int64 {
	d := int64(math.Float32bits(got)) - int64(math.Float32bits(want))
	if d < 0 {
		d = -d
	}
	return d
}

// exp32Inputs returns a dense sweep of float32 inputs over the whole range
// where e^x is neither 0 nor +Inf (and a little beyond), every stride-th
// float32 value by representation, plus an even grid.
func exp32Inputs(stride uint32) []float32 {
	var xs []float32
	for _, sign := range []uint32{0, 1 << 31} {
		for b := uint32(0); b < 0x42d00000; b += stride { // |x| < 104
			xs = append(xs, math.Float32frombits(sign|b))
		}
	}
	for x := -110.0; x < 95; x += 1.0 / 1024 {
		xs = append(xs, float32(x))
	}
	return xs
}

// TestExp32 checks Exp32 against math.Exp rounded to float32: at most one
// ulp apart where the result is normal (a relative error under 1.2e-7), at
// most one denormal step apart below that.
func TestExp32(t *testing.T) {
	const maxRel = 1.2e-7
	var worst float64
	var worstX float32
	for _, x := range exp32Inputs(97) {
		want := float32(math.Exp(float64(x)))
		got := Exp32(x)
		if math.IsInf(float64(want), 1) || want == 0 {
			if got != want {
				t.Fatalf("Exp32(%g) = %g, want %g", x, got, want)
			}
			continue
		}
		if ulpDiff32(got, want) > 1 {
			t.Fatalf("Exp32(%g) = %g, want %g (%d ulp)", x, got, want, ulpDiff32(got, want))
		}
		if want >= math.SmallestNonzeroFloat32*(1<<23) { // normal
			rel := math.Abs(float64(got)-math.Exp(float64(x))) / math.Exp(float64(x))
			if rel > worst {
				worst, worstX = rel, x
			}
		}
	}
	if worst > maxRel {
		t.Errorf("max relative error %g at %g, want at most %g", worst, worstX, maxRel)
	}
	t.Logf("max relative error of Exp32 against e^x: %.3g at x = %g", worst, worstX)
}

// exp64of32 returns e^x for the float32 nearest x, rounded to float32.
func exp64of32(x float64) float32 { return float32(math.Exp(float64(float32(x)))) }

func TestExp32Special(t *testing.T) {
	inf := float32(math.Inf(1))
	for _, c := range []struct{ x, want float32 }{
		{0, 1},
		{float32(math.Copysign(0, -1)), 1},
		{1, float32(math.E)},
		{-inf, 0},
		{inf, inf},
		{-104, 0},
		{-1000, 0},
		{-math.MaxFloat32, 0},
		{89, inf},
		{1000, inf},
		{math.MaxFloat32, inf},
		{88.72283, exp64of32(88.72283)},
		{-87.33654, exp64of32(-87.33654)},
		{-103.9, exp64of32(-103.9)}, // denormal
	} {
		got := Exp32(c.x)
		exact := c.want == 0 || c.want == 1 || math.IsInf(float64(c.want), 1)
		if exact && got != c.want || !exact && ulpDiff32(got, c.want) > 1 {
			t.Errorf("Exp32(%g) = %g, want %g", c.x, got, c.want)
		}
	}
	if got := Exp32(float32(math.NaN())); got == got {
		t.Errorf("Exp32(NaN) = %g, want NaN", got)
	}
}

// TestExpAcc checks that the pure-Go fused loops compute the same bits as
// Exp32 and Exp64 term by term.
func TestExpAcc(t *testing.T) {
	xs := exp32Inputs(1021)
	xs = append(xs, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()))
	const av = 0.25
	src := make([]float32, len(xs))
	m := make([]float32, len(xs))
	for i, x := range xs {
		src[i], m[i] = x, 0.25
	}
	dst := make([]float32, len(xs))
	acc32Generic(dst, src, m, float32(av))
	for i, x := range xs {
		want := Exp32(av + x - 0.25)
		if math.Float32bits(dst[i]) != math.Float32bits(want) && !(dst[i] != dst[i] && want != want) {
			t.Fatalf("Acc at %g = %g, want Exp32 = %g", x, dst[i], want)
		}
	}
	src64 := make([]float64, len(xs))
	m64 := make([]float64, len(xs))
	dst64 := make([]float64, len(xs))
	for i, x := range xs {
		src64[i], m64[i] = float64(x), 1
	}
	acc64Generic(dst64, src64, m64, 2)
	for i, x := range xs {
		want := Exp64(2 + float64(x) - 1)
		if math.Float64bits(dst64[i]) != math.Float64bits(want) && !(dst64[i] != dst64[i] && want != want) {
			t.Fatalf("Acc float64 at %g = %g, want Exp64 = %g", x, dst64[i], want)
		}
	}
}

// ulpDiff64 returns how many float64 values lie between got and want, both
// finite and non-negative.
func ulpDiff64(got, want float64) uint64 {
	g, w := math.Float64bits(got), math.Float64bits(want)
	if g > w {
		return g - w
	}
	return w - g
}

// expBig returns e^x rounded to float64, computed in 200-bit arithmetic:
// x = k·ln2 + r, e^x = 2^k · e^r with e^r from its Taylor series.
func expBig(x float64) float64 {
	const prec = 200
	ln2, _, err := big.ParseFloat("0.693147180559945309417232121458176568075500134360255254120680009493393621969694715605863326996418687542", 10, prec, big.ToNearestEven)
	if err != nil {
		panic(err)
	}
	k := math.Round(x / math.Ln2)
	r := new(big.Float).SetPrec(prec).SetFloat64(x)
	r.Sub(r, new(big.Float).SetPrec(prec).Mul(ln2, big.NewFloat(k)))
	sum := new(big.Float).SetPrec(prec).SetInt64(1)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	for i := 1; i < 40; i++ {
		term.Mul(term, r)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(int64(i)))
		sum.Add(sum, term)
	}
	sum.SetMantExp(sum, int(k))
	f, _ := sum.Float64()
	return f
}

// TestExp64 checks Exp64 against e^x correctly rounded (expBig) over random
// points of [−708, 708] and [−1, 1], most of them within one ulp, and
// against math.Exp on a dense grid of [−720, 720] and the special values:
// equal outside the fast path but for [708, 709.8), within one ulp of it
// inside. On [708, 709.8) it is within one ulp of e^x correctly rounded
// (math.Exp of amd64 gives +Inf from about 709.09 on).
func TestExp64(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var worst uint64
	for i := range 40000 {
		x := 1416*rng.Float64() - 708
		if i%2 == 1 {
			x = 2*rng.Float64() - 1
		}
		want := expBig(x)
		if d := ulpDiff64(Exp64(x), want); d > worst {
			worst = d
		}
	}
	if worst > 1 {
		t.Errorf("Exp64 is %d ulp from e^x, want at most 1", worst)
	}
	xs := []float64{0, math.Copysign(0, -1), 1, -1, 1e-300, -1e-300, 708, -708, 709.7, 709.8, -745, -746, -707.9, 707.9,
		math.Inf(1), math.Inf(-1), math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64}
	for x := -720.0; x < 720; x += 1.0 / 4096 {
		xs = append(xs, x)
	}
	var worstM uint64
	for _, x := range xs {
		got, want := Exp64(x), math.Exp(x)
		if x >= Exp64Lim && x < 709.8 {
			want = expBig(x)
			if d := ulpDiff64(got, want); d > 1 && !(math.IsInf(want, 1) && got == want) {
				t.Fatalf("Exp64(%g) = %g, want e^x = %g", x, got, want)
			}
			continue
		}
		if !(x > -Exp64Lim && x < Exp64Lim) {
			if got != want {
				t.Fatalf("Exp64(%g) = %g, want math.Exp = %g", x, got, want)
			}
			continue
		}
		if d := ulpDiff64(got, want); d > worstM {
			worstM = d
		}
	}
	// math.Exp is itself up to one ulp from e^x.
	if worstM > 2 {
		t.Errorf("Exp64 is %d ulp from math.Exp, want at most 2", worstM)
	}
	if got := Exp64(math.NaN()); got == got {
		t.Errorf("Exp64(NaN) = %g, want NaN", got)
	}
	t.Logf("Exp64 within %d ulp of e^x correctly rounded, %d of math.Exp", worst, worstM)
}

func BenchmarkExp32(b *testing.B) {
	xs := make([]float32, 1024)
	for i := range xs {
		xs[i] = -float32(i) / 64
	}
	var s float32
	for b.Loop() {
		for _, x := range xs {
			s += Exp32(x)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(xs)), "ns/exp")
	sink32 = s
}

func BenchmarkExpAcc32(b *testing.B) {
	xs := make([]float32, 1024)
	m := make([]float32, 1024)
	dst := make([]float32, 1024)
	for i := range xs {
		xs[i] = -float32(i) / 64
	}
	for b.Loop() {
		Acc(dst, xs, m, 0.5)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(xs)), "ns/exp")
}

func BenchmarkExp64(b *testing.B) {
	xs := make([]float64, 1024)
	for i := range xs {
		xs[i] = -float64(i) / 64
	}
	var s float64
	for b.Loop() {
		for _, x := range xs {
			s += Exp64(x)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(xs)), "ns/exp")
	sink64 = s
}

func BenchmarkMathExp(b *testing.B) {
	xs := make([]float32, 1024)
	for i := range xs {
		xs[i] = -float32(i) / 64
	}
	var s float32
	for b.Loop() {
		for _, x := range xs {
			s += float32(math.Exp(float64(x)))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(xs)), "ns/exp")
	sink32 = s
}

var (
	sink32 float32
	sink64 float64
)

// TestExpShift holds the pure-Go Shift to Exp32 and Exp64 bit for bit,
// infinities and NaN included.
func TestExpShift(t *testing.T) {
	xs := exp32Inputs(1009)
	xs = append(xs, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), -800, 800)
	got := append([]float32(nil), xs...)
	shift32Generic(got, 0.5)
	for i, x := range xs {
		want := Exp32(x - 0.5)
		if math.Float32bits(got[i]) != math.Float32bits(want) && !(got[i] != got[i] && want != want) {
			t.Fatalf("Shift at %g = %g, want Exp32 = %g", x, got[i], want)
		}
	}
	got64 := make([]float64, len(xs))
	for i, x := range xs {
		got64[i] = float64(x) * 1.5
	}
	shift64Generic(got64, -1)
	for i, x := range xs {
		want := Exp64(float64(x)*1.5 + 1)
		if math.Float64bits(got64[i]) != math.Float64bits(want) && !(got64[i] != got64[i] && want != want) {
			t.Fatalf("Shift float64 at %g = %g, want Exp64 = %g", float64(x)*1.5, got64[i], want)
		}
	}
}

// TestAccWDot holds the pure-Go AccW, AccWSum and Dot to w·Exp32 and
// w·Exp64 term by term, bit for bit (Dot summing in ascending order in the
// element type), infinities and NaN included.
func TestAccWDot(t *testing.T) {
	xs := exp32Inputs(4093)
	xs = append(xs, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), -800, 800)
	rng := rand.New(rand.NewPCG(3, 4))
	n := len(xs)
	w32, m32, dst32 := make([]float32, n), make([]float32, n), make([]float32, n)
	w64, src64, m64, dst64 := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i, x := range xs {
		w32[i] = float32(rng.Float64()*2 - 1)
		m32[i] = float32(rng.Float64())
		dst32[i] = float32(rng.Float64())
		w64[i], src64[i], m64[i], dst64[i] = float64(w32[i]), float64(x)*1.5, float64(m32[i]), float64(dst32[i])
	}
	const av = 0.75
	want32 := append([]float32(nil), dst32...)
	want64 := append([]float64(nil), dst64...)
	for i, x := range xs {
		want32[i] += w32[i] * Exp32(av+x-m32[i])
		want64[i] += w64[i] * Exp64(av+src64[i]-m64[i])
	}
	accW32Generic(dst32, w32, xs, m32, float32(av))
	accW64Generic(dst64, w64, src64, m64, av)
	for i, x := range xs {
		if !same32(dst32[i], want32[i]) {
			t.Fatalf("AccW at %g = %g, want %g", x, dst32[i], want32[i])
		}
		if !same64(dst64[i], want64[i]) {
			t.Fatalf("AccW float64 at %g = %g, want %g", src64[i], dst64[i], want64[i])
		}
	}
	// AccWSum adds what AccW adds and returns the sum Dot returns.
	d32, d64 := make([]float32, n-5), make([]float64, n-5)
	s32 := accWSum32Generic(d32, w32[:n-5], xs[:n-5], m32[:n-5], float32(av))
	s64 := accWSum64Generic(d64, w64[:n-5], src64[:n-5], m64[:n-5], av)
	if s := dot32Generic(w32[:n-5], xs, m32, float32(av)); !same32(s32, s) {
		t.Errorf("AccWSum returned %g, Dot %g", s32, s)
	}
	if s := dot64Generic(w64[:n-5], src64, m64, av); !same64(s64, s) {
		t.Errorf("AccWSum float64 returned %g, Dot %g", s64, s)
	}
	for i := range n - 5 {
		if !same32(d32[i], 0+w32[i]*Exp32(av+xs[i]-m32[i])) || !same64(d64[i], 0+w64[i]*Exp64(av+src64[i]-m64[i])) {
			t.Fatalf("AccWSum term %d: %g, %g", i, d32[i], d64[i])
		}
	}
	// The dot over the finite part only (the sweep's infinities make it
	// NaN), and over everything.
	for _, k := range []int{n - 5, n} {
		var d32 float32
		var d64 float64
		for i := range k {
			d32 += w32[i] * Exp32(av+xs[i]-m32[i])
			d64 += w64[i] * Exp64(av+src64[i]-m64[i])
		}
		if got := dot32Generic(w32[:k], xs, m32, float32(av)); !same32(got, d32) {
			t.Errorf("Dot of %d terms = %g, want %g", k, got, d32)
		}
		if got := dot64Generic(w64[:k], src64, m64, av); !same64(got, d64) {
			t.Errorf("Dot float64 of %d terms = %g, want %g", k, got, d64)
		}
	}
}
