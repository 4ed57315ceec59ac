package cudaops

// CTCStepsForward is the launch of ctc_steps: the step matrices of
// package ctc's scan, (frames·batch, states, 3) in band storage, gathered
// from log probabilities (frames, batch, classes). Pointers: the matrices,
// the log probabilities, then the run's table (CTCTable). One thread per
// row of a matrix.
func CTCStepsForward(dt Dtype, frames, batch, classes, states int) Launch {
	return Linear(KernelName("ctc_steps", dt), frames*batch*states,
		int64(frames), int64(batch), int64(classes), int64(states))
}

// CTCStepsBackward is the launch of ctc_steps_bwd, the scatter that is
// ctc_steps' gradient: every element of the result (frames, batch,
// classes) is written. Pointers: the result, the matrices' gradient, then
// the table. One thread per frame of an item, summing in the CPU's order.
func CTCStepsBackward(dt Dtype, frames, batch, classes, states int) Launch {
	return Linear(KernelName("ctc_steps_bwd", dt), frames*batch,
		int64(frames), int64(batch), int64(classes), int64(states))
}

// CTCTable returns the table ctc_steps and ctc_steps_bwd read, from each
// item's classes of its states (cls[b], at most states of them; an item
// whose labels do not fit has none), whether each state may be entered
// from two before (skip[b], as long as cls[b]), and its input length:
// batch·states classes (−1 past the item's states), batch·states skip
// flags (0 or 1), then batch input lengths.
func CTCTable(states int, cls [][]int32, skip [][]bool, inLen []int) []int32 {
	batch := len(inLen)
	tab := make([]int32, 2*batch*states+batch)
	for b := range batch {
		for c := range states {
			tab[b*states+c] = -1
			if c < len(cls[b]) {
				tab[b*states+c] = cls[b][c]
				if skip[b][c] {
					tab[(batch+b)*states+c] = 1
				}
			}
		}
		tab[2*batch*states+b] = int32(inLen[b])
	}
	return tab
}

// CTCFinalForward is the launch of ctc_final: each item's log p, (batch)
// float64, from the last state of package ctc's float64 scan states
// (frames+1, batch, states) and the target lengths (batch int64; an item
// of more than lmax labels, or fewer than 0, does not fit: −Inf).
// Pointers: log p, the states, the target lengths. One thread per item.
func CTCFinalForward(frames, batch, states, lmax int) Launch {
	return Linear(KernelName("ctc_final", Float64), batch,
		int64(frames), int64(batch), int64(states), int64(lmax))
}

// CTCFinalBackward is the launch of ctc_final_bwd, ctc_final's gradient:
// the float64 gradient of the states (frames+1, batch, states), every
// element written, 0 but at the final states of each item's sum, from the
// gradient of each item's log p. Pointers: the gradient, the states, the
// target lengths, the gradient of log p. One thread per element, each
// striding over several where the grid does not cover them.
func CTCFinalBackward(frames, batch, states, lmax int) Launch {
	return flat(KernelName("ctc_final_bwd", Float64), (frames+1)*batch*states,
		int64(frames), int64(batch), int64(states), int64(lmax))
}
