// Package cudatest holds what the GPU tests of bandop, align and genmul
// share: evaluating a graph on the CPU with every Op's Do (the reference),
// running Ops alone through a TapeMachine on the values of their inputs
// (on the GPU in a cuda build, where the Ops are CUDADoers), and comparing
// the two. It needs no GPU itself: without the cuda tag Apply runs the
// Ops' Do, which is how its own tests run.
package cudatest

import (
	"fmt"
	"math"

	"gorgonia.org/gorgonia"
)

// CPUEval evaluates every node of g with its Op's Do on the CPU, in
// topological order, and returns each node's value (none for a statement
// such as Read). Values are copies: Ops that keep their output buffers
// between runs cannot change them later.
func CPUEval(g *gorgonia.ExprGraph) (map[*gorgonia.Node]gorgonia.Value, error) {
	sorted, err := gorgonia.Sort(g)
	if err != nil {
		return nil, err
	}
	vals := make(map[*gorgonia.Node]gorgonia.Value)
	for i := len(sorted) - 1; i >= 0; i-- {
		n := sorted[i]
		if n.Op() == nil {
			vals[n] = n.Value()
			continue
		}
		var in []gorgonia.Value
		for _, c := range Children(n) {
			v, ok := vals[c]
			if !ok {
				return nil, fmt.Errorf("cudatest.CPUEval: %v before its operand %v", n, c)
			}
			in = append(in, Clone(v))
		}
		v, err := n.Op().Do(in...)
		if err != nil {
			return nil, fmt.Errorf("cudatest.CPUEval: %v: %w", n.Op(), err)
		}
		if v != nil {
			v = Clone(v)
		}
		vals[n] = v
	}
	return vals, nil
}

// Apply runs each ops[k] on the inputs ins[k], all in one graph run by one
// TapeMachine (one CUDA context for the lot in a cuda build), and reads the
// outputs back to the host.
func Apply(ops []gorgonia.Op, ins [][]gorgonia.Value) ([]gorgonia.Value, error) {
	g := gorgonia.NewGraph()
	got := make([]gorgonia.Value, len(ops))
	for k, op := range ops {
		var nodes gorgonia.Nodes
		for i, v := range ins[k] {
			// Distinct names keep Gorgonia from merging equal-looking inputs.
			name := fmt.Sprintf("op%d_in%d", k, i)
			var n *gorgonia.Node
			if v.Shape().IsScalar() {
				n = gorgonia.NewScalar(g, v.Dtype(), gorgonia.WithValue(Clone(v)), gorgonia.WithName(name))
			} else {
				n = gorgonia.NewTensor(g, v.Dtype(), v.Shape().Dims(), gorgonia.WithShape(v.Shape()...), gorgonia.WithValue(Clone(v)), gorgonia.WithName(name))
			}
			nodes = append(nodes, n)
		}
		out, err := gorgonia.ApplyOp(op, nodes...)
		if err != nil {
			return nil, fmt.Errorf("cudatest.Apply: %v: %w", op, err)
		}
		gorgonia.Read(out, &got[k])
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		return nil, err
	}
	for k := range got {
		if got[k] == nil {
			return nil, fmt.Errorf("cudatest.Apply: %v: nothing read back", ops[k])
		}
		got[k] = Clone(got[k])
	}
	return got, nil
}

// Children returns n's operands in order.
func Children(n *gorgonia.Node) gorgonia.Nodes {
	var out gorgonia.Nodes
	it := n.Graph().From(n.ID())
	for it.Next() {
		out = append(out, it.Node().(*gorgonia.Node))
	}
	return out
}

// Clone copies v into Go memory.
func Clone(v gorgonia.Value) gorgonia.Value {
	c, err := gorgonia.CloneValue(v)
	if err != nil {
		panic(err)
	}
	return c
}

// Compare describes the first element where got and want differ, or "":
// equal infinities and NaN for NaN agree, finite values when
// |got − want| ≤ tol·(1 + |want|).
func Compare(got, want gorgonia.Value, tol float64) string {
	if !got.Shape().Eq(want.Shape()) || got.Dtype() != want.Dtype() {
		return fmt.Sprintf("got %v %v, want %v %v", got.Shape(), got.Dtype(), want.Shape(), want.Dtype())
	}
	gs, ws := Floats(got), Floats(want)
	for i := range ws {
		g, w := gs[i], ws[i]
		switch {
		case math.IsNaN(w) || math.IsNaN(g):
			if !(math.IsNaN(w) && math.IsNaN(g)) {
				return fmt.Sprintf("element %d: got %v, want %v", i, g, w)
			}
		case math.IsInf(w, 0) || math.IsInf(g, 0):
			if g != w {
				return fmt.Sprintf("element %d: got %v, want %v", i, g, w)
			}
		case math.Abs(g-w) > tol*(1+math.Abs(w)):
			return fmt.Sprintf("element %d: got %v, want %v", i, g, w)
		}
	}
	return ""
}

// Floats returns a float value's elements as a new []float64.
func Floats(v gorgonia.Value) []float64 {
	switch x := v.Data().(type) {
	case []float64:
		return append([]float64(nil), x...)
	case []float32:
		r := make([]float64, len(x))
		for i, f := range x {
			r[i] = float64(f)
		}
		return r
	case float64:
		return []float64{x}
	case float32:
		return []float64{float64(x)}
	}
	panic(fmt.Sprintf("cudatest.Floats: %T", v.Data()))
}
