package cudaops

// The launches of the element-per-thread kernels (plus, times, dense,
// shift: kernels/elementwise.cuh's Flat walk). Each thread walks the
// output with the grid's size as its stride, dividing only where its walk
// starts; capping the grid at flatMaxBlocks blocks (several waves on any
// GPU) spreads those divisions over several elements a thread on large
// outputs and lifts any limit on the batch.
const (
	flatThreads   = 256
	flatMaxBlocks = 1 << 13
)

// flat is the launch of an element-per-thread kernel over total output
// elements: blocks of flatThreads threads, enough of them to give each
// thread one element up to flatMaxBlocks blocks, and at least one.
func flat(kernel string, total int, args ...any) Launch {
	blocks := min(max(ceilDiv(total, flatThreads), 1), flatMaxBlocks)
	return Launch{Kernel: kernel, Grid: [3]uint{uint(blocks), 1, 1}, Block: [3]uint{flatThreads, 1, 1}, Args: args}
}
