package bandop

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func randomGatherMap(rng *rand.Rand, in, out tensor.Shape) *GatherMap {
	m := &GatherMap{In: in, Out: out, Index: make([]int32, out.TotalSize()), Consts: []float64{math.Inf(-1), 2.5}}
	for x := range m.Index {
		m.Index[x] = int32(rng.IntN(in.TotalSize()+2)) - 2
	}
	return m
}

// TestGather checks Gather against its definition and Scatter as its
// adjoint, <Gather(x), y> = <x, Scatter(y)> with constants read as 0, in
// both dtypes.
func TestGather(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		m := randomGatherMap(rng, tensor.Shape{2, 3, 4}, tensor.Shape{5, 7})
		xs := make([]float64, 24)
		ys := make([]float64, 35)
		for i := range xs {
			xs[i] = rng.Float64()
		}
		for i := range ys {
			ys[i] = rng.Float64()
		}
		x, y := gatherTensorOf(dt, m.In, xs), gatherTensorOf(dt, m.Out, ys)
		g, err := m.Gather(x)
		if err != nil {
			t.Fatal(err)
		}
		s, err := m.Scatter(y)
		if err != nil {
			t.Fatal(err)
		}
		gv, sv := gatherValues(g), gatherValues(s)
		var lhs, rhs float64
		for k, ix := range m.Index {
			want := 0.0
			if ix >= 0 {
				want = float64(gatherCast(dt, xs[ix]))
				lhs += want * float64(gatherCast(dt, ys[k]))
			} else {
				want = float64(gatherCast(dt, m.Consts[-ix-1]))
			}
			if gv[k] != want {
				t.Fatalf("%v: Gather[%d] = %v, want %v", dt, k, gv[k], want)
			}
		}
		for i := range xs {
			rhs += float64(gatherCast(dt, xs[i])) * sv[i]
		}
		if math.Abs(lhs-rhs) > 1e-5*math.Max(1, math.Abs(lhs)) {
			t.Errorf("%v: <Gather x, y> = %v, <x, Scatter y> = %v", dt, lhs, rhs)
		}
	}
}

// TestGatherGraph checks the graph gradient of Gather and of its gradient.
func TestGatherGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	m := randomGatherMap(rng, tensor.Shape{3, 4}, tensor.Shape{6, 2})
	m.Consts = []float64{0, 2.5}
	g := gorgonia.NewGraph()
	xs := make([]float64, 12)
	for i := range xs {
		xs[i] = rng.Float64()
	}
	x := gorgonia.NewTensor(g, tensor.Float64, 2, gorgonia.WithShape(3, 4), gorgonia.WithValue(gatherTensorOf(tensor.Float64, m.In, xs)), gorgonia.WithName("x"))
	y, err := Gather(x, m)
	if err != nil {
		t.Fatal(err)
	}
	sq, err := gorgonia.Square(y)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := gorgonia.Sum(sq)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := gorgonia.Grad(cost, x)
	if err != nil {
		t.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	want := make([]float64, 12)
	for _, ix := range m.Index {
		if ix >= 0 {
			want[ix] += 2 * xs[ix]
		}
	}
	got := gatherValues(grads[0].Value().(*tensor.Dense))
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("gradient[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestGatherErrors(t *testing.T) {
	x := gatherTensorOf(tensor.Float64, tensor.Shape{2, 2}, []float64{1, 2, 3, 4})
	cases := []struct {
		m    *GatherMap
		x    *tensor.Dense
		want string
	}{
		{nil, x, "nil map"},
		{&GatherMap{In: tensor.Shape{2, 2}, Out: tensor.Shape{3}, Index: []int32{0, 1}}, x, "2 indices"},
		{&GatherMap{In: tensor.Shape{2, 2}, Out: tensor.Shape{2}, Index: []int32{0, 4}}, x, "out of range"},
		{&GatherMap{In: tensor.Shape{2, 2}, Out: tensor.Shape{2}, Index: []int32{0, -2}, Consts: []float64{1}}, x, "out of range"},
		{&GatherMap{In: tensor.Shape{4}, Out: tensor.Shape{2}, Index: []int32{0, 1}}, x, "shape"},
		{&GatherMap{In: tensor.Shape{2, 2}, Out: tensor.Shape{2}, Index: []int32{0, 1}}, nil, "nil input"},
	}
	for _, c := range cases {
		if _, err := c.m.Gather(c.x); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Gather: error %v, want one naming %q", err, c.want)
		}
	}
	g := gorgonia.NewGraph()
	n := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, 2), gorgonia.WithName("n"))
	if _, err := Gather(n, &GatherMap{In: tensor.Shape{4}, Out: tensor.Shape{1}, Index: []int32{0}}); err == nil {
		t.Error("Gather on a node of the wrong shape gave no error")
	}
	op := &gatherOp{m: &GatherMap{In: tensor.Shape{2, 2}, Out: tensor.Shape{1}, Index: []int32{0}}, dt: tensor.Float64}
	if _, err := op.Do(gatherTensorOf(tensor.Float64, tensor.Shape{3}, []float64{1, 2, 3})); err == nil {
		t.Error("gatherOp.Do on a value of the wrong shape gave no error")
	}
}

func gatherTensorOf(dt tensor.Dtype, s tensor.Shape, v []float64) *tensor.Dense {
	if dt == tensor.Float32 {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return tensor.New(tensor.WithShape(s...), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(s...), tensor.WithBacking(append([]float64(nil), v...)))
}

func gatherCast(dt tensor.Dtype, v float64) float64 {
	if dt == tensor.Float32 {
		return float64(float32(v))
	}
	return v
}

func gatherValues(d *tensor.Dense) []float64 {
	switch x := d.Data().(type) {
	case []float32:
		out := make([]float64, len(x))
		for i, f := range x {
			out[i] = float64(f)
		}
		return out
	case []float64:
		return x
	}
	return nil
}
