package align

// TEMPORARY stand-ins until bandop.VecMul, bandop.Sum and bandop.Reband land.

import (
	"github.com/genband/genband/bandop"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// vecMul: v ⊗ A = diag(J ⊗ (diag(v) ⊗ A)) with J all ones in band (u, l).
func vecMul(v *gorgonia.Node, a *bandop.Node, s bandop.Semiring) (*gorgonia.Node, error) {
	sh := a.Shape()
	batch, n := sh[0], sh[1]
	l, u := a.Lower(), a.Upper()
	d, err := gorgonia.Reshape(v, tensor.Shape{batch, n, 1})
	if err != nil {
		return nil, err
	}
	D, err := bandop.Wrap(d, 0, 0, s.Zero())
	if err != nil {
		return nil, err
	}
	c, err := bandop.Mul(D, a, s)
	if err != nil {
		return nil, err
	}
	jw := l + u + 1
	ones := make([]float64, batch*n*jw)
	for x := range ones {
		ones[x] = s.One()
	}
	if v.Dtype() == tensor.Float32 {
		f := make([]float32, len(ones))
		for x := range f {
			f[x] = float32(ones[x])
		}
		ones = nil
		_ = f
	}
	g := v.Graph()
	var jt *tensor.Dense
	if v.Dtype() == tensor.Float32 {
		f := make([]float32, batch*n*jw)
		for x := range f {
			f[x] = float32(s.One())
		}
		jt = tensor.New(tensor.WithShape(batch, n, jw), tensor.WithBacking(f))
	} else {
		jt = tensor.New(tensor.WithShape(batch, n, jw), tensor.WithBacking(ones))
	}
	jn := gorgonia.NewTensor(g, v.Dtype(), 3, gorgonia.WithShape(batch, n, jw), gorgonia.WithValue(jt), gorgonia.WithName(uniqueName(g, "J")))
	J, err := bandop.Wrap(jn, u, l, s.Zero())
	if err != nil {
		return nil, err
	}
	e, err := bandop.Mul(J, c, s)
	if err != nil {
		return nil, err
	}
	w := e.Lower() + e.Upper() + 1
	idx := make([]int32, batch*n)
	for b := 0; b < batch; b++ {
		for j := 0; j < n; j++ {
			idx[b*n+j] = int32((b*n+j)*w + e.Lower())
		}
	}
	return bandop.Gather(e.Node, &bandop.GatherMap{In: tensor.Shape{batch, n, w}, Out: tensor.Shape{batch, n}, Index: idx})
}

// vecMulSlow: v ⊗ A through Mul with a matrix whose row 0 is v.
func vecMulSlow(v *gorgonia.Node, a *bandop.Node, s bandop.Semiring) (*gorgonia.Node, error) {
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
	col, err := vecMulSlow(v, B, s)
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
