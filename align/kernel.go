package align

// kernelModel returns the model as the kernels of the Linear strategy take
// it (cudaops.AlignCellsForward and the other align launches, used by the
// cuda glue and the emulation tests alike): its mode, whose values are
// cudaops.AlignMode's (0 global, 1 local, 2 semi-global), and its gap,
// MaxGap for a gapped model and −1 for one without a gap.
func (g *grid) kernelModel() (mode, gap int) {
	gap = -1
	if g.m.Gapped {
		gap = g.m.MaxGap
	}
	return int(g.m.Mode), gap
}
