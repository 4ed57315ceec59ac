// Command gen writes the emulator's kernel table (zkernels.cc) and the PTX
// translation unit (../kernels/genband.cu) from the kernel sources. It is
// run by `go generate ./cudaops/emu`, in cudaops/emu.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/genband/genband/cudaops/emu/internal/kgen"
)

func main() {
	files, kernels, err := kgen.Generate(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for path, text := range files {
		if err := os.WriteFile(filepath.FromSlash(path), text, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
	fmt.Printf("gen: %d kernels\n", len(kernels))
}
