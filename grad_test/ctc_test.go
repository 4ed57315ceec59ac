package gradtest

import (
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/ctc"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ctcLoss builds ctc.Loss of logProbs x, (T, batch, classes), with padded
// targets and the given lengths, and returns the logProbs node and the
// loss.
func ctcLoss(shape tensor.Shape, x []float64, targets [][]int, inLen []int, red gorgonia.Reduction, opts ...ctc.Option) (*gorgonia.Node, *gorgonia.Node, error) {
	g := gorgonia.NewGraph()
	lp := gorgonia.NewTensor(g, tensor.Float64, 3, gorgonia.WithShape(shape...), gorgonia.WithName("logProbs"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), x...)))))
	batch, width := shape[1], 3
	tg := make([]int, batch*width)
	tl := make([]int, batch)
	for b, lab := range targets {
		copy(tg[b*width:], lab)
		tl[b] = len(lab)
	}
	nodes := []*gorgonia.Node{
		gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(batch, width), gorgonia.WithName("targets"), gorgonia.WithValue(tensor.New(tensor.WithShape(batch, width), tensor.WithBacking(tg)))),
		gorgonia.NewTensor(g, tensor.Int, 1, gorgonia.WithShape(batch), gorgonia.WithName("inputLengths"), gorgonia.WithValue(tensor.New(tensor.WithShape(batch), tensor.WithBacking(append([]int(nil), inLen...))))),
		gorgonia.NewTensor(g, tensor.Int, 1, gorgonia.WithShape(batch), gorgonia.WithName("targetLengths"), gorgonia.WithValue(tensor.New(tensor.WithShape(batch), tensor.WithBacking(tl)))),
	}
	cost, err := ctc.Loss(lp, nodes[0], nodes[1], nodes[2], red, opts...)
	return lp, cost, err
}

// TestCTCLoss checks the gradient of ctc.Loss with respect to logProbs
// against central differences: logProbs that are not normalized (the
// derivative of the loss itself, not of one behind a softmax), both
// reductions, ragged input lengths (frames past an item's length get 0),
// a repeated label, an empty target, and another blank.
func TestCTCLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	shape := tensor.Shape{6, 4, 4}
	targets := [][]int{{1, 1}, {2, 3, 1}, {}, {3}}
	inLen := []int{6, 5, 3, 4}
	for _, red := range []gorgonia.Reduction{gorgonia.ReductionSum, gorgonia.ReductionMean} {
		for _, blank := range []int{0, 2} {
			tg := targets
			if blank == 2 {
				tg = [][]int{{1, 1}, {0, 3, 1}, {}, {3}}
			}
			x := make([]float64, shape.TotalSize())
			for i := range x {
				x[i] = rng.Float64()*2 - 2
			}
			lp, cost, err := ctcLoss(shape, x, tg, inLen, red, ctc.Blank(blank))
			if err != nil {
				t.Fatal(err)
			}
			grads, err := gorgonia.Grad(cost, lp)
			if err != nil {
				t.Fatal(err)
			}
			vm := gorgonia.NewTapeMachine(cost.Graph())
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			got := append([]float64(nil), grads[0].Value().Data().([]float64)...)
			vm.Close()
			f := func(x []float64) (float64, error) {
				_, c, err := ctcLoss(shape, x, tg, inLen, red, ctc.Blank(blank))
				if err != nil {
					return 0, err
				}
				vm := gorgonia.NewTapeMachine(c.Graph())
				defer vm.Close()
				if err := vm.RunAll(); err != nil {
					return 0, err
				}
				return c.Value().Data().(float64), nil
			}
			want, err := CentralDiff(f, x, nil, 1e-6)
			if err != nil {
				t.Fatal(err)
			}
			if i, e := Compare(got, want); e > 1e-7 {
				t.Errorf("reduction %d blank %d: gradient element %d is %v, finite difference %v (error %.3g)", red, blank, i, got[i], want[i], e)
			}
			// Frames past an item's input length have gradient 0.
			for i, g := range got {
				if tt, b := i/(shape[1]*shape[2]), i/shape[2]%shape[1]; tt >= inLen[b] && g != 0 {
					t.Errorf("reduction %d: gradient of frame %d of item %d (length %d) is %v", red, tt, b, inLen[b], g)
				}
			}
		}
	}
}
