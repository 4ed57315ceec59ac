//go:build !amd64 || purego

package align

// cellsISA is Go: the kernels run in Go.
const cellsISA = isaGo

// The vector kernels' names, never called here.

func logTermsF64AVX512(nt, n int, left, above, dg, th *float64, step int, e, mx *float64) bool {
	panic("unreachable")
}

func logTermsF32AVX512(nt, n int, left, above, dg *float64, th *float32, step int, e, mx *float64) bool {
	panic("unreachable")
}

func logNormAVX512(nt, n int, e, w *float64, per int, sums *float64) { panic("unreachable") }

func copyNTAVX512(dst, src *byte, n int) { panic("unreachable") }

func sfence() { panic("unreachable") }

func prefetchAMD64(p *byte, n int, write bool) { panic("unreachable") }

func addToAVX512(n int, dst, x, y *float64) { panic("unreachable") }

func pullAVX512(n int, gam, da, gd, wd, ga, wa, gl, wl *float64) bool { panic("unreachable") }

func muF64AVX512(n int, gam, wl, wd, ws, wa, dth *float64, step int) { panic("unreachable") }

func muF32AVX512(n int, gam, wl, wd, ws, wa *float64, dth *float32, step int) { panic("unreachable") }

func logTermsF64AVX2(nt, n int, left, above, dg, th *float64, step int, e, mx *float64) bool {
	panic("unreachable")
}

func logTermsF32AVX2(nt, n int, left, above, dg *float64, th *float32, step int, e, mx *float64) bool {
	panic("unreachable")
}

func logNormAVX2(nt, n int, e, w *float64, per int, sums *float64) { panic("unreachable") }

func copyNTAVX2(dst, src *byte, n int) { panic("unreachable") }

func addToAVX2(n int, dst, x, y *float64) { panic("unreachable") }

func pullAVX2(n int, gam, da, gd, wd, ga, wa, gl, wl *float64) bool { panic("unreachable") }

func muF64AVX2(n int, gam, wl, wd, ws, wa, dth *float64, step int) { panic("unreachable") }

func muF32AVX2(n int, gam, wl, wd, ws, wa *float64, dth *float32, step int) { panic("unreachable") }
