//go:build race && !asan

package emu

// Go's race detector links a ThreadSanitizer runtime of its own, which
// the emulator's access checks would clash with: they are off.

// #cgo CXXFLAGS: -DGBEMU_NO_CHECKS
import "C"
