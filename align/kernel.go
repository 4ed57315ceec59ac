package align

// kernelModel returns the model as the kernels of the Linear strategy take
// it (cudaops.AlignLayoutForward and the other align launches, used by the
// cuda glue and the emulation tests alike): whether it is local, and its
// gap, MaxGap for a gapped model and −1 for one without a gap.
func (g *grid) kernelModel() (local bool, gap int) {
	gap = -1
	if g.m.Gapped {
		gap = g.m.MaxGap
	}
	return g.m.Mode == Local, gap
}
