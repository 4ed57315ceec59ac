//go:build asan

package emu

// Under go test -asan (make sanitize) AddressSanitizer instruments the
// kernels (go adds -fsanitize=address) and UndefinedBehaviorSanitizer
// checks them too (among others the bounds of static __shared__ arrays,
// which AddressSanitizer gives no redzones inside templates); the
// emulator's own access checks are off (emu_rt.h).

// #cgo CXXFLAGS: -fsanitize=undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
// #cgo LDFLAGS: -fsanitize=undefined
import "C"
