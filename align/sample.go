package align

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/genband/genband/align/internal/lattice"
	"gorgonia.org/tensor"
)

// Sample draws n exact samples of every item's path from the Log
// distribution over theta, (batch, N, M, m.Channels()) of Float64 or
// Float32, with lengths as in LogPartition: draws[s][b] is draw s of item
// b, so that draws[s] is one batch of paths (for Mask or LogProb). A path
// p is drawn with probability exp(score(p) − log Z). Both models are
// supported: with Affine a path's steps record the channel each scores
// (Match, OpenLeft, …), which says the state it is in.
//
// One forward pass over each item's cells, in float64 and anti-diagonal
// by anti-diagonal, sums the weights of the path prefixes ending in every
// state of every cell and keeps, per state and cell, the probabilities of
// its last move; each draw then picks an end state and walks back to a
// start, one uniform number of rng per step, so that a draw costs time in
// proportion to its length and many draws share one forward pass. Draws
// come in order: item 0's n draws first, then item 1's, so that rng seeded
// alike gives the same draws.
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
	var slab []Step
	for b, f := range fs {
		l := f.l
		cells := l.LenX * l.LenY
		// The end states' cumulative probabilities, in the order of
		// l.Ends, the last of positive weight set to 2 as in the tables.
		var ends []int
		var cum []float64
		var acc float64
		l.Ends(func(s, i, j int) {
			v := l.Index(s, i, j)
			if w := math.Exp(f.alpha[v] - f.logZ); w > 0 {
				acc += w
				ends, cum = append(ends, v), append(cum, acc)
			}
		})
		cum[len(cum)-1] = 2
		steps, opts := walkSteps(l), l.Top.MaxOptions()
		width := l.Top.CumWidth()
		for s := range n {
			v := ends[sort.SearchFloat64s(cum, math.Nextafter(rng.Float64(), 2))]
			st, i, j := v/cells, v%cells/l.LenY, v%l.LenY
			v = l.CumIndex(st, i, j) // from here on, where the state's table starts
			rev = rev[:0]
			for {
				u := rng.Float64()
				// Which option u falls in, without branches: the walk's
				// choices are random, so a branch per choice would be
				// mispredicted a third of the time or more.
				var o int
				if width == 3 { // both models: a constant length checks no bounds
					c := f.cum[v:][:3]
					o = b2i(u >= c[0]) + b2i(u >= c[1]) + b2i(u >= c[2])
				} else {
					for _, c := range f.cum[v : v+width] {
						o += b2i(u >= c)
					}
				}
				w := &steps[st*opts+o]
				rev = append(rev, Step{i, j, int(w.channel)})
				if w.start {
					break
				}
				st, i, j, v = int(w.from), i-int(w.di), j-int(w.dj), v-w.dv
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

// A walkStep is what option o of state s does on a sampling walk back:
// the channel it records, and unless it starts the path, the state and
// cell it comes from: state from, (i − di, j − dj), whose sampling table
// starts dv positions before the current one's (lattice.CumIndex).
type walkStep struct {
	dv                    int
	channel, from, di, dj int32
	start                 bool
}

// walkSteps returns the walkStep of option o of state s of l at
// s·MaxOptions + o.
func walkSteps(l *lattice.Lattice) []walkStep {
	opts := l.Top.MaxOptions()
	steps := make([]walkStep, len(l.Top.In)*opts)
	for s, in := range l.Top.In {
		for o, op := range in {
			w := walkStep{channel: int32(op.Channel), start: op.Start}
			if !op.Start {
				w.from, w.di, w.dj = int32(op.From), int32(op.DI), int32(op.DJ)
				w.dv = l.CumIndex(s, op.DI, op.DJ) - l.CumIndex(op.From, 0, 0)
			}
			steps[s*opts+o] = w
		}
	}
	return steps
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
