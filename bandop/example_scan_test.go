package bandop_test

import (
	"fmt"
	"log"
	"math"

	"github.com/genband/genband/bandop"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// walk returns the step matrices of a random walk on n positions that
// stays put with probability 1/2 and moves one left or right with 1/4 each
// (a walker at an end moves in with 1/4 and stays with 3/4), for steps
// steps of one item, as band storage (lower 1, upper 1) of logs of
// probabilities when logs is set.
func walk(n, steps int, logs bool) *bandop.Banded {
	d := make([]float64, steps*n*3)
	for t := range steps {
		for i := range n {
			row := d[(t*n+i)*3 : (t*n+i+1)*3] // A[i, i−1], A[i, i], A[i, i+1]
			row[0], row[1], row[2] = 0.25, 0.5, 0.25
			if i == 0 {
				row[0], row[1] = 0, 0.75
			}
			if i == n-1 {
				row[2], row[1] = 0, 0.75
			}
			if logs {
				for k := range row {
					row[k] = math.Log(row[k])
				}
			}
		}
	}
	fill := 0.0
	if logs {
		fill = math.Inf(-1)
	}
	a, err := bandop.New(tensor.New(tensor.WithShape(steps, n, 3), tensor.WithBacking(d)), 1, 1, fill)
	if err != nil {
		log.Fatal(err)
	}
	return a
}

// The distribution of a random walker after three steps, from the middle
// of five positions: v₀ ⊗ A₀ ⊗ A₁ ⊗ A₂ under the Real semiring.
func ExampleBanded_Scan() {
	a := walk(5, 3, false)
	v0 := tensor.New(tensor.WithShape(1, 5), tensor.WithBacking([]float64{0, 0, 1, 0, 0}))
	v, err := a.Scan(v0, bandop.Real, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%.4f\n", v.Data())
	// Output:
	// [0.1094 0.2344 0.3125 0.2344 0.1094]
}

// The same walk in log space inside a graph: the gradient of log P(end at
// position 4) with respect to the step matrices is the expected number of
// times each move is taken on the walks that end there.
func ExampleScan() {
	g := gorgonia.NewGraph()
	a, err := bandop.NewNode(g, walk(5, 3, true), "A")
	if err != nil {
		log.Fatal(err)
	}
	start := []float64{math.Inf(-1), math.Inf(-1), 0, math.Inf(-1), math.Inf(-1)}
	v0 := gorgonia.NewConstant(tensor.New(tensor.WithShape(1, 5), tensor.WithBacking(start)))
	v, err := bandop.Scan(v0, a, bandop.Log, nil)
	if err != nil {
		log.Fatal(err)
	}
	flat, err := gorgonia.Reshape(v, tensor.Shape{5})
	if err != nil {
		log.Fatal(err)
	}
	cost, err := gorgonia.Slice(flat, gorgonia.S(4)) // log P(end at 4)
	if err != nil {
		log.Fatal(err)
	}
	grads, err := gorgonia.Grad(cost, a.Node)
	if err != nil {
		log.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("P(end at 4) = %.4f\n", math.Exp(cost.Value().Data().(float64)))
	// Each walk to 4 moves right twice and stays once: 3 moves in all.
	var moves, right float64
	for k, x := range grads[0].Value().Data().([]float64) {
		moves += x
		if k%3 == 2 {
			right += x
		}
	}
	fmt.Printf("expected moves %.2f, of them right %.2f\n", moves, right)
	// Output:
	// P(end at 4) = 0.1094
	// expected moves 3.00, of them right 2.00
}
