package bandop

// Times returns the elementwise semiring product C = A ⊗ B of each pair of
// matrices, with the intersection of the two bands, (min of the Lowers, min
// of the Uppers), and the semiring's zero as fill: outside the intersection
// one factor is the zero, and so is the product. Both fills must be that
// zero, and the intersection must have width at least 1.
func (a *Banded) Times(b *Banded, s Semiring) (*Banded, error) {
	return timesSpec.eager(a, b, s)
}

// Times adds the elementwise semiring product a ⊗ b to the graph (see
// Banded.Times). Its gradient with respect to both operands is defined.
func Times(a, b *Node, s Semiring) (*Node, error) { return timesSpec.graph(a, b, s) }

func timesResult(la, lb layout, s Semiring) layout {
	return layout{batch: la.batch, n: la.n, lower: min(la.lower, lb.lower), upper: min(la.upper, lb.upper), fill: s.Zero(), dt: la.dt}
}

func timesForward[T float](s Semiring, c, a, b []T, la, lb, lc layout) {
	rows, wc := lc.batch*lc.n, lc.width()
	body := func(lo, hi int) {
		wa, wb, zero := la.width(), lb.width(), T(s.Zero())
		da, db := la.lower-lc.lower, lb.lower-lc.lower // slot offsets, ≥ 0
		for r := lo; r < hi; r++ {
			crow := c[r*wc : (r+1)*wc]
			fillSlice(crow, zero) // the padding too
			clo, chi := validSlots(r%lc.n, lc.n, lc.lower, wc)
			for k := clo; k < chi; k++ {
				x, y := a[r*wa+k+da], b[r*wb+k+db]
				if s == Real {
					crow[k] = x * y
				} else {
					crow[k] = x + y
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

// timesBackward computes the gradient g, in the storage of operand wrt
// (0 = A, 1 = B), of Σ dc·c: dc times the other factor for Real, dc itself
// for Log and Max, and 0 outside the intersection. A dc of 0 adds nothing,
// so an infinite factor makes no NaN. C is not needed: it is a parameter
// only so that every two-operand op's backward kernel has one signature.
func timesBackward[T float](s Semiring, wrt int, g, a, b, _, dc []T, la, lb, lc layout) {
	lo, other, lt := la, b, lb
	if wrt == 1 {
		lo, other, lt = lb, a, la
	}
	rows, wo, wt, wc := lc.batch*lc.n, lo.width(), lt.width(), lc.width()
	do, dt := lo.lower-lc.lower, lt.lower-lc.lower
	// Each row of g is written by its own iteration: rows run in parallel.
	body := func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			clo, chi := validSlots(r%lc.n, lc.n, lc.lower, wc)
			for k := clo; k < chi; k++ {
				d := dc[r*wc+k]
				if d == 0 {
					continue
				}
				if s == Real {
					d *= other[r*wt+k+dt]
				}
				g[r*wo+k+do] = d
			}
		}
	}
	if rows*wc < minParallelWork {
		body(0, rows)
		return
	}
	parallelFor(rows, rows*wc, body)
}
