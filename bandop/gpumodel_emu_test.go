//go:build !cuda

package bandop

import (
	"os"
	"testing"
)

// TestGPUModelEmu runs the kernels' emulation tests again at realistic
// sizes (n in the hundreds, bands of 33 slots, d = 64) for the emulator's
// GPU memory model (make gpumodel, which sets GBEMU_GPUMODEL): the small
// shapes of the other tests exercise every branch, these weigh the model's
// figures as a real workload would. Skipped unless the model is on (it
// adds minutes of emulation and nothing to correctness).
func TestGPUModelEmu(t *testing.T) {
	if os.Getenv("GBEMU_GPUMODEL") == "" {
		t.Skip("GBEMU_GPUMODEL is not set (make gpumodel)")
	}
	mul, vec, attn, scan, sizes, bands := mxMulShapes, mxVecShapes, attnEmuShapes, scanEmuCases, ewSizes, ewBands
	defer func() {
		mxMulShapes, mxVecShapes, attnEmuShapes, scanEmuCases, ewSizes, ewBands = mul, vec, attn, scan, sizes, bands
	}()
	mxMulShapes = [][6]int{{2, 256, 16, 16, 16, 16}}
	mxVecShapes = [][4]int{{4, 1024, 16, 16}}
	attnEmuShapes = [][5]int{{2, 256, 16, 16, 64}}
	scanEmuCases = []scanEmuCase{{items: 4, steps: 2, n: 512, lower: 16, upper: 16}}
	ewSizes = [][2]int{{4, 512}}
	ewBands = [][2]int{{16, 16}, {8, 24}}
	for name, f := range map[string]func(*testing.T){
		"Mul": TestMulEmu, "VecMul": TestVecMulEmu, "MulDense": TestMulDenseEmu, "Scan": TestScanEmu,
		"Dense": TestDenseEmu, "Plus": TestPlusEmu, "Times": TestTimesEmu, "Shift": TestShiftEmu,
		"Sum": TestSumEmu, "Transpose": TestTransposeEmu, "Gather": TestGatherEmu, "Softmax": TestSoftmaxEmu,
		"BandMul": TestBandMulEmu, "OneBlock": TestEmuOneBlock,
	} {
		t.Run(name, f)
	}
}
