package align

import (
	"math"

	"gorgonia.org/tensor"
)

// The best paths come from a Viterbi pass over one item's lattice, cell by
// cell in row-major order, that keeps the best path prefix ending in every
// cell; the k best paths then come lazily from it (Huang and Chiang 2005,
// "Better k-best parsing", algorithm 3): the r-th best prefix of a cell is
// worked out only when a longer path asks for it, from a small heap of
// candidates per cell, so the k best cost one Viterbi pass plus about
// k·(path length)·log k.
//
// A prefix ending in cell v was last extended by one of four options,
// numbered in the order that breaks ties (see KBest): optLeft (channel
// FromLeft, from (i, j−1)), optStart (the path starts at v), optDiag
// (FromDiag, from (i−1, j−1)), optAbove (FromAbove, from (i−1, j)).
const (
	optLeft = iota
	optStart
	optDiag
	optAbove
	optNone = -1
)

// optChannel is the channel of θ each option scores.
var optChannel = [4]int{FromLeft, FromDiag, FromDiag, FromAbove}

// viterbi is the best prefix ending in every cell of one item: cell
// v = i·lenY + j holds its score (−Inf when no prefix of finite score ends
// there) and the option that made it.
type viterbi struct {
	in    *items
	b     int
	l     lattice
	score []float64
	from  []int8
}

// pred returns the cell that option o of cell (i, j) extends, and whether
// the lattice has it.
func (l lattice) pred(i, j, o int) (int, int, bool) {
	mv := moves[optChannel[o]]
	pi, pj := i-mv.di, j-mv.dj
	return pi, pj, l.valid(pi, pj)
}

// newViterbi runs the Viterbi pass of item b, whose potentials the caller
// has checked (checkFinite).
func newViterbi(in *items, b int, l lattice) *viterbi {
	cells := l.lenX * l.lenY
	v := &viterbi{in: in, b: b, l: l, score: make([]float64, cells), from: make([]int8, cells)}
	ninf := math.Inf(-1)
	ly := l.lenY
	for i := range l.lenX {
		for j := range ly {
			best, from := ninf, int8(optNone)
			if l.valid(i, j) {
				base := ((b*in.n+i)*in.mm + j) * 3
				th := in.th[base : base+3]
				// Options in tie order; a later option wins only by a
				// strictly greater score.
				if j > 0 && l.valid(i, j-1) {
					if s := v.score[i*ly+j-1] + th[FromLeft]; s > best {
						best, from = s, optLeft
					}
				}
				if l.start(i, j) {
					if s := th[FromDiag]; s > best {
						best, from = s, optStart
					}
				}
				if i > 0 && j > 0 && l.valid(i-1, j-1) {
					if s := v.score[(i-1)*ly+j-1] + th[FromDiag]; s > best {
						best, from = s, optDiag
					}
				}
				if i > 0 && l.valid(i-1, j) {
					if s := v.score[(i-1)*ly+j] + th[FromAbove]; s > best {
						best, from = s, optAbove
					}
				}
			}
			v.score[i*ly+j], v.from[i*ly+j] = best, from
		}
	}
	return v
}

// best returns the end cell of the best path (the first in row-major
// order on ties) and its score, or −1 and −Inf when no path has a finite
// score.
func (v *viterbi) best() (int, float64) {
	cell, best := -1, math.Inf(-1)
	for i := range v.l.lenX {
		for j := range v.l.lenY {
			if c := i*v.l.lenY + j; v.l.end(i, j) && v.score[c] > best {
				cell, best = c, v.score[c]
			}
		}
	}
	return cell, best
}

// deriv is the r-th best prefix ending in a cell: its score, its last
// option, and the rank of the prefix it extends in that option's
// predecessor cell.
type deriv struct {
	score float64
	opt   int8
	rank  int32
}

// candidate is a prefix not yet ranked: deriv plus, for the end heap, the
// cell it ends in.
type candidate struct {
	deriv
	cell int32
}

// before is the order of candidates: higher score first, then lower option
// (or end cell), then lower rank.
func before(a, b candidate) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	if a.cell != b.cell {
		return a.cell < b.cell
	}
	if a.opt != b.opt {
		return a.opt < b.opt
	}
	return a.rank < b.rank
}

// heap is a binary min-heap of candidates under before.
type heap []candidate

func (h *heap) push(c candidate) {
	*h = append(*h, c)
	s := *h
	for k := len(s) - 1; k > 0; {
		p := (k - 1) / 2
		if !before(s[k], s[p]) {
			break
		}
		s[k], s[p] = s[p], s[k]
		k = p
	}
}

func (h *heap) pop() candidate {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for k := 0; ; {
		c := 2*k + 1
		if c >= len(s) {
			break
		}
		if c+1 < len(s) && before(s[c+1], s[c]) {
			c++
		}
		if !before(s[c], s[k]) {
			break
		}
		s[k], s[c] = s[c], s[k]
		k = c
	}
	*h = s
	return top
}

// lazy holds the prefixes of rank ≥ 1 worked out so far for the cells a
// k-best search has visited.
type lazy struct {
	*viterbi
	nodes map[int32]*lazyNode
}

type lazyNode struct {
	more []deriv // ranks 1, 2, …
	cand heap
}

// kth returns the r-th best prefix (r = 0 the best) ending in cell c, or
// false when fewer than r+1 prefixes of finite score end there.
func (z *lazy) kth(c int32, r int) (deriv, bool) {
	if r == 0 {
		if z.from[c] == optNone {
			return deriv{}, false
		}
		return deriv{score: z.score[c], opt: z.from[c]}, true
	}
	nd := z.nodes[c]
	if nd == nil {
		if z.from[c] == optNone {
			return deriv{}, false
		}
		nd = &lazyNode{}
		z.nodes[c] = nd
		// The first rank of every option but the best's, and the best's
		// next.
		for o := range 4 {
			if o != int(z.from[c]) {
				z.offer(nd, c, o, 0)
			}
		}
		z.offer(nd, c, int(z.from[c]), 1)
	}
	for len(nd.more) < r {
		if len(nd.cand) == 0 {
			return deriv{}, false
		}
		top := nd.cand.pop()
		nd.more = append(nd.more, top.deriv)
		z.offer(nd, c, int(top.opt), int(top.rank)+1)
	}
	return nd.more[r-1], true
}

// offer pushes onto nd's heap the prefix of cell c that extends the r-th
// best prefix of option o's predecessor, when it exists with a finite
// score.
func (z *lazy) offer(nd *lazyNode, c int32, o, r int) {
	ly := z.l.lenY
	i, j := int(c)/ly, int(c)%ly
	base := ((z.b*z.in.n+i)*z.in.mm + j) * 3
	th := z.in.th[base+optChannel[o]]
	if o == optStart {
		if r == 0 && z.l.start(i, j) && !math.IsInf(th, -1) {
			nd.cand.push(candidate{deriv: deriv{score: th, opt: optStart}})
		}
		return
	}
	pi, pj, ok := z.l.pred(i, j, o)
	if !ok {
		return
	}
	d, ok := z.kth(int32(pi*ly+pj), r)
	if !ok {
		return
	}
	if s := d.score + th; !math.IsInf(s, -1) {
		nd.cand.push(candidate{deriv: deriv{score: s, opt: int8(o), rank: int32(r)}})
	}
}

// path returns the path of the r-th best prefix ending in cell c, which
// exists.
func (z *lazy) path(c int32, r int) Path {
	ly := z.l.lenY
	var rev Path
	for {
		d, _ := z.kth(c, r)
		i, j := int(c)/ly, int(c)%ly
		rev = append(rev, Step{i, j, optChannel[d.opt]})
		if d.opt == optStart {
			break
		}
		pi, pj, _ := z.l.pred(i, j, int(d.opt))
		c, r = int32(pi*ly+pj), int(d.rank)
	}
	p := make(Path, len(rev))
	for k, s := range rev {
		p[len(rev)-1-k] = s
	}
	return p
}

// kbest returns up to k best paths of item b and their scores, in the
// order of KBest.
func (v *viterbi) kbest(k int) ([]Path, []float64) {
	z := &lazy{viterbi: v, nodes: map[int32]*lazyNode{}}
	if k == 1 {
		c, s := v.best()
		if c < 0 {
			return nil, nil
		}
		return []Path{z.path(int32(c), 0)}, []float64{s}
	}
	var ends heap
	for i := range v.l.lenX {
		for j := range v.l.lenY {
			if c := int32(i*v.l.lenY + j); v.l.end(i, j) && v.from[c] != optNone {
				ends = append(ends, candidate{deriv: deriv{score: v.score[c]}, cell: c})
			}
		}
	}
	// Cells were added in row-major order; restore the heap order.
	h := heap(nil)
	for _, e := range ends {
		h.push(e)
	}
	var paths []Path
	var scores []float64
	for len(paths) < k && len(h) > 0 {
		top := h.pop()
		paths = append(paths, z.path(top.cell, int(top.rank)))
		scores = append(scores, top.score)
		if d, ok := z.kth(top.cell, int(top.rank)+1); ok {
			h.push(candidate{deriv: deriv{score: d.score, rank: top.rank + 1}, cell: top.cell})
		}
	}
	return paths, scores
}

// viterbis checks the inputs of BestPaths, KBest and BestMask and runs the
// Viterbi pass of every item.
func (m Model) viterbis(op string, theta *tensor.Dense, lenX, lenY []int) ([]*viterbi, error) {
	if err := m.checkModel(op); err != nil {
		return nil, err
	}
	in, err := newItems(op, theta, lenX, lenY)
	if err != nil {
		return nil, err
	}
	return m.viterbiItems(op, in)
}

func (m Model) viterbiItems(op string, in *items) ([]*viterbi, error) {
	vs := make([]*viterbi, in.batch)
	for b := range in.batch {
		l := m.lattice(in.lenX[b], in.lenY[b])
		if err := in.checkFinite(op, b, l); err != nil {
			return nil, err
		}
		vs[b] = newViterbi(in, b, l)
	}
	return vs, nil
}

// bestPaths is BestPaths.
func (m Model) bestPaths(op string, theta *tensor.Dense, lenX, lenY []int) ([]float64, []Path, error) {
	vs, err := m.viterbis(op, theta, lenX, lenY)
	if err != nil {
		return nil, nil, err
	}
	scores := make([]float64, len(vs))
	paths := make([]Path, len(vs))
	for b, v := range vs {
		p, s := v.kbest(1)
		if len(p) == 0 {
			scores[b] = math.Inf(-1)
			continue
		}
		scores[b], paths[b] = s[0], p[0]
	}
	return scores, paths, nil
}

// KBest returns, for every batch item b, its k best distinct paths under
// theta, (batch, N, M, 3) of Float64 or Float32, and their scores (the sum
// in float64 of the potentials along the path, from first step to last):
// paths[b][r] is the (r+1)-th best path of item b and scores[b][r] its
// score, in order of decreasing score. An item with fewer than k paths of
// finite score gets all of them: a potential of −Inf forbids the move it
// scores. The lengths are as in LogPartition; every mode and MaxGap is
// supported. The semiring and strategy of m are not used: this is the
// Max semiring's k-best, by a Viterbi pass over the item's cells followed
// by a lazy search (Huang and Chiang, 2005) whose cost beyond Viterbi
// grows as k·(path length)·log k. theta is not modified.
//
// Ties are broken deterministically: of two paths of equal score, the
// first is the one whose steps, compared from the last step backwards,
// differ first by a smaller (I, J, Move), where Move counts as
// FromLeft < FromDiag < FromAbove; a path that is a proper suffix of the
// other (one that starts later along the same steps) comes first. BestPaths
// returns the first path of this order.
//
// k must be at least 1. A NaN or +Inf potential that a path of an item
// may use is an error naming the item and the cell.
func (m Model) KBest(theta *tensor.Dense, k int, lenX, lenY []int) ([][]Path, [][]float64, error) {
	const op = "Model.KBest"
	if k < 1 {
		return nil, nil, errorf(op, "k = %d, want at least 1", k)
	}
	vs, err := m.viterbis(op, theta, lenX, lenY)
	if err != nil {
		return nil, nil, err
	}
	paths := make([][]Path, len(vs))
	scores := make([][]float64, len(vs))
	for b, v := range vs {
		paths[b], scores[b] = v.kbest(k)
	}
	return paths, scores, nil
}
