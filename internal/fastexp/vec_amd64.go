//go:build amd64 && !purego

package fastexp

//go:generate go run -C internal/asmgen . -out ../../vec_amd64.s -stubs ../../vec_decl_amd64.go -pkg fastexp

import "golang.org/x/sys/cpu"

// The instruction sets of the vector kernels, best last.
const (
	isaGeneric = iota
	isaAVX2    // AVX2 and FMA
	isaAVX512  // AVX-512 F and DQ, and BMI2
)

// isa is the best instruction set of the CPU, chosen once. GODEBUG's cpu
// options lower it: cpu.avx512f=off gives AVX2, cpu.avx2=off or
// cpu.fma=off the pure-Go loops.
var isa = func() int {
	x := cpu.X86
	switch {
	case !x.HasAVX2 || !x.HasFMA:
		return isaGeneric
	case x.HasAVX512F && x.HasAVX512DQ && x.HasBMI2:
		return isaAVX512
	}
	return isaAVX2
}()

// vecMin is the shortest slice the kernels take: below it a call's setup
// (and, for data just stored by scalar code, a load that cannot be
// forwarded from the stores) costs more than the pure-Go loop's exps.
const vecMin = 4

func acc32(dst, src, m []float32, av float32) {
	switch {
	case len(dst) >= vecMin && isa == isaAVX512:
		acc32AVX512(&dst[0], &src[0], &m[0], len(dst), av)
	case len(dst) >= vecMin && isa == isaAVX2:
		acc32AVX2(&dst[0], &src[0], &m[0], len(dst), av)
	default:
		acc32Generic(dst, src, m, av)
	}
}

func acc64(dst, src, m []float64, av float64) {
	switch {
	case len(dst) >= vecMin && isa == isaAVX512:
		acc64AVX512(&dst[0], &src[0], &m[0], len(dst), av)
	case len(dst) >= vecMin && isa == isaAVX2:
		acc64AVX2(&dst[0], &src[0], &m[0], len(dst), av)
	default:
		acc64Generic(dst, src, m, av)
	}
}

func accW32(dst, w, src, m []float32, av float32) {
	switch {
	case len(dst) >= vecMin && isa == isaAVX512:
		accW32AVX512(&dst[0], &w[0], &src[0], &m[0], len(dst), av)
	case len(dst) >= vecMin && isa == isaAVX2:
		accW32AVX2(&dst[0], &w[0], &src[0], &m[0], len(dst), av)
	default:
		accW32Generic(dst, w, src, m, av)
	}
}

func accW64(dst, w, src, m []float64, av float64) {
	switch {
	case len(dst) >= vecMin && isa == isaAVX512:
		accW64AVX512(&dst[0], &w[0], &src[0], &m[0], len(dst), av)
	case len(dst) >= vecMin && isa == isaAVX2:
		accW64AVX2(&dst[0], &w[0], &src[0], &m[0], len(dst), av)
	default:
		accW64Generic(dst, w, src, m, av)
	}
}

func accWSum32(dst, w, src, m []float32, av float32) float32 {
	switch {
	case len(dst) >= vecMin && isa == isaAVX512:
		return accWSum32AVX512(&dst[0], &w[0], &src[0], &m[0], len(dst), av)
	case len(dst) >= vecMin && isa == isaAVX2:
		return accWSum32AVX2(&dst[0], &w[0], &src[0], &m[0], len(dst), av)
	}
	return accWSum32Generic(dst, w, src, m, av)
}

func accWSum64(dst, w, src, m []float64, av float64) float64 {
	switch {
	case len(dst) >= vecMin && isa == isaAVX512:
		return accWSum64AVX512(&dst[0], &w[0], &src[0], &m[0], len(dst), av)
	case len(dst) >= vecMin && isa == isaAVX2:
		return accWSum64AVX2(&dst[0], &w[0], &src[0], &m[0], len(dst), av)
	}
	return accWSum64Generic(dst, w, src, m, av)
}

func dot32(w, src, m []float32, av float32) float32 {
	switch {
	case len(w) >= vecMin && isa == isaAVX512:
		return dot32AVX512(&w[0], &src[0], &m[0], len(w), av)
	case len(w) >= vecMin && isa == isaAVX2:
		return dot32AVX2(&w[0], &src[0], &m[0], len(w), av)
	}
	return dot32Generic(w, src, m, av)
}

func dot64(w, src, m []float64, av float64) float64 {
	switch {
	case len(w) >= vecMin && isa == isaAVX512:
		return dot64AVX512(&w[0], &src[0], &m[0], len(w), av)
	case len(w) >= vecMin && isa == isaAVX2:
		return dot64AVX2(&w[0], &src[0], &m[0], len(w), av)
	}
	return dot64Generic(w, src, m, av)
}

func shift32(x []float32, m float32) {
	switch {
	case len(x) >= vecMin && isa == isaAVX512:
		shift32AVX512(&x[0], len(x), m)
	case len(x) >= vecMin && isa == isaAVX2:
		shift32AVX2(&x[0], len(x), m)
	default:
		shift32Generic(x, m)
	}
}

func shift64(x []float64, m float64) {
	switch {
	case len(x) >= vecMin && isa == isaAVX512:
		shift64AVX512(&x[0], len(x), m)
	case len(x) >= vecMin && isa == isaAVX2:
		shift64AVX2(&x[0], len(x), m)
	default:
		shift64Generic(x, m)
	}
}

func expSlice32(dst, x []float32) {
	switch {
	case len(dst) >= vecMin && isa == isaAVX512:
		exp32AVX512(&dst[0], &x[0], len(dst))
	case len(dst) >= vecMin && isa == isaAVX2:
		exp32AVX2(&dst[0], &x[0], len(dst))
	default:
		expSlice32Generic(dst, x)
	}
}

func expSlice64(dst, x []float64) {
	switch {
	case len(dst) >= vecMin && isa == isaAVX512:
		exp64AVX512(&dst[0], &x[0], len(dst))
	case len(dst) >= vecMin && isa == isaAVX2:
		exp64AVX2(&dst[0], &x[0], len(dst))
	default:
		expSlice64Generic(dst, x)
	}
}

func logSlice64(dst, x []float64) {
	switch {
	case len(dst) >= vecMin && isa == isaAVX512:
		log64AVX512(&dst[0], &x[0], len(dst))
	case len(dst) >= vecMin && isa == isaAVX2:
		log64AVX2(&dst[0], &x[0], len(dst))
	default:
		logSlice64Generic(dst, x)
	}
}

// logSums is LogSums: the vector log where there is one (right for every
// x, in place), LogSum's loop otherwise.
func logSums(x []float64) {
	switch {
	case len(x) >= vecMin && isa == isaAVX512:
		log64AVX512(&x[0], &x[0], len(x))
	case len(x) >= vecMin && isa == isaAVX2:
		log64AVX2(&x[0], &x[0], len(x))
	default:
		logSumsGeneric(x)
	}
}

func lse3(dst, a, b, c []float64) {
	switch {
	case len(dst) >= vecMin && isa == isaAVX512:
		lse3AVX512(&dst[0], &a[0], &b[0], &c[0], len(dst))
	case len(dst) >= vecMin && isa == isaAVX2:
		lse3AVX2(&dst[0], &a[0], &b[0], &c[0], len(dst))
	default:
		lse3Generic(dst, a, b, c)
	}
}
