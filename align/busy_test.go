package align

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// sameResult describes the first difference between two results, bit for
// bit, or returns "".
func sameResult(got, want *Result) string {
	if !sameBits(got.LogZ, want.LogZ) {
		return fmt.Sprintf("log Z %v, want %v", got.LogZ, want.LogZ)
	}
	if got.Marginals.Dtype() != want.Marginals.Dtype() {
		return fmt.Sprintf("marginals of dtype %v, want %v", got.Marginals.Dtype(), want.Marginals.Dtype())
	}
	if d := diffFloats(float64s(got.Marginals), float64s(want.Marginals), 0); d != "" {
		return "marginals: " + d
	}
	return ""
}

// untilFree calls f until it returns anything but an error of kind
// ErrBusy, or for a minute at most, counting in busy the calls that found
// the program or workspace busy, and returns f's last error.
func untilFree(busy *atomic.Int64, f func() error) error {
	deadline := time.Now().Add(time.Minute)
	for {
		err := f()
		if !errors.Is(err, ErrBusy) || time.Now().After(deadline) {
			return err
		}
		busy.Add(1)
		time.Sleep(10 * time.Microsecond) // let the call in progress end
	}
}

// busyProblems returns count random problems of shape (batch, n, mm) with
// ragged lengths, and their potentials in dt.
func busyProblems(seed uint64, count, batch, n, mm int, dt tensor.Dtype) ([]problem, []*tensor.Dense) {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	ps := make([]problem, count)
	ths := make([]*tensor.Dense, count)
	for k := range ps {
		ps[k] = randomProblem(rng, batch, n, mm, true)
		ths[k] = ps[k].tensor(dt)
	}
	return ps, ths
}

// TestProgramConcurrent shares one Program among goroutines that call it
// on different potentials (and, for Linear, lengths) many times at once:
// every call must give exactly what the same call gave alone, or an error
// of kind ErrBusy, never another call's numbers or a panic (run it with
// -race too). A worker that finds the program busy tries again, so every
// worker's calls run in the end.
func TestProgramConcurrent(t *testing.T) {
	const batch, n, mm, inputs, workers, calls = 2, 12, 14, 3, 4, 40
	cases := []struct {
		m       Model
		dt      tensor.Dtype
		lengths bool // MarginalsLengths with each problem's lengths
	}{
		{Model{}, tensor.Float64, true},
		{Model{}, tensor.Float32, true},
		{Model{Semiring: Max, Mode: Local}, tensor.Float64, false},
		{Model{Semiring: Real, Mode: SemiGlobal, Gapped: true, MaxGap: 2}, tensor.Float32, true},
		{Model{Strategy: LogDepth}, tensor.Float64, false},
		{Model{Strategy: LogDepth, Semiring: Max}, tensor.Float32, false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v/%v", c.m, c.dt), func(t *testing.T) {
			ps, thetas := busyProblems(41, inputs, batch, n, mm, c.dt)
			pr, err := c.m.Compile(thetas[0].Shape(), c.dt, nil, nil)
			must(t, err)
			defer pr.Close()
			call := func(k int) (*Result, error) {
				if c.lengths {
					return pr.MarginalsLengths(thetas[k], ps[k].lenX, ps[k].lenY)
				}
				return pr.Marginals(thetas[k])
			}
			// The reference: each call alone.
			want := make([]*Result, inputs)
			for k := range want {
				want[k], err = call(k)
				must(t, err)
			}
			var ran, busy atomic.Int64
			var wg sync.WaitGroup
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range calls {
						k := (w + i) % inputs
						var res *Result
						err := untilFree(&busy, func() (err error) {
							res, err = call(k)
							return err
						})
						if err != nil {
							t.Errorf("worker %d, call %d: %v", w, i, err)
							return
						}
						if d := sameResult(res, want[k]); d != "" {
							t.Errorf("worker %d, call %d on input %d: %s", w, i, k, d)
							return
						}
						ran.Add(1)
					}
				}()
			}
			wg.Wait()
			t.Logf("%d calls ran, %d found the program busy", ran.Load(), busy.Load())
		})
	}
}

// TestProgramBusy: a call that finds another in progress returns an error
// of kind ErrBusy naming the method, at once and without harm to the
// program; Close waits for the call in progress.
func TestProgramBusy(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		t.Run(dt.String(), func(t *testing.T) {
			ps, thetas := busyProblems(43, 1, 2, 5, 4, dt)
			pr, err := Model{}.Compile(thetas[0].Shape(), dt, nil, nil)
			must(t, err)
			want, err := pr.MarginalsLengths(thetas[0], ps[0].lenX, ps[0].lenY)
			must(t, err)
			pr.mu.Lock() // a call in progress
			for _, c := range []struct {
				op  string
				run func() (*Result, error)
			}{
				{"Program.Marginals", func() (*Result, error) { return pr.Marginals(thetas[0]) }},
				{"Program.MarginalsLengths", func() (*Result, error) { return pr.MarginalsLengths(thetas[0], ps[0].lenX, ps[0].lenY) }},
			} {
				res, err := c.run()
				var e *Error
				switch {
				case !errors.Is(err, ErrBusy):
					t.Errorf("%s while another call runs: %v, want an error of kind ErrBusy", c.op, err)
				case !errors.As(err, &e) || e.Op != c.op:
					t.Errorf("%s: the error %q does not name it", c.op, err)
				case res != nil:
					t.Errorf("%s: a result with the error", c.op)
				}
			}
			pr.mu.Unlock()
			got, err := pr.MarginalsLengths(thetas[0], ps[0].lenX, ps[0].lenY)
			must(t, err)
			if d := sameResult(got, want); d != "" {
				t.Errorf("after the refused calls: %s", d)
			}

			pr.mu.Lock()
			closed := make(chan struct{})
			go func() {
				pr.Close()
				close(closed)
			}()
			select {
			case <-closed:
				t.Error("Close returned while a call held the program")
			case <-time.After(20 * time.Millisecond):
			}
			pr.mu.Unlock()
			<-closed
			if _, err := pr.Marginals(thetas[0]); !errors.Is(err, ErrClosed) {
				t.Errorf("Marginals after Close: %v, want an error of kind ErrClosed", err)
			}
		})
	}
}

// TestCellsWorkBusy: a Do of the cells' forward or gradient that finds
// their workspace held returns an error of kind ErrBusy and leaves the
// workspace as it was.
func TestCellsWorkBusy(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		t.Run(dt.String(), func(t *testing.T) {
			ps, thetas := busyProblems(47, 1, 2, 4, 5, dt)
			g, err := newGrid("test", Model{}, thetas[0].Shape())
			must(t, err)
			lv, err := Lengths(ps[0].lenX, ps[0].lenY)
			must(t, err)
			fwd := newCellsOp(g, dt)
			av, err := fwd.Do(thetas[0], lv)
			must(t, err)
			dav := tensor.New(tensor.WithShape(g.cellsShape()...), tensor.WithBacking(make([]float64, g.cellsShape().TotalSize())))
			want, err := fwd.gradOp().Do(thetas[0], lv, av, dav)
			must(t, err)
			mustClaim(t, &fwd.ws.inUse) // another run's Do
			if _, err := fwd.Do(thetas[0], lv); !errors.Is(err, ErrBusy) {
				t.Errorf("forward while the workspace is held: %v, want ErrBusy", err)
			}
			if _, err := fwd.gradOp().Do(thetas[0], lv, av, dav); !errors.Is(err, ErrBusy) {
				t.Errorf("gradient while the workspace is held: %v, want ErrBusy", err)
			}
			if fwd.ws.out != av {
				t.Error("a refused forward changed the α the weights belong to")
			}
			fwd.ws.release()
			got, err := fwd.gradOp().Do(thetas[0], lv, av, dav)
			must(t, err)
			if fwd.ws.weightsFor(av) == nil {
				t.Error("the forward's weights were not kept for its α")
			}
			if d := diffFloats(float64s(got), float64s(want), 0); d != "" {
				t.Errorf("after the refused calls: %s", d)
			}
		})
	}
}

// TestCellsWorkConcurrent runs the forward and the gradient of one cells
// Op pair, as two machines running one graph would, from goroutines at
// once: each Do either runs or returns ErrBusy, and every gradient that
// runs is the gradient of its own potentials bit for bit, whether the
// forward's weights were still its own (kept) or not (run again). Run
// with -race: the workspace must never be written by two Dos at once. A
// worker whose Do finds the workspace busy tries again, so another
// worker's forward often runs between its own forward and gradient.
func TestCellsWorkConcurrent(t *testing.T) {
	const inputs, workers, calls = 3, 4, 40
	cases := []struct {
		m  Model
		dt tensor.Dtype
	}{
		{Model{}, tensor.Float64},
		{Model{Semiring: Max, Mode: Local}, tensor.Float32},
		{Model{Semiring: Real, Mode: SemiGlobal}, tensor.Float64},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v/%v", c.m, c.dt), func(t *testing.T) {
			// Large enough that the Dos of the workers overlap.
			ps, thetas := busyProblems(49, inputs, 2, 40, 50, c.dt)
			g, err := newGrid("test", c.m, thetas[0].Shape())
			must(t, err)
			fwd := newCellsOp(g, c.dt)
			grad := fwd.gradOp()
			rng := rand.New(rand.NewPCG(50, 51))
			lvs := make([]*tensor.Dense, inputs)
			das := make([]*tensor.Dense, inputs)
			want := make([][]float64, inputs)
			for k := range inputs {
				lvs[k], err = Lengths(ps[k].lenX, ps[k].lenY)
				must(t, err)
				da := make([]float64, g.cellsShape().TotalSize())
				for i := range da {
					da[i] = rng.Float64()
				}
				das[k] = tensor.New(tensor.WithShape(g.cellsShape()...), tensor.WithBacking(da))
				av, err := fwd.Do(thetas[k], lvs[k])
				must(t, err)
				d, err := grad.Do(thetas[k], lvs[k], av, das[k])
				must(t, err)
				want[k] = float64s(d)
			}
			var ran, busy atomic.Int64
			var wg sync.WaitGroup
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range calls {
						k := (w + i) % inputs
						var av, d gorgonia.Value
						err := untilFree(&busy, func() (err error) {
							av, err = fwd.Do(thetas[k], lvs[k])
							return err
						})
						if err != nil {
							t.Errorf("worker %d, forward %d: %v", w, i, err)
							return
						}
						// Another worker's forward may run first: then
						// av is no longer the workspace's α.
						err = untilFree(&busy, func() (err error) {
							d, err = grad.Do(thetas[k], lvs[k], av, das[k])
							return err
						})
						if err != nil {
							t.Errorf("worker %d, gradient %d: %v", w, i, err)
							return
						}
						if diff := diffFloats(float64s(d), want[k], 0); diff != "" {
							t.Errorf("worker %d, gradient %d on input %d: %s", w, i, k, diff)
							return
						}
						ran.Add(1)
					}
				}()
			}
			wg.Wait()
			t.Logf("%d gradients ran, %d Dos found the workspace busy", ran.Load(), busy.Load())
		})
	}
}

// endCase is a problem for the ends' Ops: the forward's α of each input,
// its lengths and a gradient of log Z with some items 0 (which the
// gradient skips).
type endCase struct {
	g   *grid
	dt  tensor.Dtype
	avs []gorgonia.Value // α of each input, the cells forward's value
	lvs []*tensor.Dense
	dzs []*tensor.Dense
}

func newEndCase(t *testing.T, seed uint64, m Model, dt tensor.Dtype, inputs, batch, n, mm int) *endCase {
	t.Helper()
	ps, thetas := busyProblems(seed, inputs, batch, n, mm, dt)
	g, err := newGrid("test", m, thetas[0].Shape())
	must(t, err)
	c := &endCase{g: g, dt: dt}
	rng := rand.New(rand.NewPCG(seed, seed+2))
	for k := range inputs {
		lv, err := Lengths(ps[k].lenX, ps[k].lenY)
		must(t, err)
		// A forward of its own for each input: its α stays as it is.
		av, err := newCellsOp(g, dt).Do(thetas[k], lv)
		must(t, err)
		dz := make([]float64, batch)
		for b := range dz {
			if rng.IntN(3) > 0 {
				dz[b] = 4*rng.Float64() - 2
			}
		}
		dzt := tensor.New(tensor.WithShape(batch), tensor.WithBacking(dz))
		if dt == tensor.Float32 {
			dzt = tensor.New(tensor.WithShape(batch), tensor.WithBacking(float32sOf(dz)))
		}
		c.avs, c.lvs, c.dzs = append(c.avs, av), append(c.lvs, lv), append(c.dzs, dzt)
	}
	return c
}

func float32sOf(x []float64) []float32 {
	f := make([]float32, len(x))
	for i, v := range x {
		f[i] = float32(v)
	}
	return f
}

// fresh returns the gradient of α for input k from a gradient Op without
// a workspace, which writes into fresh memory (all 0).
func (c *endCase) fresh(t *testing.T, k int, alpha gorgonia.Value) []float64 {
	t.Helper()
	d, err := (&endGradOp{endOp: endOp{g: c.g, dt: c.dt}}).Do(alpha, c.lvs[k], c.dzs[k])
	must(t, err)
	return append([]float64(nil), float64s(d)...)
}

var endCases = []struct {
	m  Model
	dt tensor.Dtype
}{
	{Model{}, tensor.Float64},
	{Model{Mode: Local}, tensor.Float32},
	{Model{Semiring: Max, Mode: Local}, tensor.Float64},
	{Model{Semiring: Real, Mode: SemiGlobal}, tensor.Float32},
	{Model{Mode: SemiGlobal, Gapped: true, MaxGap: 2}, tensor.Float64},
}

// TestEndWorkRuns: the ends' gradient, run after run in one workspace on
// inputs whose ends and zero items differ, gives each run what fresh
// memory gives (the elements the last run wrote are all set back to 0),
// whether α is the forward's value, a copy of it or a view into a larger
// tensor: the gradient keeps nothing that depends on which α it is given.
func TestEndWorkRuns(t *testing.T) {
	const inputs = 3
	for _, ec := range endCases {
		t.Run(fmt.Sprintf("%v/%v", ec.m, ec.dt), func(t *testing.T) {
			c := newEndCase(t, 53, ec.m, ec.dt, inputs, 3, 6, 7)
			op := (&endOp{g: c.g, dt: c.dt}).gradOp()
			alphas := map[string]func(k int) gorgonia.Value{
				"forward's": func(k int) gorgonia.Value { return c.avs[k] },
				"copy":      func(k int) gorgonia.Value { return c.avs[k].(*tensor.Dense).Clone().(*tensor.Dense) },
				"view": func(k int) gorgonia.Value {
					// Rows 1 … batch of a tensor with an extra first row.
					a := float64s(c.avs[k])
					per := c.g.cellsShape()[1]
					big := tensor.New(tensor.WithShape(c.g.batch+1, per), tensor.WithBacking(append(make([]float64, per), a...)))
					v, err := big.Slice(gorgonia.S(1, c.g.batch+1))
					must(t, err)
					return v
				},
			}
			var prev gorgonia.Value
			for i, k := range []int{0, 1, 2, 1, 0, 2, 2} {
				for _, how := range []string{"forward's", "copy", "view"} {
					alpha := alphas[how](k)
					want := c.fresh(t, k, c.avs[k])
					got, err := op.Do(alpha, c.lvs[k], c.dzs[k])
					must(t, err)
					if got == prev {
						t.Fatalf("run %d returned the value of the run before", i)
					}
					prev = got
					if d := diffFloats(float64s(got), want, 0); d != "" {
						t.Errorf("run %d on input %d, α the %s: %s", i, k, how, d)
					}
				}
			}
		})
	}
}

// TestEndWorkBusy: a Do of the ends' gradient that finds its workspace
// held returns an error of kind ErrBusy naming the function that built
// the node, and leaves the workspace as it was.
func TestEndWorkBusy(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		t.Run(dt.String(), func(t *testing.T) {
			c := newEndCase(t, 59, Model{Mode: Local}, dt, 2, 2, 4, 5)
			op := (&endOp{g: c.g, dt: c.dt}).gradOp()
			_, err := op.Do(c.avs[0], c.lvs[0], c.dzs[0])
			must(t, err)
			picked := append([]int(nil), op.ws.picked...)
			mustClaim(t, &op.ws.inUse) // another run's Do
			res, err := op.Do(c.avs[1], c.lvs[1], c.dzs[1])
			var e *Error
			switch {
			case !errors.Is(err, ErrBusy):
				t.Errorf("gradient while the workspace is held: %v, want ErrBusy", err)
			case !errors.As(err, &e) || e.Op != c.g.op:
				t.Errorf("the error %q does not name %s", err, c.g.op)
			case res != nil:
				t.Error("a value with the error")
			}
			if fmt.Sprint(op.ws.picked) != fmt.Sprint(picked) {
				t.Errorf("a refused Do changed the picked ends: %v, want %v", op.ws.picked, picked)
			}
			op.ws.release()
			got, err := op.Do(c.avs[1], c.lvs[1], c.dzs[1])
			must(t, err)
			if d := diffFloats(float64s(got), c.fresh(t, 1, c.avs[1]), 0); d != "" {
				t.Errorf("after the refused Do: %s", d)
			}
		})
	}
}

// TestEndWorkConcurrent runs one ends' gradient Op, as two machines
// running one graph would, from goroutines at once: each Do runs or
// returns ErrBusy (run it with -race: two Dos never write the workspace at
// once), and afterwards every input's run gives what fresh memory gives,
// so that no run lost track of the ends another wrote. The values the
// workers got are not read: the next Do rewrites their memory, which is
// what ErrBusy cannot guard (see the package's Concurrency).
func TestEndWorkConcurrent(t *testing.T) {
	const inputs, workers, calls = 3, 4, 50
	for _, ec := range endCases {
		t.Run(fmt.Sprintf("%v/%v", ec.m, ec.dt), func(t *testing.T) {
			c := newEndCase(t, 61, ec.m, ec.dt, inputs, 4, 30, 40)
			op := (&endOp{g: c.g, dt: c.dt}).gradOp()
			var ran, busy atomic.Int64
			var wg sync.WaitGroup
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range calls {
						k := (w + i) % inputs
						err := untilFree(&busy, func() error {
							_, err := op.Do(c.avs[k], c.lvs[k], c.dzs[k])
							return err
						})
						if err != nil {
							t.Errorf("worker %d, call %d: %v", w, i, err)
							return
						}
						ran.Add(1)
					}
				}()
			}
			wg.Wait()
			for _, k := range []int{0, 1, 2, 0} {
				got, err := op.Do(c.avs[k], c.lvs[k], c.dzs[k])
				must(t, err)
				if d := diffFloats(float64s(got), c.fresh(t, k, c.avs[k]), 0); d != "" {
					t.Errorf("input %d after the workers: %s", k, d)
				}
			}
			t.Logf("%d Dos ran, %d found the workspace busy", ran.Load(), busy.Load())
		})
	}
}

// TestExpectWorkBusy: a Do of the entropies' forward states that finds its
// buffer held returns an error of kind ErrBusy and leaves the states of
// the last run as they were; from goroutines at once, each Do runs or
// returns ErrBusy (with -race: never two at once), and the next run's
// states are those of a lone run, bit for bit: the totals of every item
// and the gradient they give (cells outside an item's lattice are neither
// written nor read, and keep what an earlier run left there).
func TestExpectWorkBusy(t *testing.T) {
	const inputs, workers, calls = 3, 4, 20
	cases := []struct {
		div divergence
		dt  tensor.Dtype
	}{
		{divEntropy, tensor.Float64},
		{divEntropy, tensor.Float32},
		{divKL, tensor.Float64},
		{divCrossEntropy, tensor.Float32},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%v/%v", tc.div, tc.dt), func(t *testing.T) {
			ps, ps2 := busyProblems(67, inputs, 3, 20, 24, tc.dt)
			_, qs := busyProblems(71, inputs, 3, 20, 24, tc.dt)
			e, err := Model{Mode: Local}.newExpectation("test", tc.div, qs[0].Shape(), tc.dt)
			must(t, err)
			args := make([][]gorgonia.Value, inputs)
			for k := range inputs {
				lv, err := Lengths(ps[k].lenX, ps[k].lenY)
				must(t, err)
				args[k] = []gorgonia.Value{ps2[k], lv}
				if e.withQ() {
					args[k] = []gorgonia.Value{ps2[k], qs[k], lv}
				}
			}
			ones := make([]float64, e.batch)
			for b := range ones {
				ones[b] = 1
			}
			dv := tensor.New(tensor.WithShape(e.batch), tensor.WithBacking(ones))
			if tc.dt == tensor.Float32 {
				dv = tensor.New(tensor.WithShape(e.batch), tensor.WithBacking(float32sOf(ones)))
			}
			// What the states give: every item's totals, then the gradient
			// with respect to θp of the sum of the quantities.
			result := func(k int, st gorgonia.Value) []float64 {
				t.Helper()
				s := float64s(st)
				per := e.perItem()
				var r []float64
				for b := range e.batch {
					r = append(r, s[(b+1)*per-totals:(b+1)*per]...)
				}
				d, err := (&expectGradOp{e: e}).Do(append(append([]gorgonia.Value{}, args[k]...), st, dv)...)
				must(t, err)
				return append(r, float64s(d)...)
			}
			// The reference: each input's states from an Op of its own.
			want := make([][]float64, inputs)
			for k := range inputs {
				st, err := (&expectOp{e: e}).Do(args[k]...)
				must(t, err)
				want[k] = result(k, st)
			}
			op := &expectOp{e: e}
			_, err = op.Do(args[0]...)
			must(t, err)
			mustClaim(t, &op.use) // another run's Do
			if res, err := op.Do(args[1]...); !errors.Is(err, ErrBusy) || res != nil {
				t.Errorf("states while the buffer is held: %v, %v; want no value and ErrBusy", res, err)
			}
			if d := diffFloats(result(0, op.buf.t), want[0], 0); d != "" {
				t.Errorf("a refused Do changed the states: %s", d)
			}
			op.use.release()

			var ran, busy atomic.Int64
			var wg sync.WaitGroup
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range calls {
						k := (w + i) % inputs
						err := untilFree(&busy, func() error {
							_, err := op.Do(args[k]...)
							return err
						})
						if err != nil {
							t.Errorf("worker %d, call %d: %v", w, i, err)
							return
						}
						ran.Add(1)
					}
				}()
			}
			wg.Wait()
			for k := range inputs {
				st, err := op.Do(args[k]...)
				must(t, err)
				if d := diffFloats(result(k, st), want[k], 0); d != "" {
					t.Errorf("input %d after the workers: %s", k, d)
				}
			}
			t.Logf("%d Dos ran, %d found the buffer busy", ran.Load(), busy.Load())
		})
	}
}

// mustClaim takes u as another run's Do would.
func mustClaim(t *testing.T, u *inUse) {
	t.Helper()
	if err := u.claim("test"); err != nil {
		t.Fatal(err)
	}
}
