//go:build !cuda

package genmul

// callsExtern is false without the cuda build tag: every Op runs its CPU Do.
const callsExtern = false
