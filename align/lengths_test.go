package align

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/genband/genband/bandop"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// linearModels are every semiring, mode and gap of the Linear strategy.
func linearModels() []Model {
	var ms []Model
	for _, s := range []bandop.Semiring{Real, Log, Max} {
		for _, mode := range []Mode{Global, Local, SemiGlobal} {
			for _, gap := range []int{-1, 0, 2} {
				m := Model{Semiring: s, Mode: mode}
				if gap >= 0 {
					m.Gapped, m.MaxGap = true, gap
				}
				ms = append(ms, m)
			}
		}
	}
	return ms
}

// TestProgramLengths runs one compiled Program with several sets of
// lengths, NaN in every cell past them, and compares each run with the
// brute-force posterior of those lengths.
func TestProgramLengths(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	const batch, n, mm = 3, 4, 5
	for _, m := range linearModels() {
		t.Run(m.String(), func(t *testing.T) {
			pr, err := m.Compile(tensor.Shape{batch, n, mm, 3}, tensor.Float64, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer pr.Close()
			for run := range 4 {
				p := randomProblem(rng, batch, n, mm, run > 0)
				if p.lenX != nil {
					p.lenX[0], p.lenY[0] = 1+rng.IntN(n), 1+rng.IntN(mm)
				}
				th := p.tensor(tensor.Float64)
				poisonPast(th, p)
				before := th.Clone().(*tensor.Dense)
				res, err := pr.MarginalsLengths(th, p.lenX, p.lenY)
				if err != nil {
					t.Fatal(err)
				}
				p.theta = float64s(before) // the reference never reads past the lengths
				checkAgainst(t, fmt.Sprintf("run %d", run), m, p, res.LogZ, float64s(res.Marginals), bruteForce, 1e-9)
				if !sameBits(float64s(th), float64s(before)) {
					t.Fatal("the program modified θ")
				}
			}
		})
	}
}

// TestLogPartitionLengths builds one graph with the lengths as an input,
// runs it with several lengths bound by gorgonia.Let, and compares log Z
// and the gradient with Model.Marginals of those lengths.
func TestLogPartitionLengths(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	const batch, n, mm = 2, 4, 5
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		m := Model{Semiring: Log, Mode: Global, Gapped: true, MaxGap: 1}
		lg := newLengthsGraph(t, m, dt, batch, n, mm)
		for k := range 3 {
			p := randomProblem(rng, batch, n, mm, true)
			p.lenX[0], p.lenY[0] = 1+rng.IntN(n), 1+rng.IntN(mm)
			if err := lg.run(p.tensor(dt), p.lenX, p.lenY); err != nil {
				t.Fatal(err)
			}
			wz, wm := run(t, m, p)
			tol := 1e-12
			if dt == tensor.Float32 {
				tol = 1e-5
			}
			gz, gm := float64s(lg.z.Value()), float64s(lg.grad.Value())
			for b := range wz {
				if !closeTo(gz[b], wz[b], tol) {
					t.Errorf("%v run %d: graph log Z %v, Marginals %v", dt, k, gz[b], wz[b])
				}
			}
			for x := range wm {
				if !closeTo(gm[x], wm[x], tol) {
					t.Fatalf("%v run %d: graph marginal %d %v, Marginals %v", dt, k, x, gm[x], wm[x])
				}
			}
		}
		// Lengths out of range fail the run and name the item.
		lv, _ := Lengths([]int{n, n + 1}, []int{mm, mm})
		gorgonia.Let(lg.ln, lv)
		lg.vm.Reset()
		if err := lg.vm.RunAll(); err == nil || !strings.Contains(err.Error(), "lenX[1] = 5") {
			t.Errorf("run with lenX[1] = %d: error %v, want it named", n+1, err)
		}
	}
}

// TestNodeCount checks that an alignment is a handful of nodes whatever
// its size, and reports the count.
func TestNodeCount(t *testing.T) {
	for _, m := range []Model{{Semiring: Log}, {Semiring: Max, Mode: Local, Gapped: true, MaxGap: 3}} {
		g := gorgonia.NewGraph()
		th := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(2, 200, 200, 3), gorgonia.WithName("theta"))
		before := len(g.AllNodes())
		z, err := m.LogPartition(th, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		fwd := len(g.AllNodes()) - before
		cost, _ := gorgonia.Sum(z)
		if _, err := gorgonia.Grad(cost, th); err != nil {
			t.Fatal(err)
		}
		all := len(g.AllNodes()) - before
		t.Logf("%v, 200×200: %d forward nodes, %d with the sum and its gradient", m, fwd, all)
		if fwd > 6 || all > 14 {
			t.Errorf("%v: %d forward nodes, %d in all; want at most 6 and 14", m, fwd, all)
		}
	}
}

// seedTheta is DESIGN.md's seed example: rand(1, 200, 200, 3) with every
// cell of rows ≥ 180 or columns ≥ 180 set to 1e6.
func seedTheta(dt tensor.Dtype) *tensor.Dense {
	rng := rand.New(rand.NewPCG(2026, 12))
	const n = 200
	x := make([]float64, n*n*3)
	for i := range n {
		for j := range n {
			for c := range 3 {
				v := rng.Float64()
				if i >= 180 || j >= 180 {
					v = 1e6
				}
				x[(i*n+j)*3+c] = v
			}
		}
	}
	return problem{batch: 1, n: n, mm: n, theta: x}.tensor(dt)
}

// TestSeedFloat32 is the float32 seed: marginals within 1e-4 of float64,
// log Z within 1e-9 relative, and the seed's known totals.
func TestSeedFloat32(t *testing.T) {
	m := Model{Semiring: Log}
	r64, err := m.Marginals(seedTheta(tensor.Float64), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r32, err := m.Marginals(seedTheta(tensor.Float32), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e := math.Abs(r32.LogZ[0]-r64.LogZ[0]) / r64.LogZ[0]; !(e <= 1e-9) {
		t.Errorf("float32 log Z %v, float64 %v: relative error %.3g", r32.LogZ[0], r64.LogZ[0], e)
	}
	if z := r64.LogZ[0]; z < 2.19e8 || z > 2.19e8+1000 {
		t.Errorf("log Z %v, want 219 cells at 1e6 plus a small random part", z)
	}
	m64, m32 := float64s(r64.Marginals), float64s(r32.Marginals)
	worst, sum := 0.0, 0.0
	for k := range m64 {
		worst = max(worst, math.Abs(m32[k]-m64[k]))
		sum += m64[k]
		if m32[k] < 0 || m32[k] > 1 {
			t.Fatalf("float32 marginal %d = %v, outside [0, 1]", k, m32[k])
		}
	}
	if worst > 1e-4 {
		t.Errorf("float32 marginals differ from float64 by %.3g, want ≤ 1e-4", worst)
	}
	if math.Abs(sum-399) > 1e-5 {
		t.Errorf("marginals sum to %v, want 399 (no diagonal move)", sum)
	}
	t.Logf("log Z %.9g, float32 %.9g; marginals: worst float32 difference %.3g", r64.LogZ[0], r32.LogZ[0], worst)
}

// TestLogDepthEqualsLinear compares the two strategies on one mid-sized
// ragged batch under every semiring, mode and gap.
func TestLogDepthEqualsLinear(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, m := range linearModels() {
		p := randomProblem(rng, 3, 13, 17, true)
		if m.Semiring == Real {
			for x := range p.theta {
				p.theta[x] = 0.3 + 0.2*rng.Float64()
			}
		}
		z1, g1 := run(t, m, p)
		m.Strategy = LogDepth
		z2, g2 := run(t, m, p)
		for b := range z1 {
			if !closeTo(z1[b], z2[b], 1e-9) {
				t.Errorf("%v item %d: LogDepth log Z %v, Linear %v", m, b, z2[b], z1[b])
			}
		}
		for x := range g1 {
			if !closeTo(g1[x], g2[x], 1e-9) {
				t.Fatalf("%v: LogDepth marginal %d %v, Linear %v", m, x, g2[x], g1[x])
			}
		}
	}
}

// TestMarginalsConcurrent calls Marginals from several goroutines on one
// shape with different lengths: each call compiles a program of its own,
// so each gives what it gives alone.
func TestMarginalsConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	m := Model{Semiring: Log, Mode: Local}
	probs := make([]problem, 8)
	want := make([][]float64, len(probs))
	for k := range probs {
		probs[k] = randomProblem(rng, 2, 6, 7, true)
		_, want[k] = run(t, m, probs[k])
	}
	errs := make(chan error, len(probs))
	for k, p := range probs {
		go func() {
			for range 5 {
				res, err := m.Marginals(p.tensor(tensor.Float64), p.lenX, p.lenY)
				if err != nil {
					errs <- err
					return
				}
				if !sameBits(float64s(res.Marginals), want[k]) {
					errs <- fmt.Errorf("problem %d: marginals differ from a lone call", k)
					return
				}
			}
			errs <- nil
		}()
	}
	for range probs {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestLengthsErrors checks that bad input to the run-time lengths API
// gives an error naming the problem, never a panic.
func TestLengthsErrors(t *testing.T) {
	m := Model{Semiring: Log}
	g := gorgonia.NewGraph()
	th := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(2, 3, 4, 3), gorgonia.WithName("theta"))
	th3 := gorgonia.NewTensor(g, tensor.Float64, 3, gorgonia.WithShape(2, 3, 4), gorgonia.WithName("theta3"))
	good := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(2, 2), gorgonia.WithName("lengths"))
	wrongDt := gorgonia.NewTensor(g, tensor.Float64, 2, gorgonia.WithShape(2, 2), gorgonia.WithName("lf"))
	wrongShape := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(3, 2), gorgonia.WithName("l3"))
	cases := []struct {
		m       Model
		th, len *gorgonia.Node
		want    string
	}{
		{m, nil, good, "nil"},
		{m, th, nil, "nil"},
		{m, th3, good, "want (batch, N, M, 3)"},
		{m, th, wrongDt, "dtype float64"},
		{m, th, wrongShape, "(2, 2)"},
		{Model{Semiring: Log, Strategy: LogDepth}, th, good, "LogDepth"},
		{Model{Semiring: Log, MaxGap: -1}, th, good, "MaxGap"},
	}
	for _, c := range cases {
		_, err := c.m.LogPartitionLengths(c.th, c.len)
		var ae *Error
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("LogPartitionLengths: error %v, want an *align.Error mentioning %q", err, c.want)
		}
	}
	if _, err := Lengths([]int{1, 2}, []int{1}); err == nil {
		t.Error("Lengths of unequal slices gave no error")
	}
	pr, err := m.Compile(tensor.Shape{2, 3, 4, 3}, tensor.Float64, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	theta := randomProblem(rand.New(rand.NewPCG(1, 1)), 2, 3, 4, false).tensor(tensor.Float64)
	for _, l := range []struct {
		x, y []int
		want string
	}{
		{[]int{1}, nil, "1 lengths for batch 2"},
		{[]int{0, 1}, nil, "lenX[0] = 0"},
		{nil, []int{4, 5}, "lenY[1] = 5"},
	} {
		if _, err := pr.MarginalsLengths(theta, l.x, l.y); err == nil || !strings.Contains(err.Error(), l.want) {
			t.Errorf("MarginalsLengths(%v, %v): error %v, want %q", l.x, l.y, err, l.want)
		}
	}
	pr.Close()
	if _, err := pr.MarginalsLengths(theta, nil, nil); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("closed program: error %v", err)
	}
	prd, err := Model{Semiring: Log, Strategy: LogDepth}.Compile(tensor.Shape{2, 3, 4, 3}, tensor.Float64, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer prd.Close()
	if _, err := prd.MarginalsLengths(theta, nil, nil); err == nil || !strings.Contains(err.Error(), "LogDepth") {
		t.Errorf("LogDepth MarginalsLengths: error %v", err)
	}
}
