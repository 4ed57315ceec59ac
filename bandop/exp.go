package bandop

import (
	"math"
	"math/big"
)

// expT returns e^x in the precision of T. Kernels whose inner loop is an exp
// use expAcc instead, where the exp is written out in the loop.
func expT[T float](x T) T {
	if isF32(x) {
		return T(exp32(float32(x)))
	}
	return T(exp64(float64(x)))
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

// Constants of exp64, the same table method as exp32 with 128 entries:
// x = k·ln2/128 + r with |r| ≤ ln2/256, e^x = 2^(k>>7) · 2^((k&127)/128) · e^r.
// r is reduced in two steps (Cody–Waite) with ln2/128 split so that k times
// its high part is exact; e^r − 1 is its Taylor polynomial of degree 5,
// relative error under 1e-18. The table entries are correctly rounded, so
// the result is within one ulp of e^x, like math.Exp's.
const (
	exp64Scale = 184.6649652337873 // 128/ln2
	exp64Ln2Hi = 6.93147180369123816490e-01 / 128
	exp64Ln2Lo = 1.90821492927058770002e-10 / 128
	exp64Lim   = 708 // inside it 2^(k>>7) is a normal float64
	exp64C3    = 1.0 / 6
	exp64C4    = 1.0 / 24
	exp64C5    = 1.0 / 120
)

// exp64Tab[j] holds the bits of 2^(j/128), correctly rounded, less j<<45
// (see exp32Tab).
var exp64Tab = func() (t [128]uint64) {
	const prec = 256
	root := new(big.Float).SetPrec(prec).SetInt64(2)
	for range 7 {
		root.Sqrt(root) // 2^(1/128)
	}
	p := new(big.Float).SetPrec(prec).SetInt64(1)
	for j := range t {
		f, _ := p.Float64()
		t[j] = math.Float64bits(f) - uint64(j)<<45
		p.Mul(p, root)
	}
	return t
}()

// exp64 returns e^x within one ulp; outside about ±708 (where the result is
// subnormal, 0 or +Inf) and for NaN it defers to math.Exp.
func exp64(x float64) float64 {
	if !(x > -exp64Lim && x < exp64Lim) {
		return math.Exp(x)
	}
	t := x*exp64Scale + exp32Round
	kf := t - exp32Round
	r := (x - kf*exp64Ln2Hi) - kf*exp64Ln2Lo
	m := math.Float64bits(t)
	scale := math.Float64frombits(exp64Tab[m&127] + m<<45)
	return scale + scale*(r+r*r*(0.5+r*(exp64C3+r*(exp64C4+r*exp64C5))))
}

// expAcc64 is expAcc with exp64 written out in the loop; TestExpAcc holds
// the two to the same bits.
func expAcc64(dst, src, m []float64, av float64) {
	src, m = src[:len(dst)], m[:len(dst)]
	for i, bv := range src {
		x := av + bv - m[i]
		if !(x > -exp64Lim && x < exp64Lim) {
			dst[i] += math.Exp(x)
			continue
		}
		t := x*exp64Scale + exp32Round
		kf := t - exp32Round
		r := (x - kf*exp64Ln2Hi) - kf*exp64Ln2Lo
		m := math.Float64bits(t)
		scale := math.Float64frombits(exp64Tab[m&127] + m<<45)
		dst[i] += scale + scale*(r+r*r*(0.5+r*(exp64C3+r*(exp64C4+r*exp64C5))))
	}
}

// expShift sets x[i] = e^(x[i] − m) for every i, with the table exps
// written out in the loop: the small sums of VecMul and MulVec (three terms
// in an alignment step) would otherwise spend more on calls than on exps.
// It gives the same bits as exp32 and exp64 (TestExpShift).
func expShift[T float](x []T, m T) {
	switch xs := any(x).(type) {
	case []float32:
		expShift32(xs, float32(m))
	case []float64:
		expShift64(xs, float64(m))
	}
}

func expShift32(xs []float32, m float32) {
	for i, v := range xs {
		x := v - m
		if !(x > -exp32Lim && x < exp32Lim) {
			xs[i] = exp32Slow(x)
			continue
		}
		y := float64(x) * exp32Scale
		t := y + exp32Round
		r := y - (t - exp32Round)
		b := math.Float64bits(t)
		scale := math.Float64frombits(exp32Tab[b&31] + b<<47)
		xs[i] = float32(scale * (1 + r*(exp32C1+r*(exp32C2+r*exp32C3))))
	}
}

func expShift64(xs []float64, m float64) {
	for i, v := range xs {
		x := v - m
		if !(x > -exp64Lim && x < exp64Lim) {
			xs[i] = math.Exp(x)
			continue
		}
		t := x*exp64Scale + exp32Round
		kf := t - exp32Round
		r := (x - kf*exp64Ln2Hi) - kf*exp64Ln2Lo
		b := math.Float64bits(t)
		scale := math.Float64frombits(exp64Tab[b&127] + b<<45)
		xs[i] = scale + scale*(r+r*r*(0.5+r*(exp64C3+r*(exp64C4+r*exp64C5))))
	}
}
