package bandop

import (
	"encoding/binary"
	"fmt"
	"hash"
	"hash/fnv"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/chewxy/hm"
	"github.com/genband/genband/internal/errkind"
	"github.com/genband/genband/internal/fastexp"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A Window says which rows of each step matrix of a scan may hold entries
// other than the semiring's zero: rows Lo[t] ≤ r < Hi[t] of step t. A scan
// reads no other row, so its work is in proportion to the rows the window
// holds, and the gradient with respect to any slot of a row outside the
// window is 0 (such slots are structural zeros, as padding is). A nil
// *Window holds every row.
type Window struct {
	Lo, Hi []int
}

// check returns an error unless w fits steps matrices of n rows.
func (w *Window) check(op string, steps, n int) error {
	if w == nil {
		return nil
	}
	if len(w.Lo) != steps || len(w.Hi) != steps {
		return kindErrorf(ErrLength, op, "window has %d and %d bounds for %d steps", len(w.Lo), len(w.Hi), steps)
	}
	for t := range steps {
		if lo, hi := w.Lo[t], w.Hi[t]; lo < 0 || hi > n || lo > hi {
			return kindErrorf(ErrLength, op, "window of step %d is rows [%d, %d), want 0 ≤ lo ≤ hi ≤ n = %d", t, lo, hi, n)
		}
	}
	return nil
}

// rows returns the window of step t.
func (w *Window) rows(t, n int) (lo, hi int) {
	if w == nil {
		return 0, n
	}
	return w.Lo[t], w.Hi[t]
}

// digest identifies the window in an Op's name and hash.
func (w *Window) digest() uint64 {
	if w == nil {
		return 0
	}
	h := fnv.New64a()
	var b [16]byte
	for t := range w.Lo {
		binary.LittleEndian.PutUint64(b[:8], uint64(w.Lo[t]))
		binary.LittleEndian.PutUint64(b[8:], uint64(w.Hi[t]))
		h.Write(b[:])
	}
	return h.Sum64() | 1
}

// scanLayout is what a scan knows of its operands: A holds steps·items
// matrices, step-major.
type scanLayout struct {
	a            layout // A: batch = steps·items
	items, steps int
	s            Semiring
	win          *Window
	endGrad      bool // GradientAtEnd: the reverse scan reads dS at v_T only
}

func (l scanLayout) vShape() tensor.Shape { return tensor.Shape{l.items, l.a.n} }

func (l scanLayout) statesShape() tensor.Shape {
	return tensor.Shape{l.steps + 1, l.items, l.a.n}
}

// scanCheck checks the operands of a scan: v0 of dtype vdt and shape vs,
// A of layout la.
func scanCheck(op string, la layout, vdt tensor.Dtype, vs tensor.Shape, s Semiring, w *Window) (scanLayout, error) {
	if err := checkSemiring(op, s); err != nil {
		return scanLayout{}, err
	}
	if err := zeroFill(op, s, la, "A"); err != nil {
		return scanLayout{}, err
	}
	if vdt != la.dt {
		return scanLayout{}, kindErrorf(ErrDtype, op, "v0 has dtype %v, A has %v", vdt, la.dt)
	}
	if vs.Dims() != 2 || vs[0] < 1 || vs[1] != la.n {
		return scanLayout{}, kindErrorf(ErrShape, op, "v0 has shape %v, want (items, %d) with items ≥ 1: A's n is %d", vs, la.n, la.n)
	}
	items := vs[0]
	if la.batch%items != 0 {
		return scanLayout{}, kindErrorf(ErrShape, op, "A has %d matrices, not a whole number of steps of %d items (v0's batch)", la.batch, items)
	}
	steps := la.batch / items
	if err := w.check(op, steps, la.n); err != nil {
		return scanLayout{}, err
	}
	if err := checkSize(op, "the states", steps+1, items, la.n); err != nil {
		return scanLayout{}, err
	}
	return scanLayout{a: la, items: items, steps: steps, s: s, win: w}, nil
}

// Scan returns v_T = v0 ⊗ A_0 ⊗ A_1 ⊗ … ⊗ A_{T−1}, row vectors times
// matrices as in VecMul, for each of the items of v0, shape (items, n). The
// T = a.Batch()/items step matrices are held step-major in a: item b of step
// t is matrix t·items + b. The recurrence is
//
//	v_{t+1}[b, j] = ⊕_i v_t[b, i] ⊗ A_{t·items+b}[i, j]
//
// over the rows i of w's window of step t. The states and their sums are
// kept in float64 whatever a's dtype, so a float32 scan is rounded once, at
// the end. a's fill must be the semiring's zero.
func (a *Banded) Scan(v0 *tensor.Dense, s Semiring, w *Window) (*tensor.Dense, error) {
	const op = "Scan"
	if v0 == nil {
		return nil, kindErrorf(ErrNil, op, "v0 is nil")
	}
	la, err := a.operand(op, "A")
	if err != nil {
		return nil, err
	}
	l, err := scanCheck(op, la, v0.Dtype(), v0.Shape(), s, w)
	if err != nil {
		return nil, err
	}
	return lastState(l, scanStates(l, contiguous(v0), a.data, nil, nil)), nil
}

// ScanStates adds the states of a scan to the graph: v_0 … v_T of
// Banded.Scan, shape (T+1, items, n), in float64 whatever a's dtype. Its
// gradient with respect to v0 and a comes from one reverse scan over these
// states; a zero gradient of a state adds nothing, so a NaN or infinity in
// a part of the scan that does not reach a differentiated result does not
// reach the gradient either. Max sends the gradient of a sum to its first
// maximal term (the lowest row), as VecMul does. When v0 is a constant
// node, no gradient with respect to it is built.
func ScanStates(v0 *gorgonia.Node, a *Node, s Semiring, w *Window, opts ...ScanOption) (*gorgonia.Node, error) {
	const name = "ScanStates"
	op, err := newScanOp(name, v0, a, s, w)
	if err != nil {
		return nil, err
	}
	for _, o := range opts {
		o(op)
	}
	out, err := gorgonia.ApplyOp(op, v0, a.Node)
	if err != nil {
		return nil, wrapGraph(name, err)
	}
	return out, nil
}

// A ScanOption changes how ScanStates builds its Ops.
type ScanOption func(*scanOp)

// ReuseBuffers makes the scan's Ops write the states and the gradients with
// respect to v0 and a into buffers they keep from one run of the graph to
// the next, instead of fresh memory each run (which costs more than the
// scan itself at the sizes of an alignment: every page is faulted in
// again). Use it only where no value of the states or of those gradients
// is read after the next run starts, for example when they feed only other
// Ops of the graph, and never run one graph on two machines at once. A Log
// scan then also keeps the weight of every term of its sums for the reverse
// scan, which takes no exp (when the weights take at most 16 MiB: past
// that, reading them back costs about as much as the exps).
//
// The kept buffers make a graph for one machine at a time: the forward Op
// and its gradient Ops share one set of buffers, and each holds it while
// it runs, so that a run of the same graph on another machine that finds
// any of them at work fails with an error of kind ErrBusy rather than
// write into their buffers; but a value read after another run has
// rewritten it cannot be told, so do not share such a graph between
// goroutines.
func ReuseBuffers() ScanOption {
	return func(op *scanOp) {
		op.reuse = true
		if op.ws == nil {
			op.ws = new(scanWork)
		}
		if op.l.s == Log && op.l.a.shape().TotalSize()*8 <= weightCacheBytes {
			op.ws.wc = new(weightCache)
		}
	}
}

// GradientAtEnd tells ScanStates that the gradient of its states is 0 at
// every state but the last, v_T (the states feed only a function of v_T),
// so that the reverse scan on the CPU reads that gradient at v_T alone
// instead of streaming a whole tensor of zeros from memory: a value it
// holds at another state is not read. (The GPU's reverse scan reads every
// state's, with the same result where the promise holds.)
func GradientAtEnd() ScanOption {
	return func(op *scanOp) { op.l.endGrad = true }
}

// Scan adds v_T of Banded.Scan to the graph, shape (items, n) in a's dtype
// (see ScanStates for its gradient). The states are internal to the Op
// pair, so their buffers are reused between runs; v_T and the gradients are
// fresh values of each run.
func Scan(v0 *gorgonia.Node, a *Node, s Semiring, w *Window) (*gorgonia.Node, error) {
	const name = "Scan"
	op, err := newScanOp(name, v0, a, s, w)
	if err != nil {
		return nil, err
	}
	op.reuseStates = true
	op.ws = new(scanWork)
	states, err := gorgonia.ApplyOp(op, v0, a.Node)
	if err != nil {
		return nil, wrapGraph(name, err)
	}
	out, err := gorgonia.ApplyOp(&scanLastOp{l: op.l}, states)
	if err != nil {
		return nil, wrapGraph(name, err)
	}
	return out, nil
}

func newScanOp(name string, v0 *gorgonia.Node, a *Node, s Semiring, w *Window) (*scanOp, error) {
	if v0 == nil {
		return nil, kindErrorf(ErrNil, name, "v0 is nil")
	}
	la, err := a.layout(name, "A")
	if err != nil {
		return nil, err
	}
	l, err := scanCheck(name, la, v0.Dtype(), v0.Shape(), s, w)
	if err != nil {
		return nil, err
	}
	// Gorgonia's constants are nodes whose Op holds their value: a
	// gradient with respect to one would be built and run for nothing.
	_, constV0 := v0.Op().(interface{ Value() gorgonia.Value })
	return &scanOp{l: l, constV0: constV0}, nil
}

// scanStates runs the forward scan of v0 and a (contiguous, of l's dtype)
// and returns the (T+1, items, n) float64 states, in buf when it is not
// nil, with the Log weights into wc when it is not nil.
func scanStates(l scanLayout, v0, a *tensor.Dense, buf *kept, wc *weightCache) *tensor.Dense {
	out := buf.get(tensor.Float64, l.statesShape())
	states := out.Data().([]float64)
	var w []float64
	if wc != nil {
		wc.out = nil
		w = wc.w.get(tensor.Float64, l.a.shape()).Data().([]float64)
		// A value of this run's own over the kept memory, by which the
		// gradient knows this run's states.
		out = tensor.New(tensor.WithShape(l.statesShape()...), tensor.WithBacking(states))
	}
	switch l.a.dt {
	case tensor.Float32:
		scanForward(l, states, v0.Data().([]float32), a.Data().([]float32), w)
	default:
		scanForward(l, states, v0.Data().([]float64), a.Data().([]float64), w)
	}
	if wc != nil {
		wc.out = out
	}
	return out
}

// A scanWork is the workspace of a scan whose Ops keep buffers from run to
// run (ReuseBuffers, and Scan's states): made with the forward Op and
// handed by its SymDiff to the gradient Ops, which share it, so it belongs
// to the graph that holds them. Every Do of those Ops holds it while it
// runs (inUse), so that a run of the same graph on another machine fails
// with ErrBusy rather than write into buffers that one of them is using.
type scanWork struct {
	inUse
	wc *weightCache // a Log scan's weights for its gradient, when kept
}

// inUse is the claim (errkind.Claim) on memory that Ops keep from run to
// run: a Do holds it while it runs, and a Do that finds it held returns an
// error of kind ErrBusy.
type inUse struct{ c errkind.Claim }

func (u *inUse) claim(op string) error { return u.c.Take(pkgName, op) }
func (u *inUse) release()              { u.c.Release() }

// A weightCache holds what a Log scan's forward knows of its gradient: the
// weight of every term in its sum, e^(term − sum), in float64 in A's
// layout, so that the reverse scan takes no exp. It pays where the weights
// stay in the processor's caches between the two passes, so ReuseBuffers
// keeps one only up to weightCacheBytes; past that, reading them back costs
// as much as the exps. Bands up to 3 wide (CTC's) recompute a step's
// weights as one vector exp per diagonal (scanLogDiagGrad), a few percent
// of their gradient's time, less than streaming 8 bytes a term back from
// memory: raising the limit would not pay for them. Each forward returns a states value of its own
// over the kept memory and records it (out); the gradient uses the weights
// only when the states it is given are that value, and otherwise (a copy,
// a view, the states of an earlier run) computes the weights again.
type weightCache struct {
	w   kept
	out *tensor.Dense // the states the last forward returned, whose weights w holds; nil when none
}

const weightCacheBytes = 16 << 20

// weightsFor returns the cached weights of the forward that returned
// states, when states is the value of the last forward, else nil (always
// for a nil wc).
func (wc *weightCache) weightsFor(states gorgonia.Value) []float64 {
	if wc == nil || wc.out == nil {
		return nil
	}
	if st, ok := states.(*tensor.Dense); !ok || st != wc.out {
		return nil
	}
	return wc.w.t.Data().([]float64)
}

// lastState returns v_T of states in l's dtype.
func lastState(l scanLayout, states *tensor.Dense) *tensor.Dense {
	size := l.items * l.a.n
	last := states.Data().([]float64)[l.steps*size:]
	r := newDense(l.a.dt, l.vShape(), 0)
	switch d := r.Data().(type) {
	case []float32:
		for i, x := range last {
			d[i] = float32(x)
		}
	case []float64:
		copy(d, last)
	}
	return r
}

// scanForward fills states, (T+1, items, n): v_0 = v0, then each step.
//
// With wts (A's shape) it also writes the weight of every Log term there.
func scanForward[T float](l scanLayout, states []float64, v0, a []T, wts []float64) {
	n, items, per := l.a.n, l.items, l.a.n*l.a.width()
	for k, x := range v0 {
		states[k] = float64(x)
	}
	scanParallel(l, func(bLo, bHi, part, parts int, sync func()) {
		var scratch []float64
		if l.s == Log {
			scratch = make([]float64, 4*n)
		}
		lo, hi := part*n/parts, (part+1)*n/parts
		for t := range l.steps {
			for b := bLo; b < bHi; b++ {
				prev := states[(t*items+b)*n : (t*items+b+1)*n]
				next := states[((t+1)*items+b)*n : ((t+1)*items+b+1)*n]
				m := t*items + b
				var wmat []float64
				if wts != nil {
					wmat = wts[m*per : (m+1)*per]
				}
				if t+1 < l.steps {
					// The next step's matrix, a page away (items
					// matrices lie between), and its states.
					mn := m + items
					prefetch(a[mn*per+lo*l.a.width() : mn*per+hi*l.a.width()])
					prefetch(states[((t+2)*items+b)*n+lo : ((t+2)*items+b)*n+hi])
				}
				scanStep(l, t, next, prev, a[m*per:(m+1)*per], wmat, lo, hi, scratch)
			}
			sync()
		}
	})
}

// prefetch asks for s in the caches (prefetchLines): a scan's step reads a
// few kilobytes a page or more from the last step's (the items' matrices
// lie between), where the hardware prefetcher has not followed, and its
// strided reads would otherwise each wait on memory in turn. Asked a step
// ahead, the lines load while the step before runs.
func prefetch[T float](s []T) {
	if len(s) == 0 {
		return
	}
	size := 8
	if fastexp.IsF32(s[0]) {
		size = 4
	}
	prefetchLines((*byte)(unsafe.Pointer(&s[0])), len(s)*size)
}

// scanParallel runs body for every item, each split into parts that share
// its steps: body(bLo, bHi, part, parts, sync) does part part of every step
// of items [bLo, bHi), step by step (each step for every item of the run
// before the next step, so that the items' operands, adjacent in memory
// within a step, stream in together), and calls sync after each step, which
// returns once every part of the step is done. With at least as many items
// as processors, runs of items go in parallel whole (parts = 1, sync does
// nothing); with fewer, each item's steps are split among processors,
// which meet at a barrier after every step. Small scans run on the calling
// goroutine.
func scanParallel(l scanLayout, body func(bLo, bHi, part, parts int, sync func())) {
	procs := runtime.GOMAXPROCS(0)
	work := l.steps * l.items * l.a.n * l.a.width()
	nosync := func() {}
	whole := func(lo, hi int) { body(lo, hi, 0, 1, nosync) }
	switch {
	case procs <= 1 || work < minParallelWork:
		whole(0, l.items)
		return
	case l.items >= procs:
		parallelFor(l.items, work, whole)
		return
	}
	// Parts of a step should each hold thousands of terms, or the barrier
	// costs more than it saves (and a barrier whose partner the system has
	// descheduled costs a time slice).
	parts := min(procs/l.items, max(1, l.a.n*l.a.width()/scanPartTerms))
	if parts <= 1 {
		parallelFor(l.items, work, whole)
		return
	}
	bar := newBarrier(l.items * parts)
	var wg sync.WaitGroup
	for w := range l.items * parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body(w/parts, w/parts+1, w%parts, parts, bar.wait)
		}()
	}
	wg.Wait()
}

// scanPartTerms is the least work, in terms, of one part of a step.
const scanPartTerms = 4096

// A barrier holds the goroutines that call wait until all n have called it,
// then lets them all go, and is ready again. It spins briefly before
// yielding: the steps it separates take microseconds.
type barrier struct {
	n     int32
	count atomic.Int32
	gen   atomic.Uint32
}

func newBarrier(n int) *barrier { return &barrier{n: int32(n)} }

func (b *barrier) wait() {
	g := b.gen.Load()
	if b.count.Add(1) == b.n {
		b.count.Store(0)
		b.gen.Add(1)
		return
	}
	for spins := 0; b.gen.Load() == g; spins++ {
		if spins > 200 {
			runtime.Gosched()
		}
	}
}

// scanColumns returns the columns [cLo, cHi) that rows [rLo, rHi) of a band
// (lower, upper) reach in an n×n matrix.
func scanColumns(rLo, rHi, n, lower, upper int) (cLo, cHi int) {
	if rLo >= rHi {
		return 0, 0
	}
	return max(0, rLo-lower), min(n, rHi+upper)
}

// scanStep computes columns [lo, hi) of next = prev ⊗ A over the window's
// rows of step t; mat is the band storage of A (n rows of width slots).
func scanStep[T float](l scanLayout, t int, next, prev []float64, mat []T, wmat []float64, lo, hi int, scratch []float64) {
	n, lower, upper := l.a.n, l.a.lower, l.a.upper
	w := lower + upper + 1
	zero := l.s.Zero()
	rLo, rHi := l.win.rows(t, n)
	cLo, cHi := scanColumns(rLo, rHi, n, lower, upper)
	cLo, cHi = max(cLo, lo), min(cHi, hi)
	for c := lo; c < min(cLo, hi); c++ {
		next[c] = zero
	}
	for c := max(cHi, lo); c < hi; c++ {
		next[c] = zero
	}
	if l.s == Log {
		if w <= 3 {
			scanLogDiagonals(next, prev, mat, wmat, rLo, rHi, cLo, cHi, lower, upper, scratch)
			return
		}
		scanLogColumns(next, prev, mat, wmat, rLo, rHi, cLo, cHi, lower, upper, scratch)
		return
	}
	for c := cLo; c < cHi; c++ {
		// Rows r of column c use slot c−r+lower: consecutive rows are
		// w−1 slots apart in the storage.
		r0, r1 := max(rLo, c-upper), min(rHi, c+lower+1)
		if r0 >= r1 {
			next[c] = zero
			continue
		}
		ai := r0*(w-1) + c + lower
		switch l.s {
		case Real:
			var acc float64
			for r := r0; r < r1; r, ai = r+1, ai+w-1 {
				acc += prev[r] * float64(mat[ai])
			}
			next[c] = acc
		case Max:
			acc := math.Inf(-1)
			for r := r0; r < r1; r, ai = r+1, ai+w-1 {
				acc = max(acc, prev[r]+float64(mat[ai]))
			}
			next[c] = acc
		}
	}
}

// scanLogDiagonals is scanStep's loop for Log where a column sums at most
// three terms (bands of width w ≤ 3: CTC's, an alignment's step), by the
// band's diagonals rather than by columns: for slot k, the terms of
// columns c, prev[r] + A[r, c] with r = c − k + lower, are contiguous in
// prev (strided only in A), so each diagonal's terms are gathered into a
// slice (−Inf where the row is outside the window: a zero of the
// semiring) and fastexp.LSE3 sums the columns as one vector loop. Its
// results follow scanLogSum's rules, to within LSE3's ulps (it adds the
// smaller terms first): the term itself for a carry (ln 1 = 0), −Inf
// for a column with no terms, the maximum where it is ±Inf, NaN where a
// term is NaN. With wmat, each term's weight is e^(term − sum), one vector
// exp per diagonal: logWeight's weights, those the gradient would compute,
// also where the sum is not finite. scratch holds 3 floats per column.
func scanLogDiagonals[T float](next, prev []float64, mat []T, wmat []float64, rLo, rHi, cLo, cHi, lower, upper int, scratch []float64) {
	cols := cHi - cLo
	if cols <= 0 {
		return
	}
	w := lower + upper + 1
	var ts [3][]float64
	for k := range ts {
		t := scratch[k*cols : (k+1)*cols]
		ts[k] = t
		// Columns whose row on diagonal k is in the window.
		ca, cb := max(cLo, rLo+k-lower), min(cHi, rHi+k-lower)
		if k >= w || ca >= cb {
			ca, cb = cHi, cHi
		}
		for i := range t[:ca-cLo] {
			t[i] = math.Inf(-1)
		}
		for i := range t[cb-cLo:] {
			t[cb-cLo+i] = math.Inf(-1)
		}
		if ca >= cb {
			continue
		}
		off := lower - k // row r = c + off
		pv := prev[ca+off : cb+off]
		tk := t[ca-cLo : cb-cLo]
		tk = tk[:len(pv)]
		for i, x := range pv {
			tk[i] = x + float64(mat[(ca+off+i)*w+k])
		}
	}
	out := next[cLo:cHi]
	fastexp.LSE3(out, ts[0], ts[1], ts[2])
	if wmat == nil {
		return
	}
	for k := range min(w, 3) {
		ca, cb := max(cLo, rLo+k-lower), min(cHi, rHi+k-lower)
		if ca >= cb {
			continue
		}
		off := lower - k
		tk := ts[k][ca-cLo : cb-cLo]
		sk := out[ca-cLo : cb-cLo]
		sk = sk[:len(tk)]
		for i := range tk {
			tk[i] -= sk[i]
		}
		fastexp.ExpSlice64(tk, tk)
		for i, e := range tk {
			wmat[(ca+off+i)*w+k] = e
		}
	}
}

// scanLogColumns is scanStep's loop for Log: columns [cLo, cHi) of next
// from rows [rLo, rHi) of prev, and the weights into wmat when it is not
// nil. Sums of two or three terms, every cell of an alignment, run in
// three passes over the step: the terms and their maximum, then every exp
// of the step, then the sums and their logs. Each pass's iterations are
// independent, so the processor overlaps their latencies, which one
// column after another (about 100 cycles of dependent exp and log each)
// cannot. scratch holds 4 floats per column. A carry (one term) is the
// term itself; a sum whose maximum is not finite, or a longer one, goes to
// scanLogSum or scanLogSumWeights, which define the results.
func scanLogColumns[T float](next, prev []float64, mat []T, wmat []float64, rLo, rHi, cLo, cHi, lower, upper int, scratch []float64) {
	step := lower + upper
	var terms [scanBuf]float64
	cols := max(0, cHi-cLo)
	ds, ms := scratch[:3*cols], scratch[3*cols:4*cols]
	for k := range cols {
		c := cLo + k
		// Not a fast sum: ds[3k] NaN marks it (its exp stays NaN), and
		// ms[k] = 1 keeps LogSums' argument in its domain.
		ds[3*k], ms[k] = math.NaN(), 1
		r0, r1 := max(rLo, c-upper), min(rHi, c+lower+1)
		if r0 >= r1 {
			next[c] = math.Inf(-1)
			continue
		}
		ai := r0*step + c + lower
		var x0, x1, x2 float64
		switch r1 - r0 {
		case 1:
			// A carry: its weight is 1, or NaN where x is not finite,
			// as scanLogSumWeights gives it.
			x := prev[r0] + float64(mat[ai])
			next[c] = x
			if wmat != nil {
				wmat[ai] = 1 + (x - x)
			}
			continue
		case 2:
			x0, x1, x2 = prev[r0]+float64(mat[ai]), prev[r0+1]+float64(mat[ai+step]), math.Inf(-1)
		case 3:
			x0, x1, x2 = prev[r0]+float64(mat[ai]), prev[r0+1]+float64(mat[ai+step]), prev[r0+2]+float64(mat[ai+2*step])
		}
		m := max(x0, x1, x2)
		if r1-r0 > 3 || m-m != 0 {
			if wmat != nil {
				next[c] = scanLogSumWeights(prev, mat, wmat, r0, r1, ai, step)
			} else {
				next[c] = scanLogSum(prev, mat, r0, r1, ai, step, terms[:])
			}
			continue
		}
		next[c] = m // the log of the sum is added below
		ds[3*k], ds[3*k+1], ds[3*k+2] = x0-m, x1-m, x2-m
	}
	// One vector exp for the step's terms, one vector log for its sums. The
	// maximal term's exp is exactly 1, so a sum of 1 gives m, as in
	// scanLogSum, and every sum is at least 1 (LogSums' domain).
	fastexp.ExpSlice64(ds, ds)
	for k := range ms {
		e := ds[3*k : 3*k+3]
		if e[0] != e[0] {
			continue
		}
		c := cLo + k
		sum := e[0] + e[1] + e[2]
		ms[k] = sum
		if wmat != nil {
			r0 := max(rLo, c-upper)
			ai := r0*step + c + lower
			inv := 1 / sum
			wmat[ai] = e[0] * inv
			wmat[ai+step] = e[1] * inv
			if min(rHi, c+lower+1)-r0 == 3 {
				wmat[ai+2*step] = e[2] * inv
			}
		}
	}
	fastexp.LogSums(ms)
	for k, lv := range ms {
		// A sum of 1 adds nothing, whatever the vector log's ulp.
		if e := ds[3*k : 3*k+3]; e[0] == e[0] && e[0]+e[1]+e[2] != 1 {
			next[cLo+k] += lv
		}
	}
}

// scanLogSumWeights is scanLogSum that also writes the weight of each term
// in the sum, e^(term − sum), at the term's slot of wmat. The weights are
// those the gradient would compute (logWeight of term − sum) when the sum
// is not finite.
func scanLogSumWeights[T float](prev []float64, mat []T, wmat []float64, r0, r1, ai, step int) float64 {
	var buf [scanBuf]float64
	terms := buf[:0]
	if r1-r0 > len(buf) {
		terms = make([]float64, 0, r1-r0)
	}
	m := math.Inf(-1)
	for r, a := r0, ai; r < r1; r, a = r+1, a+step {
		x := prev[r] + float64(mat[a])
		terms = append(terms, x)
		m = max(m, x)
	}
	fastexp.Shift64(terms, m) // logWeight(x − m) of every term, vectorised
	var sum float64
	for _, e := range terms {
		sum += e
	}
	if math.IsInf(m, 0) || m != m {
		// The gradient's weights of a sum that is not finite: those of
		// logWeight against the sum itself.
		for k, a := 0, ai; k < len(terms); k, a = k+1, a+step {
			wmat[a] = terms[k]
		}
		return m
	}
	if sum == 1 {
		for k, a := 0, ai; k < len(terms); k, a = k+1, a+step {
			wmat[a] = terms[k]
		}
		return m
	}
	inv := 1 / sum
	for k, a := 0, ai; k < len(terms); k, a = k+1, a+step {
		wmat[a] = terms[k] * inv
	}
	return m + log64(sum)
}

// logWeight is fastexp.LogWeight: e^d for d ≤ 0, a Log term's weight.
func logWeight(d float64) float64 { return fastexp.LogWeight(d) }

// scanBuf is the length of the buffer on the stack through which a Log
// sum's terms go (a longer sum's a chunk at a time), so that the exps run
// in one vector loop.
const scanBuf = 64

// scanLogSum returns log Σ_r exp(prev[r] + A) over rows [r0, r1), A read
// from mat at ai, ai+step, …. The maximum comes out first, so no exp
// overflows; an infinite or NaN maximum is the result itself. buf, scratch
// for the terms, must not be empty.
func scanLogSum[T float](prev []float64, mat []T, r0, r1, ai, step int, buf []float64) float64 {
	cnt := r1 - r0
	m := math.Inf(-1)
	if cnt <= len(buf) {
		terms := buf[:cnt]
		for k := range terms {
			x := prev[r0+k] + float64(mat[ai+k*step])
			terms[k] = x
			m = max(m, x)
		}
		if math.IsInf(m, 0) || m != m {
			return m
		}
		// The maximum adds exactly one; exp underflows to 0 (a zero of the
		// semiring in the window among them).
		fastexp.Shift64(terms, m)
		var sum float64
		for _, e := range terms {
			sum += e
		}
		if sum == 1 {
			return m
		}
		return m + logSum(sum) // sum > 1: the maximum adds 1
	}
	for r, a := r0, ai; r < r1; r, a = r+1, a+step {
		m = max(m, prev[r]+float64(mat[a]))
	}
	if math.IsInf(m, 0) || m != m {
		return m
	}
	// The terms go through buf a chunk at a time, each chunk one vector
	// exp (Shift64).
	var sum float64
	for r, a := r0, ai; r < r1; {
		terms := buf[:min(len(buf), r1-r)]
		for k := range terms {
			terms[k] = prev[r+k] + float64(mat[a+k*step])
		}
		fastexp.Shift64(terms, m)
		for _, e := range terms {
			sum += e
		}
		r, a = r+len(terms), a+len(terms)*step
	}
	return m + logSum(sum)
}

// scanBackward runs the reverse scan: from the states and dS, the gradient
// of Σ dS·S, it writes the gradient with respect to A into da (when not
// nil; band storage of A's shape: every slot of the window's rows is
// written, the other rows must hold 0 already) and with respect to
// v0 into dv (when not nil). A state whose gradient is 0 adds nothing, nor
// does a term of weight 0 (a −Inf Log or Max sum, a Max term that is not
// the first maximal one).
//
// With wts, the Log weights the forward cached, it takes no exp.
func scanBackward[T float](l scanLayout, states, dS []float64, a, da, dv []T, wts []float64) {
	n, items, per := l.a.n, l.items, l.a.n*l.a.width()
	// Two rolling gradients of the states per item, shared by its parts:
	// item b's gradient of state t is its buffer t%2.
	gs := make([]float64, 2*items*n)
	grad := func(b, t int) []float64 { return gs[(2*b+t%2)*n : (2*b+t%2+1)*n] }
	scanParallel(l, func(bLo, bHi, part, parts int, sync func()) {
		lo, hi := part*n/parts, (part+1)*n/parts
		first := make([]int, n)
		var ws []float64
		if l.s == Log && wts == nil {
			// A step's weights and its columns' gradients, a step at a
			// time (scanLogDiagGrad).
			ws = make([]float64, per+n)
		}
		for b := bLo; b < bHi; b++ {
			copy(grad(b, l.steps)[lo:hi], dS[(l.steps*items+b)*n+lo:(l.steps*items+b)*n+hi])
		}
		sync()
		for t := l.steps - 1; t >= 0; t-- {
			for b := bLo; b < bHi; b++ {
				gNext, gCur := grad(b, t+1), grad(b, t)
				if l.endGrad {
					clear(gCur[lo:hi])
				} else {
					copy(gCur[lo:hi], dS[(t*items+b)*n+lo:(t*items+b)*n+hi])
				}
				m := t*items + b
				prev := states[(t*items+b)*n : (t*items+b+1)*n]
				next := states[((t+1)*items+b)*n : ((t+1)*items+b+1)*n]
				var dmat []T
				if da != nil {
					// scanStepGrad writes every slot of the window's
					// rows; the other rows stay 0 from when da was made.
					dmat = da[m*per : (m+1)*per]
				}
				var wmat []float64
				if wts != nil {
					wmat = wts[m*per : (m+1)*per]
				}
				if t > 0 {
					// The previous step's operands, far from this step's
					// in memory (items matrices lie between).
					mp, wd := m-items, l.a.width()
					prefetch(a[mp*per+lo*wd : mp*per+hi*wd])
					prefetch(states[((t-1)*items+b)*n+lo : ((t-1)*items+b)*n+hi])
					if !l.endGrad {
						prefetch(dS[((t-1)*items+b)*n+lo : ((t-1)*items+b)*n+hi])
					}
					if da != nil {
						prefetch(da[mp*per+lo*wd : mp*per+hi*wd])
					}
				}
				scanStepGrad(l, t, gCur, dmat, gNext, prev, next, a[m*per:(m+1)*per], wmat, first, ws, lo, hi)
			}
			sync()
		}
		if dv != nil {
			for b := bLo; b < bHi; b++ {
				g := grad(b, 0)
				for k := lo; k < hi; k++ {
					dv[b*n+k] = T(g[k])
				}
			}
		}
	})
}

// scanStepGrad adds to gPrev, for rows [lo, hi), the gradient with respect
// to prev of Σ gNext·next, next = prev ⊗ A, and writes the gradient with
// respect to those rows of A into dmat when it is not nil. Each row
// gathers from the columns it reaches, as a GPU thread per row would.
// first is scratch of n ints; ws, scratch of A's per-step size plus n or
// nil, is where a Log step without wmat computes its weights.
func scanStepGrad[T float](l scanLayout, t int, gPrev []float64, dmat []T, gNext, prev, next []float64, mat []T, wmat []float64, first []int, ws []float64, lo, hi int) {
	n, lower, upper := l.a.n, l.a.lower, l.a.upper
	w := lower + upper + 1
	rLo, rHi := l.win.rows(t, n)
	rLo, rHi = max(rLo, lo), min(rHi, hi)
	if l.s == Max {
		// The first maximal row of each column the rows reach, or −1.
		wLo, wHi := l.win.rows(t, n)
		cLo, cHi := scanColumns(rLo, rHi, n, lower, upper)
		for c := cLo; c < cHi; c++ {
			first[c] = -1
			if gNext[c] == 0 || math.IsInf(next[c], -1) {
				continue
			}
			r0, r1 := max(wLo, c-upper), min(wHi, c+lower+1)
			for r := r0; r < r1; r++ {
				if prev[r]+float64(mat[r*w+c-r+lower]) == next[c] {
					first[c] = r
					break
				}
			}
		}
	}
	if l.s == Log && wmat == nil && ws != nil {
		scanLogDiagGrad(gPrev, dmat, gNext, prev, next, mat, ws, rLo, rHi, n, lower, upper)
		return
	}
	if l.s == Log && wmat != nil {
		scanLogRowsGrad(gPrev, dmat, gNext, next, wmat, rLo, rHi, n, lower, upper)
		return
	}
	for r := rLo; r < rHi; r++ {
		kLo, kHi := max(0, lower-r), min(w, n-r+lower)
		x := prev[r]
		acc := gPrev[r]
		row := mat[r*w : (r+1)*w]
		drow := gradRow(dmat, r, w, kLo, kHi)
		for k := kLo; k < kHi; k++ {
			c := r + k - lower
			g := gNext[c]
			// ∂next[c]/∂prev[r] and ∂next[c]/∂A[r, c]; a term with no
			// weight (g = 0, a Max term that is not the first maximal
			// one, a −Inf Log sum) adds nothing, whatever its factors.
			var wv, wa float64
			term := g != 0
			switch {
			case !term:
			case l.s == Real:
				wv, wa = float64(row[k]), x
			case l.s == Max:
				term = first[c] == r
				wv, wa = 1, 1
			case math.IsInf(next[c], -1):
				term = false
			case wmat != nil:
				wv = wmat[r*w+k]
				wa = wv
			default:
				wv = logWeight(x + float64(row[k]) - next[c])
				wa = wv
			}
			var d T
			if term {
				acc += g * wv
				d = T(g * wa)
			}
			if drow != nil {
				drow[k] = d
			}
		}
		gPrev[r] = acc
	}
}

// scanLogDiagGrad is scanStepGrad's loop for Log without the forward's
// weights, by diagonals of the band rather than by rows: for slot k, the
// terms of rows r and columns c = r + k − lower are contiguous in prev,
// next and gNext (strided only in A), so a step's weight arguments,
// prev[r] + A[r, c] − next[c], are laid out diagonal by diagonal and their
// exps run as one vector loop per diagonal, and the multiply-adds that
// follow are loops over slices. The weights are logWeight's, as the
// general loop computes them, and each gPrev[r] adds its terms in slot
// order, as a row does. ws is scratch of n·(lower+upper+2) floats.
func scanLogDiagGrad[T float](gPrev []float64, dmat []T, gNext, prev, next []float64, mat []T, ws []float64, rLo, rHi, n, lower, upper int) {
	if rLo >= rHi {
		return
	}
	if lower == 0 && upper == 2 && dmat != nil && diagGrad02 {
		scanLogDiagGrad02(gPrev, dmat, gNext, prev, next, mat, ws, rLo, rHi, n)
		return
	}
	w := lower + upper + 1
	// A column adds nothing where its gradient is 0 or its sum is −Inf,
	// whatever its terms' weights: gm holds 0 there.
	gm := ws[w*n : (w+1)*n]
	cLo, cHi := scanColumns(rLo, rHi, n, lower, upper)
	for c := cLo; c < cHi; c++ {
		g := gNext[c]
		if math.IsInf(next[c], -1) {
			g = 0
		}
		gm[c] = g
	}
	for k := range w {
		// Rows whose column on diagonal k is in the matrix.
		ra, rb := max(rLo, lower-k), min(rHi, n+lower-k)
		if dmat != nil {
			for r := rLo; r < min(ra, rHi); r++ {
				dmat[r*w+k] = 0
			}
			for r := max(rb, rLo); r < rHi; r++ {
				dmat[r*w+k] = 0
			}
		}
		if ra >= rb {
			continue
		}
		off := k - lower
		wd := ws[k*n+ra : k*n+rb]
		pv := prev[ra:rb]
		nx := next[ra+off : rb+off]
		nx = nx[:len(wd)]
		pv = pv[:len(wd)]
		for i := range wd {
			wd[i] = pv[i] + float64(mat[(ra+i)*w+k]) - nx[i]
		}
		fastexp.ExpSlice64(wd, wd)
		gk := gm[ra+off : rb+off]
		gp := gPrev[ra:rb]
		gk, gp = gk[:len(wd)], gp[:len(wd)]
		if dmat == nil {
			for i, g := range gk {
				if g != 0 {
					gp[i] += g * wd[i]
				}
			}
			continue
		}
		for i, g := range gk {
			var d float64
			if g != 0 {
				d = g * wd[i]
				gp[i] += d
			}
			dmat[(ra+i)*w+k] = T(d)
		}
	}
}

// diagGrad02 turns scanLogDiagGrad02 on; its test compares it with the
// diagonal loops.
var diagGrad02 = true

// scanLogDiagGrad02 is scanLogDiagGrad for band (0, 2), CTC's, with the
// gradient of A: the three diagonals' weight arguments in one pass over
// the rows (A's row read whole), one vector exp per diagonal, then the
// multiply-adds and each row's three gradient slots in one pass. The
// arithmetic is scanLogDiagGrad's term for term, in its order (each
// gPrev[r] adds its terms in slot order), and each diagonal's exps run
// over the same slice, rows rLo up to the last whose column is in the
// matrix, so the bits are the same too. ws is scratch of 4·n floats.
func scanLogDiagGrad02[T float](gPrev []float64, dmat []T, gNext, prev, next []float64, mat []T, ws []float64, rLo, rHi, n int) {
	cnt := rHi - rLo
	// The rows with all three columns in the matrix, and those of
	// diagonals 1 and 2 (the last rows miss columns n and n+1).
	all, len1, len2 := max(0, min(rHi, n-2)-rLo), max(0, min(rHi, n-1)-rLo), max(0, min(rHi, n-2)-rLo)
	cols := min(cnt+2, n-rLo) // columns rLo …
	gm := ws[3*n : 3*n+cols]
	nx := next[rLo : rLo+cols]
	gn := gNext[rLo : rLo+cols]
	gn = gn[:len(gm)]
	nx = nx[:len(gm)]
	for i, g := range gn {
		if math.IsInf(nx[i], -1) {
			g = 0
		}
		gm[i] = g
	}
	w0, w1, w2 := ws[:cnt], ws[n:n+cnt], ws[2*n:2*n+cnt]
	pv := prev[rLo:rHi]
	mt := mat[3*rLo : 3*rHi]
	mt = mt[:3*len(pv)]
	w0, w1, w2 = w0[:len(pv)], w1[:len(pv)], w2[:len(pv)]
	for i, p := range pv[:all] {
		a := mt[3*i : 3*i+3 : 3*i+3]
		w0[i] = p + float64(a[0]) - nx[i]
		w1[i] = p + float64(a[1]) - nx[i+1]
		w2[i] = p + float64(a[2]) - nx[i+2]
	}
	for i := all; i < cnt; i++ {
		w0[i] = pv[i] + float64(mt[3*i]) - nx[i]
		if i < len1 {
			w1[i] = pv[i] + float64(mt[3*i+1]) - nx[i+1]
		}
	}
	fastexp.ExpSlice64(w0, w0)
	fastexp.ExpSlice64(w1[:len1], w1[:len1])
	fastexp.ExpSlice64(w2[:len2], w2[:len2])
	gp := gPrev[rLo:rHi]
	dm := dmat[3*rLo : 3*rHi]
	gp = gp[:len(pv)]
	dm = dm[:3*len(pv)]
	for i := range gp[:all] {
		var d0, d1, d2 float64
		if g := gm[i]; g != 0 {
			d0 = g * w0[i]
			gp[i] += d0
		}
		if g := gm[i+1]; g != 0 {
			d1 = g * w1[i]
			gp[i] += d1
		}
		if g := gm[i+2]; g != 0 {
			d2 = g * w2[i]
			gp[i] += d2
		}
		d := dm[3*i : 3*i+3 : 3*i+3]
		d[0], d[1], d[2] = T(d0), T(d1), T(d2)
	}
	for i := all; i < cnt; i++ {
		var d0, d1 float64
		if g := gm[i]; g != 0 {
			d0 = g * w0[i]
			gp[i] += d0
		}
		if i < len1 {
			if g := gm[i+1]; g != 0 {
				d1 = g * w1[i]
				gp[i] += d1
			}
		}
		dm[3*i], dm[3*i+1], dm[3*i+2] = T(d0), T(d1), 0
	}
}

// gradRow returns row r of dmat (nil when dmat is nil) with its slots
// outside [kLo, kHi) set to 0: every slot of a row of the gradient is
// written, the padding with 0 here, the terms by the caller (a loop of
// stores: a clear per row would be a call per row).
func gradRow[T float](dmat []T, r, w, kLo, kHi int) []T {
	if dmat == nil {
		return nil
	}
	drow := dmat[r*w : (r+1)*w]
	for k := 0; k < kLo; k++ {
		drow[k] = 0
	}
	for k := kHi; k < w; k++ {
		drow[k] = 0
	}
	return drow
}

// scanLogRowsGrad is scanStepGrad's loop for Log with the forward's
// weights: every term's weight is read, not computed, so a row is a few
// multiply-adds (the general loop's choice among semirings per term costs
// more than they do).
func scanLogRowsGrad[T float](gPrev []float64, dmat []T, gNext, next, wmat []float64, rLo, rHi, n, lower, upper int) {
	w := lower + upper + 1
	for r := rLo; r < rHi; r++ {
		kLo, kHi := max(0, lower-r), min(w, n-r+lower)
		acc := gPrev[r]
		wrow := wmat[r*w : (r+1)*w]
		drow := gradRow(dmat, r, w, kLo, kHi)
		for k := kLo; k < kHi; k++ {
			c := r + k - lower
			// A term adds nothing where its gradient is 0 or its sum is
			// −Inf, whatever its weight.
			var d float64
			if g := gNext[c]; g != 0 && !math.IsInf(next[c], -1) {
				d = g * wrow[k]
				acc += d
			}
			if drow != nil {
				drow[k] = T(d)
			}
		}
		gPrev[r] = acc
	}
}

// scanOp is the Gorgonia Op of ScanStates: inputs v0 and A, output the
// float64 states.
type scanOp struct {
	opBase
	l           scanLayout
	constV0     bool // v0 is a constant: no gradient with respect to it
	reuse       bool // ReuseBuffers: the states and the gradients
	reuseStates bool // the states only (Scan)
	buf         kept // the states, when reused (scanGradOp: its output)
	// ws is the workspace the scan's Ops share when they keep buffers
	// (ReuseBuffers, Scan), nil otherwise: Ops that keep nothing may run
	// in any number of runs at once.
	ws *scanWork
}

func (op *scanOp) String() string {
	return fmt.Sprintf("bandop.ScanStates{%v, A(%d,%d), %d steps × %d items, window %016x, const v0 %t, reuse %t/%t, end gradient %t, %v}",
		op.l.s, op.l.a.lower, op.l.a.upper, op.l.steps, op.l.items, op.l.win.digest(), op.constV0, op.reuse, op.reuseStates, op.l.endGrad, op.l.a.dt)
}
func (op *scanOp) Arity() int                { return 2 }
func (op *scanOp) WriteHash(h hash.Hash)     { writeHash(h, op) }
func (op *scanOp) Hashcode() uint32          { return hashcode(op) }
func (op *scanOp) DiffWRT(inputs int) []bool { return []bool{!op.constV0, true} }

func (op *scanOp) Type() hm.Type {
	return hm.NewFnType(tensorType(op.l.a.dt, 2), tensorType(op.l.a.dt, 3), tensorType(tensor.Float64, 3))
}

func (op *scanOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.l.statesShape(), nil
}

// operands returns v0 and A from an Op's inputs.
func (op *scanOp) operands(name string, vals []gorgonia.Value) (v0, a *tensor.Dense, err error) {
	if v0, err = input(name, vals, 0, op.l.a.dt, op.l.vShape()); err != nil {
		return
	}
	a, err = input(name, vals, 1, op.l.a.dt, op.l.a.shape())
	return
}

func (op *scanOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "ScanStates"
	if err := checkArity(name, vals, 2); err != nil {
		return nil, err
	}
	v0, a, err := op.operands(name, vals)
	if err != nil {
		return nil, err
	}
	if op.ws == nil {
		return scanStates(op.l, v0, a, nil, nil), nil
	}
	if err := op.ws.claim(name); err != nil {
		return nil, err
	}
	defer op.ws.release()
	return scanStates(op.l, v0, a, &op.buf, op.ws.wc), nil
}

func (op *scanOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 2 {
		return nil, kindErrorf(ErrShape, "ScanStates", "SymDiff got %d inputs, want 2", len(inputs))
	}
	gs := make(gorgonia.Nodes, 2)
	for wrt := range 2 {
		if wrt == 0 && op.constV0 {
			continue
		}
		g, err := gorgonia.ApplyOp(&scanGradOp{scanOp: scanOp{l: op.l, constV0: op.constV0, reuse: op.reuse, ws: op.ws}, wrt: wrt}, inputs[0], inputs[1], output, grad)
		if err != nil {
			return nil, err
		}
		gs[wrt] = g
	}
	return gs, nil
}

// scanGradOp is the backward Op of ScanStates: from v0, A, the states and
// their gradient it returns the gradient with respect to v0 (wrt 0) or A
// (wrt 1), by one reverse scan.
type scanGradOp struct {
	scanOp
	wrt int
}

func (op *scanGradOp) String() string {
	return fmt.Sprintf("bandop.ScanStatesGrad{wrt %d, %v, A(%d,%d), %d steps × %d items, window %016x, reuse %t, end gradient %t, %v}",
		op.wrt, op.l.s, op.l.a.lower, op.l.a.upper, op.l.steps, op.l.items, op.l.win.digest(), op.reuse, op.l.endGrad, op.l.a.dt)
}
func (op *scanGradOp) Arity() int            { return 4 }
func (op *scanGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *scanGradOp) Hashcode() uint32      { return hashcode(op) }

func (op *scanGradOp) Type() hm.Type {
	dt := op.l.a.dt
	out := 3
	if op.wrt == 0 {
		out = 2
	}
	return hm.NewFnType(tensorType(dt, 2), tensorType(dt, 3), tensorType(tensor.Float64, 3), tensorType(tensor.Float64, 3), tensorType(dt, out))
}

func (op *scanGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	if op.wrt == 0 {
		return op.l.vShape(), nil
	}
	return op.l.a.shape(), nil
}

func (op *scanGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "ScanStatesGrad"
	if err := checkArity(name, vals, 4); err != nil {
		return nil, err
	}
	_, a, err := op.operands(name, vals)
	if err != nil {
		return nil, err
	}
	states, err := input(name, vals, 2, tensor.Float64, op.l.statesShape())
	if err != nil {
		return nil, err
	}
	dS, err := input(name, vals, 3, tensor.Float64, op.l.statesShape())
	if err != nil {
		return nil, err
	}
	shape, _ := op.InferShape()
	var buf *kept
	var wts []float64
	if op.ws != nil {
		// The states may be the forward's kept buffer, and the output
		// this Op's.
		if err := op.ws.claim(name); err != nil {
			return nil, err
		}
		defer op.ws.release()
		wts = op.ws.wc.weightsFor(vals[2])
	}
	if op.reuse {
		buf = &op.buf
	}
	// A reused buffer holds 0 outside the window's rows from when it was
	// made: no run writes there.
	g := buf.get(op.l.a.dt, shape)
	st := states.Data().([]float64)
	switch op.l.a.dt {
	case tensor.Float32:
		da, dv := scanOutputs(op.wrt, g.Data().([]float32))
		scanBackward(op.l, st, dS.Data().([]float64), a.Data().([]float32), da, dv, wts)
	default:
		da, dv := scanOutputs(op.wrt, g.Data().([]float64))
		scanBackward(op.l, st, dS.Data().([]float64), a.Data().([]float64), da, dv, wts)
	}
	return g, nil
}

// scanOutputs returns g as the gradient with respect to A (wrt 1) or v0.
func scanOutputs[T float](wrt int, g []T) (da, dv []T) {
	if wrt == 0 {
		return nil, g
	}
	return g, nil
}

// scanLastOp takes v_T, in A's dtype, out of the float64 states.
type scanLastOp struct {
	opBase
	l scanLayout
}

// kept is an Op's output buffer that outlives a run (see ReuseBuffers).
// get returns it, or fresh memory for a nil kept; either way it is zeroed
// when made. An Op that keeps a buffer writes, on every run, every element
// that the run may make non-zero, and relies on the others staying 0: no
// other Op writes into an Op's output.
type kept struct{ t *tensor.Dense }

func (k *kept) get(dt tensor.Dtype, shape tensor.Shape) *tensor.Dense {
	if k == nil {
		return tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
	}
	if k.t == nil || k.t.Dtype() != dt || !k.t.Shape().Eq(shape) {
		k.t = tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
	}
	return k.t
}

func (op *scanLastOp) String() string {
	return fmt.Sprintf("bandop.ScanLast{%d steps × %d items × %d, %v}", op.l.steps, op.l.items, op.l.a.n, op.l.a.dt)
}
func (op *scanLastOp) Arity() int                { return 1 }
func (op *scanLastOp) WriteHash(h hash.Hash)     { writeHash(h, op) }
func (op *scanLastOp) Hashcode() uint32          { return hashcode(op) }
func (op *scanLastOp) DiffWRT(inputs int) []bool { return []bool{true} }

func (op *scanLastOp) Type() hm.Type {
	return hm.NewFnType(tensorType(tensor.Float64, 3), tensorType(op.l.a.dt, 2))
}

func (op *scanLastOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.l.vShape(), nil
}

func (op *scanLastOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "ScanLast"
	if err := checkArity(name, vals, 1); err != nil {
		return nil, err
	}
	states, err := input(name, vals, 0, tensor.Float64, op.l.statesShape())
	if err != nil {
		return nil, err
	}
	return lastState(op.l, states), nil
}

func (op *scanLastOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	// The states are internal to Scan, and so is their gradient.
	g, err := gorgonia.ApplyOp(&scanLastGradOp{l: op.l}, grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{g}, nil
}

// scanLastGradOp is the adjoint of scanLastOp: the float64 gradient of the
// states, dv in the last state and 0 elsewhere, in a buffer it keeps from
// run to run (held by use while a Do writes it).
type scanLastGradOp struct {
	opBase
	l   scanLayout
	buf kept
	use inUse
}

func (op *scanLastGradOp) String() string {
	return fmt.Sprintf("bandop.ScanLastGrad{%d steps × %d items × %d, %v}", op.l.steps, op.l.items, op.l.a.n, op.l.a.dt)
}
func (op *scanLastGradOp) Arity() int            { return 1 }
func (op *scanLastGradOp) WriteHash(h hash.Hash) { writeHash(h, op) }
func (op *scanLastGradOp) Hashcode() uint32      { return hashcode(op) }

func (op *scanLastGradOp) Type() hm.Type {
	return hm.NewFnType(tensorType(op.l.a.dt, 2), tensorType(tensor.Float64, 3))
}

func (op *scanLastGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return op.l.statesShape(), nil
}

func (op *scanLastGradOp) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	const name = "ScanLastGrad"
	if err := checkArity(name, vals, 1); err != nil {
		return nil, err
	}
	dv, err := input(name, vals, 0, op.l.a.dt, op.l.vShape())
	if err != nil {
		return nil, err
	}
	if err := op.use.claim(name); err != nil {
		return nil, err
	}
	defer op.use.release()
	res := op.buf.get(tensor.Float64, op.l.statesShape())
	out := res.Data().([]float64)
	last := out[op.l.steps*op.l.items*op.l.a.n:]
	clear(out[:len(out)-len(last)])
	switch d := dv.Data().(type) {
	case []float32:
		for i, x := range d {
			last[i] = float64(x)
		}
	case []float64:
		copy(last, d)
	}
	return res, nil
}
