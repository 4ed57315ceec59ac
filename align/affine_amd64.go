//go:build amd64 && !purego

package align

// affNorm3F32AVX512 is affLogNorm of the first cnt cells of one state of
// three terms (planes of e n apart) into float32 weights
// (affine_amd64.s), cnt a multiple of 16.
//
//go:noescape
func affNorm3F32AVX512(cnt, n int, e *float64, w *float32, per int, sums *float64)

// pullF32AVX512 is γ = da + gd·wd + ga·wa + gl·wl for n cells, n a
// multiple of 8, the weights float32 (affine_amd64.s); it reports whether
// every γ is finite.
//
//go:noescape
func pullF32AVX512(n int, gam, da, gd *float64, wd *float32, ga *float64, wa *float32, gl *float64, wl *float32) (fin bool)
