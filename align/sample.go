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
// strategy is not used. n must be at least 1 and rng not nil; rng is a
// math/rand/v2 *rand.Rand (go doc shows only *rand.Rand), not math/rand's.
// A NaN or +Inf potential that a path of an item may use is an error naming
// the item and the cell, and so is an item whose every path scores −Inf.
// theta is not modified.
func (m Model) Sample(theta *tensor.Dense, n int, rng *rand.Rand, lenX, lenY []int) ([][]Path, error) {
	const op = "Sample"
	if err := m.checkLog(op); err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, errorf(ErrShape, op, "n = %d draws, want at least 1", n)
	}
	if rng == nil {
		return nil, errorf(ErrNil, op, "nil random source")
	}
	in, err := m.newItems(op, theta, lenX, lenY)
	if err != nil {
		return nil, err
	}
	if err := checkSize(op, "the draws", n, in.batch); err != nil {
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
		// What option o does on the walk back: the move it records and
		// the step back in rows and in cells.
		move := [4]int{FromLeft, FromDiag, FromDiag, FromAbove}
		di := [4]int{0, 0, 1, 1}
		dj := [4]int{1, 0, 1, 0}
		dv := [4]int{1, 0, ly + 1, ly}
		var slab []Step
		for s := range n {
			v := ends[sort.SearchFloat64s(cum, math.Nextafter(rng.Float64(), 2))]
			i, j := v/ly, v%ly
			rev = rev[:0]
			for {
				u := rng.Float64()
				c := f.cum[3*v : 3*v+3]
				// Which option u falls in, without branches: the walk's
				// choices are random, so a branch per choice would be
				// mispredicted a third of the time or more.
				o := b2i(u >= c[0]) + b2i(u >= c[1]) + b2i(u >= c[2])
				rev = append(rev, Step{i, j, move[o]})
				if o == optStart {
					break
				}
				i, j, v = i-di[o], j-dj[o], v-dv[o]
			}
			// The draws share a few large allocations.
			if len(slab) < len(rev) {
				slab = make([]Step, max(len(rev), 1<<14))
			}
			p := slab[:len(rev):len(rev)]
			slab = slab[len(rev):]
			for k, st := range rev {
				p[len(rev)-1-k] = st
			}
			draws[s][b] = p
		}
	}
	return draws, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
