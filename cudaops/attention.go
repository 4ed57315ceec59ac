package cudaops

// The launches of package attention's kernels (kernels/attention.cu): one
// block of attentionThreads threads per row, the row's window walked in
// tiles of attentionTile scores held in dynamic shared memory with a few
// d-long rows. Pointers of each: the output, q, k, v (and dout), the
// lengths (int64, (batch); a null pointer with hasLengths false), and for
// the backward the statistics (StatsElements elements of the dtype).
// lower and upper are taken clamped to [−n, n], which changes no window.
const (
	attentionTile    = 64 // ATTN_TILE
	attentionThreads = 32 // ATTN_THREADS
)

// AttentionForward is the launch of attention_fwd: out (batch, n, d) =
// softmax(scale·q·kᵀ) over each row's window, times v. Pointers: out, q, k,
// v, lengths.
func AttentionForward(dt Dtype, batch, n, d, lower, upper int, scale float64, hasLengths bool) Launch {
	return attentionLaunch("attention_fwd", dt, attentionTile+2*d, batch, n, d, lower, upper, scale, hasLengths)
}

// AttentionBackwardRows is the launch of attention_bwd_rows, the first of
// the backward's two: it writes dq, the first (batch, n, d) of the
// gradient g (3, batch, n, d), and each query row's log-sum-exp and D =
// Σ P·dP into stats. Pointers: g, q, k, v, dout, lengths, stats.
func AttentionBackwardRows(dt Dtype, batch, n, d, lower, upper int, scale float64, hasLengths bool) Launch {
	return attentionLaunch("attention_bwd_rows", dt, 2*attentionTile+3*d, batch, n, d, lower, upper, scale, hasLengths)
}

// AttentionBackwardKeys is the launch of attention_bwd_keys, run after
// AttentionBackwardRows on the same g and stats: it writes dk and dv, the
// second and third (batch, n, d) of g, one block per key row. Pointers: g,
// q, k, v, dout, lengths, stats.
func AttentionBackwardKeys(dt Dtype, batch, n, d, lower, upper int, scale float64, hasLengths bool) Launch {
	return attentionLaunch("attention_bwd_keys", dt, 2*attentionTile+4*d, batch, n, d, lower, upper, scale, hasLengths)
}

// AttentionStatsElements is the number of elements of the statistics the
// backward's two launches pass between them: two per query row.
func AttentionStatsElements(batch, n int) int { return 2 * batch * n }

// attentionLaunch is one block per row of batch·n, with shared elements
// of dt in shared memory; sizes below 1 give an empty launch, which Check
// refuses, and so does shared memory past MaxSharedBytes (d too large).
func attentionLaunch(base string, dt Dtype, shared, batch, n, d, lower, upper int, scale float64, hasLengths bool) Launch {
	lower, upper = max(-n, min(n, lower)), max(-n, min(n, upper))
	has := int64(0)
	if hasLengths {
		has = 1
	}
	l := Launch{
		Kernel: KernelName(base, dt),
		Grid:   [3]uint{uint(max(batch*n, 0)), 1, 1},
		Block:  [3]uint{attentionThreads, 1, 1},
		Args:   []any{int64(batch), int64(n), int64(d), int64(lower), int64(upper), scale, has},
	}
	if batch < 1 || n < 1 || d < 1 {
		l.Grid[0] = 0
	}
	if size := shared * dt.Size(); size > 0 && size <= 2*MaxSharedBytes {
		l.SharedBytes = uint(size)
	} else {
		l.SharedBytes = 2 * MaxSharedBytes // refused by Check
	}
	return l
}
