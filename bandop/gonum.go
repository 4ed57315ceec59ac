package bandop

import (
	"gonum.org/v1/gonum/mat"
	"gorgonia.org/tensor"
)

// BandDense returns matrix b of the batch as a gonum *mat.BandDense with
// the same entries: gonum's band storage is this package's layout (row i
// of the storage is row i of the matrix, slot k is column i+k−KL), so
//
//   - when a is Float64 and 0 ≤ Lower < N and 0 ≤ Upper < N, the result
//     shares a's storage: no copy is made, and a write through either one
//     (BandDense.SetBand, Banded.Data) is seen by the other;
//   - otherwise (Float32 data, or a band that gonum cannot hold: a negative
//     Lower or Upper, or N or more diagonals on a side) the result is a
//     float64 copy with band (clamp(Lower), clamp(Upper)), each side
//     clamped to [0, N−1]; the diagonals this adds hold 0 and the ones it
//     drops have no entry inside the matrix.
//
// A BandDense is 0 outside its band, so a's fill must be 0 (the Real
// semiring's zero); b must be in [0, Batch).
func (a *Banded) BandDense(b int) (*mat.BandDense, error) {
	const op = "BandDense"
	l, err := a.operand(op, "A")
	if err != nil {
		return nil, err
	}
	if b < 0 || b >= l.batch {
		return nil, kindErrorf(ErrLength, op, "matrix %d of a batch of %d", b, l.batch)
	}
	if l.fill != 0 {
		return nil, kindErrorf(ErrFill, op, "A has fill %v, but a BandDense is 0 outside its band", l.fill)
	}
	n, w := l.n, l.width()
	if l.dt == tensor.Float64 && l.lower >= 0 && l.upper >= 0 && l.lower < n && l.upper < n {
		d := storage[float64](a)[b*n*w : (b+1)*n*w : (b+1)*n*w]
		return mat.NewBandDense(n, n, l.lower, l.upper, d), nil
	}
	kl, ku := min(max(l.lower, 0), n-1), min(max(l.upper, 0), n-1)
	m := mat.NewBandDense(n, n, kl, ku, nil)
	for i := 0; i < n; i++ {
		for j := max(0, i-kl); j <= min(n-1, i+ku); j++ {
			m.SetBand(i, j, a.At(b, i, j))
		}
	}
	return m, nil
}

// FromBandDense returns the square band matrices ms, in order, as a
// Float64 batch with gonum's band (KL, KU) and fill 0. Every matrix must
// be square, of the same order and the same band. When ms is one matrix
// whose storage is compact (stride KL+KU+1, as NewBandDense makes it), the
// result shares that storage: no copy is made, a write through either one
// is seen by the other, and the padding slots are the matrix's own, which
// neither gonum nor any function of this package reads. Otherwise the
// matrices are copied, with 0 in the padding.
func FromBandDense(ms ...*mat.BandDense) (*Banded, error) {
	const op = "FromBandDense"
	if len(ms) == 0 {
		return nil, kindErrorf(ErrShape, op, "no matrices, want at least one")
	}
	var n, kl, ku int
	for x, m := range ms {
		if m == nil || m.IsEmpty() {
			return nil, kindErrorf(ErrNil, op, "matrix %d is nil or empty", x)
		}
		r, c := m.Dims()
		ml, mu := m.Bandwidth()
		if r != c {
			return nil, kindErrorf(ErrShape, op, "matrix %d is %d×%d, want a square matrix", x, r, c)
		}
		if x == 0 {
			n, kl, ku = r, ml, mu
			continue
		}
		if r != n || ml != kl || mu != ku {
			return nil, kindErrorf(ErrShape, op, "matrix %d is %d×%d with band (%d, %d), matrix 0 is %d×%d with band (%d, %d)", x, r, c, ml, mu, n, n, kl, ku)
		}
	}
	l := layout{batch: len(ms), n: n, lower: kl, upper: ku, dt: tensor.Float64}
	if err := checkResult(op, l); err != nil {
		return nil, err
	}
	w := l.width()
	if raw := ms[0].RawBand(); len(ms) == 1 && raw.Stride == w && len(raw.Data) == n*w {
		d := tensor.New(tensor.WithShape(l.shape()...), tensor.WithBacking(raw.Data))
		return &Banded{lower: kl, upper: ku, data: d}, nil
	}
	a := newBanded(l, 0)
	d := storage[float64](a)
	for x, m := range ms {
		raw := m.RawBand()
		for i := 0; i < n; i++ {
			lo, hi := validSlots(i, n, kl, w)
			copy(d[(x*n+i)*w+lo:(x*n+i)*w+hi], raw.Data[i*raw.Stride+lo:i*raw.Stride+hi])
		}
	}
	return a, nil
}
