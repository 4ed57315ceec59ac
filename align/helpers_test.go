package align

import (
	"fmt"
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The helpers every test file of the package shares: tolerances and
// comparisons of floats, must, the poisoning of potentials that no path
// may use, and the graph with the lengths as an input that a training loss
// builds.

// closeTo reports whether got is within tol·max(1, |want|) of want. An
// infinite want needs got equal to it, and NaN is close to nothing.
func closeTo(got, want, tol float64) bool {
	if math.IsInf(want, 0) || math.IsInf(got, 0) {
		return got == want
	}
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// sameFloat reports whether got is want bit for bit, up to NaN payloads
// (−0 and 0 differ).
func sameFloat(got, want float64) bool {
	return got == want && math.Signbit(got) == math.Signbit(want) || (math.IsNaN(got) && math.IsNaN(want))
}

// sameBits reports whether x and y hold the same values bit for bit.
func sameBits(x, y []float64) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
			return false
		}
	}
	return true
}

// diffFloats returns a description of the first element where got and
// want differ, or "": by sameFloat when tol is 0, else by closeTo with NaN
// matching NaN (kernels and CPU both answer bad lengths with NaN).
func diffFloats[T, U float32 | float64](got []T, want []U, tol float64) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d elements, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		same := sameFloat(g, w)
		if tol > 0 {
			same = closeTo(g, w, tol) || (math.IsNaN(g) && math.IsNaN(w))
		}
		if !same {
			return fmt.Sprintf("element %d: got %v, want %v", i, g, w)
		}
	}
	return ""
}

// must fails tb when err is not nil.
func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// poisonUnused puts NaN in every potential of th (Float64 or Float32, p's
// shape) that no path of m may use: cells past a length or outside the
// gap, and moves from a cell outside the item's lattice.
func poisonUnused(m Model, th *tensor.Dense, p problem) {
	poison(th, p, func(b, i, j, c int) bool {
		lx, ly := p.lengths(b)
		return !m.lat(lx, ly).Used(i, j, c)
	})
}

// poisonPast puts NaN in every potential of th (Float64 or Float32, p's
// shape) past an item's lengths.
func poisonPast(th *tensor.Dense, p problem) {
	poison(th, p, func(b, i, j, _ int) bool {
		lx, ly := p.lengths(b)
		return i >= lx || j >= ly
	})
}

// poison sets θ[b, i, j, c] of th to NaN wherever bad says.
func poison(th *tensor.Dense, p problem, bad func(b, i, j, c int) bool) {
	for b := range p.batch {
		for i := range p.n {
			for j := range p.mm {
				for c := range 3 {
					if bad(b, i, j, c) {
						setAt(th, ((b*p.n+i)*p.mm+j)*3+c, math.NaN())
					}
				}
			}
		}
	}
}

// setAt sets element k of a Float64 or Float32 tensor.
func setAt(t *tensor.Dense, k int, v float64) {
	switch d := t.Data().(type) {
	case []float64:
		d[k] = v
	case []float32:
		d[k] = float32(v)
	}
}

// A lengthsGraph is the graph a training loss builds: log Z of potentials
// th with the lengths ln as an input (LogPartitionLengths), its sum and
// the gradient with respect to th, on one TapeMachine run many times.
type lengthsGraph struct {
	th, ln, z, grad *gorgonia.Node
	vm              gorgonia.VM
}

func newLengthsGraph(t *testing.T, m Model, dt tensor.Dtype, batch, n, mm int) *lengthsGraph {
	t.Helper()
	g := gorgonia.NewGraph()
	lg := &lengthsGraph{
		th: gorgonia.NewTensor(g, dt, 4, gorgonia.WithShape(batch, n, mm, 3), gorgonia.WithName("theta")),
		ln: gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(batch, 2), gorgonia.WithName("lengths")),
	}
	var err error
	if lg.z, err = m.LogPartitionLengths(lg.th, lg.ln); err != nil {
		t.Fatal(err)
	}
	if lg.z.Dtype() != dt {
		t.Errorf("log Z has dtype %v, want θ's %v", lg.z.Dtype(), dt)
	}
	cost, err := gorgonia.Sum(lg.z)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := gorgonia.Grad(cost, lg.th)
	if err != nil {
		t.Fatal(err)
	}
	lg.grad = grads[0]
	lg.vm = gorgonia.NewTapeMachine(g)
	t.Cleanup(func() { lg.vm.Close() })
	return lg
}

// run binds theta and the lengths and runs the machine, returning its
// error.
func (lg *lengthsGraph) run(theta *tensor.Dense, lenX, lenY []int) error {
	lv, err := Lengths(lenX, lenY)
	if err != nil {
		return err
	}
	if err := gorgonia.Let(lg.th, theta); err != nil {
		return err
	}
	if err := gorgonia.Let(lg.ln, lv); err != nil {
		return err
	}
	lg.vm.Reset()
	return lg.vm.RunAll()
}

// emuName names a subtest of the emulation and GPU tests by model, dtype
// and shape (batch, N, M).
func emuName(m Model, dt tensor.Dtype, shape [3]int) string {
	return fmt.Sprintf("%v/%v/%dx%dx%d", m, dt, shape[0], shape[1], shape[2])
}
