package bandop

import "math"

// expT returns e^x in the precision of T. Kernels whose inner loop is an exp
// call exp32 and math.Exp directly instead (see expAcc), so that the float32
// path inlines.
func expT[T float](x T) T {
	if isF32(x) {
		return T(exp32(float32(x)))
	}
	return T(math.Exp(float64(x)))
}

// isF32 reports whether T is float32. It is cheap enough to ask per segment
// of an inner loop, not per term.
func isF32[T float](x T) bool {
	_, ok := any(x).(float32)
	return ok
}

// Constants of exp32, which follows the usual table method: in float64,
// x·32/ln2 = m + r with m an integer and |r| ≤ 1/2, so that
// e^x = 2^(m>>5) · 2^((m&31)/32) · e^(r·ln2/32). The middle factor comes from
// a table, the last from its Taylor polynomial of degree 3, whose relative
// error under 6e-10 is a hundredth of a float32 ulp; float64 arithmetic makes
// the reduction exact enough for any float32 x without a Cody–Waite split.
// So the result is the correctly rounded e^x or one ulp from it.
const (
	exp32Scale = 46.16624130844683 // 32/ln2
	// exp32Round is 1.5·2^52: adding it rounds a float64 of magnitude under
	// 2^51 to an integer held in the low bits of the sum's mantissa.
	exp32Round = 6755399441055744.0
	// exp32Lim bounds the fast path: beyond it e^x is 0 or +Inf in float32,
	// and inside it 2^(m>>5) is a normal float64.
	exp32Lim = 700
	exp32C1  = 0.02166084939249829    // ln2/32
	exp32C2  = 0.00023459619820224677 // (ln2/32)²/2
	exp32C3  = 1.6938509724371819e-06 // (ln2/32)³/6
)

// exp32Tab[j] holds the bits of 2^(j/32) less j<<47: adding m<<47 to it,
// which moves m's low 5 bits into the mantissa field, cancels them again and
// adds m>>5 to the exponent, all modulo 2^64.
var exp32Tab = func() (t [32]uint64) {
	for j := range t {
		t[j] = math.Float64bits(math.Exp2(float64(j)/32)) - uint64(j)<<47
	}
	return t
}()

// exp32 returns e^x within one ulp for float32 x: −Inf and anything below
// about −104 give 0, +Inf and anything above about 88.7 give +Inf, NaN gives
// NaN.
func exp32(x float32) float32 {
	if !(x > -exp32Lim && x < exp32Lim) {
		return exp32Slow(x) // also NaN, which fails both comparisons
	}
	y := float64(x) * exp32Scale
	t := y + exp32Round
	r := y - (t - exp32Round)
	m := math.Float64bits(t) // m's low bits are those of round(y)
	scale := math.Float64frombits(exp32Tab[m&31] + m<<47)
	return float32(scale * (1 + r*(exp32C1+r*(exp32C2+r*exp32C3))))
}

//go:noinline
func exp32Slow(x float32) float32 { return float32(math.Exp(float64(x))) }

// expAcc adds e^(av + src[x] − m[x]) to dst[x] for every x: the inner loop of
// a log-semiring product. src and m must be at least as long as dst.
func expAcc[T float](dst, src, m []T, av T) {
	switch d := any(dst).(type) {
	case []float32:
		expAcc32(d, any(src).([]float32), any(m).([]float32), float32(av))
	case []float64:
		expAcc64(d, any(src).([]float64), any(m).([]float64), float64(av))
	default:
		for x, bv := range src[:len(dst)] {
			dst[x] += expT(av + bv - m[x])
		}
	}
}

// expAcc32 is expAcc with exp32 written out in the loop, which the compiler
// would not inline; TestExpAcc holds the two to the same bits.
func expAcc32(dst, src, m []float32, av float32) {
	src, m = src[:len(dst)], m[:len(dst)]
	for i, bv := range src {
		x := av + bv - m[i]
		if !(x > -exp32Lim && x < exp32Lim) {
			dst[i] += exp32Slow(x)
			continue
		}
		y := float64(x) * exp32Scale
		t := y + exp32Round
		r := y - (t - exp32Round)
		m := math.Float64bits(t)
		scale := math.Float64frombits(exp32Tab[m&31] + m<<47)
		dst[i] += float32(scale * (1 + r*(exp32C1+r*(exp32C2+r*exp32C3))))
	}
}

func expAcc64(dst, src, m []float64, av float64) {
	src, m = src[:len(dst)], m[:len(dst)]
	for i, bv := range src {
		dst[i] += math.Exp(av + bv - m[i])
	}
}
