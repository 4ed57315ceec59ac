package align

import (
	"sync"

	"github.com/genband/genband/bandop"
	"github.com/genband/genband/internal/dense"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Result holds what Marginals computes.
type Result struct {
	// LogZ is log Z of every batch item in float64: the log-partition
	// (Log), the best score (Max) or the partition itself (Real).
	LogZ []float64
	// Marginals is the gradient of Σ_b LogZ[b] with respect to θ, of θ's
	// shape and dtype, and 0 in every cell past a length or outside the
	// gap. Under Log it is the probability of each move, under Max the
	// 0/1 best path. Under Real, where LogZ is Z itself, it is ∂ Σ Z / ∂θ:
	// the element for move c into cell (i, j) of item b is the sum, over
	// the paths of b that enter (i, j) by c, of the product of their other
	// potentials (where θ[b, i, j, c] is not 0, their summed weight divided
	// by it; with every potential 1, the number of such paths). These are not probabilities:
	// they may exceed 1, and nothing checks their range.
	Marginals *tensor.Dense
}

// Marginals builds the graph of LogPartition for theta, (batch, N, M, 3)
// ((batch, N, M, 5) for an affine model), differentiates the sum of log Z
// with gorgonia.Grad, runs it (on a tape
// machine; the Linear strategy's on the CPU Op after Op on the calling
// goroutine, see direct) and returns log Z and the marginals. theta is not modified. See
// LogPartition for lenX and lenY. A NaN or +Inf potential that a path may
// use is an error of kind ErrPotential naming the item and the cell;
// potentials no path may use are never read.
//
// Each call compiles a Program of its own, runs it once and closes it, so
// calls are independent and safe for concurrent use, and nothing outlives
// them. To run many potentials of one shape, Compile a Program once: that
// saves building the graph and faulting in its buffers on every call.
func (m Model) Marginals(theta *tensor.Dense, lenX, lenY []int) (*Result, error) {
	const op = "Marginals"
	if theta == nil {
		return nil, errorf(ErrNil, op, "nil potentials")
	}
	pr, err := m.compile(op, theta.Shape(), theta.Dtype(), lenX, lenY)
	if err != nil {
		return nil, err
	}
	defer pr.Close()
	return pr.run(op, theta, lenX, lenY)
}

// A Program is the compiled graph of a model's marginals for one shape
// and dtype of potentials, ready to run on many potentials of that shape.
// With the Linear strategy the lengths are an input of the graph, so one
// Program serves any lengths (MarginalsLengths); LogDepth lays its steps
// out for the lengths it was compiled with.
//
// A Program runs one call at a time, since its graph keeps its buffers
// from run to run: a method called while another call on the same Program
// is running returns an error of kind ErrBusy at once rather than wait or
// race (Close waits for that call instead). To run in parallel, give each
// goroutine a Program of its own.
type Program struct {
	mu      sync.Mutex // held by a running method, and by Close
	m       Model
	shape   tensor.Shape
	dt      tensor.Dtype
	theta   *gorgonia.Node
	lengths *gorgonia.Node // Linear: the (batch, 2) lengths input
	lenX    []int          // the lengths compiled with
	lenY    []int
	z       *gorgonia.Node // log Z: float64 with Linear, dt with LogDepth
	grad    *gorgonia.Node // ∂ Σ log Z / ∂θ
	zv, gv  gorgonia.Value // their values read back to the host (cuda builds)
	grid    *grid          // Linear
	cells   *cellsWork     // Linear: the cells' workspace, which takes MarginalsInto's dst
	into    *tensor.Dense  // MarginalsInto's dst during its run; nil: fresh memory
	direct  *direct        // Linear on the CPU: runs the graph in place of vm
	vm      gorgonia.VM
	closed  bool
}

// Compile builds and compiles the graph of Marginals for potentials of the
// given shape (batch, N, M, 3) ((batch, N, M, 5) for an affine model) and
// dtype (Float64 or Float32), and lengths as in LogPartition. With the Linear strategy it is the graph of
// LogPartitionLengths with log Z kept in float64 (so a float32 Program's
// LogZ is as precise as a float64 one's): a handful of nodes and their
// gradients, whatever the size.
func (m Model) Compile(shape tensor.Shape, dt tensor.Dtype, lenX, lenY []int) (*Program, error) {
	return m.compile("Compile", shape, dt, lenX, lenY)
}

func (m Model) compile(op string, shape tensor.Shape, dt tensor.Dtype, lenX, lenY []int) (*Program, error) {
	if dt != tensor.Float64 && dt != tensor.Float32 {
		return nil, errorf(ErrDtype, op, "potentials have dtype %v, want float64 or float32", dt)
	}
	if _, _, _, err := m.checkShape(op, shape); err != nil {
		return nil, err
	}
	var err error
	pr := &Program{m: m, shape: shape.Clone(), dt: dt}
	if pr.lenX, err = lengths(op, "lenX", lenX, shape[0], shape[1]); err != nil {
		return nil, err
	}
	if pr.lenY, err = lengths(op, "lenY", lenY, shape[0], shape[2]); err != nil {
		return nil, err
	}
	eg := gorgonia.NewGraph()
	pr.theta = gorgonia.NewTensor(eg, dt, 4, gorgonia.WithShape(shape...), gorgonia.WithName("align.theta"))
	if m.Strategy == LogDepth {
		if pr.z, err = m.logDepthGraph(op, pr.theta, lenX, lenY); err != nil {
			return nil, err
		}
	} else {
		g, err := newGrid(op, m, shape)
		if err != nil {
			return nil, err
		}
		pr.grid = g
		pr.lengths = gorgonia.NewTensor(eg, tensor.Int, 2, gorgonia.WithShape(g.batch, 2), gorgonia.WithName("align.lengths"))
		if pr.z, err = g.logPartition(op, pr.theta, pr.lengths, tensor.Float64); err != nil {
			return nil, err
		}
	}
	cost, err := gorgonia.Sum(pr.z)
	if err != nil {
		return nil, wrap(op, err)
	}
	grads, err := gorgonia.Grad(cost, pr.theta)
	if err != nil {
		return nil, wrap(op, err)
	}
	pr.grad = grads[0]
	if gop, ok := pr.grad.Op().(*cellsGradOp); ok {
		pr.cells = gop.ws
	}
	if callsExtern {
		// On a GPU the values stay in device memory: Read copies them
		// back (on the CPU it would only clone them).
		gorgonia.Read(pr.z, &pr.zv)
		gorgonia.Read(pr.grad, &pr.gv)
	}
	pr.vm = gorgonia.NewTapeMachine(eg)
	if pr.grid != nil && !callsExtern {
		if pr.direct, err = newDirect(eg); err != nil {
			return nil, wrap(op, err)
		}
	}
	return pr, nil
}

// Close releases the Program's machine, after the call running on it, if
// any, has returned. Closing a closed or nil Program does nothing; the
// methods of a closed one return an error of kind ErrClosed.
func (pr *Program) Close() {
	if pr == nil {
		return
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.vm != nil && !pr.closed {
		pr.closed = true
		pr.vm.Close()
	}
}

// Marginals runs the program on theta, which must have the shape and dtype
// it was compiled for, with the lengths it was compiled with. theta is not
// modified. A NaN or +Inf potential that a path may use is an error naming
// the item and the cell (see the package doc, Bad values).
func (pr *Program) Marginals(theta *tensor.Dense) (*Result, error) {
	const op = "Program.Marginals"
	if err := pr.acquire(op); err != nil {
		return nil, err
	}
	defer pr.mu.Unlock()
	return pr.run(op, theta, pr.lenX, pr.lenY)
}

// MarginalsInto is Marginals writing the marginals into dst instead of
// fresh memory, and returning log Z. dst must have the shape and dtype the
// program was compiled for, hold its own memory (not a view) and share
// none with theta; where the run fails, its contents are unspecified. A
// loop that reuses dst then allocates nothing of θ's size from run to run:
// at these sizes, fresh memory for each result (zeroing it, its page
// faults, the collector) costs a good part of a run. A Linear program on
// the CPU writes dst in place; the others copy their result into it.
func (pr *Program) MarginalsInto(dst, theta *tensor.Dense) ([]float64, error) {
	const op = "Program.MarginalsInto"
	if err := pr.acquire(op); err != nil {
		return nil, err
	}
	defer pr.mu.Unlock()
	switch {
	case dst == nil:
		return nil, errorf(ErrNil, op, "nil destination")
	case dst.Dtype() != pr.dt:
		return nil, errorf(ErrDtype, op, "the destination has dtype %v, the program was compiled for %v", dst.Dtype(), pr.dt)
	case !dst.Shape().Eq(pr.shape):
		return nil, errorf(ErrShape, op, "the destination has shape %v, the program was compiled for %v", dst.Shape(), pr.shape)
	case dst.IsView() || !dst.IsNativelyAccessible():
		return nil, errorf(ErrValue, op, "the destination is a view or not in host memory; pass a tensor of its own")
	case theta != nil && overlap(dst, theta):
		return nil, errorf(ErrValue, op, "the destination shares memory with the potentials")
	}
	pr.into = dst
	defer func() { pr.into = nil }()
	res, err := pr.run(op, theta, pr.lenX, pr.lenY)
	if err != nil {
		return nil, err
	}
	return res.LogZ, nil
}

// overlap reports whether the memory of a and b overlaps.
func overlap(a, b *tensor.Dense) bool {
	if a.MemSize() == 0 || b.MemSize() == 0 {
		return false
	}
	return a.Uintptr() < b.Uintptr()+b.MemSize() && b.Uintptr() < a.Uintptr()+a.MemSize()
}

// acquire takes pr for a call of op, which must unlock pr.mu when done,
// or returns an error naming op: of kind ErrNil for a nil or uncompiled
// Program, ErrBusy when another call holds it, ErrClosed when it is
// closed.
func (pr *Program) acquire(op string) error {
	if pr == nil || pr.vm == nil {
		return errorf(ErrNil, op, "nil or uncompiled Program (use Model.Compile)")
	}
	if !pr.mu.TryLock() {
		return errorf(ErrBusy, op, "the program is running another call (a Program runs one call at a time)")
	}
	if pr.closed {
		pr.mu.Unlock()
		return errorf(ErrClosed, op, "the program is closed")
	}
	return nil
}

// MarginalsLengths runs the program on theta with other lengths (as in
// LogPartition; nil means N or M for every item). It needs the Linear
// strategy, whose graph takes the lengths as an input. Bad potentials are
// refused as in Marginals.
func (pr *Program) MarginalsLengths(theta *tensor.Dense, lenX, lenY []int) (*Result, error) {
	const op = "Program.MarginalsLengths"
	if err := pr.acquire(op); err != nil {
		return nil, err
	}
	defer pr.mu.Unlock()
	if pr.m.Strategy != Linear {
		return nil, errorf(ErrMode, op, "a %v program is laid out for the lengths it was compiled with", pr.m.Strategy)
	}
	return pr.run(op, theta, lenX, lenY)
}

// run runs the program pr, which the caller has compiled or acquired, on
// theta with the lengths lenX and lenY.
func (pr *Program) run(op string, theta *tensor.Dense, lenX, lenY []int) (*Result, error) {
	switch {
	case theta == nil:
		return nil, errorf(ErrNil, op, "nil potentials")
	case theta.Dtype() != pr.dt:
		return nil, errorf(ErrDtype, op, "potentials have dtype %v, the program was compiled for %v", theta.Dtype(), pr.dt)
	case !theta.Shape().Eq(pr.shape):
		return nil, errorf(ErrShape, op, "potentials have shape %v, the program was compiled for %v", theta.Shape(), pr.shape)
	}
	lx, err := lengths(op, "lenX", lenX, pr.shape[0], pr.shape[1])
	if err != nil {
		return nil, err
	}
	ly, err := lengths(op, "lenY", lenY, pr.shape[0], pr.shape[2])
	if err != nil {
		return nil, err
	}
	// The graph would carry a NaN or +Inf potential into log Z and the
	// marginals of its item without a word: refuse it. The Linear
	// strategy's cells keep IEEE semantics to the end, where such a
	// potential makes its item's log Z NaN or infinite, so only the
	// potentials of such an item are read again, after the run.
	theta = contiguous(theta)
	check := func(b int) error { return checkFiniteDense(op, "θ", theta, b, pr.m.lat(lx[b], ly[b])) }
	if pr.grid == nil {
		for b := range lx {
			if err := check(b); err != nil {
				return nil, err
			}
		}
	}
	if pr.lengths != nil {
		lv, err := Lengths(lx, ly)
		if err != nil {
			return nil, wrap(op, err)
		}
		if err := gorgonia.Let(pr.lengths, lv); err != nil {
			return nil, wrap(op, err)
		}
	}
	// No Op of the graph writes into θ: it is bound as it is.
	if err := gorgonia.Let(pr.theta, theta); err != nil {
		return nil, wrap(op, err)
	}
	if pr.into != nil && pr.cells != nil && !callsExtern {
		// The cells' gradient writes the marginals into dst.
		pr.cells.into = pr.into
		defer func() { pr.cells.into = nil }()
	}
	var zv, gval gorgonia.Value
	if pr.direct != nil {
		if err := pr.direct.run(); err != nil {
			return nil, wrap(op, err)
		}
		zv, gval = pr.direct.value(pr.z), pr.direct.value(pr.grad)
	} else {
		pr.vm.Reset()
		pr.zv, pr.gv = nil, nil
		if err := pr.vm.RunAll(); err != nil {
			return nil, wrap(op, err)
		}
		zv, gval = pr.z.Value(), pr.grad.Value()
		if callsExtern {
			zv, gval = pr.zv, pr.gv
		}
	}
	res := &Result{LogZ: float64s(zv)}
	gv, ok := gval.(*tensor.Dense)
	if !ok {
		return nil, errorf(ErrValue, op, "gradient is a %T", gval)
	}
	// The gradient is a fresh value of each run, so it is handed out as
	// it is (a view is copied).
	res.Marginals = contiguous(gv)
	if pr.into != nil && res.Marginals != pr.into {
		// LogDepth, or a GPU's values read back: copied.
		switch d := pr.into.Data().(type) {
		case []float64:
			copy(d, res.Marginals.Data().([]float64))
		case []float32:
			copy(d, res.Marginals.Data().([]float32))
		}
		res.Marginals = pr.into
	}
	if pr.grid != nil {
		for b, z := range res.LogZ {
			if z-z != 0 {
				if err := check(b); err != nil {
					return nil, err
				}
			}
		}
		// Linear marginals are products of weights in [0, 1] summed in
		// float64 (Log, Max): no check is needed.
		return res, nil
	}
	if err := checkMarginals(op, pr.m.Semiring, res.Marginals); err != nil {
		return nil, err
	}
	return res, nil
}

// checkMarginals refuses marginals outside [0, 1] (Log and Max): float32
// products of the LogDepth strategy lose the low digits of large scores,
// and what they give then is not a probability. (The Linear strategy keeps
// its sums in float64 and cannot.)
func checkMarginals(op string, s bandop.Semiring, g *tensor.Dense) error {
	if s == Real {
		return nil
	}
	switch d := g.Data().(type) {
	case []float64:
		return checkUnit(op, d)
	case []float32:
		return checkUnit(op, d)
	}
	return nil
}

func checkUnit[T float32 | float64](op string, d []T) error {
	const slack = 1e-3
	for k, x := range d {
		if !(x >= -slack && x <= 1+slack) {
			return errorf(ErrPotential, op, "marginal %d is %v, outside [0, 1]: float32 lost the precision of these scores; use float64 or the Linear strategy", k, x)
		}
	}
	return nil
}

// gradients runs the graph of z and returns the gradient nodes of Σ z with
// respect to wrt, holding their values.
func gradients(z *gorgonia.Node, wrt []*gorgonia.Node) ([]*gorgonia.Node, error) {
	cost, err := gorgonia.Sum(z)
	if err != nil {
		return nil, err
	}
	grads, err := gorgonia.Grad(cost, wrt...)
	if err != nil {
		return nil, err
	}
	vm := gorgonia.NewTapeMachine(z.Graph())
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		return nil, err
	}
	return grads, nil
}

// contiguous is the module's one rule for reading a tensor as a row-major
// slice (a view, a pending transpose: see dense.Contiguous).
var contiguous = dense.Contiguous

func float64s(v gorgonia.Value) []float64 {
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil
	}
	d = contiguous(d)
	switch x := d.Data().(type) {
	case []float64:
		return append([]float64(nil), x...)
	case []float32:
		out := make([]float64, len(x))
		for i, f := range x {
			out[i] = float64(f)
		}
		return out
	case float64:
		return []float64{x}
	case float32:
		return []float64{float64(x)}
	}
	return nil
}
