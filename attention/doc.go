// Package attention holds banded (sliding-window) attention for Gorgonia
// graphs as one fused Op: each query attends to the keys of a window of
// offsets around its own position, and neither the forward nor the
// backward pass keeps a score matrix, banded or dense. The forward keeps
// one number per query row, the log of its softmax's normalizer; the
// backward recomputes the scores of a row's window from q and k, so the
// memory of a layer is that of q, k, v and their gradients whatever the
// window.
//
// Why a fused Op rather than a band of scores from bandop (BandMulNode,
// Softmax, MulDense): those keep the (n, w) scores and probabilities of
// every head for the backward, and each step reads and writes them once
// more; here a row's window of keys and values is read where it lies, two
// contiguous blocks of k and v, while the row's scores stay in a buffer of
// w numbers.
package attention
