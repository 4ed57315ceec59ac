package ctc_test

import (
	"fmt"
	"log"
	"math"

	"github.com/genband/genband/ctc"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// frames returns log probabilities (T, 1, 3) of 4 frames that read
// "1 1 ∅ 2" most likely (class 0 is the blank), each frame's best class at
// 0.8 and the others at 0.1.
func frames() *tensor.Dense {
	best := []int{1, 1, 0, 2}
	d := make([]float64, 4*3)
	for t, c := range best {
		for k := range 3 {
			d[t*3+k] = math.Log(0.1)
		}
		d[t*3+c] = math.Log(0.8)
	}
	return tensor.New(tensor.WithShape(4, 1, 3), tensor.WithBacking(d))
}

func ints(shape tensor.Shape, d ...int) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d))
}

// The loss of the labels "1 2" over four frames and its gradient, in a
// graph, as gorgonia.CTCLoss would be used.
func ExampleLoss() {
	g := gorgonia.NewGraph()
	lp := gorgonia.NewTensor(g, tensor.Float64, 3, gorgonia.WithShape(4, 1, 3), gorgonia.WithName("logProbs"), gorgonia.WithValue(frames()))
	tg := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(1, 2), gorgonia.WithName("targets"), gorgonia.WithValue(ints(tensor.Shape{1, 2}, 1, 2)))
	il := gorgonia.NewTensor(g, tensor.Int, 1, gorgonia.WithShape(1), gorgonia.WithName("inputLengths"), gorgonia.WithValue(ints(tensor.Shape{1}, 4)))
	tl := gorgonia.NewTensor(g, tensor.Int, 1, gorgonia.WithShape(1), gorgonia.WithName("targetLengths"), gorgonia.WithValue(ints(tensor.Shape{1}, 2)))
	loss, err := ctc.Loss(lp, tg, il, tl, gorgonia.ReductionSum)
	if err != nil {
		log.Fatal(err)
	}
	grads, err := gorgonia.Grad(loss, lp)
	if err != nil {
		log.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("p(1 2) = %.4f\n", math.Exp(-loss.Value().Data().(float64)))
	// −gradient: the expected number of the paths' frames on each class.
	dl := grads[0].Value().Data().([]float64)
	for t := range 4 {
		fmt.Printf("frame %d: %.3f\n", t, []float64{0 - dl[t*3], 0 - dl[t*3+1], 0 - dl[t*3+2]})
	}
	// Output:
	// p(1 2) = 0.6560
	// frame 0: [0.100 0.900 0.000]
	// frame 1: [0.090 0.889 0.021]
	// frame 2: [0.790 0.089 0.121]
	// frame 3: [0.023 0.000 0.977]
}

// The forced alignment of "1 2": which frames each label holds.
func ExampleAlign() {
	spans, err := ctc.Align(frames(), ints(tensor.Shape{1, 2}, 1, 2), ints(tensor.Shape{1}, 4), ints(tensor.Shape{1}, 2))
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range spans[0] {
		fmt.Printf("label %d (class %d): frames [%d, %d)\n", s.Label, s.Class, s.Start, s.End)
	}
	// Output:
	// label 0 (class 1): frames [0, 2)
	// label 1 (class 2): frames [3, 4)
}

// The soft alignment: the probability of each state (blank, 1, blank, 2,
// blank) at each frame.
func ExamplePosteriors() {
	post, err := ctc.Posteriors(frames(), ints(tensor.Shape{1, 2}, 1, 2), ints(tensor.Shape{1}, 4), ints(tensor.Shape{1}, 2))
	if err != nil {
		log.Fatal(err)
	}
	d := post.Data().([]float64)
	for t := range 4 {
		fmt.Printf("frame %d: %.3f\n", t, d[t*5:(t+1)*5])
	}
	// Output:
	// frame 0: [0.100 0.900 0.000 0.000 0.000]
	// frame 1: [0.001 0.889 0.089 0.021 0.000]
	// frame 2: [0.000 0.089 0.780 0.121 0.010]
	// frame 3: [0.000 0.000 0.000 0.977 0.023]
}
