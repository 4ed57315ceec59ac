package lattice

// StartCols returns the columns lo … hi of row i (0 ≤ i < LenX) where a
// path may start: for j in Cols(i), Start(i, j) holds just when
// lo ≤ j ≤ hi (never when lo > hi). In every mode the starts of a row,
// and its ends (EndCols), are one run of columns, so that a pass over the
// cells of a row tells them by two comparisons instead of a call of Start
// per cell, which costs the expectation passes a fifth of their time.
// TestRowCols checks both against Start and End.
func (l *Lattice) StartCols(i int) (lo, hi int) {
	lo, hi = l.Cols(i)
	switch l.Mode {
	case Local:
		return lo, hi
	case Global:
		if i != 0 {
			return 1, 0
		}
	default: // SemiGlobal
		if i == 0 {
			return lo, hi
		}
	}
	// Column 0 only, where the band allows it.
	return max(lo, 0), min(hi, 0)
}

// EndCols returns the columns lo … hi of row i (0 ≤ i < LenX) where a
// path may end, as StartCols does for its starts.
func (l *Lattice) EndCols(i int) (lo, hi int) {
	lo, hi = l.Cols(i)
	last := l.LenY - 1
	switch l.Mode {
	case Local:
		return lo, hi
	case Global:
		if i != l.LenX-1 {
			return 1, 0
		}
	default: // SemiGlobal
		if i == l.LenX-1 {
			return lo, hi
		}
	}
	// Column lenY−1 only, where the band allows it.
	return max(lo, last), min(hi, last)
}
