package lattice

import "math"

// Live reports whether some path visits state s of cell (i, j): a path
// prefix reaches it (a start, or a move from a state a prefix reaches) and
// a path suffix leaves it (an end, or a move into a state from which a
// suffix leaves). Every state of every valid cell of the linear model is
// live. The affine model's are not all: no path is in a gap from above in
// row 0, nor, in a global item, in a match at (0, 1); without turns a gap
// from the left in the last column of a global item is a dead end. A
// potential that only such states' options read is one no path uses
// (Used), and the cells must ignore it.
//
// The table is made on the first call, in O(States · cells · options),
// and kept in l.
func (l *Lattice) Live(s, i, j int) bool {
	if !l.Valid(i, j) {
		return false
	}
	if l.live == nil {
		l.live = l.liveTable()
	}
	return l.live[l.Index(s, i, j)]
}

// liveTable is Live of every state: reachability forward, row by row,
// then backward, both over the options whose cells are valid.
func (l *Lattice) liveTable() []bool {
	t := l.Top
	reach := make([]bool, l.Size())
	for i := range l.LenX {
		jlo, jhi := l.Cols(i)
		for j := jlo; j <= jhi; j++ {
			for s, in := range t.In {
				for _, op := range in {
					var ok bool
					if op.Start {
						ok = l.Start(i, j)
					} else if pi, pj := i-op.DI, j-op.DJ; l.Valid(pi, pj) {
						ok = reach[l.Index(op.From, pi, pj)]
					}
					if ok {
						reach[l.Index(s, i, j)] = true
						break
					}
				}
			}
		}
	}
	live := make([]bool, l.Size())
	for i := l.LenX - 1; i >= 0; i-- {
		jlo, jhi := l.Cols(i)
		for j := jhi; j >= jlo; j-- {
			end := l.End(i, j)
			for s, out := range t.Out {
				v := l.Index(s, i, j)
				if !reach[v] {
					continue
				}
				ok := end
				for _, o := range out {
					if ok {
						break
					}
					op := t.In[o.To][o.Opt]
					if ni, nj := i+op.DI, j+op.DJ; l.Valid(ni, nj) {
						ok = live[l.Index(o.To, ni, nj)]
					}
				}
				live[v] = ok
			}
		}
	}
	return live
}

// Clean returns th itself, or, where a potential no path uses (Used) holds
// a value that could still reach a result through IEEE arithmetic (NaN or
// +Inf; under Real also −Inf), a copy of th in buf with those potentials
// set to the semiring's zero, so that a pass which opens every option
// whose source cell is valid computes what the lattice defines. The
// common case, no such value in the item's cells, costs one scan of them
// and no liveness table.
func Clean[T Float](l *Lattice, real bool, th Theta[T], buf *[]T) Theta[T] {
	bad := func(v T) bool { return v != v || float64(v) > maxFloat || (real && float64(v) < -maxFloat) }
	found := false
	for i := 0; i < l.LenX && !found; i++ {
		jlo, jhi := l.Cols(i)
		if jlo > jhi {
			continue
		}
		for _, v := range th.D[(i*th.Width+jlo)*th.Channels : (i*th.Width+jhi+1)*th.Channels] {
			if bad(v) {
				found = true
				break
			}
		}
	}
	if !found {
		return th
	}
	n := l.LenX * th.Width * th.Channels
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	d := (*buf)[:n]
	copy(d, th.D[:n])
	var zero T
	if !real {
		zero = T(math.Inf(-1))
	}
	for i := range l.LenX {
		jlo, jhi := l.Cols(i)
		for j := jlo; j <= jhi; j++ {
			for c := range th.Channels {
				if k := (i*th.Width+j)*th.Channels + c; bad(d[k]) && !l.Used(i, j, c) {
					d[k] = zero
				}
			}
		}
	}
	return Theta[T]{D: d, Width: th.Width, Channels: th.Channels}
}
