package bandop

// ColShift returns C with C[i, j] = A[i, j+t] (the fill where j+t is not a
// column), band (Lower+t, Upper−t), a's fill: genbmm's col_shift. In band
// storage it keeps every slot and only moves the padding.
func (a *Banded) ColShift(t int) (*Banded, error) {
	const op = "ColShift"
	in, err := a.operand(op, "A")
	if err != nil {
		return nil, err
	}
	s, err := colShift(op, in, t)
	if err != nil {
		return nil, err
	}
	return shiftEager(a, s), nil
}

// ColShift adds a.ColShift(t) to the graph. Its gradient is the ColShift
// by −t of the incoming gradient, with fill 0.
func ColShift(a *Node, t int) (*Node, error) {
	const op = "ColShift"
	in, err := a.layout(op, "A")
	if err != nil {
		return nil, err
	}
	s, err := colShift(op, in, t)
	if err != nil {
		return nil, err
	}
	return shiftGraph(op, a, s)
}

func colShift(op string, in layout, t int) (shift, error) {
	l, u, err := shiftedBand(op, t, in.lower, t, in.upper, -t)
	if err != nil {
		return shift{}, err
	}
	return shift{in: in, out: withBand(in, l, u), dc: t}, nil
}
