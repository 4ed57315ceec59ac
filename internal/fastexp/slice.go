package fastexp

// ExpSlice32 sets dst[i] = e^x[i] for every i of dst; x must be at least as
// long as dst and may be dst itself.
func ExpSlice32(dst, x []float32) { expSlice32(dst, x[:len(dst)]) }

// ExpSlice64 sets dst[i] = e^x[i] for every i of dst; x must be at least as
// long as dst and may be dst itself.
func ExpSlice64(dst, x []float64) { expSlice64(dst, x[:len(dst)]) }

// LogSlice64 sets dst[i] = ln x[i] for every i of dst: −Inf for ±0, NaN
// for negatives and NaN, +Inf for +Inf. x must be at least as long as dst
// and may be dst itself.
func LogSlice64(dst, x []float64) { logSlice64(dst, x[:len(dst)]) }

// LSE3 sets dst[i] = ln(e^a[i] + e^b[i] + e^c[i]) for every i of dst, the
// three-term Log sum of an alignment cell: m + ln(1 + e^(l1−m) + e^(l2−m))
// with m the largest term and l1, l2 the others, so that no exp overflows.
// It is NaN where a term is NaN, and m itself where m is ±Inf (−Inf where
// every term is −Inf). a, b and c must be at least as long as dst; any of
// them may be dst.
func LSE3(dst, a, b, c []float64) {
	lse3(dst, a[:len(dst)], b[:len(dst)], c[:len(dst)])
}

// ISA names the instruction set of the loops: "avx512", "avx2" or "go"
// (the pure-Go loops).
func ISA() string {
	switch isa {
	case isaAVX512:
		return "avx512"
	case isaAVX2:
		return "avx2"
	}
	return "go"
}
