package bandop

import "github.com/genband/genband/internal/fastexp"

// The table exps and the fused loops of the Log kernels live in package
// internal/fastexp, which package genmul shares; these are the names
// bandop's kernels call them by.

// expT returns e^x in the precision of T. Kernels whose inner loop is an exp
// use expAcc instead, where the exp is written out in the loop.
func expT[T float](x T) T { return fastexp.Exp(x) }

// isF32 reports whether T is float32. It is cheap enough to ask per segment
// of an inner loop, not per term.
func isF32[T float](x T) bool { return fastexp.IsF32(x) }

// exp32 returns e^x within one ulp for float32 x (fastexp.Exp32).
func exp32(x float32) float32 { return fastexp.Exp32(x) }

// exp64 returns e^x within one ulp (fastexp.Exp64).
func exp64(x float64) float64 { return fastexp.Exp64(x) }

// expAcc adds e^(av + src[x] − m[x]) to dst[x] for every x: the inner loop of
// a log-semiring product (fastexp.Acc). src and m must be at least as long
// as dst.
func expAcc[T float](dst, src, m []T, av T) { fastexp.Acc(dst, src, m, av) }

// expShift sets x[i] = e^(x[i] − m) for every i, with the table exps
// written out in the loop (fastexp.Shift): the small sums of VecMul and
// MulVec (three terms in an alignment step) would otherwise spend more on
// calls than on exps.
func expShift[T float](x []T, m T) { fastexp.Shift(x, m) }

// log64 is fastexp.Log64, the scan's log of a sum.
func log64(x float64) float64 { return fastexp.Log64(x) }

// logSum is fastexp.LogSum, log64 for sums of at least 1.
func logSum(x float64) float64 { return fastexp.LogSum(x) }
