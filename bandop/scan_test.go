package bandop

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// scanCases are the shapes a scan is checked on: one step, n = 1, bands
// that miss the diagonal, and several items.
var scanCases = []struct{ items, steps, n, lower, upper int }{
	{1, 1, 1, 0, 0},
	{1, 1, 4, 1, 1},
	{2, 3, 1, 0, 0},
	{3, 4, 5, 1, 1},
	{2, 5, 6, -1, 2},
	{2, 4, 6, 2, -1},
	{1, 6, 7, 3, 3},
	{4, 3, 3, 0, 2},
}

// stepOf returns step t of a scan's operand as its own banded value.
func stepOf(t testing.TB, a *Banded, items, step int) *Banded {
	t.Helper()
	per := a.N() * a.Width()
	var d *tensor.Dense
	switch x := a.data.Data().(type) {
	case []float64:
		d = tensor.New(tensor.WithShape(items, a.N(), a.Width()), tensor.WithBacking(append([]float64(nil), x[step*items*per:(step+1)*items*per]...)))
	case []float32:
		d = tensor.New(tensor.WithShape(items, a.N(), a.Width()), tensor.WithBacking(append([]float32(nil), x[step*items*per:(step+1)*items*per]...)))
	}
	s, err := New(d, a.lower, a.upper, a.fill)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// refScan is the chain of dense row-vector products in float64.
func refScan(t testing.TB, s Semiring, v [][]float64, a *Banded, items, steps int) [][]float64 {
	for st := range steps {
		v = refVecMul(s, v, denseOf(stepOf(t, a, items, st)))
	}
	return v
}

// randomWindow returns a window of random rows for each step (some empty)
// and sets every row of a outside it to the semiring's zero, the window's
// promise.
func randomWindow(rng *rand.Rand, a *Banded, items, steps int, s Semiring) *Window {
	n, w := a.N(), a.Width()
	win := &Window{Lo: make([]int, steps), Hi: make([]int, steps)}
	for t := range steps {
		lo := rng.IntN(n + 1)
		hi := lo + rng.IntN(n-lo+1)
		if rng.IntN(4) > 0 && n > 1 { // mostly non-empty
			lo, hi = rng.IntN(n/2+1), n-rng.IntN(n/2+1)
			if lo > hi {
				lo, hi = hi, lo
			}
		}
		win.Lo[t], win.Hi[t] = lo, hi
		for b := range items {
			for r := range n {
				if r >= lo && r < hi {
					continue
				}
				for k := range w {
					setSlot(a, ((t*items+b)*n+r)*w+k, s.Zero())
				}
			}
		}
	}
	return win
}

func setSlot(a *Banded, i int, v float64) {
	switch d := a.data.Data().(type) {
	case []float64:
		d[i] = v
	case []float32:
		d[i] = float32(v)
	}
}

// poisonOutside puts NaN in every row outside the window: the scan must
// not read them.
func poisonOutside(a *Banded, items int, win *Window) {
	n, w := a.N(), a.Width()
	for t := range win.Lo {
		for b := range items {
			for r := range n {
				if r < win.Lo[t] || r >= win.Hi[t] {
					for k := range w {
						setSlot(a, ((t*items+b)*n+r)*w+k, math.NaN())
					}
				}
			}
		}
	}
}

func TestScanDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	for _, c := range scanCases {
		for _, dt := range dtypes {
			for _, s := range semirings {
				for _, windowed := range []bool{false, true} {
					name := fmt.Sprintf("%v/%v/i%d_T%d_n%d_(%d,%d)/window%v", s, dt, c.items, c.steps, c.n, c.lower, c.upper, windowed)
					t.Run(name, func(t *testing.T) {
						a := randomFor(t, rng, s, dt, c.items*c.steps, c.n, c.lower, c.upper)
						v := randomVec(rng, s, dt, c.items, c.n)
						var win *Window
						if windowed {
							win = randomWindow(rng, a, c.items, c.steps, s)
						}
						want := refScan(t, s, rows2(floats(v), c.items, c.n), a, c.items, c.steps)
						if windowed {
							poisonOutside(a, c.items, win)
						}
						ac, vc := a.Clone(), v.Clone().(*tensor.Dense)
						got, err := a.Scan(v, s, win)
						if err != nil {
							t.Fatal(err)
						}
						if got.Dtype() != dt {
							t.Fatalf("dtype %v, want %v", got.Dtype(), dt)
						}
						// The reference sums in float64 on the rounded inputs,
						// as the scan does: float32 differs only by the final
						// rounding.
						checkVec(t, got, want, tolFor(dt))
						if !sameBits(a, ac) || !sameFloats(floats(v), floats(vc)) {
							t.Error("Scan modified its operands")
						}
					})
				}
			}
		}
	}
}

// TestScanFloat32Precision shows why the states are float64: a float32
// chain of VecMul at the scale of an alignment's scores (2e8) loses the
// low digits that the scan keeps.
func TestScanFloat32Precision(t *testing.T) {
	const steps, n = 200, 3
	d := make([]float32, steps*n*3)
	for i := range d {
		d[i] = 1e6 + float32(i%7)*0.25
	}
	a, err := New(tensor.New(tensor.WithShape(steps, n, 3), tensor.WithBacking(d)), 1, 1, math.Inf(-1))
	if err != nil {
		t.Fatal(err)
	}
	v := tensor.New(tensor.WithShape(1, n), tensor.WithBacking([]float32{0, 0, 0}))
	got, err := a.Scan(v, Log, nil)
	if err != nil {
		t.Fatal(err)
	}
	a64 := bandF64(t, a)
	want := refScan(t, Log, [][]float64{{0, 0, 0}}, a64, 1, steps)
	g := floats(got)
	for j := range n {
		// One float32 rounding of the result: half an ulp of 2e8 is 8.
		if math.Abs(g[j]-want[0][j]) > 8 {
			t.Errorf("v_T[%d] = %v, want %v within one float32 rounding", j, g[j], want[0][j])
		}
	}
}

func bandF64(t testing.TB, a *Banded) *Banded {
	t.Helper()
	b, err := New(tensor.New(tensor.WithShape(a.data.Shape()...), tensor.WithBacking(floats(a.data))), a.lower, a.upper, a.fill)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// scanGraphGrads returns the value of v_T and the gradients of Σ w·v_T with
// respect to v0 and A, through Scan in a graph.
func scanGraphGrads(t *testing.T, s Semiring, a *Banded, v *tensor.Dense, win *Window, w []float64) (out, gv, ga []float64) {
	t.Helper()
	g := gorgonia.NewGraph()
	an, err := NewNode(g, a, "A")
	if err != nil {
		t.Fatal(err)
	}
	vn := gorgonia.NewTensor(g, v.Dtype(), 2, gorgonia.WithShape(v.Shape()...), gorgonia.WithValue(v.Clone()), gorgonia.WithName("v0"))
	r, err := Scan(vn, an, s, win)
	if err != nil {
		t.Fatal(err)
	}
	wn := gorgonia.NewTensor(g, v.Dtype(), 2, gorgonia.WithShape(v.Shape()...), gorgonia.WithValue(vecFrom(v.Dtype(), v.Shape()[0], v.Shape()[1], w)), gorgonia.WithName("w"))
	prod, err := gorgonia.HadamardProd(r, wn)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := gorgonia.Sum(prod)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := gorgonia.Grad(cost, vn, an.Node)
	if err != nil {
		t.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	return floats(r.Value().(*tensor.Dense)), floats(grads[0].Value().(*tensor.Dense)), floats(grads[1].Value().(*tensor.Dense))
}

// chainGraphGrads is scanGraphGrads through one VecMul node per step.
func chainGraphGrads(t *testing.T, s Semiring, a *Banded, v *tensor.Dense, items, steps int, w []float64) (out, gv, ga []float64) {
	t.Helper()
	g := gorgonia.NewGraph()
	vn := gorgonia.NewTensor(g, v.Dtype(), 2, gorgonia.WithShape(v.Shape()...), gorgonia.WithValue(v.Clone()), gorgonia.WithName("v0"))
	wrt := []*gorgonia.Node{vn}
	r := vn
	for st := range steps {
		an, err := NewNode(g, stepOf(t, a, items, st), fmt.Sprintf("A%d", st))
		if err != nil {
			t.Fatal(err)
		}
		wrt = append(wrt, an.Node)
		if r, err = VecMul(r, an, s); err != nil {
			t.Fatal(err)
		}
	}
	wn := gorgonia.NewTensor(g, v.Dtype(), 2, gorgonia.WithShape(v.Shape()...), gorgonia.WithValue(vecFrom(v.Dtype(), v.Shape()[0], v.Shape()[1], w)), gorgonia.WithName("w"))
	prod, err := gorgonia.HadamardProd(r, wn)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := gorgonia.Sum(prod)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := gorgonia.Grad(cost, wrt...)
	if err != nil {
		t.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	gv = floats(grads[0].Value().(*tensor.Dense))
	for _, gn := range grads[1:] {
		ga = append(ga, floats(gn.Value().(*tensor.Dense))...)
	}
	return floats(r.Value().(*tensor.Dense)), gv, ga
}

// TestScanGradChain checks the gradient of Scan against a chain of VecMul
// nodes on the same values (float64: the chain's arithmetic is the scan's),
// and that padding gets exactly 0. Max uses integers so that ties occur:
// both must send the gradient to the same first maximal term.
func TestScanGradChain(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 2))
	for _, c := range scanCases {
		for _, s := range semirings {
			for _, ties := range []bool{false, true} {
				if ties && s != Max {
					continue
				}
				t.Run(fmt.Sprintf("%v/i%d_T%d_n%d_(%d,%d)/ties%v", s, c.items, c.steps, c.n, c.lower, c.upper, ties), func(t *testing.T) {
					a := randomFor(t, rng, s, tensor.Float64, c.items*c.steps, c.n, c.lower, c.upper)
					v := randomVec(rng, s, tensor.Float64, c.items, c.n)
					if ties {
						roundAll(a.data.Data().([]float64))
						roundAll(v.Data().([]float64))
					}
					w := make([]float64, c.items*c.n)
					for i := range w {
						w[i] = rng.Float64() + 0.5
					}
					out, gv, ga := scanGraphGrads(t, s, a, v, nil, w)
					cout, cgv, cga := chainGraphGrads(t, s, a, v, c.items, c.steps, w)
					check := func(what string, got, want []float64) {
						t.Helper()
						if len(got) != len(want) {
							t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
						}
						for i := range got {
							if !closeTo(got[i], want[i], 1e-9) {
								t.Errorf("%s[%d] = %v, chain of VecMul %v", what, i, got[i], want[i])
								return
							}
						}
					}
					check("v_T", out, cout)
					check("dv0", gv, cgv)
					check("dA", ga, cga)
					checkGradPadding(t, a, ga)
				})
			}
		}
	}
}

func roundAll(x []float64) {
	for i, v := range x {
		if !math.IsNaN(v) {
			x[i] = math.Round(v)
		}
	}
}

// TestScanGradWindow checks that a window changes nothing but the work:
// the gradient inside it equals the unwindowed one, outside it is 0, and
// NaN outside it reaches nothing.
func TestScanGradWindow(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 3))
	for _, s := range semirings {
		for _, dt := range dtypes {
			t.Run(fmt.Sprintf("%v/%v", s, dt), func(t *testing.T) {
				const items, steps, n = 2, 5, 7
				a := randomFor(t, rng, s, dt, items*steps, n, 1, 2)
				v := randomVec(rng, s, dt, items, n)
				win := randomWindow(rng, a, items, steps, s)
				w := make([]float64, items*n)
				for i := range w {
					w[i] = rng.Float64() + 0.5
				}
				out, gv, ga := scanGraphGrads(t, s, a, v, nil, w)
				poisonOutside(a, items, win)
				wout, wgv, wga := scanGraphGrads(t, s, a, v, win, w)
				if !sameFloats(out, wout) || !sameFloats(gv, wgv) {
					t.Errorf("windowed v_T or dv0 differ from the unwindowed scan")
				}
				wd := a.Width()
				for i, g := range wga {
					row := (i / wd) % n
					st := i / wd / n / items
					inside := row >= win.Lo[st] && row < win.Hi[st]
					switch {
					case !inside && g != 0:
						t.Fatalf("dA[%d] (outside the window) = %v, want 0", i, g)
					case inside && g != ga[i]:
						t.Fatalf("dA[%d] = %v, unwindowed %v", i, g, ga[i])
					}
				}
			})
		}
	}
}

// TestScanConstV0 checks that a constant start vector gets no gradient
// node (it would be built and run for nothing).
func TestScanConstV0(t *testing.T) {
	g := gorgonia.NewGraph()
	d := make([]float64, 3*4*3)
	for i := range d {
		d[i] = 0.5
	}
	a, err := New(tensor.New(tensor.WithShape(3, 4, 3), tensor.WithBacking(d)), 1, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	an, err := NewNode(g, a, "A")
	if err != nil {
		t.Fatal(err)
	}
	v0 := gorgonia.NewConstant(tensor.New(tensor.WithShape(1, 4), tensor.WithBacking([]float64{1, 0, 0, 0})))
	r, err := Scan(v0, an, Real, nil)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := gorgonia.Sum(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gorgonia.Grad(cost, an.Node); err != nil {
		t.Fatal(err)
	}
	grads := 0
	for _, n := range g.AllNodes() {
		if n.Op() != nil && strings.HasPrefix(n.Op().String(), "bandop.ScanStatesGrad") {
			grads++
		}
	}
	if grads != 1 {
		t.Errorf("%d ScanStatesGrad nodes, want 1 (A only)", grads)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	// (1,0,0,0) through three tridiagonal matrices of 0.5: the first row
	// of T³/8, T the tridiagonal matrix of ones.
	got := floats(r.Value().(*tensor.Dense))
	want := []float64{4.0 / 8, 5.0 / 8, 3.0 / 8, 1.0 / 8}
	for j := range want {
		if math.Abs(got[j]-want[j]) > 1e-12 {
			t.Fatalf("v_T = %v, want %v", got, want)
		}
	}
}

func TestScanErrors(t *testing.T) {
	a, _ := Filled(tensor.Float64, 6, 4, 1, 1, math.Inf(-1))
	ar, _ := Filled(tensor.Float64, 6, 4, 1, 1, 0)
	v := tensor.New(tensor.WithShape(2, 4), tensor.WithBacking(make([]float64, 8)))
	v32 := tensor.New(tensor.WithShape(2, 4), tensor.WithBacking(make([]float32, 8)))
	v4 := tensor.New(tensor.WithShape(4, 4), tensor.WithBacking(make([]float64, 16)))
	v5 := tensor.New(tensor.WithShape(2, 5), tensor.WithBacking(make([]float64, 10)))
	three := func(lo, hi []int) *Window { return &Window{Lo: lo, Hi: hi} }
	cases := []struct {
		a    *Banded
		v    *tensor.Dense
		s    Semiring
		w    *Window
		want string
	}{
		{a, nil, Log, nil, "v0 is nil"},
		{nil, v, Log, nil, "A is a nil or zero Banded"},
		{&Banded{}, v, Log, nil, "A is a nil or zero Banded"},
		{a, v, Semiring(9), nil, "semiring"},
		{ar, v, Log, nil, "fill"},
		{a, v32, Log, nil, "dtype"},
		{a, v5, Log, nil, "want (items, 4)"},
		{a, v4, Log, nil, "not a whole number of steps"},
		{a, v, Log, three([]int{0, 0}, []int{4, 4}), "bounds for 3 steps"},
		{a, v, Log, three([]int{0, 2, 0}, []int{4, 1, 4}), "step 1"},
		{a, v, Log, three([]int{0, 0, -1}, []int{4, 4, 4}), "step 2"},
		{a, v, Log, three([]int{0, 0, 0}, []int{4, 5, 4}), "step 1"},
	}
	for _, c := range cases {
		_, err := c.a.Scan(c.v, c.s, c.w)
		var be *Error
		if !errors.As(err, &be) || !strings.Contains(err.Error(), c.want) || be.Op != "Scan" {
			t.Errorf("Scan error %v, want a *bandop.Error of Scan mentioning %q", err, c.want)
		}
	}
	g := gorgonia.NewGraph()
	an, _ := NewNode(g, a, "A")
	vn := gorgonia.NewTensor(g, tensor.Float64, 2, gorgonia.WithShape(4, 4), gorgonia.WithName("v"))
	if _, err := Scan(vn, an, Log, nil); err == nil || !strings.Contains(err.Error(), "whole number") {
		t.Errorf("graph Scan error %v, want the steps named", err)
	}
	if _, err := ScanStates(nil, an, Log, nil); err == nil {
		t.Error("ScanStates(nil v0) gave no error")
	}
	if _, err := Scan(vn, nil, Log, nil); err == nil {
		t.Error("Scan(nil A) gave no error")
	}
}

// TestScanParallel checks that splitting a scan among processors (whole
// items, or parts of every step with a barrier between steps) changes no
// bit of the result or of the gradients.
func TestScanParallel(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 4))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	// Band (1, 2) sums columns by rows; (0, 2), CTC's, by diagonals.
	for _, c := range []struct{ items, n, lower, upper int }{{1, 2100, 1, 2}, {3, 2100, 1, 2}, {8, 2100, 1, 2}, {1, 2800, 0, 2}, {3, 2800, 0, 2}} {
		items := c.items
		for _, s := range semirings {
			const steps = 12
			n := c.n
			a := randomFor(t, rng, s, tensor.Float64, items*steps, n, c.lower, c.upper)
			if s == Max {
				roundAll(a.data.Data().([]float64))
			}
			v := randomVec(rng, s, tensor.Float64, items, n)
			win := randomWindow(rng, a, items, steps, s)
			w := make([]float64, items*n)
			for i := range w {
				w[i] = rng.Float64()
			}
			var want [3][]float64
			for k, procs := range []int{1, 4, 2} {
				runtime.GOMAXPROCS(procs)
				out, gv, ga := scanGraphGrads(t, s, a, v, win, w)
				if k == 0 {
					want = [3][]float64{out, gv, ga}
					continue
				}
				if !sameFloats(out, want[0]) || !sameFloats(gv, want[1]) || !sameFloats(ga, want[2]) {
					t.Errorf("%v, %d items, band (%d, %d), %d processors: results differ from one processor", s, items, c.lower, c.upper, procs)
				}
			}
		}
	}
}

// TestScanReuseBuffers runs one graph of ScanStates with ReuseBuffers
// several times on new values and compares states and gradients with a
// fresh graph each time: the kept buffers and the Log weights the forward
// caches for the gradient must never leak from one run into the next.
func TestScanReuseBuffers(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 5))
	const items, steps, n = 2, 6, 9
	for _, s := range semirings {
		for _, dt := range dtypes {
			g := gorgonia.NewGraph()
			an := gorgonia.NewTensor(g, dt, 3, gorgonia.WithShape(items*steps, n, 4), gorgonia.WithName("A"))
			a, err := Wrap(an, 2, 1, s.Zero())
			if err != nil {
				t.Fatal(err)
			}
			vn := gorgonia.NewTensor(g, dt, 2, gorgonia.WithShape(items, n), gorgonia.WithName("v0"))
			st, err := ScanStates(vn, a, s, nil, ReuseBuffers())
			if err != nil {
				t.Fatal(err)
			}
			cost, err := gorgonia.Sum(st)
			if err != nil {
				t.Fatal(err)
			}
			grads, err := gorgonia.Grad(cost, vn, an)
			if err != nil {
				t.Fatal(err)
			}
			m := gorgonia.NewTapeMachine(g)
			for run := range 3 {
				ab := randomFor(t, rng, s, dt, items*steps, n, 2, 1)
				v := randomVec(rng, s, dt, items, n)
				gorgonia.Let(an, ab.data.Clone())
				gorgonia.Let(vn, v.Clone())
				m.Reset()
				if err := m.RunAll(); err != nil {
					t.Fatal(err)
				}
				// The same through a graph without reuse.
				g2 := gorgonia.NewGraph()
				an2, _ := NewNode(g2, ab, "A")
				vn2 := gorgonia.NewTensor(g2, dt, 2, gorgonia.WithShape(items, n), gorgonia.WithValue(v.Clone()), gorgonia.WithName("v0"))
				st2, _ := ScanStates(vn2, an2, s, nil)
				cost2, _ := gorgonia.Sum(st2)
				grads2, _ := gorgonia.Grad(cost2, vn2, an2.Node)
				m2 := gorgonia.NewTapeMachine(g2)
				if err := m2.RunAll(); err != nil {
					t.Fatal(err)
				}
				m2.Close()
				if s == Log {
					cached := false
					for _, nd := range g.AllNodes() {
						if op, ok := nd.Op().(*scanOp); ok && op.ws != nil {
							cached = op.ws.wc.weightsFor(st.Value()) != nil
						}
					}
					if !cached {
						t.Errorf("%v %v: the Log weights were not cached for the gradient", s, dt)
					}
				}
				for k, pair := range [][2]gorgonia.Value{{st.Value(), st2.Value()}, {grads[0].Value(), grads2[0].Value()}, {grads[1].Value(), grads2[1].Value()}} {
					got, want := floats(pair[0].(*tensor.Dense)), floats(pair[1].(*tensor.Dense))
					for i := range got {
						if !closeTo(got[i], want[i], 1e-12) && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
							t.Fatalf("%v %v run %d: value %d of output %d is %v with reuse, %v without", s, dt, run, i, k, got[i], want[i])
						}
					}
				}
			}
			m.Close()
		}
	}
}
