package align

// TEMPORARY stand-ins until bandop.VecMul, bandop.Sum and bandop.Reband land.

import (
	"github.com/genband/genband/bandop"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// vecMul: v ⊗ A through Mul with a matrix whose row 0 is v.
func vecMul(v *gorgonia.Node, a *bandop.Node, s bandop.Semiring) (*gorgonia.Node, error) {
	sh := a.Shape()
	batch, n := sh[0], sh[1]
	idx := make([]int32, batch*n*n)
	for x := range idx {
		idx[x] = -1
	}
	for b := 0; b < batch; b++ {
		for k := 0; k < n; k++ {
			idx[(b*n+0)*n+k] = int32(b*n + k)
		}
	}
	vm := &bandop.GatherMap{In: tensor.Shape{batch, n}, Out: tensor.Shape{batch, n, n}, Index: idx, Consts: []float64{s.Zero()}}
	vv, err := bandop.Gather(v, vm)
	if err != nil {
		return nil, err
	}
	V, err := bandop.Wrap(vv, 0, n-1, s.Zero())
	if err != nil {
		return nil, err
	}
	c, err := bandop.Mul(V, a, s)
	if err != nil {
		return nil, err
	}
	w := c.Lower() + c.Upper() + 1
	idx2 := make([]int32, batch*n)
	for b := 0; b < batch; b++ {
		for j := 0; j < n; j++ {
			idx2[b*n+j] = int32((b*n+0)*w + j + c.Lower())
		}
	}
	return bandop.Gather(c.Node, &bandop.GatherMap{In: tensor.Shape{batch, n, w}, Out: tensor.Shape{batch, n}, Index: idx2})
}

func bandSum(a *bandop.Node, s bandop.Semiring) (*gorgonia.Node, error) {
	sh := a.Shape()
	batch, n := sh[0], sh[1]
	idx := make([]int32, batch*n)
	for b := 0; b < batch; b++ {
		for k := 0; k < n; k++ {
			idx[b*n+k] = int32(b*n + k)
		}
	}
	v, err := bandop.Gather(a.Node, &bandop.GatherMap{In: tensor.Shape{batch, n, 1}, Out: tensor.Shape{batch, n}, Index: idx})
	if err != nil {
		return nil, err
	}
	ones := make([]int32, batch*n*n)
	for x := range ones {
		ones[x] = -1
	}
	for b := 0; b < batch; b++ {
		for k := 0; k < n; k++ {
			ones[(b*n+k)*n+n-1-k] = -2
		}
	}
	g := a.Graph()
	dummy := gorgonia.NewTensor(g, a.Dtype(), 2, gorgonia.WithShape(batch, n), gorgonia.WithInit(gorgonia.Zeroes()), gorgonia.WithName(uniqueName(g, "dummy")))
	ob, err := bandop.Gather(dummy, &bandop.GatherMap{In: tensor.Shape{batch, n}, Out: tensor.Shape{batch, n, n}, Index: ones, Consts: []float64{s.Zero(), s.One()}})
	if err != nil {
		return nil, err
	}
	B, err := bandop.Wrap(ob, n-1, 0, s.Zero())
	if err != nil {
		return nil, err
	}
	col, err := vecMul(v, B, s)
	if err != nil {
		return nil, err
	}
	idx3 := make([]int32, batch)
	for b := range idx3 {
		idx3[b] = int32(b * n)
	}
	return bandop.Gather(col, &bandop.GatherMap{In: tensor.Shape{batch, n}, Out: tensor.Shape{batch}, Index: idx3})
}

func reband(a *bandop.Node, l, u int) (*bandop.Node, error) {
	sh := a.Shape()
	batch, n, w := sh[0], sh[1], sh[2]
	nw := l + u + 1
	idx := make([]int32, batch*n*nw)
	for b := 0; b < batch; b++ {
		for i := 0; i < n; i++ {
			for k := 0; k < nw; k++ {
				j := i + k - l
				ok := j - i + a.Lower()
				x := (b*n+i)*nw + k
				idx[x] = -1
				if j >= 0 && j < n && ok >= 0 && ok < w {
					idx[x] = int32((b*n+i)*w + ok)
				}
			}
		}
	}
	out, err := bandop.Gather(a.Node, &bandop.GatherMap{In: tensor.Shape{batch, n, w}, Out: tensor.Shape{batch, n, nw}, Index: idx, Consts: []float64{a.Fill()}})
	if err != nil {
		return nil, err
	}
	return bandop.Wrap(out, l, u, a.Fill())
}
