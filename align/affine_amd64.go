//go:build amd64 && !purego

package align

// affNorm3F32AVX512 is affLogNorm of the first cnt cells of one state of
// three terms (planes of e n apart) into float32 weights
// (affine_amd64.s), cnt a multiple of 16.
//
//go:noescape
func affNorm3F32AVX512(cnt, n int, e *float64, w *float32, per int, sums *float64)
