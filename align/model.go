package align

import (
	"fmt"

	"github.com/genband/genband/align/internal/lattice"
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

// The channels of the potentials of an affine model (Model.Affine), shape
// (batch, N, M, 5). A cell has three states, how a path entered it: by a
// match (diagonally, or a path's start), by a gap from the left, by a gap
// from above. A move scores the channel of the cell it enters:
// Match for a diagonal move from any state (and a path's first cell),
// ExtendLeft for a move from the left out of a gap from the left and
// OpenLeft out of any other state; likewise from above. A gap is scored
// per position, so position-specific open and extend costs (a gap opening
// next to a motif) need no other layout; a model whose costs do not
// depend on the position broadcasts five numbers.
const (
	Match       = 0 // enters (i, j) from (i−1, j−1), or starts a path there
	OpenLeft    = 1 // enters (i, j) from (i, j−1) out of a match (or a gap from above)
	ExtendLeft  = 2 // enters (i, j) from (i, j−1) out of a gap from the left
	OpenAbove   = 3 // enters (i, j) from (i−1, j) out of a match (or a gap from the left)
	ExtendAbove = 4 // enters (i, j) from (i−1, j) out of a gap from above
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

func (m Mode) String() string { return lattice.Mode(m).String() }

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
	// Affine selects affine gaps (Gotoh): potentials (batch, N, M, 5) with
	// the channels Match … ExtendAbove, so that opening a gap may cost more
	// than extending it. The zero value is linear gaps: (batch, N, M, 3),
	// FromLeft, FromDiag, FromAbove. The LogDepth strategy has linear gaps
	// only (ErrMode).
	Affine bool
	// NoTurns, with Affine, forbids a gap followed directly by a gap of
	// the other direction; by default such a turn is allowed and scored
	// as an opening.
	NoTurns bool
}

// top is the model's lattice topology.
func (m Model) top() *lattice.Topology {
	if m.Affine {
		return lattice.Affine(m.NoTurns)
	}
	return lattice.Linear
}

// Channels is the size of the last dimension of the model's potentials:
// 3, or 5 with Affine.
func (m Model) Channels() int { return m.top().Channels }

// lat returns the lattice of an item with lengths lenX and lenY, which the
// caller has checked (1 ≤ lenX ≤ N, 1 ≤ lenY ≤ M).
func (m Model) lat(lenX, lenY int) *lattice.Lattice {
	return &lattice.Lattice{Item: lattice.NewItem(lattice.Mode(m.Mode), lenX, lenY, m.Gapped, m.MaxGap), Top: m.top()}
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
	if m.NoTurns && !m.Affine {
		return errorf(ErrMode, op, "NoTurns without Affine: linear gaps have no gap states to turn between")
	}
	if m.Affine && m.Strategy == LogDepth {
		return errorf(ErrMode, op, "the LogDepth strategy has linear gaps only; use Linear with Affine")
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
	return m.thetaShape(op, "potentials", shape)
}

func (m Model) String() string {
	g := "no gap"
	if m.Gapped {
		g = fmt.Sprintf("MaxGap %d", m.MaxGap)
	}
	if m.Affine {
		g += ", affine"
		if m.NoTurns {
			g += " without turns"
		}
	}
	return fmt.Sprintf("align.Model{%v, %v, %v, %s}", m.Semiring, m.Mode, m.Strategy, g)
}
