//go:build !cgo

package emu

import (
	"errors"
	"fmt"

	"github.com/genband/genband/cudaops"
)

// Without cgo (CGO_ENABLED=0, as in every cross build) there is no
// emulator: the kernels are C++ compiled by g++ through cgo. This file
// keeps the package, and the emulation tests of the packages that import
// it, compiling there (GOARCH=arm64 and 386 vet), and makes every launch an
// error that says why, so that such a test fails loudly rather than passes
// having run nothing.

// errNoCgo is the error of every Run without cgo.
var errNoCgo = fmt.Errorf("emu: built without cgo (CGO_ENABLED=0): the emulator is C++ built through cgo; run the emulation tests with cgo and g++: %w", errors.ErrUnsupported)

// Kernels returns nil: without cgo there are no emulated kernels.
func Kernels() []string { return nil }

// Checked reports false: without cgo nothing is run, so nothing is checked.
func Checked() bool { return false }

// Run returns an error wrapping errors.ErrUnsupported: launches need cgo.
func Run(l cudaops.Launch, bufs ...any) error {
	if err := l.Check(); err != nil {
		return err
	}
	return fmt.Errorf("%s: %w", l.Kernel, errNoCgo)
}
