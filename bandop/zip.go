package bandop

import (
	"fmt"

	"gorgonia.org/tensor"
)

// Zip returns the matrices C[i,j] = f(A[i,j], B[i,j]) over the union of the
// two bands, where an entry outside an operand's band is that operand's
// fill; C's fill is f(a.Fill(), b.Fill()), the value f gives everywhere
// outside the union. It is genbmm's op: eager only, with no gradient. a and b
// must have equal batch, n and dtype; f sees float64 values (float32 data is
// widened and the result rounded back). A panic in f is returned as an
// error of kind ErrPanic whose cause, a *PanicError, holds the panic value
// and the stack where f panicked.
func Zip(a, b *Banded, f func(x, y float64) float64) (c *Banded, err error) {
	const op = "Zip"
	la, err := a.operand(op, "A")
	if err != nil {
		return nil, err
	}
	lb, err := b.operand(op, "B")
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, kindErrorf(ErrNil, op, "nil function")
	}
	if err := sameShape(op, la, lb, "A", "B"); err != nil {
		return nil, err
	}
	lc := layout{batch: la.batch, n: la.n, lower: max(la.lower, lb.lower), upper: max(la.upper, lb.upper), dt: la.dt}
	if err := checkResult(op, lc); err != nil {
		return nil, err
	}
	// f is the caller's code: its panic is the one this package cannot
	// prevent by checking inputs, so it is recovered here, and only here,
	// with the stack that shows where f failed.
	defer func() {
		if p := recover(); p != nil {
			c, err = nil, &Error{Pkg: pkgName, Op: op, Kind: ErrPanic, Msg: fmt.Sprintf("f panicked: %v", p), Err: newPanicError(p)}
		}
	}()
	lc.fill = f(la.fill, lb.fill)
	c = newBanded(lc, lc.fill) // the padding holds the fill
	switch lc.dt {
	case tensor.Float32:
		zip(f, storage[float32](c), storage[float32](a), storage[float32](b), la, lb, lc)
	default:
		zip(f, storage[float64](c), storage[float64](a), storage[float64](b), la, lb, lc)
	}
	return c, nil
}

func zip[T float](f func(x, y float64) float64, c, a, b []T, la, lb, lc layout) {
	wa, wb, wc := la.width(), lb.width(), lc.width()
	for r := 0; r < lc.batch*lc.n; r++ {
		clo, chi := validSlots(r%lc.n, lc.n, lc.lower, wc)
		for k := clo; k < chi; k++ {
			x, y := la.fill, lb.fill
			if ka, ok := elemSlot(k, la, lc); ok {
				x = float64(a[r*wa+ka])
			}
			if kb, ok := elemSlot(k, lb, lc); ok {
				y = float64(b[r*wb+kb])
			}
			c[r*wc+k] = T(f(x, y))
		}
	}
}
