//go:build !cuda

package bandop

import "testing"

// TestMulEmuWide runs the Mul emulation tests with a B wider than one
// stage of mul_bwd_a (81 slots: 64 and 17), so that its staging loop runs
// more than once and its barriers pass more than once a block
// (TestKernelCoverage).
func TestMulEmuWide(t *testing.T) {
	shapes := mxMulShapes
	defer func() { mxMulShapes = shapes }()
	mxMulShapes = [][6]int{{2, 30, 3, 3, 40, 40}}
	TestMulEmu(t)
}
