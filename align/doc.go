// Package align computes sequence-alignment log-partitions and their
// gradients, the alignment marginals, as Gorgonia graph nodes and eagerly,
// under the semirings of package bandop.
//
// Potentials θ of the linear-gap model have shape (batch, N, M, 3) (the
// affine model's, below, 5 channels): sequence x runs down the rows
// i, sequence y along the columns j. Channel c of cell (i, j) scores how a
// path enters it, named after the neighbour it comes from: FromLeft (0)
// from (i, j−1), y_j against a gap; FromDiag (1) from (i−1, j−1), x_i
// against y_j; FromAbove (2) from (i−1, j), x_i against a gap. A path
// starts at a cell s, scoring θ[s, FromDiag] there, enters every later
// cell by one of the three moves, scoring its potential, and ends at a
// cell; the Mode says where:
//
//	Global      from (0, 0) to (lenX−1, lenY−1)
//	Local       from any cell to any cell (Smith–Waterman)
//	SemiGlobal  from any cell of the first row or column to any cell of
//	            the last row or column (overlap alignment: end gaps free)
//
// and each path is counted once in every mode. log Z is the semiring sum
// over paths of their scores (for Real it is Z itself, for Max the best
// score), and the gradient of Σ log Z with respect to θ is the marginal of
// each move: its posterior probability under Log, the 0/1 best path under
// Max (the first maximal choice on ties), and under Real ∂ Σ Z / ∂θ, the
// summed weight of the paths through each move without that move's own
// potential, which is not a probability (see Result.Marginals). The zero Model is global, Log and
// Linear.
//
// # Affine gaps
//
// With Model.Affine a cell has three states, how a path entered it — a
// match (diagonally, or a path's start), a gap from the left, a gap from
// above — and θ has shape (batch, N, M, 5): Match, OpenLeft, ExtendLeft,
// OpenAbove, ExtendAbove. A diagonal move scores Match out of any state;
// a move from the left scores ExtendLeft out of a gap from the left and
// OpenLeft out of any other state (likewise from above), so a gap's first
// step costs its opening and every further step its extension. A gap
// followed directly by one of the other direction is allowed (scored as an
// opening) unless NoTurns. Starts, ends, modes, MaxGap and lengths are the
// linear model's; a path starts in a match. With every Open equal to its
// Extend it is the linear model. Everything in this package takes it,
// except the LogDepth strategy (ErrMode).
//
// Both models are one description, the pair lattice of the internal
// package align/internal/lattice: a model's states and the moves into
// each (with the potential each reads), an item's starts, ends, lengths
// and band. Paths and their checks, scores, masks, the best and k best
// paths, samples, log-probabilities and the entropies derive from it; the
// cells' kernels (CPU and CUDA) are each model's own, tested against its
// reference passes. A potential no path reads (lattice's Used: outside the
// lengths or band, or read only by moves out of or into states no path
// visits) never changes a result.
//
// A global path aligns x₀ with y₀, so it cannot begin with a gap. To let
// it, prepend a sentinel symbol to both sequences (lengths lenX+1 and
// lenY+1) and score the sentinel pair's FromDiag at (0, 0) as the
// semiring's one (0 under Log and Max): every path then starts with that
// free match, and the first real cells (1, j) and (i, 1) may be entered by
// a gap from the sentinel's row or column.
//
// Linear (the default) is a dynamic program over the cells: one Op
// computes α of every cell (the ⊕ over the paths from a start to the cell)
// reading θ where it lies, anti-diagonal by anti-diagonal, since the cells
// of an anti-diagonal are independent; one more reads log Z of each item
// out of α; the gradient runs the cells back in one Op. That is O(N·M)
// work, in proportion to the cells within each item's lengths and gap,
// with two kernel launches forward and two backward on a GPU. The ends are
// read at run time, so the lengths are an input of the graph
// (LogPartitionLengths): one graph serves every batch of one padded shape.
//
// LogDepth runs over the grid rotated by 45°: step t holds the cells of
// anti-diagonal i+j = t, indexed by their offset o = j−i, so that FromLeft
// and FromAbove move one offset and FromDiag stays on its offset two steps
// later. One step is then a tridiagonal banded matrix A_t (band (2, 2) in
// local mode, which adds a start slot per offset; semi-global mode keeps
// band (1, 1) and carries the one its border cells start from along the
// extreme offsets ±t), and
//
//	α of anti-diagonal t = v₀ ⊗ A_0 ⊗ A_1 ⊗ … ⊗ A_t
//
// which LogDepth evaluates by multiplying neighbouring step matrices
// pairwise with batched bandop.Mul: O(log(N+M)) levels of O((N+M)³) work
// without a gap, O(g²·(N+M)) with MaxGap g. Its layout depends on the
// lengths, which it takes when the graph is built.
//
// Use Linear: on a CPU it is the fastest at every size (BENCHMARKS.md: a
// tenth to a quarter of a plain forward–backward DP), and on a GPU its
// anti-diagonals are the parallel dimension. A graph built with LogPartition or
// LogPartitionLengths may be run again with new potentials (and, for
// LogPartitionLengths, new lengths) bound with gorgonia.Let; it keeps its
// internal buffers between runs (see Concurrency).
//
// # Concurrency
//
// A *Program runs one call at a time: a method called while another call
// on the same Program is running returns an error of kind ErrBusy at once,
// without waiting and without touching the running call's buffers, so a
// Program shared by goroutines gives each call either its own results, the
// same as a lone call's bit for bit, or ErrBusy. Close waits for the
// running call. Model.Marginals compiles a Program of its own for each
// call, so its calls are independent.
//
// A graph runs on one machine at a time: Gorgonia keeps a run's values in
// the graph's nodes (compiling a machine writes to them too), and the Ops
// of this package keep buffers in the graph from run to run. The Ops that
// do (the cells' Op and its gradient, where a run spends its time, the
// ends' gradient and the entropies' forward states) hold them for each
// Do: where two machines run one graph at once and a Do finds them
// in use by the other run, that run fails with an error of kind ErrBusy
// (bandop.Cause finds it in RunAll's error) instead of writing over the
// other run's buffers. That is a safeguard, not a lock: a run that reads a
// value after the other has rewritten it cannot tell. To run in parallel,
// give each goroutine its own graph, or its own Program.
//
// # The distribution over paths
//
// Beside log Z and the marginals, a Model gives the distribution over an
// item's paths, with the lengths as in LogPartition:
//
//	Path, CheckPaths, Mask,     paths as values, checked (PathError says
//	PathsFromMask, Scores       where one breaks), to and from θ-shaped
//	                            0/1 masks, and their scores
//	MaskScore (node)            Σ θ⊙mask, never written into θ's value
//	BestPaths, KBest,           the best path, the k best distinct paths
//	BestMask (node)             (exact, ties in a documented order) and
//	                            the best path's mask: the Max semiring,
//	                            whatever m.Semiring is
//	LogProb, LogProbNode        log-probability of given paths
//	Sample                      exact samples, from a caller's
//	                            math/rand/v2 *rand.Rand
//	Entropy, EntropyNode        entropy of the path distribution,
//	CrossEntropy, KL,           cross-entropy and KL divergence between
//	CrossEntropyNode, KLNode    the distributions of two θ, with exact
//	                            gradients
//
// LogProb(Node), Sample and the entropies are defined for the Log semiring
// only (they return an error for Real and Max); LogProbNode, like
// LogPartitionLengths, needs the Linear strategy. Everything else supports
// every semiring, mode, MaxGap and strategy.
//
// # Bad values
//
// A potential that no path may use (past a length, outside the gap, a
// move from a cell past a length or outside the gap) never affects a
// result, whatever it holds, NaN included, and its marginal is 0. The eager functions (Marginals,
// Program's methods, BestPaths, KBest, Sample, LogProb, Scores and the
// eager entropies) return an error naming the item and the cell when a
// potential a path may use is NaN or +Inf. The graph nodes keep IEEE
// semantics instead, as Gorgonia's own Ops do: such a potential makes
// that item's result NaN or +Inf, and no error. BestMask is the exception:
// a best path through NaN does not exist, so its run fails.
//
// Errors are *Error values (a *PathError for a path that breaks) whose
// kind errors.Is tests: ErrShape, ErrLength, ErrPotential and the others
// below, the shape, dtype and size kinds being bandop's own values. An
// error of an Op during a run reaches the caller inside the error of the
// machine's RunAll, which Gorgonia wraps without Unwrap: bandop.Cause
// returns it, so that errors.Is(bandop.Cause(err), ErrLength) tests it.
// Program's methods look through it, so their errors have kinds too.
//
// Gorgonia's TapeMachine may compute an elementwise Op in place, into the
// value of its input: a θ read back after a run that multiplied it by a
// mask with HadamardProd holds θ⊙mask. The Ops of this package never write
// into their inputs; use MaskScore for a path's score.
package align
