//go:build !cuda

package align

// callsExtern is false without the cuda build tag: every Op runs its CPU Do.
const callsExtern = false
