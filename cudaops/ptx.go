package cudaops

import (
	_ "embed" // the PTX module
	"regexp"
)

// module is the PTX that nvcc builds from kernels/genband.cu (make ptx). It
// is generated and committed, so that neither a build nor a GPU machine
// needs nvcc; make ptx-check fails when it is stale.
//
//go:embed ptx/genband.ptx
var module string

// Module returns the PTX module of every genband kernel, for compute_70
// and newer (the driver JIT-compiles it for the GPU at hand).
func Module() string { return module }

var entryRE = regexp.MustCompile(`(?m)^\s*\.(?:visible\s+)?\.entry\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(`)

// Kernels returns the entry points of the PTX module Module, in the order
// the PTX declares them. It needs no GPU, so tests can check that every
// kernel a constructor names exists.
func Kernels() []string {
	var names []string
	for _, m := range entryRE.FindAllStringSubmatch(Module(), -1) {
		names = append(names, m[1])
	}
	return names
}
