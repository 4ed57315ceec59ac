//go:build !cuda

package attention

import (
	"os"
	"testing"
)

// TestGPUModelEmu runs the kernels' emulation tests again at a realistic
// size (n = 256, d = 64, a band of 33) for the emulator's GPU memory model
// (make gpumodel, which sets GBEMU_GPUMODEL): the small shapes of the
// other tests exercise every branch, this one weighs the model's figures
// as a real workload would. Skipped unless the model is on.
func TestGPUModelEmu(t *testing.T) {
	if os.Getenv("GBEMU_GPUMODEL") == "" {
		t.Skip("GBEMU_GPUMODEL is not set (make gpumodel)")
	}
	shapes := emuShapes
	defer func() { emuShapes = shapes }()
	emuShapes = emuShapes[:0:0]
	emuShapes = append(emuShapes, shapes[0])
	emuShapes[0].batch, emuShapes[0].n, emuShapes[0].d, emuShapes[0].lower, emuShapes[0].upper, emuShapes[0].lens = 2, 256, 64, 16, 16, nil
	t.Run("Kernels", TestKernelsEmu)
}
