package bandop

import (
	"math"
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
// where e^x is neither 0 nor +Inf (and a little beyond), every 64th float32
// value by representation, plus an even grid.
func exp32Inputs() []float32 {
	var xs []float32
	for _, sign := range []uint32{0, 1 << 31} {
		for b := uint32(0); b < 0x42d00000; b += 64 { // |x| < 104
			xs = append(xs, math.Float32frombits(sign|b))
		}
	}
	for x := -110.0; x < 95; x += 1.0 / 1024 {
		xs = append(xs, float32(x))
	}
	return xs
}

// TestExp32 checks exp32 against math.Exp rounded to float32: at most one
// ulp apart where the result is normal (a relative error under 1.2e-7), at
// most one denormal step apart below that.
func TestExp32(t *testing.T) {
	const maxRel = 1.2e-7
	var worst float64
	var worstX float32
	for _, x := range exp32Inputs() {
		want := float32(math.Exp(float64(x)))
		got := exp32(x)
		if math.IsInf(float64(want), 1) || want == 0 {
			if got != want {
				t.Fatalf("exp32(%g) = %g, want %g", x, got, want)
			}
			continue
		}
		if ulpDiff32(got, want) > 1 {
			t.Fatalf("exp32(%g) = %g, want %g (%d ulp)", x, got, want, ulpDiff32(got, want))
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
	t.Logf("max relative error of exp32 against e^x: %.3g at x = %g", worst, worstX)
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
		got := exp32(c.x)
		exact := c.want == 0 || c.want == 1 || math.IsInf(float64(c.want), 1)
		if exact && got != c.want || !exact && ulpDiff32(got, c.want) > 1 {
			t.Errorf("exp32(%g) = %g, want %g", c.x, got, c.want)
		}
	}
	if got := exp32(float32(math.NaN())); got == got {
		t.Errorf("exp32(NaN) = %g, want NaN", got)
	}
}

// TestExpAcc checks that the fused loops of the kernels compute the same
// bits as exp32 and math.Exp term by term.
func TestExpAcc(t *testing.T) {
	xs := exp32Inputs()
	xs = append(xs, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()))
	const av = 0.25
	src := make([]float32, len(xs))
	m := make([]float32, len(xs))
	for i, x := range xs {
		src[i], m[i] = x, 0.25
	}
	dst := make([]float32, len(xs))
	expAcc(dst, src, m, float32(av))
	for i, x := range xs {
		want := exp32(av + x - 0.25)
		if math.Float32bits(dst[i]) != math.Float32bits(want) && !(dst[i] != dst[i] && want != want) {
			t.Fatalf("expAcc at %g = %g, want exp32 = %g", x, dst[i], want)
		}
	}
	src64 := make([]float64, len(xs))
	m64 := make([]float64, len(xs))
	dst64 := make([]float64, len(xs))
	for i, x := range xs {
		src64[i], m64[i] = float64(x), 1
	}
	expAcc(dst64, src64, m64, 2)
	for i, x := range xs {
		want := math.Exp(2 + float64(x) - 1)
		if math.Float64bits(dst64[i]) != math.Float64bits(want) && !(dst64[i] != dst64[i] && want != want) {
			t.Fatalf("expAcc float64 at %g = %g, want %g", x, dst64[i], want)
		}
	}
}

func BenchmarkExp32(b *testing.B) {
	xs := make([]float32, 1024)
	for i := range xs {
		xs[i] = -float32(i) / 64
	}
	var s float32
	for b.Loop() {
		for _, x := range xs {
			s += exp32(x)
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
		expAcc(dst, xs, m, 0.5)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(xs)), "ns/exp")
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

var sink32 float32
