package attention_test

import (
	"fmt"
	"log"

	"github.com/genband/genband/attention"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Causal attention over a window of one key back: with q = 0 every score
// is 0, so each position averages its own value and its predecessor's (the
// first has no predecessor).
func ExampleBanded() {
	g := gorgonia.NewGraph()
	sh := tensor.Shape{1, 4, 1} // batch 1, n 4, d 1
	node := func(name string, x ...float64) *gorgonia.Node {
		return gorgonia.NewTensor(g, tensor.Float64, 3, gorgonia.WithShape(sh...), gorgonia.WithName(name),
			gorgonia.WithValue(tensor.New(tensor.WithShape(sh...), tensor.WithBacking(x))))
	}
	q, k, v := node("q", 0, 0, 0, 0), node("k", 1, 2, 3, 4), node("v", 10, 20, 30, 40)
	out, err := attention.Banded(q, k, v, 1, 0, 1)
	if err != nil {
		log.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.Value().Data())
	// Output: [10 15 25 35]
}

// Per-item lengths of a padded batch: item 1 holds 2 positions, so its
// keys past them are left out and its rows past them output 0. The
// gradient reaches only the positions within the lengths.
func ExampleWithLengths() {
	g := gorgonia.NewGraph()
	sh := tensor.Shape{2, 3, 1}
	node := func(name string, x ...float64) *gorgonia.Node {
		return gorgonia.NewTensor(g, tensor.Float64, 3, gorgonia.WithShape(sh...), gorgonia.WithName(name),
			gorgonia.WithValue(tensor.New(tensor.WithShape(sh...), tensor.WithBacking(x))))
	}
	q, k := node("q", 0, 0, 0, 0, 0, 0), node("k", 0, 0, 0, 0, 0, 0)
	v := node("v", 1, 2, 3, 1, 2, 3)
	lengths := gorgonia.NewTensor(g, tensor.Int, 1, gorgonia.WithShape(2), gorgonia.WithName("lengths"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(2), tensor.WithBacking([]int{3, 2}))))
	// Every key of the item: lower and upper past n.
	out, err := attention.Banded(q, k, v, 5, 5, 1, attention.WithLengths(lengths))
	if err != nil {
		log.Fatal(err)
	}
	cost, err := gorgonia.Sum(out)
	if err != nil {
		log.Fatal(err)
	}
	dv, err := gorgonia.Grad(cost, v)
	if err != nil {
		log.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("out:", out.Value().Data())
	fmt.Println("dv: ", dv[0].Value().Data())
	// Output:
	// out: [2 2 2 1.5 1.5 0]
	// dv:  [1 1 1 1 1 0]
}
