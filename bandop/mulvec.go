package bandop

import (
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MulVec returns the column vectors r = A ⊗ v of each matrix A of a,
// r[b,i] = ⊕_j A_b[i,j] ⊗ v[b,j]. v must have shape (batch, n) and a's
// dtype; a's fill must be the semiring's zero. The result has shape
// (batch, n).
func (a *Banded) MulVec(v *tensor.Dense, s Semiring) (*tensor.Dense, error) {
	return vecEager(vecRight, a, v, s)
}

// MulVec adds the matrix-vector product a ⊗ v to the graph (see
// Banded.MulVec); v has shape (batch, n). Its gradient with respect to both
// operands is defined.
func MulVec(a *Node, v *gorgonia.Node, s Semiring) (*gorgonia.Node, error) {
	// The Ops and kernels are VecMul's, walking A along its rows.
	return vecGraph(vecRight, v, a, s)
}
