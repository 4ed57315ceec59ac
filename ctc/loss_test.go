package ctc

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestLossGorgonia compares the loss with gorgonia.CTCLoss on random
// batches: both dtypes, both reductions, padded and concatenated targets,
// ragged lengths (no empty target: gorgonia's value has the wrong sign
// there, see TestLossEmptyTarget).
func TestLossGorgonia(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, red := range []gorgonia.Reduction{gorgonia.ReductionSum, gorgonia.ReductionMean} {
			for _, concat := range []bool{false, true} {
				p := randomProblem(rng, 12, 5, 6, 4, 9)
				for b := range p.targets {
					if len(p.targets[b]) == 0 {
						p.targets[b] = []int{1 + b%5}
					}
				}
				got, _ := runLoss(t, ours(), p, dt, red, concat, false)
				want, _ := runLoss(t, gorgonia.CTCLoss, p, dt, red, concat, false)
				tol := 1e-10
				if dt == tensor.Float32 {
					tol = 1e-4
				}
				if math.Abs(got-want) > tol*max(1, math.Abs(want)) {
					t.Errorf("%v reduction %d concat %t: loss %v, gorgonia %v", dt, red, concat, got, want)
				}
			}
		}
	}
}
