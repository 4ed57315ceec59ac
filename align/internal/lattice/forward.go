package lattice

import (
	"math"

	"github.com/genband/genband/bandop"
	"github.com/genband/genband/internal/fastexp"
)

// Float is the element type of potentials.
type Float interface{ ~float32 | ~float64 }

// Theta is one item's potentials: channel c of cell (i, j) at
// D[(i·Width + j)·Channels + c], Width ≥ the item's LenY (the grid's M).
type Theta[T Float] struct {
	D        []T
	Width    int
	Channels int
}

// At returns channel c of cell (i, j) in float64.
func (th Theta[T]) At(i, j, c int) float64 { return float64(th.D[(i*th.Width+j)*th.Channels+c]) }

// Zero is the semiring's ⊕ identity: what a state no path reaches holds.
func Zero(sr bandop.Semiring) float64 {
	if sr == bandop.Real {
		return 0
	}
	return math.Inf(-1)
}

// Term returns the value of option o of state s at the valid cell (i, j):
// a[its source] ⊗ θ[i, j, channel] for a move, θ[i, j, channel] for a
// start, and Zero where the option is not open (see Pred).
func Term[T Float](l *Lattice, sr bandop.Semiring, th Theta[T], a []float64, s, o, i, j int) float64 {
	ps, pi, pj, ok := l.Pred(s, o, i, j)
	if !ok {
		return Zero(sr)
	}
	v := th.At(i, j, l.Top.In[s][o].Channel)
	if ps < 0 {
		return v
	}
	if sr == bandop.Real {
		return a[l.Index(ps, pi, pj)] * v
	}
	return a[l.Index(ps, pi, pj)] + v
}

// Forward sets a[l.Index(s, i, j)], for every state of every cell, to the
// ⊕ over the path prefixes ending in state s of (i, j) of their ⊗-scores:
// log Σ exp (Log), max (Max) or Σ Π (Real). Cells outside the band get
// Zero. a has l.Size() elements. It is the reference DP, a state and an
// option at a time, in float64 whatever T: the cells Ops' kernels are
// checked against it. Like them it reads θ through Clean, so a potential
// no path uses changes nothing; and like them it opens every option whose
// source cell is valid (Pred), so a +Inf that a path uses may give NaN
// where a move out of a state no path reaches reads it too (the affine
// model's Match).
func Forward[T Float](l *Lattice, sr bandop.Semiring, th Theta[T], a []float64) {
	th = Clean(l, sr == bandop.Real, th, new([]T))
	z := Zero(sr)
	for k := range a[:l.Size()] {
		a[k] = z
	}
	terms := make([]float64, l.Top.MaxOptions())
	for i := range l.LenX {
		jlo, jhi := l.Cols(i)
		for j := jlo; j <= jhi; j++ {
			for s, in := range l.Top.In {
				t := terms[:len(in)]
				for o := range in {
					t[o] = Term(l, sr, th, a, s, o, i, j)
				}
				a[l.Index(s, i, j)] = Plus(sr, t)
			}
		}
	}
}

// Plus returns the ⊕ of t: log Σ exp t (shifted by the largest; NaN if any
// is NaN, +Inf if any is +Inf and none NaN), max (NaN if any is NaN), or
// the sum.
func Plus(sr bandop.Semiring, t []float64) float64 {
	switch sr {
	case bandop.Real:
		var s float64
		for _, v := range t {
			s += v
		}
		return s
	case bandop.Max:
		m := math.Inf(-1)
		for _, v := range t {
			if v != v {
				return v
			}
			m = max(m, v)
		}
		return m
	}
	m := math.Inf(-1)
	for _, v := range t {
		if v != v {
			return v
		}
		m = max(m, v)
	}
	if math.IsInf(m, 0) {
		return m
	}
	var s float64
	for _, v := range t {
		s += fastexp.Exp64(v - m)
	}
	return m + fastexp.Log64(s)
}

// Total returns the ⊕ of a over the item's end states: log Z, the best
// score or Z.
func Total(l *Lattice, sr bandop.Semiring, a []float64) float64 {
	var t []float64
	l.Ends(func(s, i, j int) { t = append(t, a[l.Index(s, i, j)]) })
	return Plus(sr, t)
}

// Backward sets b[l.Index(s, i, j)] to the ⊕ over the path suffixes that
// leave state s of (i, j) of their ⊗-scores, not counting θ of (i, j)
// itself: One (0 in Log and Max, 1 in Real) for an end, ⊕ the options
// that leave s for a neighbouring cell. So a[v] ⊗ b[v] is the ⊕ over the
// paths through v, and Total(a) = ⊕ over starts of θ ⊗ b.
func Backward[T Float](l *Lattice, sr bandop.Semiring, th Theta[T], b []float64) {
	th = Clean(l, sr == bandop.Real, th, new([]T))
	z := Zero(sr)
	one := 0.0
	if sr == bandop.Real {
		one = 1
	}
	for k := range b[:l.Size()] {
		b[k] = z
	}
	t := make([]float64, 0, 8)
	for i := l.LenX - 1; i >= 0; i-- {
		jlo, jhi := l.Cols(i)
		for j := jhi; j >= jlo; j-- {
			end := l.End(i, j)
			for s, out := range l.Top.Out {
				t = t[:0]
				if end {
					t = append(t, one)
				}
				for _, o := range out {
					op := l.Top.In[o.To][o.Opt]
					ni, nj := i+op.DI, j+op.DJ
					if !l.Valid(ni, nj) {
						continue
					}
					v, w := th.At(ni, nj, op.Channel), b[l.Index(o.To, ni, nj)]
					if sr == bandop.Real {
						t = append(t, v*w)
					} else {
						t = append(t, v+w)
					}
				}
				b[l.Index(s, i, j)] = Plus(sr, t)
			}
		}
	}
}

// Marginals adds to mu, laid out as Theta (Width, Channels), the
// derivative of the total with respect to every potential: for Log,
// d log Z / dθ, the expected number of times a path reads it; for Real,
// dZ/dθ. a and b are Forward's and Backward's tables and total Total(a).
// Max has no such derivative here (its gradient picks one best path, which
// the k-best code gives); Marginals does nothing for it.
func Marginals[T Float](l *Lattice, sr bandop.Semiring, th Theta[T], a, b []float64, total float64, mu []float64) {
	if sr == bandop.Max {
		return
	}
	th = Clean(l, sr == bandop.Real, th, new([]T))
	for i := range l.LenX {
		jlo, jhi := l.Cols(i)
		for j := jlo; j <= jhi; j++ {
			for s, in := range l.Top.In {
				bs := b[l.Index(s, i, j)]
				for o, op := range in {
					ps, pi, pj, ok := l.Pred(s, o, i, j)
					if !ok {
						continue
					}
					k := (i*th.Width+j)*th.Channels + op.Channel
					if sr == bandop.Real {
						src := 1.0
						if ps >= 0 {
							src = a[l.Index(ps, pi, pj)]
						}
						mu[k] += src * bs
						continue
					}
					src := 0.0
					if ps >= 0 {
						src = a[l.Index(ps, pi, pj)]
					}
					if w := src + th.At(i, j, op.Channel) + bs - total; w > math.Inf(-1) {
						mu[k] += math.Exp(w)
					}
				}
			}
		}
	}
}
