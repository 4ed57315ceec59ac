package cudaops

// FromDenseForward is the launch of fromdense_fwd: band storage (batch, n,
// lower+upper+1) of the dense matrices D (batch, n, n), fill in the
// padding. Pointers: the band storage, D. With fill 0 it is also the
// backward of ToDense. One thread per band slot.
func FromDenseForward(dt Dtype, batch, n, lower, upper int, fill float64) Launch {
	return flat(KernelName("fromdense_fwd", dt), batch*n*(lower+upper+1), denseArgs(batch, n, lower, upper, fill)...)
}

// ToDenseForward is the launch of todense_fwd: the dense matrices (batch,
// n, n) of band storage A with band (lower, upper), fill outside the band.
// Pointers: the dense matrices, A. With fill 0 it is also the backward of
// FromDense. One thread per dense entry.
func ToDenseForward(dt Dtype, batch, n, lower, upper int, fill float64) Launch {
	return flat(KernelName("todense_fwd", dt), batch*n*n, denseArgs(batch, n, lower, upper, fill)...)
}

// denseArgs are the scalars of the dense conversion and transpose kernels.
func denseArgs(batch, n, lower, upper int, fill float64) []any {
	return []any{int64(batch), int64(n), int64(lower), int64(upper), fill}
}
