package bandop_test

import (
	"fmt"
	"log"
	"math"

	"github.com/genband/genband/bandop"
	"gonum.org/v1/gonum/mat"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// tridiag is one 3×3 tridiagonal matrix of the given fill, its in-band
// entries 1…7 row by row.
func tridiag(fill float64) *bandop.Banded {
	d := tensor.New(tensor.WithShape(1, 3, 3), tensor.WithBacking([]float64{
		1, 2, 0,
		3, 4, 5,
		0, 6, 7,
	}))
	a, err := bandop.FromDense(d, 1, 1, fill)
	if err != nil {
		log.Fatal(err)
	}
	return a
}

// vector is the (1, 3) float64 tensor of x.
func vector(x ...float64) *tensor.Dense {
	return tensor.New(tensor.WithShape(1, len(x)), tensor.WithBacking(x))
}

// The Max semiring's product is the best two-step path: C[i,j] is the
// largest A[i,k] + A[k,j] over the middle k.
func ExampleBanded_Mul() {
	a := tridiag(math.Inf(-1))
	c, err := a.Mul(a, bandop.Max)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("band", c.Lower(), c.Upper())
	printDense(c)
	// Output:
	// band 2 2
	//    5   6   7
	//    7  11  12
	//    9  13  14
}

// Mul in a graph: the gradient of Σ C with respect to A, for C = A·A.
func ExampleMul() {
	g := gorgonia.NewGraph()
	a, err := bandop.NewNode(g, tridiag(0), "A")
	if err != nil {
		log.Fatal(err)
	}
	c, err := bandop.Mul(a, a, bandop.Real)
	if err != nil {
		log.Fatal(err)
	}
	sum, err := bandop.Sum(c, bandop.Real)
	if err != nil {
		log.Fatal(err)
	}
	cost := gorgonia.Must(gorgonia.Sum(sum))
	grads, err := gorgonia.Grad(cost, a.Node)
	if err != nil {
		log.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("Σ C =", cost.Value())
	// ∂/∂A[i,k] of Σ_ij (A·A)[i,j] is Σ_j A[k,j] + Σ_j A[j,i], row sum k
	// plus column sum i: for (1, 0), 3 + 12.
	dA, err := bandop.Wrap(grads[0], 1, 1, 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("∂/∂A[1,0] =", mustBanded(dA).At(0, 1, 0))
	// Output:
	// Σ C = 312
	// ∂/∂A[1,0] = 15
}

func mustBanded(n *bandop.Node) *bandop.Banded {
	b, err := n.Banded()
	if err != nil {
		log.Fatal(err)
	}
	return b
}

// VecMul is the row vector v ⊗ A: with the Real semiring, vᵀA.
func ExampleBanded_VecMul() {
	r, err := tridiag(0).VecMul(vector(1, 10, 100), bandop.Real)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Data())
	// Output:
	// [31 642 750]
}

// MulVec is the column vector A ⊗ v: with the Log semiring,
// log Σ_j exp(A[i,j] + v[j]).
func ExampleBanded_MulVec() {
	v := vector(0, math.Inf(-1), 0) // only columns 0 and 2 count
	r, err := tridiag(math.Inf(-1)).MulVec(v, bandop.Log)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%.4f\n", r.Data())
	// Output:
	// [1.0000 5.1269 7.0000]
}

// Plus is elementwise ⊕ over the union of the bands; Times is elementwise ⊗
// over their intersection.
func ExampleBanded_Plus() {
	a := tridiag(0)
	diag, err := bandop.Filled(tensor.Float64, 1, 3, 0, 0, 0)
	if err != nil {
		log.Fatal(err)
	}
	diag.Data().Data().([]float64)[0] = 100 // (0, 0)
	sum, err := a.Plus(diag, bandop.Real)
	if err != nil {
		log.Fatal(err)
	}
	prod, err := a.Times(a, bandop.Real)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("A ⊕ D, band", sum.Lower(), sum.Upper())
	printDense(sum)
	fmt.Println("A ⊗ A elementwise")
	printDense(prod)
	// Output:
	// A ⊕ D, band 1 1
	//  101   2   0
	//    3   4   5
	//    0   6   7
	// A ⊗ A elementwise
	//    1   4   0
	//    9  16  25
	//    0  36  49
}

// Times with bands that only partly overlap keeps the intersection.
func ExampleBanded_Times() {
	a := tridiag(math.Inf(-1))
	upper, err := a.Reband(0, 1) // the diagonal and the one above it
	if err != nil {
		log.Fatal(err)
	}
	c, err := a.Times(upper, bandop.Log) // ⊗ is + in the Log semiring
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("band", c.Lower(), c.Upper())
	printDense(c)
	// Output:
	// band 0 1
	//    2   4-Inf
	// -Inf   8  10
	// -Inf-Inf  14
}

// Sum ⊕-sums every entry of each matrix: the Max semiring gives the largest.
func ExampleBanded_Sum() {
	a := tridiag(0)
	total, err := a.Sum(bandop.Real)
	if err != nil {
		log.Fatal(err)
	}
	best, err := tridiag(math.Inf(-1)).Sum(bandop.Max)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(total.Data(), best.Data())
	// Output:
	// [28] [7]
}

// Zip applies any function over the union of two bands, eagerly; the
// result's fill is f of the fills.
func ExampleZip() {
	a := tridiag(0)
	c, err := bandop.Zip(a, a, func(x, y float64) float64 { return x*y + 1 })
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("fill", c.Fill())
	printDense(c)
	// Output:
	// fill 1
	//    2   5   1
	//   10  17  26
	//    1  37  50
}

// A GatherMap picks elements of a tensor, or constants, into a new shape in
// one step: here the diagonal of a 3×3 matrix, then the constant −1.
func ExampleGatherMap_Gather() {
	x := tensor.New(tensor.WithShape(3, 3), tensor.WithBacking([]float64{
		1, 2, 3,
		4, 5, 6,
		7, 8, 9,
	}))
	m := &bandop.GatherMap{
		In: tensor.Shape{3, 3}, Out: tensor.Shape{4},
		Index:  []int32{0, 4, 8, -1}, // −1 is Consts[0]
		Consts: []float64{-1},
	}
	y, err := m.Gather(x)
	if err != nil {
		log.Fatal(err)
	}
	back, err := m.Scatter(y) // the adjoint: each element back where it was read
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(y.Data())
	fmt.Println(back.Data())
	// Output:
	// [1 5 9 -1]
	// [1 0 0 0 5 0 0 0 9]
}

// Gather in a graph: the gradient of Σ y goes to every element read, once
// per read.
func ExampleGather() {
	g := gorgonia.NewGraph()
	x := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(3), gorgonia.WithName("x"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(3), tensor.WithBacking([]float64{1, 2, 3}))))
	m := &bandop.GatherMap{In: tensor.Shape{3}, Out: tensor.Shape{4}, Index: []int32{2, 2, 0, -1}, Consts: []float64{10}}
	y, err := bandop.Gather(x, m)
	if err != nil {
		log.Fatal(err)
	}
	cost := gorgonia.Must(gorgonia.Sum(y))
	grads, err := gorgonia.Grad(cost, x)
	if err != nil {
		log.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(y.Value().Data(), grads[0].Value().Data())
	// Output:
	// [3 3 1 10] [1 0 2]
}

// FromDense keeps the band of a dense matrix and forgets the rest; ToDense
// gives the matrix back, with the fill outside the band.
func ExampleFromDense() {
	d := tensor.New(tensor.WithShape(1, 3, 3), tensor.WithBacking([]float64{
		1, 2, 3,
		4, 5, 6,
		7, 8, 9,
	}))
	a, err := bandop.FromDense(d, 0, 1, 0) // the diagonal and the one above
	if err != nil {
		log.Fatal(err)
	}
	back, err := a.ToDense()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("storage", a.Data().Data())
	fmt.Println("dense  ", back.Data())
	// Output:
	// storage [1 2 5 6 9 0]
	// dense   [1 2 0 0 5 6 0 0 9]
}

// A float64 matrix of the batch is a gonum BandDense over the same storage:
// gonum's routines work on it without a copy.
func ExampleBanded_BandDense() {
	a := tridiag(0)
	m, err := a.BandDense(0)
	if err != nil {
		log.Fatal(err)
	}
	var x mat.VecDense
	x.MulVec(m, mat.NewVecDense(3, []float64{1, 1, 1}))
	fmt.Println("A·1 =", x.RawVector().Data)
	m.SetBand(0, 0, 100) // shared: a sees it
	fmt.Println("a.At(0, 0, 0) =", a.At(0, 0, 0))
	// Output:
	// A·1 = [3 12 13]
	// a.At(0, 0, 0) = 100
}

// FromBandDense turns gonum band matrices into a batch.
func ExampleFromBandDense() {
	m := mat.NewBandDense(3, 3, 1, 0, []float64{
		0, 1, // row 0: the padding slot, then (0, 0)
		2, 3, // row 1: (1, 0), (1, 1)
		4, 5, // row 2: (2, 1), (2, 2)
	})
	a, err := bandop.FromBandDense(m, m)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a)
	printDense(a)
	// Output:
	// Banded{batch 2, n 3, lower 1, upper 0, fill 0, float64}
	//    1   0   0
	//    2   3   0
	//    0   4   5
}
