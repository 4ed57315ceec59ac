package cudatest

import (
	"math"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestEvalApply evaluates a small graph on the CPU and runs its product
// alone through Apply (the CPU's Do without the cuda tag): the two agree.
func TestEvalApply(t *testing.T) {
	g := gorgonia.NewGraph()
	a := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, 3), gorgonia.WithName("a"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6}))))
	b := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(3, 2), gorgonia.WithName("b"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]float64{1, 0, 0, 1, 1, 1}))))
	c := gorgonia.Must(gorgonia.Mul(a, b))
	vals, err := CPUEval(g)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{4, 5, 10, 11}
	if d := Compare(vals[c], tensor.New(tensor.WithShape(2, 2), tensor.WithBacking(want)), 0); d != "" {
		t.Fatalf("CPUEval: %s", d)
	}
	kids := Children(c)
	if len(kids) != 2 || kids[0] != a || kids[1] != b {
		t.Fatalf("Children: %v", kids)
	}
	got, err := Apply([]gorgonia.Op{c.Op()}, [][]gorgonia.Value{{vals[a], vals[b]}})
	if err != nil {
		t.Fatal(err)
	}
	if d := Compare(got[0], vals[c], 0); d != "" {
		t.Fatalf("Apply: %s", d)
	}
}

func TestCompare(t *testing.T) {
	v := func(x ...float64) gorgonia.Value { return tensor.New(tensor.WithShape(len(x)), tensor.WithBacking(x)) }
	cases := []struct {
		got, want gorgonia.Value
		tol       float64
		bad       string
	}{
		{v(1, math.Inf(-1), math.NaN()), v(1, math.Inf(-1), math.NaN()), 0, ""},
		{v(1.1), v(1), 0.1, ""},
		{v(1.3), v(1), 0.1, "element 0"},
		{v(math.NaN()), v(0), 1, "element 0"},
		{v(math.Inf(1)), v(math.Inf(-1)), 1, "element 0"},
		{v(1, 2), v(1), 0, "want (1)"},
	}
	for _, c := range cases {
		d := Compare(c.got, c.want, c.tol)
		if (c.bad == "") != (d == "") || !strings.Contains(d, c.bad) {
			t.Errorf("Compare(%v, %v, %v) = %q, want %q", c.got, c.want, c.tol, d, c.bad)
		}
	}
}
