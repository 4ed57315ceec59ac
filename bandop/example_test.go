package bandop_test

import (
	"fmt"
	"log"

	"github.com/genband/genband/bandop"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// printDense prints matrix 0 of a, one row a line.
func printDense(a *bandop.Banded) {
	for i := range a.N() {
		for j := range a.N() {
			fmt.Printf("%4g", a.At(0, i, j))
		}
		fmt.Println()
	}
}

// Example is the quick start of the README: a tridiagonal matrix squared at
// once, then the same product in a Gorgonia graph, differentiated.
func Example() {
	// One 3×3 tridiagonal matrix (band lower 1, upper 1, fill 0).
	d := tensor.New(tensor.WithShape(1, 3, 3), tensor.WithBacking([]float64{
		1, 2, 0,
		3, 4, 5,
		0, 6, 7,
	}))
	a, err := bandop.FromDense(d, 1, 1, 0)
	if err != nil {
		log.Fatal(err)
	}

	// Eager: the product is computed at once; its band is (2, 2).
	c, err := a.Mul(a, bandop.Real)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("A·A, band", c.Lower(), c.Upper())
	printDense(c)

	// Graph: cost = Σ (A·A), and its gradient with respect to A.
	g := gorgonia.NewGraph()
	x, err := bandop.NewNode(g, a, "A")
	if err != nil {
		log.Fatal(err)
	}
	y, err := bandop.Mul(x, x, bandop.Real)
	if err != nil {
		log.Fatal(err)
	}
	yd, err := bandop.ToDense(y)
	if err != nil {
		log.Fatal(err)
	}
	cost := gorgonia.Must(gorgonia.Sum(yd))
	grads, err := gorgonia.Grad(cost, x.Node)
	if err != nil {
		log.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("cost", cost.Value())

	// The gradient is band storage of A's band; as a matrix,
	// ∂cost/∂A[i,k] = (row sum k of A) + (column sum i of A) inside the band.
	ga, err := bandop.New(grads[0].Value().(*tensor.Dense), 1, 1, 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("∂cost/∂A")
	printDense(ga)

	// Output:
	// A·A, band 2 2
	//    7  10  10
	//   15  52  55
	//   18  66  79
	// cost 312
	// ∂cost/∂A
	//    7  16   0
	//   15  24  25
	//    0  24  25
}
