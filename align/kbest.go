package align

import (
	"math"

	"github.com/genband/genband/align/internal/lattice"
	"gorgonia.org/tensor"
)

// The best paths come from a Viterbi pass over one item's lattice that
// keeps the best path prefix ending in every node, a state of a cell (the
// linear model has one state a cell, the affine three), cell by cell in
// row-major order; the k best paths then come lazily from it (Huang and
// Chiang 2005, "Better k-best parsing", algorithm 3): the r-th best prefix
// of a node is worked out only when a longer path asks for it, from a
// small heap of candidates per node, so the k best cost one Viterbi pass
// plus about k·(path length)·log k.
//
// A prefix ending in node v = (s, i, j) was last extended by one of the
// options into state s (lattice.Topology.In[s]), numbered in the order
// that breaks ties (see KBest): a move from a node of a neighbouring cell,
// or the start of the path at (i, j). Nodes are numbered cell-major,
// v = (i·lenY + j)·States + s, so that their order is the order of
// (I, J, state).

// optNone marks a node no prefix of finite score ends in.
const optNone = -1

// maxOptions bounds the options into one state of any topology
// (Topology.MaxOptions), the size of a lazyNode's candidate slots.
const maxOptions = 4

// viterbi is the best prefix ending in every node of one item: node v
// holds its score (−Inf when no prefix of finite score ends there) and the
// option that made it.
type viterbi struct {
	in    *items
	b     int
	l     *lattice.Lattice
	score []float64
	from  []int8
}

// node returns the number of state s of cell (i, j).
func (v *viterbi) node(s, i, j int) int { return (i*v.l.LenY+j)*v.l.Top.States + s }

// unnode returns the state and the cell of node c.
func (v *viterbi) unnode(c int32) (s, i, j int) {
	ns := v.l.Top.States
	cell := int(c) / ns
	return int(c) % ns, cell / v.l.LenY, cell % v.l.LenY
}

// pred returns the node that option o of state s at the valid cell (i, j)
// extends, and whether the lattice has it (false for a start).
func (v *viterbi) pred(s, o, i, j int) (int32, bool) {
	op := v.l.Top.In[s][o]
	if op.Start {
		return 0, false
	}
	pi, pj := i-op.DI, j-op.DJ
	return int32(v.node(op.From, pi, pj)), v.l.Valid(pi, pj)
}

// newViterbi runs the Viterbi pass of item b, whose potentials the caller
// has checked (checkFinite).
func newViterbi(in *items, b int, l *lattice.Lattice) *viterbi {
	top := l.Top
	ns, ly, nc := top.States, l.LenY, in.nc
	nodes := l.LenX * ly * ns
	v := &viterbi{in: in, b: b, l: l, score: make([]float64, nodes), from: make([]int8, nodes)}
	ninf := math.Inf(-1)
	for k := range v.score {
		v.score[k], v.from[k] = ninf, optNone
	}
	// Every move's source node is a fixed distance back from the node it
	// enters: back = (DI·lenY + DJ)·States + s − From.
	type move struct {
		start      bool
		di, dj, ch int
		back       int
	}
	opts := make([][]move, ns)
	for s, in := range top.In {
		for _, op := range in {
			opts[s] = append(opts[s], move{op.Start, op.DI, op.DJ, op.Channel, (op.DI*ly+op.DJ)*ns + s - op.From})
		}
	}
	for i := range l.LenX {
		jlo, jhi := l.Cols(i)
		base := (b*in.n + i) * in.mm * nc
		for j := jlo; j <= jhi; j++ {
			th := in.th[base+nc*j : base+nc*(j+1)]
			c := (i*ly + j) * ns
			for s, ops := range opts {
				best, from := ninf, int8(optNone)
				// Options in tie order; a later option wins only by a
				// strictly greater score. A potential is read only where
				// its option is open, so one that checkFinite let pass
				// (NaN, +Inf no path may use) is never read.
				for o := range ops {
					op := &ops[o]
					var x float64
					if op.start {
						if !l.Start(i, j) {
							continue
						}
						x = th[op.ch]
					} else {
						// (i, j) is valid: its source is unless it leaves
						// the grid or the band.
						pi, pj := i-op.di, j-op.dj
						if pi < 0 || pj < 0 || pj-pi < l.Lo || pj-pi > l.Hi {
							continue
						}
						x = v.score[c+s-op.back] + th[op.ch]
					}
					if x > best {
						best, from = x, int8(o)
					}
				}
				v.score[c+s], v.from[c+s] = best, from
			}
		}
	}
	return v
}

// best returns the end node of the best path (the first in node order on
// ties) and its score, or −1 and −Inf when no path has a finite score.
func (v *viterbi) best() (int, float64) {
	node, best := -1, math.Inf(-1)
	v.l.Ends(func(s, i, j int) {
		if c := v.node(s, i, j); v.score[c] > best {
			node, best = c, v.score[c]
		}
	})
	return node, best
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
// node it ends in.
type candidate struct {
	deriv
	node int32
}

// before is the order of candidates: higher score first, then lower option
// (or end node), then lower rank.
func before(a, b candidate) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	if a.node != b.node {
		return a.node < b.node
	}
	if a.opt != b.opt {
		return a.opt < b.opt
	}
	return a.rank < b.rank
}

// heap is a binary min-heap of candidates under before.
type heap []candidate

func (h heap) up(k int)   { h.upBy(k, before) }
func (h heap) down(k int) { h.downBy(k, before) }

// upBy and downBy restore the heap order less after element k changed.
func (h heap) upBy(k int, less func(a, b candidate) bool) {
	for k > 0 {
		p := (k - 1) / 2
		if !less(h[k], h[p]) {
			break
		}
		h[k], h[p] = h[p], h[k]
		k = p
	}
}

func (h heap) downBy(k int, less func(a, b candidate) bool) {
	for {
		c := 2*k + 1
		if c >= len(h) {
			return
		}
		if c+1 < len(h) && less(h[c+1], h[c]) {
			c++
		}
		if !less(h[c], h[k]) {
			return
		}
		h[k], h[c] = h[c], h[k]
		k = c
	}
}

// heapify orders h as a heap in linear time.
func (h heap) heapify() {
	for k := len(h)/2 - 1; k >= 0; k-- {
		h.down(k)
	}
}

func (h *heap) push(c candidate) {
	*h = append(*h, c)
	h.up(len(*h) - 1)
}

func (h *heap) pop() candidate {
	s := *h
	top := s[0]
	s[0] = s[len(s)-1]
	*h = s[:len(s)-1]
	h.down(0)
	return top
}

// lazy holds the prefixes of rank ≥ 1 worked out so far for the nodes a
// k-best search has visited.
type lazy struct {
	*viterbi
	nodes  []int32 // per node: 1 + the index of its lazyNode, 0 before its rank 1 is asked for
	chunks [][]lazyNode
	stack  []request
}

// A lazyNode's candidates are the next prefix of each option not yet
// ranked: at most one per option, since ranking an option's candidate
// offers the same option's next, so a slot per option, searched in turn,
// serves as the heap. An offer is pending until the predecessor's prefix
// of that rank is known.
type lazyNode struct {
	more []deriv // ranks 1, 2, …
	cand [maxOptions]candidate
	has  [maxOptions]bool
	pend [maxOptions]int32 // the rank of the predecessor's prefix offered, or −1
	done bool              // no prefix beyond more
}

// A request asks for the r-th best prefix of node c.
type request struct {
	c int32
	r int
}

const chunk = 256

func (z *lazy) node(c int32) *lazyNode {
	k := z.nodes[c] - 1
	return &z.chunks[k/chunk][k%chunk]
}

// newNode makes node c's lazyNode: the first rank of every option but the
// best's, and the best's next, offered.
func (z *lazy) newNode(c int32) *lazyNode {
	if len(z.chunks) == 0 || len(z.chunks[len(z.chunks)-1]) == chunk {
		z.chunks = append(z.chunks, make([]lazyNode, 0, chunk))
	}
	last := &z.chunks[len(z.chunks)-1]
	*last = append(*last, lazyNode{})
	z.nodes[c] = int32((len(z.chunks)-1)*chunk + len(*last))
	nd := &(*last)[len(*last)-1]
	nd.pend[z.from[c]] = 1
	return nd
}

// known returns the r-th best prefix of node c and true when it is known
// to exist, false and true when it is known not to, and false, false when
// it has not been worked out yet.
func (z *lazy) known(c int32, r int) (deriv, bool, bool) {
	if z.from[c] == optNone {
		return deriv{}, false, true
	}
	if r == 0 {
		return deriv{score: z.score[c], opt: z.from[c]}, true, true
	}
	if z.nodes == nil || z.nodes[c] == 0 {
		return deriv{}, false, false
	}
	nd := z.node(c)
	if len(nd.more) >= r {
		return nd.more[r-1], true, true
	}
	return deriv{}, false, nd.done
}

// kth returns the r-th best prefix (r = 0 the best) ending in node c, or
// false when fewer than r+1 prefixes of finite score end there. The
// prefixes it needs of earlier nodes are worked out first, from an explicit
// stack of requests rather than by recursion, whose depth would be the
// length of a path.
func (z *lazy) kth(c int32, r int) (deriv, bool) {
	if d, ok, sure := z.known(c, r); sure {
		return d, ok
	}
	if z.nodes == nil {
		z.nodes = make([]int32, len(z.score))
	}
	z.stack = append(z.stack[:0], request{c, r})
	for len(z.stack) > 0 {
		top := z.stack[len(z.stack)-1]
		if need, ok := z.advance(top.c, top.r); ok {
			z.stack = append(z.stack, need)
		} else {
			z.stack = z.stack[:len(z.stack)-1]
		}
	}
	d, ok, _ := z.known(c, r)
	return d, ok
}

// advance ranks the prefixes of node c up to rank r, or returns the
// request of an earlier node's prefix it waits for.
func (z *lazy) advance(c int32, r int) (request, bool) {
	var nd *lazyNode
	if z.nodes[c] == 0 {
		nd = z.newNode(c)
	} else {
		nd = z.node(c)
	}
	s, i, j := z.unnode(c)
	opts := z.l.Top.In[s]
	th := z.in.th[((z.b*z.in.n+i)*z.in.mm+j)*z.in.nc:]
	for len(nd.more) < r && !nd.done {
		for o, op := range opts {
			rank := int(nd.pend[o])
			if rank < 0 {
				continue
			}
			if op.Start {
				if x := th[op.Channel]; rank == 0 && z.l.Start(i, j) && x != math.Inf(-1) {
					nd.cand[o], nd.has[o] = candidate{deriv: deriv{score: x, opt: int8(o)}}, true
				}
				nd.pend[o] = -1
				continue
			}
			p, ok := z.pred(s, o, i, j)
			if !ok {
				nd.pend[o] = -1
				continue
			}
			d, ok, sure := z.known(p, rank)
			if !sure {
				return request{p, rank}, true
			}
			if x := d.score + th[op.Channel]; ok && x != math.Inf(-1) {
				nd.cand[o], nd.has[o] = candidate{deriv: deriv{score: x, opt: int8(o), rank: int32(rank)}}, true
			}
			nd.pend[o] = -1
		}
		best := -1
		for o := range opts {
			if nd.has[o] && (best < 0 || before(nd.cand[o], nd.cand[best])) {
				best = o
			}
		}
		if best < 0 {
			nd.done = true
			break
		}
		d := nd.cand[best].deriv
		nd.has[best] = false
		nd.more = append(nd.more, d)
		nd.pend[best] = d.rank + 1
	}
	return request{}, false
}

// path returns the path of the r-th best prefix ending in node c, which
// exists: each step records the channel its option scores.
func (z *lazy) path(c int32, r int) Path {
	var rev Path
	for {
		d, _ := z.kth(c, r)
		s, i, j := z.unnode(c)
		rev = append(rev, Step{i, j, z.l.Top.In[s][d.opt].Channel})
		p, ok := z.pred(s, int(d.opt), i, j)
		if !ok {
			break
		}
		c, r = p, int(d.rank)
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
	z := &lazy{viterbi: v}
	if k == 1 {
		c, s := v.best()
		if c < 0 {
			return nil, nil
		}
		return []Path{z.path(int32(c), 0)}, []float64{s}
	}
	h := v.bestEnds(k)
	h.heapify()
	var paths []Path
	var scores []float64
	for len(paths) < k && len(h) > 0 {
		top := h.pop()
		paths = append(paths, z.path(top.node, int(top.rank)))
		scores = append(scores, top.score)
		if d, ok := z.kth(top.node, int(top.rank)+1); ok {
			h.push(candidate{deriv: deriv{score: d.score, rank: top.rank + 1}, node: top.node})
		}
	}
	return paths, scores
}

// bestEnds returns the end nodes whose best prefixes are the k first in
// the order of before: only they can end one of the k best paths, since
// each of their best paths comes before every path of another end node.
func (v *viterbi) bestEnds(k int) heap {
	// worst is a heap of the nodes kept so far, the last in order on top.
	var worst heap
	after := func(a, b candidate) bool { return before(b, a) }
	v.l.Ends(func(s, i, j int) {
		c := int32(v.node(s, i, j))
		if v.from[c] == optNone {
			return
		}
		e := candidate{deriv: deriv{score: v.score[c]}, node: c}
		switch {
		case len(worst) < k:
			worst = append(worst, e)
			worst.upBy(len(worst)-1, after)
		case before(e, worst[0]):
			worst[0] = e
			worst.downBy(0, after)
		}
	})
	return worst
}

// viterbis checks the inputs of BestPaths, KBest and BestMask and runs the
// Viterbi pass of every item.
func (m Model) viterbis(op string, theta *tensor.Dense, lenX, lenY []int) ([]*viterbi, error) {
	if err := m.checkModel(op); err != nil {
		return nil, err
	}
	in, err := m.newItems(op, theta, lenX, lenY)
	if err != nil {
		return nil, err
	}
	return m.viterbiItems(op, in)
}

func (m Model) viterbiItems(op string, in *items) ([]*viterbi, error) {
	vs := make([]*viterbi, in.batch)
	for b := range in.batch {
		l := m.lat(in.lenX[b], in.lenY[b])
		if l.Top.MaxOptions() > maxOptions {
			return nil, errorf(ErrMode, op, "the %s model has %d options into a state; the k-best search has room for %d", l.Top.Name, l.Top.MaxOptions(), maxOptions)
		}
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

// BestPaths returns the best score of every batch item and its path (see
// Path): the sum in float64 of the potentials along the path, maximal over
// the item's paths, and the first such path in the order of KBest when
// several tie. It is KBest with k = 1, computed by a Viterbi pass over the
// item's cells (and their states, with Model.Affine); the semiring and strategy of m are not used. An item whose
// every path scores −Inf gets the score −Inf and a nil path. A NaN or +Inf
// potential that a path may use is an error naming the item and the cell.
// theta, (batch, N, M, m.Channels()) of Float64 or Float32, is not
// modified; the lengths are as in LogPartition, and every mode, MaxGap and
// gap model (linear, affine, affine without turns) is supported.
//
// Use BestMask for the best path's 0/1 mask in a graph.
func (m Model) BestPaths(theta *tensor.Dense, lenX, lenY []int) ([]float64, []Path, error) {
	return m.bestPaths("BestPaths", theta, lenX, lenY)
}

// KBest returns, for every batch item b, its k best distinct paths under
// theta, (batch, N, M, m.Channels()) of Float64 or Float32, and their
// scores (the sum
// in float64 of the potentials along the path, from first step to last):
// paths[b][r] is the (r+1)-th best path of item b and scores[b][r] its
// score, in order of decreasing score. An item with fewer than k paths of
// finite score gets all of them: a potential of −Inf forbids the move it
// scores. The lengths are as in LogPartition; every mode, MaxGap and gap
// model is supported. The semiring and strategy of m are not used: this is the
// Max semiring's k-best, by a Viterbi pass over the item's cells followed
// by a lazy search (Huang and Chiang, 2005) whose cost beyond Viterbi
// grows as k·(path length)·log k. theta is not modified.
//
// Ties are broken deterministically: of two paths of equal score, the
// first is the one whose steps, compared from the last step backwards,
// differ first by a smaller (I, J, Move), where Move counts as
// FromLeft < FromDiag < FromAbove; a path that is a proper suffix of the
// other (one that starts later along the same steps) comes first. Under
// the affine model the steps compare likewise with states for moves: two
// last steps by (I, J) and then state (match, left gap, above gap); two
// paths that agree from their last step back to a step, by the state of
// the step before it: before a match step, a match comes first, then the
// start of the path there, then a left gap, then an above gap; before a
// gap step, a match, then the same gap, then the other. BestPaths returns
// the first path of this order.
//
// k must be at least 1. A NaN or +Inf potential that a path of an item
// may use is an error naming the item and the cell.
func (m Model) KBest(theta *tensor.Dense, k int, lenX, lenY []int) ([][]Path, [][]float64, error) {
	const op = "KBest"
	if k < 1 {
		return nil, nil, errorf(ErrShape, op, "k = %d, want at least 1", k)
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
