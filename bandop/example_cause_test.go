package bandop_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/genband/genband/align"
	"github.com/genband/genband/bandop"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ExampleCause runs a graph whose lengths, bound only at run time, are out
// of range: align's Op fails inside the TapeMachine, which returns its
// error wrapped without Unwrap, so errors.Is and errors.As see nothing on
// RunAll's error itself. Cause finds the Op's error, with its kind, the
// package and the function that built the node.
func ExampleCause() {
	g := gorgonia.NewGraph()
	theta := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(2, 3, 4, 3), gorgonia.WithName("theta"))
	lengths := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(2, 2), gorgonia.WithName("lengths"))
	if _, err := (align.Model{}).LogPartitionLengths(theta, lengths); err != nil {
		log.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	if err := gorgonia.Let(theta, tensor.New(tensor.WithShape(2, 3, 4, 3), tensor.Of(tensor.Float64))); err != nil {
		log.Fatal(err)
	}
	// Item 1 claims 7 symbols of x, which has room for 3.
	lv, err := align.Lengths([]int{3, 7}, []int{4, 4})
	if err != nil {
		log.Fatal(err)
	}
	if err := gorgonia.Let(lengths, lv); err != nil {
		log.Fatal(err)
	}

	err = vm.RunAll()
	fmt.Println("run failed:", err != nil)
	fmt.Println("on RunAll's error, errors.Is(err, align.ErrLength):", errors.Is(err, align.ErrLength))

	cause := bandop.Cause(err)
	fmt.Println("on its Cause, errors.Is(cause, align.ErrLength):", errors.Is(cause, align.ErrLength))
	fmt.Println(cause)
	var e *bandop.Error // the same type as *align.Error
	if errors.As(cause, &e) {
		fmt.Printf("package %s, function %s, kind %q\n", e.Pkg, e.Op, e.Kind)
	}
	// Output:
	// run failed: true
	// on RunAll's error, errors.Is(err, align.ErrLength): false
	// on its Cause, errors.Is(cause, align.ErrLength): true
	// align.LogPartitionLengths: lenX[1] = 7, want 1 ≤ length ≤ 3
	// package align, function LogPartitionLengths, kind "length or index out of range"
}
