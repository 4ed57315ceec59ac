// Package align computes sequence-alignment log-partitions and their
// gradients, the alignment marginals, from banded semiring products of
// package bandop.
//
// Potentials θ have shape (batch, N, M, 3). Channel c of cell (i, j) scores
// how a path enters it: Down (0) from (i, j−1), Mid (1) from (i−1, j−1), Up
// (2) from (i−1, j). A global path runs from (0, 0) to (lenX−1, lenY−1) and
// scores θ[0, 0, Mid] ⊗ the entering potential of every later cell; a local
// path starts at any cell s, scoring θ[s, Mid] there, and ends at any cell.
// log Z is the semiring sum over paths (for Real it is Z itself, for Max the
// best score), and the gradient of Σ log Z with respect to θ is the marginal
// of each move: its posterior probability under Log, the 0/1 best path
// under Max (the first maximal choice on ties).
//
// Both strategies run over the grid rotated by 45°: step t holds the cells
// of anti-diagonal i+j = t, indexed by their offset o = j−i, so that Down
// and Up move one offset and Mid stays on its offset two steps later. One
// step is then a tridiagonal banded matrix A_t (a 7-diagonal one in local
// mode, which adds a start and an end slot per offset), and
//
//	log Z = Σ_⊕ (v₀ ⊗ A_0 ⊗ A_1 ⊗ … ⊗ A_T)
//
// Linear evaluates the product left to right with bandop.VecMul, O(N·M)
// work in N+M sequential steps; LogDepth multiplies neighbouring matrices
// pairwise with batched bandop.Mul, O(log(N+M)) levels of O((N+M)³) work
// without a gap, O(g²·(N+M)) with MaxGap g.
package align

import (
	"fmt"

	"github.com/genband/genband/bandop"
)

// The channels of the last dimension of the potentials.
const (
	Down = 0 // enters (i, j) from (i, j−1)
	Mid  = 1 // enters (i, j) from (i−1, j−1); also the start of a path
	Up   = 2 // enters (i, j) from (i−1, j)
)

// Semirings, for convenience; they are bandop's.
const (
	Real = bandop.Real
	Log  = bandop.Log
	Max  = bandop.Max
)

// Mode chooses which paths are summed.
type Mode int

const (
	// Global paths run from (0, 0) to (lenX−1, lenY−1).
	Global Mode = iota
	// Local paths start at any cell and end at any cell (Smith–Waterman);
	// each is counted once.
	Local
)

func (m Mode) String() string {
	switch m {
	case Global:
		return "Global"
	case Local:
		return "Local"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Strategy chooses how the product of the step matrices is evaluated.
type Strategy int

const (
	// Linear multiplies a vector by one step matrix at a time (bandop.VecMul):
	// O(N·M) work in N+M sequential steps. It is the default: it does the
	// least work, so it is the fastest choice on a CPU at every size.
	Linear Strategy = iota
	// LogDepth multiplies neighbouring step matrices pairwise in a tree of
	// batched bandop.Mul calls: O(log(N+M)) sequential levels, but
	// O((N+M)³) work without a gap. It is a GPU strategy; with MaxGap g its
	// bands stay within 2g+|lenY−lenX|+1 offsets and the work drops to
	// O(g²·(N+M)).
	LogDepth
)

func (s Strategy) String() string {
	switch s {
	case Linear:
		return "Linear"
	case LogDepth:
		return "LogDepth"
	}
	return fmt.Sprintf("Strategy(%d)", int(s))
}

// Model configures an alignment. The zero value is a global Real alignment
// with the Linear strategy and no gap limit; most uses want Semiring Log
// (marginals) or Max (best path).
type Model struct {
	Semiring bandop.Semiring
	Mode     Mode
	Strategy Strategy
	// Gapped enables the band constraint: only cells with
	// min(0, d) − MaxGap ≤ j − i ≤ max(0, d) + MaxGap are allowed, where
	// d = lenY − lenX (d = 0 in local mode). MaxGap must not be negative.
	Gapped bool
	MaxGap int
}

// An Error reports bad input to a function of this package.
type Error struct {
	Op  string // the function, e.g. "LogPartition"
	Msg string // what is wrong
}

func (e *Error) Error() string { return "align." + e.Op + ": " + e.Msg }

func errorf(op, format string, args ...any) error {
	return &Error{Op: op, Msg: fmt.Sprintf(format, args...)}
}

// check returns an error naming op when the configuration is invalid.
func (m Model) check(op string) error {
	if !m.Semiring.Valid() {
		return errorf(op, "unknown semiring %v (want Real, Log or Max)", m.Semiring)
	}
	if m.Mode != Global && m.Mode != Local {
		return errorf(op, "unknown mode %v (want Global or Local)", m.Mode)
	}
	if m.Strategy != Linear && m.Strategy != LogDepth {
		return errorf(op, "unknown strategy %v (want Linear or LogDepth)", m.Strategy)
	}
	if m.MaxGap < 0 {
		return errorf(op, "negative MaxGap %d", m.MaxGap)
	}
	return nil
}

func (m Model) String() string {
	g := "no gap"
	if m.Gapped {
		g = fmt.Sprintf("MaxGap %d", m.MaxGap)
	}
	return fmt.Sprintf("align.Model{%v, %v, %v, %s}", m.Semiring, m.Mode, m.Strategy, g)
}
