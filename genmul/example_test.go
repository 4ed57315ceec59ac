package genmul_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/genband/genband/genmul"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// One batch of a 1×3 row A and a 3×2 matrix B, in log space.
func operands() (a, b *tensor.Dense) {
	a = tensor.New(tensor.WithShape(1, 1, 3), tensor.WithBacking([]float64{0, math.Log(2), math.Inf(-1)}))
	b = tensor.New(tensor.WithShape(1, 3, 2), tensor.WithBacking([]float64{
		0, math.Log(3),
		0, 0,
		5, 5,
	}))
	return a, b
}

// LogMatMul adds probabilities in log space: exp(C) = exp(A)·exp(B). The
// third term is exp(−Inf) = 0.
func ExampleLogMatMul() {
	a, b := operands()
	c, err := genmul.LogMatMul(a, b)
	if err != nil {
		fmt.Println(err)
		return
	}
	v := c.Data().([]float64)
	fmt.Printf("%.4f %.4f\n", math.Exp(v[0]), math.Exp(v[1]))
	// The gradient of C[0,0,1] with respect to A is the softmax over k of
	// its terms: 3/5 and 2/5.
	dc := tensor.New(tensor.WithShape(1, 1, 2), tensor.WithBacking([]float64{0, 1}))
	da, _, err := genmul.LogMatMulGrad(a, b, dc)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.2f\n", da.Data())
	// Output:
	// 3.0000 5.0000
	// [0.60 0.40 0.00]
}

// LogMatMulNode in a graph: the gradient of Σ C by gorgonia.Grad.
func ExampleLogMatMulNode() {
	a, b := operands()
	g := gorgonia.NewGraph()
	na := gorgonia.NodeFromAny(g, a, gorgonia.WithName("A"))
	nb := gorgonia.NodeFromAny(g, b, gorgonia.WithName("B"))
	c, err := genmul.LogMatMulNode(na, nb)
	if err != nil {
		fmt.Println(err)
		return
	}
	cost := gorgonia.Must(gorgonia.Sum(c))
	grads, err := gorgonia.Grad(cost, na, nb)
	if err != nil {
		fmt.Println(err)
		return
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("dA %.2f\n", grads[0].Value().Data())
	fmt.Printf("dB %.2f\n", grads[1].Value().Data())
	// Output:
	// dA [0.93 1.07 0.00]
	// dB [0.33 0.60 0.67 0.40 0.00 0.00]
}

// MaxMatMul is the max-plus product of Viterbi: the best score over k, its
// gradient 1 on the first maximal k.
func ExampleMaxMatMul() {
	a := tensor.New(tensor.WithShape(1, 1, 3), tensor.WithBacking([]float32{1, 2, 3}))
	b := tensor.New(tensor.WithShape(1, 3, 2), tensor.WithBacking([]float32{
		5, 0,
		4, 0,
		1, -9,
	}))
	c, err := genmul.MaxMatMul(a, b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Data())
	dc := tensor.New(tensor.WithShape(1, 1, 2), tensor.WithBacking([]float32{1, 10}))
	da, db, err := genmul.MaxMatMulGrad(a, b, dc)
	if err != nil {
		fmt.Println(err)
		return
	}
	// C[0] = 1+5 = 2+4 (the first, k = 0, wins the tie); C[1] = 2+0.
	fmt.Println(da.Data(), db.Data())
	// Output:
	// [6 2]
	// [1 10 0] [1 0 0 10 0 0]
}

// SampleMatMul computes LogMatMul, but its gradient goes to one k per
// output, drawn from the softmax with a seeded source: here k = 0 with
// probability 3/5 and k = 1 with probability 2/5.
func ExampleSampleMatMulNode() {
	a, b := operands()
	g := gorgonia.NewGraph()
	na := gorgonia.NodeFromAny(g, a, gorgonia.WithName("A"))
	nb := gorgonia.NodeFromAny(g, b, gorgonia.WithName("B"))
	c, err := genmul.SampleMatMulNode(na, nb, rand.NewPCG(1, 2))
	if err != nil {
		fmt.Println(err)
		return
	}
	// Differentiate C[0,0,1] only.
	w := gorgonia.NewConstant(tensor.New(tensor.WithShape(1, 1, 2), tensor.WithBacking([]float64{0, 1})))
	cost := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(c, w))))
	grads, err := gorgonia.Grad(cost, na)
	if err != nil {
		fmt.Println(err)
		return
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	counts := make([]int, 3)
	for range 1000 {
		if err := m.RunAll(); err != nil {
			fmt.Println(err)
			return
		}
		for k, v := range grads[0].Value().Data().([]float64) {
			if v == 1 {
				counts[k]++
			}
		}
		m.Reset()
	}
	fmt.Printf("C %.4f\n", c.Value().Data())
	fmt.Println("draws of k in 1000 runs:", counts)
	// Output:
	// C [1.0986 1.6094]
	// draws of k in 1000 runs: [627 373 0]
}

// SampleMatMul's eager forward is LogMatMul's; SampleMatMulGrad draws a
// gradient. Output 0 weighs k = 0 and k = 1 as 1/3 and 2/3, output 1 as
// 3/5 and 2/5; with this seed both drew k = 1.
func ExampleSampleMatMul() {
	a, b := operands()
	c, err := genmul.SampleMatMul(a, b)
	if err != nil {
		fmt.Println(err)
		return
	}
	dc := tensor.New(tensor.WithShape(1, 1, 2), tensor.WithBacking([]float64{1, 1}))
	da, db, err := genmul.SampleMatMulGrad(a, b, dc, rand.NewPCG(3, 4))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("C %.4f\n", c.Data())
	fmt.Println("dA", da.Data(), "dB", db.Data())
	// Output:
	// C [1.0986 1.6094]
	// dA [0 2 0] dB [0 0 1 1 0 0]
}

// ProdMaxMatMul is Viterbi in probability space: the largest product over
// k, its gradient through the first maximal k.
func ExampleProdMaxMatMul() {
	a := tensor.New(tensor.WithShape(1, 1, 3), tensor.WithBacking([]float64{0.5, 0.3, 0.2}))
	b := tensor.New(tensor.WithShape(1, 3, 2), tensor.WithBacking([]float64{
		0.1, 0.9,
		0.8, 0.2,
		0.5, 0.5,
	}))
	c, err := genmul.ProdMaxMatMul(a, b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.2f\n", c.Data())
	dc := tensor.New(tensor.WithShape(1, 1, 2), tensor.WithBacking([]float64{1, 1}))
	da, db, err := genmul.ProdMaxMatMulGrad(a, b, dc)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.2f %.2f\n", da.Data(), db.Data())
	// Output:
	// [0.24 0.45]
	// [0.90 0.80 0.00] [0.00 0.50 0.30 0.00 0.00 0.00]
}
