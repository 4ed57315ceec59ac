package ctc

import "github.com/genband/genband/cudaops"

// table is the run's table for the CUDA kernels of the steps and their
// gradient (cudaops.CTCTable), from the checked batch: the extended
// labels of every item that fits, its skips, and its input length.
func (bt *batch) table(f form) []int32 {
	cls, skip := bt.allExtended(f)
	return cudaops.CTCTable(f.states(), cls, skip, bt.inLen)
}
