package align

import (
	"math"
	"math/rand/v2"
	"sort"

	"gorgonia.org/tensor"
)

// Sample draws n exact samples of every item's path from the Log
// distribution over theta, (batch, N, M, 3) of Float64 or Float32, with
// lengths as in LogPartition: draws[s][b] is draw s of item b, so that
// draws[s] is one batch of paths (for Mask or LogProbs). A path p is drawn
// with probability exp(score(p) − log Z).
//
// One forward pass over each item's cells, in float64, sums the weights of
// the path prefixes ending in every cell and keeps, per cell, the
// probabilities of its last move; each draw then picks an end cell and walks
// back to a start, one uniform number of rng per step, so that a draw costs
// time in proportion to its length and many draws share one forward pass.
// Draws come in order: item 0's n draws first, then item 1's, so that rng
// seeded alike gives the same draws.
//
// m.Semiring must be Log; every mode and MaxGap is supported and the
// strategy is not used. n must be at least 1 and rng not nil. A NaN or +Inf
// potential that a path of an item may use is an error naming the item and
// the cell, and so is an item whose every path scores −Inf. theta is not
// modified.
func (m Model) Sample(theta *tensor.Dense, n int, rng *rand.Rand, lenX, lenY []int) ([][]Path, error) {
	const op = "Model.Sample"
	if err := m.checkLog(op); err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, errorf(op, "n = %d draws, want at least 1", n)
	}
	if rng == nil {
		return nil, errorf(op, "nil random source")
	}
	in, err := newItems(op, theta, lenX, lenY)
	if err != nil {
		return nil, err
	}
	fs, err := m.logForwards(op, in, true)
	if err != nil {
		return nil, err
	}
	draws := make([][]Path, n)
	for s := range draws {
		draws[s] = make([]Path, in.batch)
	}
	var rev Path
	for b, f := range fs {
		// The ends' cumulative probabilities, the last of positive weight
		// set to 2 as in logForward.
		var ends []int
		var cum []float64
		var acc float64
		f.ends(func(v int) {
			if w := math.Exp(f.alpha[v] - f.logZ); w > 0 {
				acc += w
				ends, cum = append(ends, v), append(cum, acc)
			}
		})
		cum[len(cum)-1] = 2
		ly := f.l.lenY
		for s := range n {
			v := ends[sort.SearchFloat64s(cum, math.Nextafter(rng.Float64(), 2))]
			rev = rev[:0]
			for {
				i, j := v/ly, v%ly
				u := rng.Float64()
				c := f.cum[3*v : 3*v+3]
				o := optAbove
				switch {
				case u < c[0]:
					o = optLeft
				case u < c[1]:
					o = optStart
				case u < c[2]:
					o = optDiag
				}
				rev = append(rev, Step{i, j, optChannel[o]})
				if o == optStart {
					break
				}
				pi, pj, _ := f.l.pred(i, j, o)
				v = pi*ly + pj
			}
			p := make(Path, len(rev))
			for k, st := range rev {
				p[len(rev)-1-k] = st
			}
			draws[s][b] = p
		}
	}
	return draws, nil
}
