//go:build !cuda

package attention

// callsExtern is false without the cuda build tag: the Ops run their CPU Do.
const callsExtern = false
