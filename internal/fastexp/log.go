package fastexp

import "math"

// Log64 is the natural logarithm for the Log semiring's sums, within two
// ulps of math.Log and several times faster (a Log scan or alignment takes
// one per cell). It follows the usual table method: x = 2^k·m with m in
// [√½, √2), m = c·(1+r) with c the nearest point of a table (steps of 1/256
// below 1, 1/128 above), so that ln x = k·ln2 + ln c + log1p(r),
// |r| ≤ 1/256, and log1p(r) is its Taylor polynomial of degree 7 (the next
// term is under 1e-18·|r|). Keeping m around 1 avoids the cancellation of
// k·ln2 against ln c just below a power of two. A subnormal x is scaled
// by 2^52 first (math.Log of amd64 takes it for 2^−1023 times its
// mantissa); zero, negative, infinite and NaN arguments defer to math.Log.
func Log64(x float64) float64 {
	k := 0.0
	if !(x >= 0x1p-1022 && x <= math.MaxFloat64) {
		if !(x > 0 && x < 0x1p-1022) {
			return math.Log(x)
		}
		x, k = x*0x1p52, -52
	}
	b := math.Float64bits(x)
	k += float64(int(b>>52) - 1023)
	m := math.Float64frombits(b&(1<<52-1) | 1023<<52)
	var t *logPoint
	if m >= math.Sqrt2 {
		k, m = k+1, m*0.5
		t = &log64Below[int((m-0.5)*256+0.5)]
	} else {
		t = &log64Above[int((m-1)*128+0.5)]
	}
	// m − c is exact (the two are within a factor of two).
	r := (m - t.c) * t.inv
	p := r * (1 - r*(0.5-r*(1.0/3-r*(0.25-r*(0.2-r*(1.0/6-r*(1.0/7)))))))
	return k*log64Ln2Hi + (t.log + (k*log64Ln2Lo + p))
}

const (
	log64Ln2Hi = 6.93147180369123816490e-01 // ln2's high bits: k·log64Ln2Hi is exact
	log64Ln2Lo = 1.90821492927058770002e-10
)

// A logPoint is a table point c with 1/c and ln c.
type logPoint struct{ c, inv, log float64 }

// log64Below[j] is c = 1/2 + j/256 (j from 53 on is used), log64Above[j]
// is c = 1 + j/128 (j up to 53 is used).
var log64Below, log64Above = func() (lo, hi [129]logPoint) {
	for j := range lo {
		c := 0.5 + float64(j)/256
		lo[j] = logPoint{c, 1 / c, math.Log(c)}
		c = 1 + float64(j)/128
		hi[j] = logPoint{c, 1 / c, math.Log(c)}
	}
	return lo, hi
}()

// LogSum is Log64 for the sum of a Log step's term weights, 1 ≤ x ≤ 2^1023
// (the maximal term's weight is 1): without Log64's guard, and without its
// halving of m ≥ √2, a branch that goes either way at random on such sums.
// Both exist for x < 1, where k·ln2 and ln c cancel; here k ≥ 0 and every
// part is positive but log1p(r), which is tiny. Its table is four times as
// fine as Log64's, c = 1 + j/512, so that |r| ≤ 2^−10 and log1p(r) needs
// only degree 5 (the next term is under 2^−60/6); log(1) is exactly 0.
func LogSum(x float64) float64 {
	b := math.Float64bits(x)
	k := float64(int(b>>52) - 1023)
	m := math.Float64frombits(b&(1<<52-1) | 1023<<52)
	t := &logSumTab[int((m-1)*512+0.5)]
	r := (m - t.c) * t.inv
	p := r * (1 - r*(0.5-r*(1.0/3-r*(0.25-r*0.2))))
	return k*log64Ln2Hi + (t.log + (k*log64Ln2Lo + p))
}

// logSumTab[j] is c = 1 + j/512.
var logSumTab = func() (tab [513]logPoint) {
	for j := range tab {
		c := 1 + float64(j)/512
		tab[j] = logPoint{c, 1 / c, math.Log(c)}
	}
	return tab
}()

// LogSums sets x[i] = ln x[i] for every i: an alignment takes one per
// cell, and a call each would cost more than the polynomial. Every x[i]
// must be in [1, 2^1023]. It is the vector log of LogSlice64 where the CPU
// has one, LogSum's loop otherwise.
func LogSums(x []float64) { logSums(x) }

// LogWeight returns e^d for d ≤ 0, a term's weight in a Log sum that it is
// d below: exactly 1 for the term that sets it, 0 where exp underflows (a
// zero of the semiring among them), NaN for NaN (a NaN that reaches a
// differentiated result reaches its gradient). The Log scans of bandop and
// align weigh their terms with it.
func LogWeight(d float64) float64 {
	switch {
	case d == 0:
		return 1
	case d > -745:
		return Exp64(d)
	case d != d:
		return d
	}
	return 0
}
