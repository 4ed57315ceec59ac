//go:build !cuda

package genmul

import (
	"os"
	"testing"
)

// TestGPUModelEmu runs the kernels' emulation tests again at a realistic
// size for the emulator's GPU memory model (make gpumodel, which sets
// GBEMU_GPUMODEL): the small shapes of the other tests exercise every
// branch, this one weighs the model's figures as a real workload would.
// Skipped unless the model is on.
func TestGPUModelEmu(t *testing.T) {
	if os.Getenv("GBEMU_GPUMODEL") == "" {
		t.Skip("GBEMU_GPUMODEL is not set (make gpumodel)")
	}
	shapes := emuShapes
	defer func() { emuShapes = shapes }()
	emuShapes = []struct{ batch, n, k, m int }{{2, 128, 64, 128}}
	t.Run("Genmul", TestEmuGenmul)
}
