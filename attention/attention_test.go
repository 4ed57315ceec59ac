package attention

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/genband/genband/internal/errkind"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// reference is dense masked softmax attention written plainly in float64:
// the output for q, k, v (batch, n, d) and, for the gradient dout of the
// output, dq, dk and dv.
func reference(batch, n, d, lower, upper int, scale float64, lens []int, q, k, v, dout []float64) (out, dq, dk, dv []float64) {
	out = make([]float64, len(q))
	dq, dk, dv = make([]float64, len(q)), make([]float64, len(q)), make([]float64, len(q))
	dot := func(a, b []float64) float64 {
		s := 0.0
		for x := range a {
			s += a[x] * b[x]
		}
		return s
	}
	row := func(x []float64, b, i int) []float64 { return x[(b*n+i)*d : (b*n+i+1)*d] }
	for b := range batch {
		for i := range lens[b] {
			var keys []int
			for j := range lens[b] {
				if j-i >= -lower && j-i <= upper {
					keys = append(keys, j)
				}
			}
			if len(keys) == 0 {
				continue
			}
			s := make([]float64, len(keys))
			m := math.Inf(-1)
			for t, j := range keys {
				s[t] = scale * dot(row(q, b, i), row(k, b, j))
				m = max(m, s[t])
			}
			z := 0.0
			for t := range s {
				s[t] = math.Exp(s[t] - m)
				z += s[t]
			}
			dp := make([]float64, len(keys))
			dsum := 0.0
			for t, j := range keys {
				s[t] /= z
				for x := range d {
					row(out, b, i)[x] += s[t] * row(v, b, j)[x]
					row(dv, b, j)[x] += s[t] * row(dout, b, i)[x]
				}
				dp[t] = dot(row(dout, b, i), row(v, b, j))
				dsum += s[t] * dp[t]
			}
			for t, j := range keys {
				ds := s[t] * (dp[t] - dsum)
				for x := range d {
					row(dq, b, i)[x] += scale * ds * row(k, b, j)[x]
					row(dk, b, j)[x] += scale * ds * row(q, b, i)[x]
				}
			}
		}
	}
	return out, dq, dk, dv
}

func randoms(rng *rand.Rand, m int) []float64 {
	x := make([]float64, m)
	for i := range x {
		x[i] = 2*rng.Float64() - 1
	}
	return x
}

// tensorOf returns x as a tensor of dtype dt.
func tensorOf(dt tensor.Dtype, shape tensor.Shape, x []float64) *tensor.Dense {
	if dt == tensor.Float32 {
		s := make([]float32, len(x))
		for i, v := range x {
			s[i] = float32(v)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(s))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), x...)))
}

func floats(t *testing.T, v gorgonia.Value) []float64 {
	t.Helper()
	d, ok := v.(*tensor.Dense)
	if !ok {
		t.Fatalf("value is a %T", v)
	}
	d = contiguous(d)
	switch x := d.Data().(type) {
	case []float64:
		return append([]float64(nil), x...)
	case []float32:
		o := make([]float64, len(x))
		for i, y := range x {
			o[i] = float64(y)
		}
		return o
	}
	t.Fatalf("value of dtype %v", d.Dtype())
	return nil
}

// run builds Banded on q, k, v (and lens when not nil) in dtype dt, the
// cost Σ dout·out, and returns out, dq, dk, dv from a TapeMachine, checking
// that q, k, v and the lengths come out unchanged.
func run(t *testing.T, dt tensor.Dtype, batch, n, d, lower, upper int, scale float64, lens []int, q, k, v, dout []float64) [4][]float64 {
	t.Helper()
	sh := tensor.Shape{batch, n, d}
	g := gorgonia.NewGraph()
	nodes := make([]*gorgonia.Node, 4)
	vals := make([]*tensor.Dense, 4)
	for i, x := range [][]float64{q, k, v, dout} {
		vals[i] = tensorOf(dt, sh, x)
		nodes[i] = gorgonia.NewTensor(g, dt, 3, gorgonia.WithShape(sh...), gorgonia.WithValue(vals[i]), gorgonia.WithName(fmt.Sprint("x", i)))
	}
	var opts []Option
	var lv *tensor.Dense
	if lens != nil {
		lv = tensor.New(tensor.WithShape(batch), tensor.WithBacking(append([]int(nil), lens...)))
		opts = append(opts, WithLengths(gorgonia.NewTensor(g, tensor.Int, 1, gorgonia.WithShape(batch), gorgonia.WithValue(lv), gorgonia.WithName("lengths"))))
	}
	out, err := Banded(nodes[0], nodes[1], nodes[2], lower, upper, scale, opts...)
	if err != nil {
		t.Fatal(err)
	}
	prod, err := gorgonia.HadamardProd(out, nodes[3])
	if err != nil {
		t.Fatal(err)
	}
	cost, err := gorgonia.Sum(prod)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := gorgonia.Grad(cost, nodes[:3]...)
	if err != nil {
		t.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	for i, x := range [][]float64{q, k, v} {
		got, want := floats(t, vals[i]), floats(t, tensorOf(dt, sh, x))
		for j := range want {
			if math.Float64bits(got[j]) != math.Float64bits(want[j]) {
				t.Fatalf("input %d modified at %d: %v, was %v", i, j, got[j], want[j])
			}
		}
	}
	if lv != nil {
		for b, l := range lv.Data().([]int) {
			if l != lens[b] {
				t.Fatalf("lengths modified: %v, were %v", lv.Data(), lens)
			}
		}
	}
	return [4][]float64{floats(t, out.Value()), floats(t, grads[0].Value()), floats(t, grads[1].Value()), floats(t, grads[2].Value())}
}

// TestBandedMatchesDense compares the output and the gradients of Banded
// with dense masked attention at odd shapes and bands, with and without
// lengths, in both dtypes.
func TestBandedMatchesDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type band struct{ lower, upper int }
	for _, n := range []int{1, 2, 3, 17, 64} {
		bands := []band{{0, 0}, {2, 0}, {0, 3}, {-1, 2}, {3, -2}, {n + 4, n + 4}, {-n, n + 2}, {4, 4}}
		for _, bd := range bands {
			for _, d := range []int{1, 5} {
				for _, withLens := range []bool{false, true} {
					const batch = 3
					var lens []int
					full := []int{n, n, n}
					if withLens {
						lens = []int{n, rng.IntN(n + 1), max(0, n-1)}
						full = lens
					}
					m := batch * n * d
					q, k, v, dout := randoms(rng, m), randoms(rng, m), randoms(rng, m), randoms(rng, m)
					scale := 0.5 + rng.Float64()
					want := [4][]float64{}
					want[0], want[1], want[2], want[3] = reference(batch, n, d, bd.lower, bd.upper, scale, full, q, k, v, dout)
					for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
						name := fmt.Sprintf("n%d/band[%d,%d]/d%d/lens%v/%v", n, bd.lower, bd.upper, d, withLens, dt)
						// float32: the reference on the rounded inputs.
						w := want
						tol := 1e-12
						if dt == tensor.Float32 {
							r := func(x []float64) []float64 { return floats(t, tensorOf(dt, tensor.Shape{len(x)}, x)) }
							w[0], w[1], w[2], w[3] = reference(batch, n, d, bd.lower, bd.upper, scale, full, r(q), r(k), r(v), r(dout))
							tol = 2e-5
						}
						got := run(t, dt, batch, n, d, bd.lower, bd.upper, scale, lens, q, k, v, dout)
						for x, what := range []string{"out", "dq", "dk", "dv"} {
							for i := range w[x] {
								if e := math.Abs(got[x][i] - w[x][i]); !(e <= tol*(1+math.Abs(w[x][i]))) {
									t.Fatalf("%s: %s[%d] = %v, dense %v", name, what, i, got[x][i], w[x][i])
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestBandedZeroRows checks the rows the doc promises 0: rows past an
// item's length, and rows whose window holds no key.
func TestBandedZeroRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const batch, n, d = 2, 6, 3
	m := batch * n * d
	q, k, v, dout := randoms(rng, m), randoms(rng, m), randoms(rng, m), randoms(rng, m)
	// lower −2, upper 3: row i's window is [i+2, i+3], empty for i ≥ len−2.
	lens := []int{6, 3}
	got := run(t, tensor.Float64, batch, n, d, -2, 3, 1, lens, q, k, v, dout)
	for b := range batch {
		for i := range n {
			empty := i >= lens[b]-2
			for x := range d {
				at := (b*n+i)*d + x
				if isZero := got[0][at] == 0 && got[1][at] == 0; isZero != empty {
					t.Errorf("item %d row %d: out %v, dq %v; want zero %v", b, i, got[0][at], got[1][at], empty)
				}
				if i >= lens[b] && (got[2][at] != 0 || got[3][at] != 0) {
					t.Errorf("item %d key %d past the length: dk %v, dv %v, want 0", b, i, got[2][at], got[3][at])
				}
			}
		}
	}
}

// TestGradientRecomputes checks that the gradient Op, given an output that
// is not its forward's last (so without the kept log-sum-exps), computes
// them again and gets the same bits.
func TestGradientRecomputes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		f := form{dt: dt, batch: 2, n: 9, d: 4, lower: 3, upper: 1, scale: 0.7}
		sh := f.shape()
		m := sh.TotalSize()
		var in []gorgonia.Value
		for range 3 {
			in = append(in, tensorOf(dt, sh, randoms(rng, m)))
		}
		fwd := &fwdOp{form: f}
		out, err := fwd.Do(in...)
		if err != nil {
			t.Fatal(err)
		}
		dout := tensorOf(dt, sh, randoms(rng, m))
		g := &gradOp{fwd: fwd}
		kept, err := g.Do(append(append([]gorgonia.Value{}, in...), out, dout)...)
		if err != nil {
			t.Fatal(err)
		}
		other := out.(*tensor.Dense).Clone().(*tensor.Dense)
		if fwd.lseFor(other) != nil {
			t.Fatal("a copy of the output was taken for the forward's own")
		}
		again, err := g.Do(append(append([]gorgonia.Value{}, in...), other, dout)...)
		if err != nil {
			t.Fatal(err)
		}
		a, b := floats(t, kept), floats(t, again)
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
				t.Fatalf("%v: element %d: %v with the kept statistics, %v recomputed", dt, i, a[i], b[i])
			}
		}
	}
}

// TestBandedErrors checks that bad nodes and bands are errors of the
// documented kinds, before any run.
func TestBandedErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	other := gorgonia.NewGraph()
	mk := func(g *gorgonia.ExprGraph, dt tensor.Dtype, shape ...int) *gorgonia.Node {
		return gorgonia.NewTensor(g, dt, len(shape), gorgonia.WithShape(shape...))
	}
	q := mk(g, tensor.Float64, 2, 5, 3)
	k := mk(g, tensor.Float64, 2, 5, 3)
	v := mk(g, tensor.Float64, 2, 5, 3)
	lens := mk(g, tensor.Int, 2)
	cases := []struct {
		name    string
		q, k, v *gorgonia.Node
		l, u    int
		opts    []Option
		kind    error
	}{
		{"nil q", nil, k, v, 1, 1, nil, ErrNil},
		{"nil v", q, k, nil, 1, 1, nil, ErrNil},
		{"int q", mk(g, tensor.Int, 2, 5, 3), k, v, 1, 1, nil, ErrDtype},
		{"float32 k", q, mk(g, tensor.Float32, 2, 5, 3), v, 1, 1, nil, ErrDtype},
		{"rank 2", mk(g, tensor.Float64, 5, 3), mk(g, tensor.Float64, 5, 3), mk(g, tensor.Float64, 5, 3), 1, 1, nil, ErrShape},
		{"k of other n", q, mk(g, tensor.Float64, 2, 4, 3), v, 1, 1, nil, ErrShape},
		{"v of other d", q, k, mk(g, tensor.Float64, 2, 5, 4), 1, 1, nil, ErrShape},
		{"other graph", q, mk(other, tensor.Float64, 2, 5, 3), v, 1, 1, nil, ErrShape},
		{"empty band", q, k, v, -2, 1, nil, ErrBand},
		{"empty band, huge", q, k, v, math.MinInt, math.MaxInt - 5, nil, ErrBand},
		{"too large", mk(g, tensor.Float32, 1<<11, 1<<10, 1<<9), mk(g, tensor.Float32, 1<<11, 1<<10, 1<<9), mk(g, tensor.Float32, 1<<11, 1<<10, 1<<9), 1, 1, nil, ErrSize},
		{"nil lengths", q, k, v, 1, 1, []Option{WithLengths(nil)}, ErrNil},
		{"float lengths", q, k, v, 1, 1, []Option{WithLengths(mk(g, tensor.Float64, 2))}, ErrDtype},
		{"lengths of other batch", q, k, v, 1, 1, []Option{WithLengths(mk(g, tensor.Int, 3))}, ErrShape},
		{"lengths of rank 2", q, k, v, 1, 1, []Option{WithLengths(mk(g, tensor.Int, 2, 1))}, ErrShape},
		{"lengths of other graph", q, k, v, 1, 1, []Option{WithLengths(mk(other, tensor.Int, 2))}, ErrShape},
	}
	for _, c := range cases {
		out, err := Banded(c.q, c.k, c.v, c.l, c.u, 1, c.opts...)
		if !errors.Is(err, c.kind) || out != nil {
			t.Errorf("%s: got %v, %v; want an error of kind %v", c.name, out, err, c.kind)
		}
		var e *Error
		if !errors.As(err, &e) || e.Pkg != "attention" || e.Op != "Banded" {
			t.Errorf("%s: %v is not an *Error of attention.Banded", c.name, err)
		}
	}
	if _, err := Banded(q, k, v, 1, 1, 1, WithLengths(lens)); err != nil {
		t.Errorf("good inputs: %v", err)
	}
}

// TestBandedBadLengths checks that a run with a length out of range fails
// with an error of kind ErrLength, and a length of 0 outputs 0.
func TestBandedBadLengths(t *testing.T) {
	for _, l := range []int{-1, 6, 0} {
		g := gorgonia.NewGraph()
		sh := tensor.Shape{2, 5, 3}
		var ns []*gorgonia.Node
		for range 3 {
			ns = append(ns, gorgonia.NewTensor(g, tensor.Float64, 3, gorgonia.WithShape(sh...), gorgonia.WithInit(gorgonia.RangedFrom(1))))
		}
		lv := tensor.New(tensor.WithShape(2), tensor.WithBacking([]int{5, l}))
		lens := gorgonia.NewTensor(g, tensor.Int, 1, gorgonia.WithShape(2), gorgonia.WithValue(lv))
		out, err := Banded(ns[0], ns[1], ns[2], 1, 1, 0.1, WithLengths(lens))
		if err != nil {
			t.Fatal(err)
		}
		m := gorgonia.NewTapeMachine(g)
		err = m.RunAll()
		m.Close()
		if l == 0 {
			if err != nil {
				t.Fatalf("length 0: %v", err)
			}
			o := floats(t, out.Value())
			for i := 15; i < 30; i++ {
				if o[i] != 0 {
					t.Fatalf("length 0: out[%d] = %v, want 0", i, o[i])
				}
			}
			continue
		}
		if !errors.Is(errkind.Cause(err), ErrLength) {
			t.Errorf("length %d: run error %v, want kind ErrLength", l, err)
		}
	}
}

// TestBackwardBlocks checks the backward where an item's rows span several
// blocks (whose dk and dv are added even blocks first, then odd) against
// dense attention, and that its bits do not depend on the number of cores.
func TestBackwardBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	const batch, n, d = 2, 300, 4
	for _, bd := range [][2]int{{40, 40}, {70, 0}, {-3, 90}} {
		f := form{dt: tensor.Float64, batch: batch, n: n, d: d, lower: bd[0], upper: bd[1], scale: 0.9}
		m := batch * n * d
		q, k, v, dout := randoms(rng, m), randoms(rng, m), randoms(rng, m), randoms(rng, m)
		lens := []int{n, 213}
		_, wq, wk, wv := reference(batch, n, d, bd[0], bd[1], f.scale, lens, q, k, v, dout)
		var first []float64
		for _, procs := range []int{1, 2} {
			prev := runtime.GOMAXPROCS(procs)
			lse, g := make([]float64, batch*n), make([]float64, 3*m)
			forward(f, nil, lse, q, k, nil, lens)
			backward(f, g[:m], g[m:2*m], g[2*m:], q, k, v, dout, lse, lens)
			runtime.GOMAXPROCS(prev)
			for x, want := range [][]float64{wq, wk, wv} {
				for i := range want {
					if got := g[x*m+i]; !(math.Abs(got-want[i]) <= 1e-12*(1+math.Abs(want[i]))) {
						t.Fatalf("band %v, %d cores: %s[%d] = %v, dense %v", bd, procs, []string{"dq", "dk", "dv"}[x], i, got, want[i])
					}
				}
			}
			if first == nil {
				first = g
				continue
			}
			for i := range g {
				if math.Float64bits(g[i]) != math.Float64bits(first[i]) {
					t.Fatalf("band %v: element %d is %v on %d cores, %v on one", bd, i, g[i], procs, first[i])
				}
			}
		}
	}
}
