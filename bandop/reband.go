package bandop

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Reband returns the same matrices seen through the band (lower, upper):
// diagonals of a outside the new band are dropped and new ones hold a's
// fill, which the result keeps. Reband is not a semiring op: it needs no
// particular fill.
func (a *Banded) Reband(lower, upper int) (*Banded, error) {
	const op = "Reband"
	in, err := a.operand(op, "A")
	if err != nil {
		return nil, err
	}
	out := withBand(in, lower, upper)
	if err := checkResult(op, out); err != nil {
		return nil, err
	}
	return shiftEager(a, shift{in: in, out: out}), nil
}

// BandPad is genbmm's band_pad(t): Reband(Lower+t, Upper+t), t more
// diagonals of fill on each side (t < 0 drops diagonals).
func (a *Banded) BandPad(t int) (*Banded, error) {
	return a.rebandBy("BandPad", t, t, t)
}

// BandShift is genbmm's band_shift(t): the same matrices with the band
// window moved t diagonals down, Reband(Lower+t, Upper−t). In genbmm's
// storage this shifts each stored row; in ours it keeps the dense matrix
// and drops what leaves the window.
func (a *Banded) BandShift(t int) (*Banded, error) {
	return a.rebandBy("BandShift", t, t, -t)
}

// rebandBy is Reband(Lower+dl, Upper+du) for op, the shift by t that the
// caller asked for.
func (a *Banded) rebandBy(op string, t, dl, du int) (*Banded, error) {
	in, err := a.operand(op, "A")
	if err != nil {
		return nil, err
	}
	lower, upper, err := shiftedBand(op, t, in.lower, dl, in.upper, du)
	if err != nil {
		return nil, err
	}
	out := withBand(in, lower, upper)
	if err := checkResult(op, out); err != nil {
		return nil, err
	}
	return shiftEager(a, shift{in: in, out: out}), nil
}

// Reband adds a.Reband(lower, upper) to the graph. Its gradient is the
// Reband of the incoming gradient back to a's band, with fill 0.
func Reband(a *Node, lower, upper int) (*Node, error) {
	const op = "Reband"
	in, err := a.layout(op, "A")
	if err != nil {
		return nil, err
	}
	out := withBand(in, lower, upper)
	if err := checkResult(op, out); err != nil {
		return nil, err
	}
	return shiftGraph(op, a, shift{in: in, out: out})
}

// withBand returns l with the band (lower, upper).
func withBand(l layout, lower, upper int) layout {
	l.lower, l.upper = lower, upper
	return l
}

// shiftedBand returns the band (lower+dl, upper+du) that a shift by t gives,
// dl and du being ±t, or an error of kind ErrBand when that band is beyond
// the package's limits or has width < 1. Any t is allowed as long as that
// band is within the limits: a row or column shift by n or more leaves only
// fill, which is well defined (and what generic code needs at n = 1). A t
// beyond twice the limit is refused before any sum, so that no message
// prints an overflowed band.
func shiftedBand(op string, t, lower, dl, upper, du int) (int, int, error) {
	if t > 2*bandLimit || t < -2*bandLimit {
		return 0, 0, kindErrorf(ErrBand, op, "shift %d moves band (lower %d, upper %d) beyond ±%d", t, lower, upper, bandLimit)
	}
	l, u := lower+dl, upper+du
	if err := checkBand(op, l, u); err != nil {
		return 0, 0, kindErrorf(ErrBand, op, "shift %d gives band (lower %d, upper %d) of width %d, want a width of at least 1 within ±%d", t, l, u, l+u+1, bandLimit)
	}
	return l, u, nil
}

// A shift is what Reband, RowShift and ColShift have in common: in dense
// terms C[i, j] = A[i+dr, j+dc] for (i, j) in C's band (out) and
// (i+dr, j+dc) a valid entry of A's band (in); every other entry of C is
// out.fill. Reband is (0, 0) with a new band, RowShift(t) is (t, 0) with band
// (l−t, u+t), ColShift(t) is (0, t) with band (l+t, u−t). Its adjoint is the
// shift by (−dr, −dc) from out's band to in's, so one Op serves forward and
// backward.
type shift struct {
	in, out layout
	dr, dc  int
}

// slotOffset is the offset from a slot of C to the slot of A it copies,
// the same for every row: A's column minus A's row plus A's lower, less C's.
func (s shift) slotOffset() int { return s.in.lower - s.out.lower + s.dc - s.dr }

// adjoint is the shift whose Op is the gradient of s's: from out back to
// in, fill 0.
func (s shift) adjoint() shift {
	in, out := s.out, s.in
	in.fill, out.fill = 0, 0
	return shift{in: in, out: out, dr: -s.dr, dc: -s.dc}
}

func shiftEager(a *Banded, s shift) *Banded {
	c := newBanded(s.out, 0) // the kernel writes every slot
	switch s.out.dt {
	case tensor.Float32:
		shiftForward(storage[float32](c), storage[float32](a), s)
	default:
		shiftForward(storage[float64](c), storage[float64](a), s)
	}
	return c
}

func shiftGraph(op string, a *Node, s shift) (*Node, error) {
	out, err := gorgonia.ApplyOp(&shiftOp{name: op, s: s}, a.Node)
	if err != nil {
		return nil, wrapGraph(op, err)
	}
	return banded(out, s.out), nil
}

// shiftForward writes C = shift of A into c, padding included. Each row of
// C is a contiguous run of one row of A.
func shiftForward[T float](c, a []T, s shift) {
	n, wa, wc, dk := s.out.n, s.in.width(), s.out.width(), s.slotOffset()
	rows := s.out.batch * n
	body := func(lo, hi int) {
		fill := T(s.out.fill)
		for r := lo; r < hi; r++ {
			row := c[r*wc : (r+1)*wc]
			fillSlice(row, fill)
			i := r % n
			si := i + s.dr
			if si < 0 || si >= n {
				continue
			}
			klo, khi := validSlots(i, n, s.out.lower, wc)
			slo, shi := validSlots(si, n, s.in.lower, wa)
			klo, khi = max(klo, slo-dk), min(khi, shi-dk)
			if klo < khi {
				src := a[(r+s.dr)*wa:]
				copy(row[klo:khi], src[klo+dk:khi+dk])
			}
		}
	}
	if rows*wc < minParallelWork {
		body(0, rows)
		return
	}
	parallelFor(rows, rows*wc, body)
}

// shiftOp is the Gorgonia Op of Reband, RowShift and ColShift, and of their
// gradients. name is the public op it serves, for errors.
type shiftOp struct {
	opBase
	name string
	s    shift
}

func (op *shiftOp) String() string {
	s := op.s
	return fmt.Sprintf("bandop.%s{A(%d,%d) fill %v → (%d,%d) fill %v, shift (%d,%d), %v}", op.name, s.in.lower, s.in.upper, s.in.fill, s.out.lower, s.out.upper, s.out.fill, s.dr, s.dc, s.in.dt)
}
func (op *shiftOp) Arity() int                { return 1 }
func (op *shiftOp) Type() hm.Type             { return fnType(op.s.in.dt, 3, 3) }
func (op *shiftOp) WriteHash(h hash.Hash)     { writeHash(h, op) }
func (op *shiftOp) Hashcode() uint32          { return hashcode(op) }
func (op *shiftOp) DiffWRT(inputs int) []bool { return []bool{true} }
func (op *shiftOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.s.out.shape(), nil
}

func (op *shiftOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	if err := checkArity(op.name, vals, 1); err != nil {
		return nil, err
	}
	a, err := input(op.name, vals, 0, op.s.in.dt, op.s.in.shape())
	if err != nil {
		return nil, err
	}
	c := newDense(op.s.out.dt, op.s.out.shape(), 0)
	switch op.s.out.dt {
	case tensor.Float32:
		shiftForward(c.Data().([]float32), a.Data().([]float32), op.s)
	default:
		shiftForward(c.Data().([]float64), a.Data().([]float64), op.s)
	}
	return c, nil
}

func (op *shiftOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 1 {
		return nil, kindErrorf(ErrShape, op.name, "SymDiff got %d inputs, want 1", len(inputs))
	}
	g, err := gorgonia.ApplyOp(&shiftOp{name: op.name + "Grad", s: op.s.adjoint()}, grad)
	if err != nil {
		return nil, wrapGraph(op.name, err)
	}
	return gorgonia.Nodes{g}, nil
}
