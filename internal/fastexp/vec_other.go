//go:build !amd64 || purego

package fastexp

// Without vector kernels every loop is its pure-Go version.

const (
	isaGeneric = iota
	isaAVX2
	isaAVX512
)

const isa = isaGeneric

func acc32(dst, src, m []float32, av float32)       { acc32Generic(dst, src, m, av) }
func acc64(dst, src, m []float64, av float64)       { acc64Generic(dst, src, m, av) }
func accW32(dst, w, src, m []float32, av float32)   { accW32Generic(dst, w, src, m, av) }
func accW64(dst, w, src, m []float64, av float64)   { accW64Generic(dst, w, src, m, av) }
func dot32(w, src, m []float32, av float32) float32 { return dot32Generic(w, src, m, av) }
func dot64(w, src, m []float64, av float64) float64 { return dot64Generic(w, src, m, av) }
func shift32(x []float32, m float32)                { shift32Generic(x, m) }
func shift64(x []float64, m float64)                { shift64Generic(x, m) }
func expSlice32(dst, x []float32)                   { expSlice32Generic(dst, x) }
func expSlice64(dst, x []float64)                   { expSlice64Generic(dst, x) }
func logSlice64(dst, x []float64)                   { logSlice64Generic(dst, x) }
func logSums(x []float64)                           { logSumsGeneric(x) }
func lse3(dst, a, b, c []float64)                   { lse3Generic(dst, a, b, c) }

func accWSum32(dst, w, src, m []float32, av float32) float32 {
	return accWSum32Generic(dst, w, src, m, av)
}

func accWSum64(dst, w, src, m []float64, av float64) float64 {
	return accWSum64Generic(dst, w, src, m, av)
}
