package cudaops

// ShiftForward is the launch of shift_fwd, the kernel of bandop's Reband,
// RowShift and ColShift Ops and their gradients: C[i, j] = A[i+dr, j+dc]
// for (i, j) in C's band (outLower, outUpper) and (i+dr, j+dc) a valid entry
// of A's band (inLower, inUpper); every other slot of C, padding included,
// gets fill. Pointers: C, A. One thread per slot of C.
func ShiftForward(dt Dtype, batch, n, inLower, inUpper, outLower, outUpper, dr, dc int, fill float64) Launch {
	return flat(KernelName("shift_fwd", dt), batch*n*(outLower+outUpper+1),
		int64(batch), int64(n), int64(inLower), int64(inUpper), int64(outLower), int64(outUpper), int64(dr), int64(dc), fill)
}

// RebandForward is ShiftForward for Reband(lower2, upper2) of a band
// (lower, upper); its gradient is RebandForward back, with fill 0.
func RebandForward(dt Dtype, batch, n, lower, upper, lower2, upper2 int, fill float64) Launch {
	return ShiftForward(dt, batch, n, lower, upper, lower2, upper2, 0, 0, fill)
}

// RowShiftForward is ShiftForward for RowShift(t) of a band (lower, upper):
// C[i, j] = A[i+t, j], band (lower−t, upper+t). Its gradient is
// RowShiftForward(−t) of the band (lower−t, upper+t), with fill 0.
func RowShiftForward(dt Dtype, batch, n, lower, upper, t int, fill float64) Launch {
	return ShiftForward(dt, batch, n, lower, upper, lower-t, upper+t, t, 0, fill)
}

// ColShiftForward is ShiftForward for ColShift(t) of a band (lower, upper):
// C[i, j] = A[i, j+t], band (lower+t, upper−t). Its gradient is
// ColShiftForward(−t) of the band (lower+t, upper−t), with fill 0.
func ColShiftForward(dt Dtype, batch, n, lower, upper, t int, fill float64) Launch {
	return ShiftForward(dt, batch, n, lower, upper, lower+t, upper-t, 0, t, fill)
}
