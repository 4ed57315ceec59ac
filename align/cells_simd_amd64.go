//go:build amd64 && !purego

package align

import "golang.org/x/sys/cpu"

// cellsISA is the instruction set of the cells' kernels: the best the
// processor has, chosen once (cpuISA); tests change it. GODEBUG's cpu
// options lower it, as fastexp's: cpu.avx512f=off gives AVX2,
// cpu.avx2=off or cpu.fma=off the Go kernels.
var cellsISA = cpuISA()

// cpuISA returns the best instruction set of the processor for the
// kernels: AVX-512 F and DQ (cells_simd_amd64.s), else AVX2 and FMA
// (cells_simd_avx2_amd64.s), else Go.
func cpuISA() int {
	x := cpu.X86
	switch {
	case x.HasAVX512F && x.HasAVX512DQ:
		return isaAVX512
	case x.HasAVX2 && x.HasFMA:
		return isaAVX2
	}
	return isaGo
}

// The kernels take pointers to the first element of slices that their Go
// callers (cells_simd.go) have checked to hold every element they read
// and write.

//go:noescape
func logTermsF64AVX512(nt, n int, left, above, dg, th *float64, step int, e, mx *float64) (bad bool)

//go:noescape
func logTermsF32AVX512(nt, n int, left, above, dg *float64, th *float32, step int, e, mx *float64) (bad bool)

//go:noescape
func logNormAVX512(nt, n int, e, w *float64, per int, sums *float64)

//go:noescape
func copyNTAVX512(dst, src *byte, n int)

func sfence()

//go:noescape
func prefetchAMD64(p *byte, n int, write bool)

//go:noescape
func addToAVX512(n int, dst, x, y *float64)

//go:noescape
func pullAVX512(n int, gam, da, gd, wd, ga, wa, gl, wl *float64) (fin bool)

//go:noescape
func muF64AVX512(n int, gam, wl, wd, ws, wa, dth *float64, step int)

//go:noescape
func muF32AVX512(n int, gam, wl, wd, ws, wa *float64, dth *float32, step int)

//go:noescape
func logTermsF64AVX2(nt, n int, left, above, dg, th *float64, step int, e, mx *float64) (bad bool)

//go:noescape
func logTermsF32AVX2(nt, n int, left, above, dg *float64, th *float32, step int, e, mx *float64) (bad bool)

//go:noescape
func logNormAVX2(nt, n int, e, w *float64, per int, sums *float64)

//go:noescape
func copyNTAVX2(dst, src *byte, n int)

//go:noescape
func addToAVX2(n int, dst, x, y *float64)

//go:noescape
func pullAVX2(n int, gam, da, gd, wd, ga, wa, gl, wl *float64) (fin bool)

//go:noescape
func muF64AVX2(n int, gam, wl, wd, ws, wa, dth *float64, step int)

//go:noescape
func muF32AVX2(n int, gam, wl, wd, ws, wa *float64, dth *float32, step int)
