package bandop

import "math"

// Plus returns the elementwise semiring sum C = A ⊕ B of each pair of
// matrices, with the union of the two bands, (max of the Lowers, max of the
// Uppers), and the semiring's zero as fill. An entry outside one operand's
// band is that operand's fill, the zero. Both fills must be that zero.
func (a *Banded) Plus(b *Banded, s Semiring) (*Banded, error) {
	return plusSpec.eager(a, b, s)
}

// Plus adds the elementwise semiring sum a ⊕ b to the graph (see
// Banded.Plus). Its gradient with respect to both operands is defined.
func Plus(a, b *Node, s Semiring) (*Node, error) { return plusSpec.graph(a, b, s) }

func plusResult(la, lb layout, s Semiring) layout {
	return layout{batch: la.batch, n: la.n, lower: max(la.lower, lb.lower), upper: max(la.upper, lb.upper), fill: s.Zero(), dt: la.dt}
}

// elemSlot returns the slot of an operand with layout lo that holds the
// entry of slot k of a result row with layout lc, and whether that entry is
// in the operand's band.
func elemSlot(k int, lo, lc layout) (int, bool) {
	ko := k - lc.lower + lo.lower
	return ko, ko >= 0 && ko < lo.width()
}

func plusForward[T float](s Semiring, c, a, b []T, la, lb, lc layout) {
	rows, wc := lc.batch*lc.n, lc.width()
	body := func(lo, hi int) {
		wa, wb, zero := la.width(), lb.width(), T(s.Zero())
		for r := lo; r < hi; r++ {
			crow := c[r*wc : (r+1)*wc]
			fillSlice(crow, zero) // the padding too
			clo, chi := validSlots(r%lc.n, lc.n, lc.lower, wc)
			for k := clo; k < chi; k++ {
				x, y := zero, zero
				if ka, ok := elemSlot(k, la, lc); ok {
					x = a[r*wa+ka]
				}
				if kb, ok := elemSlot(k, lb, lc); ok {
					y = b[r*wb+kb]
				}
				switch s {
				case Real:
					crow[k] = x + y
				case Max:
					crow[k] = max(x, y)
				default:
					crow[k] = T(logAddExp(float64(x), float64(y)))
				}
			}
		}
	}
	if rows*wc < minParallelWork {
		body(0, rows)
		return
	}
	parallelFor(rows, rows*wc, body)
}

// plusBackward computes the gradient g, in the storage of operand wrt
// (0 = A, 1 = B), of Σ dc·c. Real passes dc on; Log weighs it by
// exp(operand − c), 0 where c is −Inf; Max gives it to A where A equals c,
// else to B. A dc of 0 adds nothing, so an infinite operand makes no NaN.
func plusBackward[T float](s Semiring, wrt int, g, a, b, c, dc []T, la, lb, lc layout) {
	lo, x := la, a
	if wrt == 1 {
		lo, x = lb, b
	}
	rows, wo, wa, wc := lo.batch*lo.n, lo.width(), la.width(), lc.width()
	// Each row of g is written by its own iteration: rows run in parallel.
	body := func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			klo, khi := validSlots(r%lo.n, lo.n, lo.lower, wo)
			for k := klo; k < khi; k++ {
				kc := k - lo.lower + lc.lower // always in C's band, the union
				d, cv, xv := dc[r*wc+kc], c[r*wc+kc], x[r*wo+k]
				if d == 0 || (s != Real && math.IsInf(float64(cv), -1)) {
					continue
				}
				switch s {
				case Real:
					g[r*wo+k] = d
				case Log:
					g[r*wo+k] = d * T(math.Exp(float64(xv)-float64(cv)))
				default:
					if xv != cv {
						continue
					}
					if wrt == 1 {
						if ka, ok := elemSlot(kc, la, lc); ok && a[r*wa+ka] == cv {
							continue // A is first on a tie
						}
					}
					g[r*wo+k] = d
				}
			}
		}
	}
	if rows*wo < minParallelWork {
		body(0, rows)
		return
	}
	parallelFor(rows, rows*wo, body)
}
