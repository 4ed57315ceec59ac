package align

import (
	"fmt"

	"github.com/genband/genband/bandop"
	"gorgonia.org/tensor"
)

// The channels of the last dimension of the potentials, named after the
// cell a path comes from when it enters (i, j), with i the row (x) and j
// the column (y).
const (
	FromLeft  = 0 // enters (i, j) from (i, j−1): a gap in x
	FromDiag  = 1 // enters (i, j) from (i−1, j−1); also the start of a path
	FromAbove = 2 // enters (i, j) from (i−1, j): a gap in y
)

// The channels' former names, which read the wrong way round (Down moved
// right, Up moved down).
const (
	// Deprecated: use FromLeft.
	Down = FromLeft
	// Deprecated: use FromDiag.
	Mid = FromDiag
	// Deprecated: use FromAbove.
	Up = FromAbove
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
	// SemiGlobal (overlap) paths start at any cell of the item's first row
	// (i = 0) or first column (j = 0), scoring θ[s, FromDiag] there, and end at
	// any cell of its last row (i = lenX−1) or last column (j = lenY−1):
	// gaps at either end of either sequence are free. Each path is counted
	// once.
	SemiGlobal
)

func (m Mode) String() string {
	switch m {
	case Global:
		return "Global"
	case Local:
		return "Local"
	case SemiGlobal:
		return "SemiGlobal"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Strategy chooses how log Z is evaluated (see the package doc).
type Strategy int

const (
	// Linear is the dynamic program over the cells in one Op, anti-diagonal
	// by anti-diagonal: O(N·M) work, in proportion to the cells within the
	// lengths. It is the default: it does the least work, so it is the
	// fastest choice on a CPU at every size, and it takes the lengths at
	// run time.
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

// Model configures an alignment. The zero value is a global Log alignment
// (log Z, whose gradient is the marginals) with the Linear strategy and no
// gap limit; set Semiring to Max for the best path, or to Real for Z itself.
type Model struct {
	Semiring bandop.Semiring
	Mode     Mode
	Strategy Strategy
	// Gapped enables the band constraint: only cells with
	// min(0, d) − MaxGap ≤ j − i ≤ max(0, d) + MaxGap are allowed, where
	// d = lenY − lenX (d = 0 in local and semi-global mode). MaxGap must
	// not be negative.
	Gapped bool
	MaxGap int
}

// check returns an error naming op when the configuration is invalid.
func (m Model) check(op string) error {
	if !m.Semiring.Valid() {
		return errorf(ErrSemiring, op, "unknown semiring %v (want Real, Log or Max)", m.Semiring)
	}
	if m.Mode != Global && m.Mode != Local && m.Mode != SemiGlobal {
		return errorf(ErrMode, op, "unknown mode %v (want Global, Local or SemiGlobal)", m.Mode)
	}
	if m.Strategy != Linear && m.Strategy != LogDepth {
		return errorf(ErrMode, op, "unknown strategy %v (want Linear or LogDepth)", m.Strategy)
	}
	if m.MaxGap < 0 {
		return errorf(ErrGap, op, "negative MaxGap %d", m.MaxGap)
	}
	return nil
}

// checkShape checks the model and the shape of the potentials (see
// thetaShape) and returns batch, N and M.
func (m Model) checkShape(op string, shape tensor.Shape) (batch, n, mm int, err error) {
	if err := m.check(op); err != nil {
		return 0, 0, 0, err
	}
	return thetaShape(op, "potentials", shape)
}

func (m Model) String() string {
	g := "no gap"
	if m.Gapped {
		g = fmt.Sprintf("MaxGap %d", m.MaxGap)
	}
	return fmt.Sprintf("align.Model{%v, %v, %v, %s}", m.Semiring, m.Mode, m.Strategy, g)
}
