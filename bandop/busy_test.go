package bandop

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// scanGraph is a graph of a scan that keeps its buffers, Σ of its result
// and the gradients with respect to v0 and A, on a tape machine.
type scanGraph struct {
	g      *gorgonia.ExprGraph
	vn, an *gorgonia.Node
	grads  gorgonia.Nodes
	m      gorgonia.VM
	fwd    *scanOp         // the forward Op, whose workspace the others share
	grad   *scanGradOp     // the gradient with respect to A
	last   *scanLastGradOp // Scan's only
	states *gorgonia.Node  // the forward's node
}

// busyItems is the number of items of the scans of these tests.
const busyItems = 2

// newScanGraph builds the graph of ScanStates with ReuseBuffers (full) or
// of Scan, of busyItems items, steps steps and A of band (2, 1) and size n.
func newScanGraph(t *testing.T, s Semiring, dt tensor.Dtype, full bool, steps, n int) *scanGraph {
	t.Helper()
	sg := &scanGraph{g: gorgonia.NewGraph()}
	sg.an = gorgonia.NewTensor(sg.g, dt, 3, gorgonia.WithShape(busyItems*steps, n, 4), gorgonia.WithName("A"))
	a, err := Wrap(sg.an, 2, 1, s.Zero())
	if err != nil {
		t.Fatal(err)
	}
	sg.vn = gorgonia.NewTensor(sg.g, dt, 2, gorgonia.WithShape(busyItems, n), gorgonia.WithName("v0"))
	var out *gorgonia.Node
	if full {
		out, err = ScanStates(sg.vn, a, s, nil, ReuseBuffers())
	} else {
		out, err = Scan(sg.vn, a, s, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	cost, err := gorgonia.Sum(out)
	if err != nil {
		t.Fatal(err)
	}
	if sg.grads, err = gorgonia.Grad(cost, sg.vn, sg.an); err != nil {
		t.Fatal(err)
	}
	for _, nd := range sg.g.AllNodes() {
		switch op := nd.Op().(type) {
		case *scanOp:
			sg.fwd, sg.states = op, nd
		case *scanGradOp:
			if op.wrt == 1 {
				sg.grad = op
			}
		case *scanLastGradOp:
			sg.last = op
		}
	}
	if sg.fwd == nil || sg.fwd.ws == nil || sg.grad == nil || sg.grad.ws != sg.fwd.ws || (!full && sg.last == nil) {
		t.Fatalf("the graph does not hold a scan with a workspace its gradient shares")
	}
	sg.m = gorgonia.NewTapeMachine(sg.g)
	t.Cleanup(func() { sg.m.Close() })
	return sg
}

// run binds v0 and A, runs the graph and returns the gradients' values,
// copied.
func (sg *scanGraph) run(v0, a *tensor.Dense) ([][]float64, error) {
	if err := gorgonia.Let(sg.vn, v0); err != nil {
		return nil, err
	}
	if err := gorgonia.Let(sg.an, a); err != nil {
		return nil, err
	}
	sg.m.Reset()
	if err := sg.m.RunAll(); err != nil {
		return nil, err
	}
	return [][]float64{floats(sg.grads[0].Value().(*tensor.Dense)), floats(sg.grads[1].Value().(*tensor.Dense))}, nil
}

// bitsDiff describes the first element where got and want differ bit for
// bit, or returns "".
func bitsDiff(got, want []float64) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d elements, want %d", len(got), len(want))
	}
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			return fmt.Sprintf("element %d: got %v, want %v", i, got[i], want[i])
		}
	}
	return ""
}

// TestScanBusy: a run of a graph whose scan finds its workspace (or
// ScanLast's gradient its buffer) held by another run fails with an error
// of kind ErrBusy, which Cause finds in RunAll's error, and harms nothing:
// the next run gives the same gradients, bit for bit, as the run before.
func TestScanBusy(t *testing.T) {
	const steps, n = 6, 9
	rng := rand.New(rand.NewPCG(61, 62))
	for _, full := range []bool{true, false} {
		for _, s := range []Semiring{Log, Max} {
			for _, dt := range dtypes {
				name := fmt.Sprintf("ReuseBuffers %t, %v, %v", full, s, dt)
				sg := newScanGraph(t, s, dt, full, steps, n)
				a := randomFor(t, rng, s, dt, busyItems*steps, n, 2, 1).data
				v := randomVec(rng, s, dt, busyItems, n)
				want, err := sg.run(v, a)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				holds := []*inUse{&sg.fwd.ws.inUse}
				if sg.last != nil {
					holds = append(holds, &sg.last.use)
				}
				for k, u := range holds {
					mustClaim(t, u) // another run's Do
					_, err := sg.run(v, a)
					u.release()
					if !errors.Is(Cause(err), ErrBusy) {
						t.Errorf("%s, hold %d: the run gave %v, want an error of kind ErrBusy", name, k, err)
					}
				}
				got, err := sg.run(v, a)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				for k := range want {
					if d := bitsDiff(got[k], want[k]); d != "" {
						t.Errorf("%s: gradient %d after the refused runs: %s", name, k, d)
					}
				}
			}
		}
	}
}

// untilFree calls f until it returns anything but an error of kind
// ErrBusy, or for a minute at most, counting in busy the calls that found
// the workspace busy, and returns f's last error.
func untilFree(busy *atomic.Int64, f func() error) error {
	deadline := time.Now().Add(time.Minute)
	for {
		err := f()
		if !errors.Is(err, ErrBusy) || time.Now().After(deadline) {
			return err
		}
		busy.Add(1)
		time.Sleep(10 * time.Microsecond)
	}
}

// TestScanWorkConcurrent runs the Ops of one Log scan with ReuseBuffers,
// as two machines running one graph would, from goroutines at once (run it
// with -race): each Do runs or returns ErrBusy, never two at once, so the
// states a forward leaves are all its own, bit for bit; and after the
// storm one more run gives the gradient of its own operands, with the
// forward's kept weights.
func TestScanWorkConcurrent(t *testing.T) {
	// Large enough that the Dos of the workers overlap.
	const inputs, workers, calls, steps, n = 3, 4, 30, 60, 128
	for _, dt := range dtypes {
		t.Run(dt.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(63, 64))
			sg := newScanGraph(t, Log, dt, true, steps, n)
			fwd, grad, ws := sg.fwd, sg.grad, sg.fwd.ws
			if ws.wc == nil {
				t.Fatal("the Log scan keeps no weights")
			}
			vs := make([]*tensor.Dense, inputs)
			as := make([]*tensor.Dense, inputs)
			dss := make([]*tensor.Dense, inputs)
			wantStates := make([][]float64, inputs)
			wantGrad := make([][]float64, inputs)
			for k := range inputs {
				as[k] = randomFor(t, rng, Log, dt, busyItems*steps, n, 2, 1).data
				vs[k] = randomVec(rng, Log, dt, busyItems, n)
				ds := make([]float64, fwd.l.statesShape().TotalSize())
				for i := range ds {
					ds[i] = rng.Float64()
				}
				dss[k] = tensor.New(tensor.WithShape(fwd.l.statesShape()...), tensor.WithBacking(ds))
				st, err := fwd.Do(vs[k], as[k])
				if err != nil {
					t.Fatal(err)
				}
				wantStates[k] = floats(st.(*tensor.Dense))
				g, err := grad.Do(vs[k], as[k], st, dss[k])
				if err != nil {
					t.Fatal(err)
				}
				wantGrad[k] = floats(g.(*tensor.Dense))
				// A copy of the states is not the forward's: the gradient
				// computes the weights again.
				if ws.wc.weightsFor(st) == nil || ws.wc.weightsFor(st.(*tensor.Dense).Clone().(*tensor.Dense)) != nil {
					t.Fatal("the weights are kept for other states than the forward's own")
				}
			}
			var busy, checked atomic.Int64
			var wg sync.WaitGroup
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range calls {
						k := (w + i) % inputs
						var st gorgonia.Value
						err := untilFree(&busy, func() (err error) {
							st, err = fwd.Do(vs[k], as[k])
							return err
						})
						if err != nil {
							t.Errorf("worker %d, forward %d: %v", w, i, err)
							return
						}
						// Read the states as a Do would, holding the
						// workspace, if no forward has run since.
						for ws.claim("test") != nil {
							time.Sleep(10 * time.Microsecond)
						}
						if ws.wc.out == st {
							if d := bitsDiff(floats(st.(*tensor.Dense)), wantStates[k]); d != "" {
								t.Errorf("worker %d, forward %d on input %d: states %s", w, i, k, d)
							}
							checked.Add(1)
						}
						ws.release()
						err = untilFree(&busy, func() error {
							_, err := grad.Do(vs[k], as[k], st, dss[k])
							return err
						})
						if err != nil {
							t.Errorf("worker %d, gradient %d: %v", w, i, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			t.Logf("%d forwards' states checked, %d Dos found the workspace busy", checked.Load(), busy.Load())
			for k := range inputs {
				st, err := fwd.Do(vs[k], as[k])
				if err != nil {
					t.Fatal(err)
				}
				g, err := grad.Do(vs[k], as[k], st, dss[k])
				if err != nil {
					t.Fatal(err)
				}
				if d := bitsDiff(floats(g.(*tensor.Dense)), wantGrad[k]); d != "" {
					t.Errorf("input %d after the concurrent runs: gradient %s", k, d)
				}
			}
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
