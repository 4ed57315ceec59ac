package cudaops

// GatherForward is the launch of gather_fwd for a map with total output
// elements: out[e] = X[Index[e]], or a constant where Index[e] < 0 (see
// bandop.GatherMap). Pointers: the output, X, then the map's Index (total
// int32s) and Consts (float64s, at least one element even when the map
// has none). One thread per output element.
func GatherForward(dt Dtype, total int) Launch {
	return Linear(KernelName("gather_fwd", dt), total, int64(total))
}

// GatherBackward is the launch of gather_bwd, the scatter that is Gather's
// gradient, for a map with inSize input elements: element i of the result
// is the sum of the output gradient over the elements that read i. Pointers:
// the result, the output gradient, then start and readers from ScatterPlan.
// One thread per input element, each summing its readers in ascending
// order, as the CPU does: no atomics, the same rounding.
func GatherBackward(dt Dtype, inSize int) Launch {
	return Linear(KernelName("gather_bwd", dt), inSize, int64(inSize))
}

// ScatterPlan returns the transpose of a gather map's index in CSR form, the
// map gather_bwd reads: the output elements that read input element i are
// readers[start[i]:start[i+1]], in ascending order. start has inSize+1
// entries; readers has one per non-negative index (constants are read by
// nobody), and at least one entry, so that its device copy is never empty.
// Indices ≥ inSize are ignored (bandop checks maps before use).
func ScatterPlan(index []int32, inSize int) (start, readers []int32) {
	start = make([]int32, inSize+1)
	for _, ix := range index {
		if ix >= 0 && int(ix) < inSize {
			start[ix+1]++
		}
	}
	for i := 0; i < inSize; i++ {
		start[i+1] += start[i]
	}
	readers = make([]int32, max(int(start[inSize]), 1))
	next := append([]int32(nil), start[:inSize]...)
	for e, ix := range index {
		if ix >= 0 && int(ix) < inSize {
			readers[next[ix]] = int32(e)
			next[ix]++
		}
	}
	return start, readers
}
