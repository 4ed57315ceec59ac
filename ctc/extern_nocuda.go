//go:build !cuda

package ctc

// callsExtern is false without the cuda build tag: the Ops run their CPU Do.
const callsExtern = false
