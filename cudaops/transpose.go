package cudaops

// TransposeForward is the launch of transpose_fwd: the transpose, band
// (upper, lower), of band storage A with band (lower, upper), fill in the
// padding. Pointers: the transpose, A. With fill 0 and the band swapped it
// is also the backward of Transpose (bandop's transposeOp serves both).
// One thread per output slot.
func TransposeForward(dt Dtype, batch, n, lower, upper int, fill float64) Launch {
	return Linear(KernelName("transpose_fwd", dt), batch*n*(lower+upper+1), denseArgs(batch, n, lower, upper, fill)...)
}
