package align

import (
	"math/bits"

	"github.com/genband/genband/align/internal/lattice"
	"github.com/genband/genband/bandop"
	"gorgonia.org/tensor"
)

// plan is the rotated grid of the LogDepth strategy for given lengths:
// which offsets the state holds (with a gap, only those the items' bands
// reach, which is what keeps LogDepth's products small), how many steps
// there are, and where every entry of every step matrix comes from (a
// potential, the semiring's zero or its one). The Linear strategy needs no
// layout: it reads θ where it lies (cells.go).
//
// Global mode keeps one slot per offset p = o − omin: α of the cell of the
// current anti-diagonal on offsets of its parity, α of the previous one on
// the others (FromDiag reads it two steps later, where it has not been
// overwritten). The step matrix is tridiagonal, band (1, 1):
//
//	A[p, p]   = θ[cell p, FromDiag] on the current parity, one (carry) on the other
//	A[p−1, p] = θ[cell p, FromLeft]
//	A[p+1, p] = θ[cell p, FromAbove]
//
// A move from a cell outside the item's lattice (past a length, outside
// its gap, or on another item's offsets) holds the zero (move). The start
// is a virtual FromDiag move from a one at offset 0 in v₀. After its end
// cell, a batch item carries α along the end offset with weight one, and a
// last flush step keeps only that offset, so the ⊕ of the final vector is
// log Z for every item whatever its lengths.
//
// Local and semi-global modes keep three slots per offset, 3p (α), 3p+1
// (start, a constant one) and 3p+2 (end, which collects each end cell once,
// one step after the cell is computed); band (3, 3). The flush step drops α
// and start, so the ⊕ of the final vector is the ⊕ over all ends. A local
// path may start and end at every cell; a semi-global one starts only on
// the first row or column and ends only on the item's last row or column
// (the item's lattice says which), so the other cells get no start entry
// and collect no end.
type plan struct {
	m                 Model
	batch, n, mm      int // θ is (batch, n, mm, 3)
	lenX, lenY        []int
	lat               []*lattice.Lattice // per item: its cells (allowed offsets j−i), starts and ends
	omin, omax, slots int
	size              int // state length: slots·(omax−omin+1)
	lower, upper      int
	steps             int // anti-diagonals plus the flush step
}

const (
	zeroIx = -1 // bandop.GatherMap constant 0: the semiring's zero
	oneIx  = -2 // constant 1: the semiring's one
)

func newPlan(op string, m Model, shape tensor.Shape, lenX, lenY []int) (*plan, error) {
	batch, n, mm, err := m.checkShape(op, shape)
	if err != nil {
		return nil, err
	}
	p := &plan{m: m, batch: batch, n: n, mm: mm}
	if p.lenX, err = lengths(op, "lenX", lenX, batch, n); err != nil {
		return nil, err
	}
	if p.lenY, err = lengths(op, "lenY", lenY, batch, mm); err != nil {
		return nil, err
	}
	p.lat = make([]*lattice.Lattice, batch)
	p.omin, p.omax = 0, 0
	last := 0
	for b := range batch {
		l := m.lat(p.lenX[b], p.lenY[b])
		p.lat[b] = l
		p.omin, p.omax = min(p.omin, l.Lo), max(p.omax, l.Hi)
		last = max(last, l.LenX+l.LenY-2)
	}
	p.steps = last + 2
	p.slots, p.lower, p.upper = 1, 1, 1
	if m.Mode != Global {
		p.slots, p.lower, p.upper = 3, 3, 3
	}
	p.size = p.slots * (p.omax - p.omin + 1)
	// The gather map of pow2(steps) step matrices, and the state; the
	// tree's products are bandop's to check.
	if err := checkSize(op, "the step matrices", pow2(p.steps), batch, p.size, p.width()); err != nil {
		return nil, err
	}
	return p, nil
}

func lengths(op, name string, l []int, batch, limit int) ([]int, error) {
	out := make([]int, batch)
	if l == nil {
		for b := range out {
			out[b] = limit
		}
		return out, nil
	}
	if len(l) != batch {
		return nil, errorf(ErrLength, op, "%s has %d lengths for batch %d", name, len(l), batch)
	}
	for b, v := range l {
		if v < 1 || v > limit {
			return nil, errorf(ErrLength, op, "%s[%d] = %d, want 1 ≤ length ≤ %d", name, b, v, limit)
		}
		out[b] = v
	}
	return out, nil
}

func (p *plan) width() int { return p.lower + p.upper + 1 }

// consts returns the semiring's zero and one, the constants of the map.
func (p *plan) consts() []float64 {
	return []float64{p.m.Semiring.Zero(), p.m.Semiring.One()}
}

// valid reports whether cell (i, j) of item b may be on a path.
func (p *plan) valid(b, i, j int) bool { return p.lat[b].Valid(i, j) }

// theta returns the flat index of θ[b, i, j, c].
func (p *plan) theta(b, i, j, c int) int32 { return int32(((b*p.n+i)*p.mm+j)*3 + c) }

// cell returns the cell of offset o on anti-diagonal t, if there is one.
func cell(t, o int) (i, j int, ok bool) {
	if (t-o)&1 != 0 {
		return 0, 0, false
	}
	return (t - o) / 2, (t + o) / 2, true
}

// move returns the index of θ[cell, c] when that move may enter the cell of
// offset o on anti-diagonal t, else zeroIx.
func (p *plan) move(b, t, o, c int) int32 {
	i, j, ok := cell(t, o)
	if !ok || !p.valid(b, i, j) {
		return zeroIx
	}
	// The move is open where the lattice's source cell is valid: one from
	// outside the item's lattice (another item's offsets or beyond its gap)
	// reads the semiring's zero there, and zero ⊗ NaN is NaN, so such a
	// potential must not enter the step matrix. A global path's start at
	// (0, 0) enters as a diagonal move from the plan's initial one.
	l := p.lat[b]
	di, dj := l.Top.StepOf(c)
	if !l.Valid(i-di, j-dj) && (p.m.Mode != Global || c != l.Top.StartChannel || !l.Start(i, j)) {
		return zeroIx
	}
	return p.theta(b, i, j, c)
}

// stepRows writes the band storage of step t of item b, (size, width)
// indices, into dst. Steps past p.steps are the identity (LogDepth pads its
// tree with them).
func (p *plan) stepRows(dst []int32, b, t int) {
	w := p.width()
	for x := range dst {
		dst[x] = zeroIx
	}
	offs := p.omax - p.omin + 1
	if t >= p.steps {
		for k := 0; k < p.size; k++ {
			dst[k*w+p.lower] = oneIx
		}
		return
	}
	flush := t == p.steps-1
	if p.m.Mode == Global {
		d := p.lenY[b] - p.lenX[b]
		end := p.lenX[b] + p.lenY[b] - 2
		for q := 0; q < offs; q++ {
			o := p.omin + q
			row := dst[q*w : (q+1)*w]
			switch {
			case flush:
				if o == d {
					row[1] = oneIx
				}
			case (t-o)&1 != 0:
				row[1] = oneIx // carry α of the previous anti-diagonal
			case t > end && o == d:
				row[1] = oneIx // carry the end cell's α to the flush
			default:
				row[1] = p.move(b, t, o, FromDiag)
			}
			if q > 0 {
				row[0] = p.move(b, t, o-1, FromAbove) // A[q, q−1]: cell q−1 entered from q
			}
			if q < offs-1 {
				row[2] = p.move(b, t, o+1, FromLeft) // A[q, q+1]
			}
		}
		return
	}
	for q := 0; q < offs; q++ {
		o := p.omin + q
		a, s, e := dst[3*q*w:(3*q+1)*w], dst[(3*q+1)*w:(3*q+2)*w], dst[(3*q+2)*w:(3*q+3)*w]
		// Offsets of slot k in a row are k−3.
		e[3] = oneIx
		if !flush {
			s[3] = oneIx
			if (t-o)&1 != 0 {
				a[3] = oneIx
			} else {
				a[3] = p.move(b, t, o, FromDiag)
			}
		}
		if i, j, ok := cell(t, o); ok && p.valid(b, i, j) && p.lat[b].Start(i, j) {
			s[2] = p.theta(b, i, j, FromDiag) // start here: A[3q+1, 3q]
		}
		if i, j, ok := cell(t-1, o); ok && p.valid(b, i, j) && p.lat[b].End(i, j) {
			a[5] = oneIx // end at the cell of the previous anti-diagonal: A[3q, 3q+2]
		}
		if q > 0 {
			a[0] = p.move(b, t, o-1, FromAbove) // A[3q, 3q−3]
		}
		if q < offs-1 {
			a[6] = p.move(b, t, o+1, FromLeft) // A[3q, 3q+3]
		}
	}
}

// gatherMap returns the map from θ to the band storage of the first count
// steps, (count, batch, size, width), step-major. With bitrev, step t is
// stored at position reverse(t) in count = 2^k positions, so that every
// level of LogDepth's tree multiplies the first half by the second.
func (p *plan) gatherMap(count int, bitrev bool) *bandop.GatherMap {
	w := p.width()
	per := p.size * w
	idx := make([]int32, count*p.batch*per)
	shift := 0
	if bitrev && count > 1 {
		shift = 64 - bits.Len(uint(count-1))
	}
	for t := range count {
		pos := t
		if bitrev && count > 1 {
			pos = int(bits.Reverse64(uint64(t)) >> shift)
		}
		for b := range p.batch {
			off := (pos*p.batch + b) * per
			p.stepRows(idx[off:off+per], b, t)
		}
	}
	return &bandop.GatherMap{
		In:     tensor.Shape{p.batch, p.n, p.mm, 3},
		Out:    tensor.Shape{count, p.batch, p.size, w},
		Index:  idx,
		Consts: p.consts(),
	}
}

// start returns v₀, (batch, size): one at offset 0 (global) or at every
// start slot (local and semi-global), the zero elsewhere.
func (p *plan) start(dt tensor.Dtype) *tensor.Dense {
	s := p.m.Semiring
	v := make([]float64, p.batch*p.size)
	for b := range p.batch {
		row := v[b*p.size : (b+1)*p.size]
		for k := range row {
			row[k] = s.Zero()
		}
		if p.m.Mode == Global {
			row[-p.omin] = s.One()
			continue
		}
		for q := 0; q < p.size/3; q++ {
			row[3*q+1] = s.One()
		}
	}
	if dt == tensor.Float32 {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return tensor.New(tensor.WithShape(p.batch, p.size), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(p.batch, p.size), tensor.WithBacking(v))
}
