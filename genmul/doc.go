// Package genmul holds genbmm's dense batched semiring products as Gorgonia
// Ops: for A of shape (batch, n, k) and B of shape (batch, k, m), float32 or
// float64,
//
//	LogMatMul      C[b,i,j] = log Σ_k exp(A[b,i,k] + B[b,k,j])   (genbmm's logbmm)
//	MaxMatMul      C[b,i,j] = max_k (A[b,i,k] + B[b,k,j])         (maxbmm)
//	SampleMatMul   LogMatMul, with a sampled gradient              (samplebmm)
//	ProdMaxMatMul  C[b,i,j] = max_k A[b,i,k]·B[b,k,j]             (prodmaxbmm)
//
// Each exists as an eager function on *tensor.Dense (LogMatMul, …, with
// gradients by LogMatMulGrad, …) and as a graph function on
// *gorgonia.Node (LogMatMulNode, …) whose Op has a symbolic gradient, so
// that gorgonia.Grad differentiates programs built from them. The eager
// functions accept views (slices of other tensors) and tensors whose
// transpose is still pending (t.T()): each is read as its materialized,
// row-major value, and no operand is ever modified.
//
// Gradients. LogMatMul's gradient weighs dC by the softmax over k; its
// gradient Op is itself differentiable, for second derivatives
// (LogMatMulGradNode). MaxMatMul's and ProdMaxMatMul's send each output's
// dC to the first maximal k. SampleMatMul's sends it to one k drawn from
// the softmax, the same k for A and B, from a seeded random source the
// caller supplies (a math/rand/v2 Source); its expectation is LogMatMul's gradient.
//
// −Inf is the zero of the log and max semirings: an output whose terms are
// all −Inf is −Inf and passes no gradient (0, never NaN). A NaN term makes
// its output NaN.
//
// Kernels. No (batch, n, k, m) intermediate is ever stored: the CPU
// kernels work on tiles of the output, with inner loops over contiguous
// rows of B, on every core (GOMAXPROCS); LogMatMul's sums use the vector
// exp of package internal/fastexp (which bandop and align use too), one exp
// per inner term, each sum shifted by a bound on its terms (the largest
// entry of A's row plus that of B's column; an output whose terms lie far
// below it is summed again shifted by its own largest term), and its
// gradients with respect to A and B come from one exp per inner term for
// both. Results do not depend on the scheduling (the same bits on every run). Under the
// build tag cuda every Op also runs on the GPU (CUDADo), through the
// kernels of cudaops/kernels/genmul.cu.
//
// Bad input (a nil operand, a rank other than 3, mismatched batch or inner
// sizes, mismatched or unsupported dtypes, sizes that overflow) returns an
// *Error naming the operation and the problem. No input is ever modified.
package genmul
