package bandop_test

import (
	"fmt"
	"log"
	"math"

	"github.com/genband/genband/bandop"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// attnQK are the queries (and keys) of one head at four positions, d = 2.
func attnQK() *tensor.Dense {
	return tensor.New(tensor.WithShape(1, 4, 2), tensor.WithBacking([]float64{
		1, 0,
		0, 1,
		1, 1,
		2, 0,
	}))
}

// The scores of a causal window of two positions: each position against
// itself and the one before (band lower 1, upper 0). Only those entries are
// computed; the rest are the fill, 0.
func ExampleBandMul() {
	s, err := bandop.BandMul(attnQK(), attnQK(), 1, 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("band", s.Lower(), s.Upper(), "fill", s.Fill())
	printDense(s)
	// Output:
	// band 1 0 fill 0
	//    1   0   0   0
	//    0   1   0   0
	//    0   1   2   0
	//    0   0   2   4
}

// Softmax over each row's band: the first row has one entry, so all its
// weight; a row of only −Inf has no distribution and is all 0, where
// LogSoftmax gives −Inf.
func ExampleBanded_Softmax() {
	d := tensor.New(tensor.WithShape(1, 3, 3), tensor.WithBacking([]float64{
		5, 0, 0,
		0, 0, 0,
		0, math.Inf(-1), math.Inf(-1),
	}))
	a, err := bandop.FromDense(d, 1, 0, 0)
	if err != nil {
		log.Fatal(err)
	}
	p, err := a.Softmax()
	if err != nil {
		log.Fatal(err)
	}
	printDense(p)
	lp, err := a.LogSoftmax()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%.4f %.4f\n", lp.At(0, 1, 0), lp.At(0, 2, 2))
	// Output:
	//    1   0   0
	//  0.5 0.5   0
	//    0   0   0
	// -0.6931 -Inf
}

// MulDense in the Max semiring: R[i,t] is the best A[i,j] + V[j,t] over the
// band of row i.
func ExampleBanded_MulDense() {
	a := tridiag(math.Inf(-1))
	v := tensor.New(tensor.WithShape(1, 3, 2), tensor.WithBacking([]float64{
		0, 10,
		1, 0,
		2, 0,
	}))
	r, err := a.MulDense(v, bandop.Max)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Data())
	// Output:
	// [3 11 7 13 9 7]
}

// Sliding-window attention softmax(band(Q·Kᵀ))·V as a graph of three Ops,
// differentiated: the heads of a model fold into the batch.
func ExampleMulDense() {
	g := gorgonia.NewGraph()
	q := gorgonia.NodeFromAny(g, attnQK(), gorgonia.WithName("Q"))
	k := gorgonia.NodeFromAny(g, attnQK(), gorgonia.WithName("K"))
	v := gorgonia.NodeFromAny(g, tensor.New(tensor.WithShape(1, 4, 1), tensor.WithBacking([]float64{1, 2, 3, 4})), gorgonia.WithName("V"))
	scores, err := bandop.BandMulNode(q, k, 1, 0)
	if err != nil {
		log.Fatal(err)
	}
	p, err := bandop.Softmax(scores)
	if err != nil {
		log.Fatal(err)
	}
	out, err := bandop.MulDense(p, v, bandop.Real)
	if err != nil {
		log.Fatal(err)
	}
	cost := gorgonia.Must(gorgonia.Sum(out))
	grads, err := gorgonia.Grad(cost, v)
	if err != nil {
		log.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("out %.3f\n", out.Value().Data())
	// dV[j] is the attention position j receives: Σ of column j of P.
	fmt.Printf("dV  %.3f\n", grads[0].Value().Data())
	// Output:
	// out [1.000 1.731 2.731 3.881]
	// dV  [1.269 1.000 0.850 0.881]
}
