package bandop_test

import (
	"fmt"
	"log"
	"math"

	"github.com/genband/genband/bandop"
	"gorgonia.org/tensor"
)

// example4 is a 4×4 matrix with one sub-diagonal and one super-diagonal
// (fill 0) whose entry (i, j) is 10(i+1) + j+1.
func example4() *bandop.Banded {
	d := make([]float64, 16)
	for i := range 4 {
		for j := range 4 {
			d[i*4+j] = float64(10*(i+1) + j + 1)
		}
	}
	a, err := bandop.FromDense(tensor.New(tensor.WithShape(1, 4, 4), tensor.WithBacking(d)), 1, 1, 0)
	if err != nil {
		log.Fatal(err)
	}
	return a
}

// The transpose of a band (lower 1, upper 1) matrix; the band's limits swap.
func ExampleBanded_Transpose() {
	a := example4()
	t := a.Transpose()
	fmt.Println("band", t.Lower(), t.Upper())
	printDense(t)
	// Output:
	// band 1 1
	//   11  21   0   0
	//   12  22  32   0
	//    0  23  33  43
	//    0   0  34  44
}

// RowShift(1) moves every row up by one: C[i, j] = A[i+1, j]. The band moves
// with it, from (1, 1) to (0, 2), and the last row, which has no source, is
// the fill.
func ExampleBanded_RowShift() {
	c, err := example4().RowShift(1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("band", c.Lower(), c.Upper())
	printDense(c)
	// Output:
	// band 0 2
	//   21  22  23   0
	//    0  32  33  34
	//    0   0  43  44
	//    0   0   0   0
}

// ColShift(−1) moves every column right by one: C[i, j] = A[i, j−1].
func ExampleBanded_ColShift() {
	c, err := example4().ColShift(-1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("band", c.Lower(), c.Upper())
	printDense(c)
	// Output:
	// band 0 2
	//    0  11  12   0
	//    0  21  22  23
	//    0   0  32  33
	//    0   0   0  43
}

// Reband keeps the matrix and moves the band window: here the sub-diagonal
// is dropped and a second super-diagonal of fill is added. With fill −Inf
// (a Log or Max operand) the new diagonal is −Inf.
func ExampleBanded_Reband() {
	a := example4()
	c, err := a.Reband(0, 2)
	if err != nil {
		log.Fatal(err)
	}
	printDense(c)

	l, err := bandop.Filled(tensor.Float64, 1, 3, 0, 0, math.Inf(-1))
	if err != nil {
		log.Fatal(err)
	}
	lr, err := l.BandPad(1) // genbmm's band_pad: Reband(Lower+1, Upper+1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("band", lr.Lower(), lr.Upper(), "fill", lr.Fill())
	// Output:
	//   11  12   0   0
	//    0  22  23   0
	//    0   0  33  34
	//    0   0   0  44
	// band 1 1 fill -Inf
}
