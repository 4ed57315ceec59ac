// Package dense holds the one rule by which genband reads a caller's
// *tensor.Dense as a flat row-major slice.
package dense

import "gorgonia.org/tensor"

// Contiguous returns t when its backing slice holds its elements in
// row-major order, and otherwise a row-major copy: for a view (a slice of
// another tensor), a tensor whose memory Go cannot reach, or one whose
// transpose is still pending (t.T() only records it; Data() keeps the old
// order, and IsView reports false). Every function that reads Data() of a
// tensor it was handed goes through it, so that none of them reads a
// lazily transposed tensor in its old order. t itself is never modified.
func Contiguous(t *tensor.Dense) *tensor.Dense {
	if t.IsView() || t.IsMaterializable() || !t.IsNativelyAccessible() {
		return t.Materialize().(*tensor.Dense)
	}
	return t
}
