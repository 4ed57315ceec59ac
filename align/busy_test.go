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
			fwd.ws.busy.Store(true) // another run's Do
			if _, err := fwd.Do(thetas[0], lv); !errors.Is(err, ErrBusy) {
				t.Errorf("forward while the workspace is held: %v, want ErrBusy", err)
			}
			if _, err := fwd.gradOp().Do(thetas[0], lv, av, dav); !errors.Is(err, ErrBusy) {
				t.Errorf("gradient while the workspace is held: %v, want ErrBusy", err)
			}
			if fwd.ws.out != av {
				t.Error("a refused forward changed the α the weights belong to")
			}
			fwd.ws.busy.Store(false)
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
