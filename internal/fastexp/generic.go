package fastexp

import "math"

// The pure-Go loops: the fallback where no vector kernel runs (the purego
// build tag, other architectures, CPUs without AVX2 and FMA), and the
// reference the vector kernels are tested against.

// acc32Generic is Acc32 in pure Go, with Exp32 written out in the loop.
func acc32Generic(dst, src, m []float32, av float32) {
	src, m = src[:len(dst)], m[:len(dst)]
	for i, bv := range src {
		x := av + bv - m[i]
		if !(x > -Exp32Lim && x < Exp32Lim) {
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

// acc64Generic is Acc64 in pure Go, with Exp64 written out in the loop.
func acc64Generic(dst, src, m []float64, av float64) {
	src, m = src[:len(dst)], m[:len(dst)]
	for i, bv := range src {
		x := av + bv - m[i]
		if !(x > -Exp64Lim && x < Exp64Lim) {
			dst[i] += exp64Slow(x)
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

// accW32Generic is AccW32 in pure Go, with Exp32 written out in the loop.
func accW32Generic(dst, w, src, m []float32, av float32) {
	w, src, m = w[:len(dst)], src[:len(dst)], m[:len(dst)]
	for i, bv := range src {
		x := av + bv - m[i]
		if !(x > -Exp32Lim && x < Exp32Lim) {
			dst[i] += w[i] * exp32Slow(x)
			continue
		}
		y := float64(x) * exp32Scale
		t := y + exp32Round
		r := y - (t - exp32Round)
		m := math.Float64bits(t)
		scale := math.Float64frombits(exp32Tab[m&31] + m<<47)
		dst[i] += w[i] * float32(scale*(1+r*(exp32C1+r*(exp32C2+r*exp32C3))))
	}
}

// accW64Generic is AccW64 in pure Go, with Exp64 written out in the loop.
func accW64Generic(dst, w, src, m []float64, av float64) {
	w, src, m = w[:len(dst)], src[:len(dst)], m[:len(dst)]
	for i, bv := range src {
		x := av + bv - m[i]
		if !(x > -Exp64Lim && x < Exp64Lim) {
			dst[i] += w[i] * exp64Slow(x)
			continue
		}
		t := x*exp64Scale + exp32Round
		kf := t - exp32Round
		r := (x - kf*exp64Ln2Hi) - kf*exp64Ln2Lo
		m := math.Float64bits(t)
		scale := math.Float64frombits(exp64Tab[m&127] + m<<45)
		dst[i] += w[i] * (scale + scale*(r+r*r*(0.5+r*(exp64C3+r*(exp64C4+r*exp64C5)))))
	}
}

// accWSum32Generic is AccWSum32 in pure Go, with Exp32 written out in the loop.
func accWSum32Generic(dst, w, src, m []float32, av float32) float32 {
	w, src, m = w[:len(dst)], src[:len(dst)], m[:len(dst)]
	var s float32
	for i, bv := range src {
		x := av + bv - m[i]
		var t float32
		if !(x > -Exp32Lim && x < Exp32Lim) {
			t = w[i] * exp32Slow(x)
		} else {
			y := float64(x) * exp32Scale
			r0 := y + exp32Round
			r := y - (r0 - exp32Round)
			b := math.Float64bits(r0)
			scale := math.Float64frombits(exp32Tab[b&31] + b<<47)
			t = w[i] * float32(scale*(1+r*(exp32C1+r*(exp32C2+r*exp32C3))))
		}
		dst[i] += t
		s += t
	}
	return s
}

// accWSum64Generic is AccWSum64 in pure Go, with Exp64 written out in the loop.
func accWSum64Generic(dst, w, src, m []float64, av float64) float64 {
	w, src, m = w[:len(dst)], src[:len(dst)], m[:len(dst)]
	var s float64
	for i, bv := range src {
		x := av + bv - m[i]
		var t float64
		if !(x > -Exp64Lim && x < Exp64Lim) {
			t = w[i] * exp64Slow(x)
		} else {
			r0 := x*exp64Scale + exp32Round
			kf := r0 - exp32Round
			r := (x - kf*exp64Ln2Hi) - kf*exp64Ln2Lo
			b := math.Float64bits(r0)
			scale := math.Float64frombits(exp64Tab[b&127] + b<<45)
			t = w[i] * (scale + scale*(r+r*r*(0.5+r*(exp64C3+r*(exp64C4+r*exp64C5)))))
		}
		dst[i] += t
		s += t
	}
	return s
}

// dot32Generic is Dot32 in pure Go, with Exp32 written out in the loop.
func dot32Generic(w, src, m []float32, av float32) float32 {
	src, m = src[:len(w)], m[:len(w)]
	var s float32
	for i, bv := range src {
		x := av + bv - m[i]
		if !(x > -Exp32Lim && x < Exp32Lim) {
			s += w[i] * exp32Slow(x)
			continue
		}
		y := float64(x) * exp32Scale
		t := y + exp32Round
		r := y - (t - exp32Round)
		m := math.Float64bits(t)
		scale := math.Float64frombits(exp32Tab[m&31] + m<<47)
		s += w[i] * float32(scale*(1+r*(exp32C1+r*(exp32C2+r*exp32C3))))
	}
	return s
}

// dot64Generic is Dot64 in pure Go, with Exp64 written out in the loop.
func dot64Generic(w, src, m []float64, av float64) float64 {
	src, m = src[:len(w)], m[:len(w)]
	var s float64
	for i, bv := range src {
		x := av + bv - m[i]
		if !(x > -Exp64Lim && x < Exp64Lim) {
			s += w[i] * exp64Slow(x)
			continue
		}
		t := x*exp64Scale + exp32Round
		kf := t - exp32Round
		r := (x - kf*exp64Ln2Hi) - kf*exp64Ln2Lo
		m := math.Float64bits(t)
		scale := math.Float64frombits(exp64Tab[m&127] + m<<45)
		s += w[i] * (scale + scale*(r+r*r*(0.5+r*(exp64C3+r*(exp64C4+r*exp64C5)))))
	}
	return s
}

// shift32Generic is Shift32 in pure Go, with Exp32 written out in the loop.
func shift32Generic(xs []float32, m float32) {
	for i, v := range xs {
		x := v - m
		if !(x > -Exp32Lim && x < Exp32Lim) {
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

// shift64Generic is Shift64 in pure Go, with Exp64 written out in the loop.
func shift64Generic(xs []float64, m float64) {
	for i, v := range xs {
		x := v - m
		if !(x > -Exp64Lim && x < Exp64Lim) {
			xs[i] = exp64Slow(x)
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

// logSumsGeneric is LogSums in pure Go, with LogSum written out in the loop.
func logSumsGeneric(x []float64) {
	for i, v := range x {
		b := math.Float64bits(v)
		k := float64(int(b>>52) - 1023)
		m := math.Float64frombits(b&(1<<52-1) | 1023<<52)
		t := &logSumTab[int((m-1)*512+0.5)]
		r := (m - t.c) * t.inv
		p := r * (1 - r*(0.5-r*(1.0/3-r*(0.25-r*0.2))))
		x[i] = k*log64Ln2Hi + (t.log + (k*log64Ln2Lo + p))
	}
}

// expSlice32Generic is ExpSlice32 in pure Go.
func expSlice32Generic(dst, x []float32) {
	for i, v := range x[:len(dst)] {
		dst[i] = Exp32(v)
	}
}

// expSlice64Generic is ExpSlice64 in pure Go.
func expSlice64Generic(dst, x []float64) {
	for i, v := range x[:len(dst)] {
		dst[i] = Exp64(v)
	}
}

// logSlice64Generic is LogSlice64 in pure Go.
func logSlice64Generic(dst, x []float64) {
	for i, v := range x[:len(dst)] {
		dst[i] = Log64(v)
	}
}

// lse3Generic is LSE3 in pure Go.
func lse3Generic(dst, a, b, c []float64) {
	a, b, c = a[:len(dst)], b[:len(dst)], c[:len(dst)]
	for i := range dst {
		dst[i] = lse3One(a[i], b[i], c[i])
	}
}

// lse3One is ln(e^a + e^b + e^c) as LSE3 takes it.
func lse3One(a, b, c float64) float64 {
	if a != a || b != b || c != c {
		return math.NaN()
	}
	hi, lo1 := max(a, b), min(a, b)
	m, lo2 := max(hi, c), min(hi, c)
	if m-m != 0 {
		return m
	}
	mid, lo := max(lo1, lo2), min(lo1, lo2)
	return m + LogSum(1+(Exp64(lo-m)+Exp64(mid-m)))
}
