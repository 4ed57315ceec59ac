package lattice

// A Step is one cell of a path and the channel it scores there.
type Step struct{ I, J, C int }

// Enumerate calls fn with every path of l, in no promised order; fn must
// not keep the slice, which is reused. The count is exponential in the
// lengths: it is the brute-force oracle of the tests, for items of a few
// cells a side.
func Enumerate(l *Lattice, fn func(p []Step)) {
	var p []Step
	var walk func(s, i, j int)
	// walk extends the prefix p, which ends in state s of (i, j).
	walk = func(s, i, j int) {
		if l.End(i, j) {
			fn(p)
		}
		for _, o := range l.Top.Out[s] {
			op := l.Top.In[o.To][o.Opt]
			ni, nj := i+op.DI, j+op.DJ
			if !l.Valid(ni, nj) {
				continue
			}
			p = append(p, Step{ni, nj, op.Channel})
			walk(o.To, ni, nj)
			p = p[:len(p)-1]
		}
	}
	for i := range l.LenX {
		jlo, jhi := l.Cols(i)
		for j := jlo; j <= jhi; j++ {
			if l.Start(i, j) {
				p = append(p[:0], Step{i, j, l.Top.StartChannel})
				walk(l.Top.StartState, i, j)
			}
		}
	}
}
