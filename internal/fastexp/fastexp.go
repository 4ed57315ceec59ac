// Package fastexp holds genband's exponentials and logarithms and the fused
// loops built on them: the inner loops of log-semiring products and scans,
// shared by packages bandop, genmul and align (one implementation, so that
// all compute the same bits).
//
// Exp32, Exp64, Log64 and LogSum are scalar table methods in Go: Exp32 is
// within one ulp of e^x for every float32 x, Exp64 within one ulp for every
// float64 x.
//
// The loops (Acc, AccW, AccWSum, Dot, Shift, ExpSlice32, ExpSlice64,
// LogSlice64, LogSums, LSE3) run vector kernels on amd64 CPUs with AVX2 and
// FMA, 512-bit ones where the CPU has AVX-512 F and DQ (ISA says which; the
// choice is made once from the CPU's features, and GODEBUG=cpu.avx512f=off
// or cpu.avx2=off lowers it), and loops of the scalar functions elsewhere,
// under the purego build tag, and for slices of fewer than 4 elements
// (where a kernel's setup costs more than the exps). The AVX2 and AVX-512
// kernels compute the same bits, sums included. Their exps and logs,
// measured:
//
//   - float32 exp: within 0.94 ulp of e^x for every float32 x, and at most
//     one ulp from Exp32 (0.46% of all x);
//   - float64 exp: within one ulp of e^x correctly rounded, two of Exp64;
//   - log: within one ulp of ln x correctly rounded, two of Log64 (in units
//     of 2^−62 where |ln x| < 1e−3, as Log64's tests count);
//   - LSE3: within two ulps of the pure-Go LSE3, ulps of the largest of 1,
//     the largest term and the result.
//
// Subnormal results and arguments are as exact as normal ones; e^x is 0
// below the subnormals and for −Inf, +Inf from overflow on, e^0 = 1 exactly
// (the weight of a Log sum's largest term), and NaN stays NaN. A loop's term
// has the bits of the vector exp of its argument, and AccWSum and Dot sum
// their terms in 16 (float32) or 8 (float64) lanes, term i into lane i mod
// 16 or 8, then the lanes' halves pairwise; the pure-Go loops sum in
// ascending order.
package fastexp

import (
	"math"
	"math/big"
)

// Float is the element type of the generic helpers. For a named type whose
// underlying type is float32 or float64 they fall back to a loop of Exp.
type Float interface{ ~float32 | ~float64 }

// Exp returns e^x in the precision of T: Exp32 or Exp64.
func Exp[T Float](x T) T {
	if IsF32(x) {
		return T(Exp32(float32(x)))
	}
	return T(Exp64(float64(x)))
}

// IsF32 reports whether T is float32. It is cheap enough to ask per segment
// of an inner loop, not per term.
func IsF32[T Float](x T) bool {
	_, ok := any(x).(float32)
	return ok
}

// Constants of Exp32, which follows the usual table method: in float64,
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
	// Exp32Lim bounds the fast path: beyond it e^x is 0 or +Inf in float32,
	// and inside it 2^(m>>5) is a normal float64.
	Exp32Lim = 700
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

// Exp32 returns e^x within one ulp for float32 x: −Inf and anything below
// about −104 give 0, +Inf and anything above about 88.7 give +Inf, NaN gives
// NaN.
func Exp32(x float32) float32 {
	if !(x > -Exp32Lim && x < Exp32Lim) {
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

// Constants of Exp64, the same table method as Exp32 with 128 entries:
// x = k·ln2/128 + r with |r| ≤ ln2/256, e^x = 2^(k>>7) · 2^((k&127)/128) · e^r.
// r is reduced in two steps (Cody–Waite) with ln2/128 split so that k times
// its high part is exact; e^r − 1 is its Taylor polynomial of degree 5,
// relative error under 1e-18. The table entries are correctly rounded, so
// the result is within one ulp of e^x, like math.Exp's.
const (
	exp64Scale = 184.6649652337873 // 128/ln2
	exp64Ln2Hi = 6.93147180369123816490e-01 / 128
	exp64Ln2Lo = 1.90821492927058770002e-10 / 128
	// Exp64Lim bounds the fast path: inside it 2^(k>>7) is a normal float64.
	Exp64Lim = 708
	exp64C3  = 1.0 / 6
	exp64C4  = 1.0 / 24
	exp64C5  = 1.0 / 120
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

// Exp64 returns e^x within one ulp; below about −708 (where the result is
// subnormal or 0), for ±Inf and for NaN it defers to math.Exp.
func Exp64(x float64) float64 {
	if !(x > -Exp64Lim && x < Exp64Lim) {
		return exp64Slow(x)
	}
	t := x*exp64Scale + exp32Round
	kf := t - exp32Round
	r := (x - kf*exp64Ln2Hi) - kf*exp64Ln2Lo
	m := math.Float64bits(t)
	scale := math.Float64frombits(exp64Tab[m&127] + m<<45)
	return scale + scale*(r+r*r*(0.5+r*(exp64C3+r*(exp64C4+r*exp64C5))))
}

// exp64Slow is Exp64 outside its fast path. From Exp64Lim up to where e^x
// overflows it takes the fast path's steps with the scale halved, then
// doubles the result (exact, or +Inf): math.Exp of amd64 returns +Inf from
// about 709.09 on, where e^x is still finite.
//
//go:noinline
func exp64Slow(x float64) float64 {
	if !(x >= Exp64Lim && x < 709.8) {
		return math.Exp(x)
	}
	t := x*exp64Scale + exp32Round
	kf := t - exp32Round
	r := (x - kf*exp64Ln2Hi) - kf*exp64Ln2Lo
	m := math.Float64bits(t)
	scale := math.Float64frombits(exp64Tab[m&127] + (m-128)<<45) // 2^((m>>7)−1)·2^((m&127)/128)
	return 2 * (scale + scale*(r+r*r*(0.5+r*(exp64C3+r*(exp64C4+r*exp64C5)))))
}

// Acc adds e^(av + src[x] − m[x]) to dst[x] for every x: the inner loop of
// a log-semiring product. src and m must be at least as long as dst.
func Acc[T Float](dst, src, m []T, av T) {
	switch d := any(dst).(type) {
	case []float32:
		Acc32(d, any(src).([]float32), any(m).([]float32), float32(av))
	case []float64:
		Acc64(d, any(src).([]float64), any(m).([]float64), float64(av))
	default:
		for x, bv := range src[:len(dst)] {
			dst[x] += Exp(av + bv - m[x])
		}
	}
}

// Acc32 is Acc for float32.
func Acc32(dst, src, m []float32, av float32) {
	src, m = src[:len(dst)], m[:len(dst)]
	acc32(dst, src, m, av)
}

// Acc64 is Acc for float64.
func Acc64(dst, src, m []float64, av float64) {
	src, m = src[:len(dst)], m[:len(dst)]
	acc64(dst, src, m, av)
}

// AccW adds w[x]·e^(av + src[x] − m[x]) to dst[x] for every x: a weighted
// Acc, the inner loop of a log-semiring product's gradient with respect to
// its right operand. The product is formed as in w[x]*Exp(…), so a weight
// of 0 with an exp of +Inf gives NaN. w, src and m must be at least as long
// as dst.
func AccW[T Float](dst, w, src, m []T, av T) {
	switch d := any(dst).(type) {
	case []float32:
		AccW32(d, any(w).([]float32), any(src).([]float32), any(m).([]float32), float32(av))
	case []float64:
		AccW64(d, any(w).([]float64), any(src).([]float64), any(m).([]float64), float64(av))
	default:
		for x, bv := range src[:len(dst)] {
			dst[x] += w[x] * Exp(av+bv-m[x])
		}
	}
}

// AccW32 is AccW for float32.
func AccW32(dst, w, src, m []float32, av float32) {
	w, src, m = w[:len(dst)], src[:len(dst)], m[:len(dst)]
	accW32(dst, w, src, m, av)
}

// AccW64 is AccW for float64.
func AccW64(dst, w, src, m []float64, av float64) {
	w, src, m = w[:len(dst)], src[:len(dst)], m[:len(dst)]
	accW64(dst, w, src, m, av)
}

// AccWSum is AccW that also returns the sum of the terms it adds, in T's
// precision (in the package doc's order): the inner loop of a log-semiring
// product's gradients with respect to both operands at once, from one exp
// per term.
func AccWSum[T Float](dst, w, src, m []T, av T) T {
	switch d := any(dst).(type) {
	case []float32:
		return T(AccWSum32(d, any(w).([]float32), any(src).([]float32), any(m).([]float32), float32(av)))
	case []float64:
		return T(AccWSum64(d, any(w).([]float64), any(src).([]float64), any(m).([]float64), float64(av)))
	}
	var s T
	for x, bv := range src[:len(dst)] {
		t := w[x] * Exp(av+bv-m[x])
		dst[x] += t
		s += t
	}
	return s
}

// AccWSum32 is AccWSum for float32.
func AccWSum32(dst, w, src, m []float32, av float32) float32 {
	w, src, m = w[:len(dst)], src[:len(dst)], m[:len(dst)]
	return accWSum32(dst, w, src, m, av)
}

// AccWSum64 is AccWSum for float64.
func AccWSum64(dst, w, src, m []float64, av float64) float64 {
	w, src, m = w[:len(dst)], src[:len(dst)], m[:len(dst)]
	return accWSum64(dst, w, src, m, av)
}

// Dot returns Σ_x w[x]·e^(av + src[x] − m[x]), summed in T's precision (in
// the package doc's order, the terms AccWSum adds): the inner loop of a
// log-semiring product's gradient with respect to its left operand. src and
// m must be at least as long as w.
func Dot[T Float](w, src, m []T, av T) T {
	switch ws := any(w).(type) {
	case []float32:
		return T(Dot32(ws, any(src).([]float32), any(m).([]float32), float32(av)))
	case []float64:
		return T(Dot64(ws, any(src).([]float64), any(m).([]float64), float64(av)))
	}
	var s T
	for x, bv := range src[:len(w)] {
		s += w[x] * Exp(av+bv-m[x])
	}
	return s
}

// Dot32 is Dot for float32.
func Dot32(w, src, m []float32, av float32) float32 {
	src, m = src[:len(w)], m[:len(w)]
	return dot32(w, src, m, av)
}

// Dot64 is Dot for float64.
func Dot64(w, src, m []float64, av float64) float64 {
	src, m = src[:len(w)], m[:len(w)]
	return dot64(w, src, m, av)
}

// Shift sets x[i] = e^(x[i] − m) for every i: short Log sums (three terms
// in an alignment step) would otherwise spend more on calls than on exps.
func Shift[T Float](x []T, m T) {
	switch xs := any(x).(type) {
	case []float32:
		Shift32(xs, float32(m))
	case []float64:
		Shift64(xs, float64(m))
	default:
		for i, v := range x {
			x[i] = Exp(v - m)
		}
	}
}

// Shift32 is Shift for float32.
func Shift32(xs []float32, m float32) {
	shift32(xs, m)
}

// Shift64 is Shift for float64.
func Shift64(xs []float64, m float64) {
	shift64(xs, m)
}
