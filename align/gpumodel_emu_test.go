//go:build !cuda

package align

import (
	"os"
	"testing"
)

// TestGPUModelEmu runs the cells' and ends' emulation tests again at a
// realistic size (items of 96 × 96 cells) for the emulator's GPU memory
// model (make gpumodel, which sets GBEMU_GPUMODEL): the small shapes of
// the other tests exercise every branch, this one weighs the model's
// figures as a real workload would. Skipped unless the model is on.
func TestGPUModelEmu(t *testing.T) {
	if os.Getenv("GBEMU_GPUMODEL") == "" {
		t.Skip("GBEMU_GPUMODEL is not set (make gpumodel)")
	}
	shapes := emuShapes
	defer func() { emuShapes = shapes }()
	emuShapes = [][3]int{{3, 96, 96}}
	t.Run("Cells", TestEmuCells)
	t.Run("End", TestEmuEnd)
}
