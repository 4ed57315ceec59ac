package bandop

// RowShift returns C with C[i, j] = A[i+t, j] (the fill where i+t is not a
// row), band (Lower−t, Upper+t), a's fill. In band storage it moves whole
// rows. genbmm has no row shift of its own: this is
// its transpose().col_shift(t).transpose().
func (a *Banded) RowShift(t int) (*Banded, error) {
	const op = "RowShift"
	in, err := a.operand(op, "A")
	if err != nil {
		return nil, err
	}
	s, err := rowShift(op, in, t)
	if err != nil {
		return nil, err
	}
	return shiftEager(a, s), nil
}

// RowShift adds a.RowShift(t) to the graph. Its gradient is the RowShift
// by −t of the incoming gradient, with fill 0.
func RowShift(a *Node, t int) (*Node, error) {
	const op = "RowShift"
	in, err := a.layout(op, "A")
	if err != nil {
		return nil, err
	}
	s, err := rowShift(op, in, t)
	if err != nil {
		return nil, err
	}
	return shiftGraph(op, a, s)
}

func rowShift(op string, in layout, t int) (shift, error) {
	l, u, err := shiftedBand(op, t, in.lower, -t, in.upper, t)
	if err != nil {
		return shift{}, err
	}
	return shift{in: in, out: withBand(in, l, u), dr: t}, nil
}
