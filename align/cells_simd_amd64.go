//go:build amd64 && !purego

package align

import "golang.org/x/sys/cpu"

// useAVX512 selects the AVX-512 kernels of cells_simd_amd64.s (AVX-512 F
// and DQ), chosen once; GODEBUG=cpu.avx512f=off turns them off.
var useAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ

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
