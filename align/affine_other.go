//go:build !amd64 || purego

package align

// affNorm3F32AVX512 is never called here (cellsISA is Go).
func affNorm3F32AVX512(cnt, n int, e *float64, w *float32, per int, sums *float64) {
	panic("unreachable")
}

// pullF32AVX512 is never called here (cellsISA is Go).
func pullF32AVX512(n int, gam, da, gd *float64, wd *float32, ga *float64, wa *float32, gl *float64, wl *float32) bool {
	panic("unreachable")
}
