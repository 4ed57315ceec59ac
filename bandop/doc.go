// Package bandop provides batched banded matrices as Gorgonia values, the
// semiring products and shape operations on them, and a Gorgonia Op for each
// operation so that graphs built from them can be differentiated with
// gorgonia.Grad and run on a TapeMachine.
//
// # Storage
//
// A Banded value holds a batch of n×n matrices that are zero (more exactly:
// equal to the matrix's Fill) outside a band of Lower sub-diagonals and Upper
// super-diagonals. The in-band entries are stored in a dense tensor of shape
// (batch, n, Lower+Upper+1):
//
//	Data[b, i, k] = M_b[i, i+k−Lower]
//
// so that a row of the storage is a row of the matrix. A slot whose column
// i+k−Lower lies outside [0, n) is padding: no operation reads it, and every
// operation writes the fill there. Lower or Upper may be negative as long as
// the width Lower+Upper+1 is at least 1.
//
// # Semirings
//
// Products are taken in one of three semirings (see Semiring): Real (+, ×),
// Log (logsumexp, +) and Max (max, +). The fill of every operand of a
// semiring operation must be that semiring's zero (0 for Real, −Inf for Log
// and Max); shape operations keep the fill of their operand.
//
// # Eager and graph use
//
// Every operation exists twice: as a method on *Banded that computes at once
// (Mul, Transpose, …), and as a package-level function on *Node that adds a
// Gorgonia Op to a graph (Mul, Transpose, …). The Ops implement
// gorgonia.SDOp; their gradients are built from backward Ops of their own,
// which is where the CUDA kernels of package cudaops plug in.
//
// No operation or constructor of this package panics on bad input:
// mismatched shapes, bands, dtypes or semirings, and a nil or zero-value
// *Banded operand (ErrNil), are reported as errors that name the operation
// and the problem (Transpose, which returns no error, returns nil for
// such an operand), and no argument is modified. The accessors are the
// exception: At panics on an index out of range, like a slice index; Batch,
// N, Dtype, InBand, At, Clone and String panic on a zero Banded, and every
// accessor on a nil *Banded, as they read the missing storage.
package bandop
