//go:build !asan && !race

package emu

// The kernel unit's loads and stores are instrumented for the access
// checks (emu_check.cc is the runtime the instrumentation calls; nothing
// of ThreadSanitizer's is linked).

// #cgo CXXFLAGS: -fsanitize=thread
import "C"
