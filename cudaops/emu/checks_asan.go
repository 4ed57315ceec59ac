//go:build asan

package emu

// Under go test -asan (make sanitize) AddressSanitizer instruments the
// kernels (go test -asan adds -fsanitize=address to the C flags only: the
// C++ flags here say it again) and UndefinedBehaviorSanitizer
// checks them too (among others the bounds of static __shared__ arrays,
// which AddressSanitizer gives no redzones inside templates); the
// emulator's own access checks are off (emu_rt.h).

// #cgo CXXFLAGS: -fsanitize=address,undefined -fno-omit-frame-pointer
// #cgo LDFLAGS: -fsanitize=undefined
import "C"
