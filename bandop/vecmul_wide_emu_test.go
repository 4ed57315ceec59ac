//go:build !cuda

package bandop

import "testing"

// TestVecMulEmuWide runs the VecMul and MulVec emulation tests on wide
// bands, so that every loop of mulvec_fwd's staging makes two trips and
// its barriers pass twice a block (TestKernelCoverage): 41 slots over 256
// rows (whole rows staged in two or three groups of warps) and 301 slots
// (too wide for a warp's rows: 128-byte runs of every row, ten chunks in
// float32).
func TestVecMulEmuWide(t *testing.T) {
	shapes := mxVecShapes
	defer func() { mxVecShapes = shapes }()
	mxVecShapes = [][4]int{{2, 40, 20, 20}, {1, 300, 3, 37}, {1, 40, 150, 150}}
	TestVecMulEmu(t)
}
