package align

// A linLattice is the linear model's lattice, being replaced by the engine
// (align/internal/lattice): do not add to it. It is the set of cells and moves one batch item's paths may use,
// in grid coordinates: the shared description behind the package's
// cell-by-cell code (paths, their scores and checks, sampling, k-best, the
// expectation dynamic programs), which must agree with the Linear strategy's cells
// in every mode, gap and length.
type linLattice struct {
	mode       Mode
	lenX, lenY int
	lo, hi     int // the allowed offsets j−i
}

// lattice returns the lattice of an item with lengths lenX and lenY, which
// the caller has checked (1 ≤ lenX ≤ N, 1 ≤ lenY ≤ M).
func (m Model) linLattice(lenX, lenY int) linLattice {
	l := linLattice{mode: m.Mode, lenX: lenX, lenY: lenY, lo: -(lenX - 1), hi: lenY - 1}
	if m.Gapped {
		d := 0
		if m.Mode == Global {
			d = lenY - lenX
		}
		l.lo = max(l.lo, min(0, d)-m.MaxGap)
		l.hi = min(l.hi, max(0, d)+m.MaxGap)
	}
	return l
}

// valid reports whether a path may visit cell (i, j).
func (l linLattice) valid(i, j int) bool {
	return i >= 0 && j >= 0 && i < l.lenX && j < l.lenY && j-i >= l.lo && j-i <= l.hi
}

// start reports whether a path may begin at (i, j), scoring θ[i, j, Mid].
func (l linLattice) start(i, j int) bool {
	if !l.valid(i, j) {
		return false
	}
	switch l.mode {
	case Global:
		return i == 0 && j == 0
	case Local:
		return true
	}
	return i == 0 || j == 0
}

// end reports whether a path may finish at (i, j).
func (l linLattice) end(i, j int) bool {
	if !l.valid(i, j) {
		return false
	}
	switch l.mode {
	case Global:
		return i == l.lenX-1 && j == l.lenY-1
	case Local:
		return true
	}
	return i == l.lenX-1 || j == l.lenY-1
}

// moves lists the channels with the step each takes back to the cell it
// enters from: (i, j) is entered through channel c from (i−di, j−dj).
var moves = [3]struct{ di, dj int }{
	FromLeft:  {0, 1},
	FromDiag:  {1, 1},
	FromAbove: {1, 0},
}
