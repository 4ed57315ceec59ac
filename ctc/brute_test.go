package ctc

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// collapse returns the labels a frame-wise path emits: repeats merged,
// then blanks dropped.
func collapse(path []int, blank int) []int {
	var out []int
	for i, c := range path {
		if c == blank || (i > 0 && path[i-1] == c) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// brute returns the loss and its gradient with respect to logProbs by
// enumerating every path of classes over each item's frames: p_b is the
// sum of the probabilities of the paths that collapse to the item's
// labels, and ∂(−log p_b)/∂lp[t, b, c] = −Σ_{paths through c at t} P/p_b.
func brute(p problem, red gorgonia.Reduction) (float64, []float64) {
	grad := make([]float64, len(p.lp))
	var loss float64
	for b, lab := range p.targets {
		tb := p.inLen[b]
		path := make([]int, tb)
		var total float64
		occ := make([]float64, tb*p.cls)
		for {
			if slices.Equal(collapse(path, p.blank), lab) {
				lp := 0.0
				for t, c := range path {
					lp += p.lp[(t*p.batch+b)*p.cls+c]
				}
				pr := math.Exp(lp)
				total += pr
				for t, c := range path {
					occ[t*p.cls+c] += pr
				}
			}
			k := 0
			for k < tb && path[k] == p.cls-1 {
				path[k] = 0
				k++
			}
			if k == tb {
				break
			}
			path[k]++
		}
		w := weight(red, p.batch, len(lab))
		loss -= math.Log(total) * w
		if total == 0 {
			continue
		}
		for t := range tb {
			for c := range p.cls {
				grad[(t*p.batch+b)*p.cls+c] = -w * occ[t*p.cls+c] / total
			}
		}
	}
	return loss, grad
}

// TestLossBrute checks the loss and its gradient against the enumeration
// of every path (T ≤ 6, L ≤ 3, three classes so that labels repeat), both
// dtypes and reductions, padded and concatenated targets, ragged lengths,
// empty targets and targets too long for their frames among them.
func TestLossBrute(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 6 {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			for _, red := range []gorgonia.Reduction{gorgonia.ReductionSum, gorgonia.ReductionMean} {
				concat := trial%2 == 1
				p := randomProblem(rng, 6, 4, 3, 3, 1)
				wantLoss, wantGrad := brute(p, red)
				gotLoss, gotGrad := runLoss(t, ours(), p, dt, red, concat, true)
				tol := 1e-9
				if dt == tensor.Float32 {
					tol = 2e-4
				}
				if !near(gotLoss, wantLoss, tol) {
					t.Errorf("trial %d %v reduction %d: loss %v, brute force %v (targets %v, input lengths %v)", trial, dt, red, gotLoss, wantLoss, p.targets, p.inLen)
				}
				for i := range wantGrad {
					if !near(gotGrad[i], wantGrad[i], tol) {
						t.Errorf("trial %d %v reduction %d: gradient[%d] %v, brute force %v", trial, dt, red, i, gotGrad[i], wantGrad[i])
						break
					}
				}
			}
		}
	}
}

// near reports whether got is want within tol, relative past 1; equal
// infinities are close.
func near(got, want, tol float64) bool {
	if got == want {
		return true
	}
	return math.Abs(got-want) <= tol*max(1, math.Abs(want))
}
