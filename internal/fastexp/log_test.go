package fastexp

import (
	"math"
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
	for _, x := range []float64{0, -1, math.Inf(1), math.Inf(-1), math.NaN(), 1e-310} {
		got, want := Log64(x), math.Log(x)
		if got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
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
	// LogSums gives LogSum's bits.
	sums := append([]float64(nil), xs...)
	LogSums(sums)
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
