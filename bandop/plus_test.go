package bandop

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// refPlusDense is C[i][j] = A[i][j] ⊕ B[i][j] entry by entry.
func refPlusDense(s Semiring, a, b dense) dense {
	c := newDenseRef(len(a), len(a[0]), 0)
	for bt := range a {
		for i := range a[bt] {
			for j := range a[bt][i] {
				c[bt][i][j] = refPlus(s, a[bt][i][j], b[bt][i][j])
			}
		}
	}
	return c
}

// bandedF64 returns a (of either dtype) as a float64 value.
func bandedF64(a *Banded) *Banded {
	d := tensor.New(tensor.WithShape(a.data.Shape()...), tensor.WithBacking(floats(a.data)))
	return &Banded{lower: a.lower, upper: a.upper, fill: a.fill, data: d}
}

// elemOp is Plus or Times for the shared elementwise tests.
type elemOp struct {
	name     string
	eager    func(a, b *Banded, s Semiring) (*Banded, error)
	ref      func(s Semiring, a, b dense) dense
	forward  func(s Semiring, c, a, b []float64, la, lb, lc layout)
	backward func(s Semiring, wrt int, g, a, b, c, dc []float64, la, lb, lc layout)
	graph    func(a, b *Node, s Semiring) (*Node, error)
	result   func(la, lb layout, s Semiring) layout
}

var plusElem = elemOp{
	name:     "Plus",
	eager:    func(a, b *Banded, s Semiring) (*Banded, error) { return a.Plus(b, s) },
	ref:      refPlusDense,
	forward:  plusForward[float64],
	backward: plusBackward[float64],
	graph:    Plus,
	result:   plusResult,
}

func testElemDense(t *testing.T, e elemOp) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, c := range bandCases {
		for _, dt := range dtypes {
			for _, s := range semirings {
				t.Run(fmt.Sprintf("%v/%v/b%d_n%d_(%d,%d)_(%d,%d)", s, dt, c.batch, c.n, c.l1, c.u1, c.l2, c.u2), func(t *testing.T) {
					a := randomFor(t, rng, s, dt, c.batch, c.n, c.l1, c.u1)
					b := randomFor(t, rng, s, dt, c.batch, c.n, c.l2, c.u2)
					want := e.result(a.layout(), b.layout(), s)
					if want.width() < 1 {
						if _, err := e.eager(a, b, s); err == nil {
							t.Fatalf("empty band (%d, %d): no error", want.lower, want.upper)
						}
						return
					}
					ac, bc := a.Clone(), b.Clone()
					got, err := e.eager(a, b, s)
					if err != nil {
						t.Fatal(err)
					}
					if got.Lower() != want.lower || got.Upper() != want.upper || !s.isZero(got.Fill()) {
						t.Errorf("band (%d,%d) fill %v, want (%d,%d) %v", got.Lower(), got.Upper(), got.Fill(), want.lower, want.upper, s.Zero())
					}
					checkDense(t, got, e.ref(s, denseOf(a), denseOf(b)), tolFor(dt))
					if !sameBits(a, ac) || !sameBits(b, bc) {
						t.Error("an operand was modified")
					}
				})
			}
		}
	}
}

func TestPlusDense(t *testing.T) { testElemDense(t, plusElem) }

// testElemFiniteDiff checks the backward kernels against central
// differences of Σ dc·c (over C's finite in-band entries) in float64.
func testElemFiniteDiff(t *testing.T, e elemOp) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, c := range bandCases {
		for _, s := range semirings {
			t.Run(fmt.Sprintf("%v/b%d_n%d_(%d,%d)_(%d,%d)", s, c.batch, c.n, c.l1, c.u1, c.l2, c.u2), func(t *testing.T) {
				a := randomFor(t, rng, s, tensor.Float64, c.batch, c.n, c.l1, c.u1)
				b := randomFor(t, rng, s, tensor.Float64, c.batch, c.n, c.l2, c.u2)
				la, lb := a.layout(), b.layout()
				lc := e.result(la, lb, s)
				if lc.width() < 1 {
					return
				}
				cb := newBanded(lc, lc.fill)
				cv := storage[float64](cb)
				dc := make([]float64, len(cv))
				for i := range dc {
					dc[i] = 2*rng.Float64() - 1
				}
				cidx := validIndices(cb)
				ad, bd := storage[float64](a), storage[float64](b)
				cost := func() float64 {
					e.forward(s, cv, ad, bd, la, lb, lc)
					sum := 0.0
					for _, i := range cidx {
						if !math.IsInf(cv[i], -1) {
							sum += dc[i] * cv[i]
						}
					}
					return sum
				}
				cost()
				ga, gb := make([]float64, len(ad)), make([]float64, len(bd))
				e.backward(s, 0, ga, ad, bd, cv, dc, la, lb, lc)
				e.backward(s, 1, gb, ad, bd, cv, dc, la, lb, lc)
				fdCheck(t, "dA", ad, validIndices(a), cost, ga)
				fdCheck(t, "dB", bd, validIndices(b), cost, gb)
				checkGradPadding(t, a, ga)
				checkGradPadding(t, b, gb)
			})
		}
	}
}

func TestPlusBackwardFiniteDiff(t *testing.T) { testElemFiniteDiff(t, plusElem) }

// TestPlusEdges: an all −Inf sum has gradient 0 even for an infinite dc;
// on a Max tie A gets the gradient; Real passes dc to both.
func TestPlusEdges(t *testing.T) {
	inf := math.Inf(-1)
	n := 3
	mk := func(l, u int, v float64) *Banded {
		a, _ := Filled(tensor.Float64, 1, n, l, u, inf)
		d := storage[float64](a)
		for i := range d {
			d[i] = v
		}
		poison(a)
		return a
	}
	for _, s := range []Semiring{Log, Max} {
		a, b := mk(1, 0, inf), mk(0, 1, inf)
		c, err := a.Plus(b, s)
		if err != nil {
			t.Fatal(err)
		}
		checkDense(t, c, newDenseRef(1, n, inf), 0)
		dc := make([]float64, len(storage[float64](c)))
		for i := range dc {
			dc[i] = math.Inf(1)
		}
		for wrt, x := range []*Banded{a, b} {
			g := make([]float64, len(storage[float64](x)))
			plusBackward(s, wrt, g, storage[float64](a), storage[float64](b), storage[float64](c), dc, a.layout(), b.layout(), c.layout())
			for i, v := range g {
				if v != 0 {
					t.Errorf("%v: all −Inf, d%c[%d] = %v, want 0", s, 'A'+wrt, i, v)
				}
			}
		}
	}
	// Max tie on the diagonal, the only shared diagonal of bands (1,0) and
	// (0,1): A gets dc there, B nothing; off the diagonal each gets its own.
	a, b := mk(1, 0, 2), mk(0, 1, 2)
	c, _ := a.Plus(b, Max)
	dc := make([]float64, len(storage[float64](c)))
	for i := range dc {
		dc[i] = 1
	}
	ga, gb := make([]float64, len(storage[float64](a))), make([]float64, len(storage[float64](b)))
	plusBackward(Max, 0, ga, storage[float64](a), storage[float64](b), storage[float64](c), dc, a.layout(), b.layout(), c.layout())
	plusBackward(Max, 1, gb, storage[float64](a), storage[float64](b), storage[float64](c), dc, a.layout(), b.layout(), c.layout())
	gad, _ := New(tensor.New(tensor.WithShape(1, n, 2), tensor.WithBacking(ga)), 1, 0, 0)
	gbd, _ := New(tensor.New(tensor.WithShape(1, n, 2), tensor.WithBacking(gb)), 0, 1, 0)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			wa, wb := 0.0, 0.0
			if j == i || j == i-1 {
				wa = 1
			} else if j == i+1 {
				wb = 1
			}
			if gad.At(0, i, j) != wa || gbd.At(0, i, j) != wb {
				t.Errorf("Max tie (%d,%d): dA %v dB %v, want %v %v", i, j, gad.At(0, i, j), gbd.At(0, i, j), wa, wb)
			}
		}
	}
}

// graphCost returns Σ x for Real and Σ exp(x) for Log and Max, so that −Inf
// entries (fill, padding) add 0 with gradient 0.
func graphCost(s Semiring, x *gorgonia.Node) *gorgonia.Node {
	if s != Real {
		x = gorgonia.Must(gorgonia.Exp(x))
	}
	return gorgonia.Must(gorgonia.Sum(x))
}

// costGrad is the gradient of graphCost at x's values.
func costGrad(s Semiring, x *tensor.Dense) *tensor.Dense {
	g := x.Clone().(*tensor.Dense)
	switch d := g.Data().(type) {
	case []float64:
		for i := range d {
			if s == Real {
				d[i] = 1
			} else {
				d[i] = math.Exp(d[i])
			}
		}
	case []float32:
		for i := range d {
			if s == Real {
				d[i] = 1
			} else {
				d[i] = float32(math.Exp(float64(d[i])))
			}
		}
	}
	return g
}

// testElemGraph runs the op in a graph, differentiates a cost through it
// with Grad and a TapeMachine, and compares the value with the eager op and
// the gradients with the backward Ops run directly.
func testElemGraph(t *testing.T, e elemOp, mkGrad func(la, lb layout, s Semiring, wrt int) gorgonia.Op) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, dt := range dtypes {
		for _, s := range semirings {
			g := gorgonia.NewGraph()
			av := randomFor(t, rng, s, dt, 2, 6, 2, 1)
			bv := randomFor(t, rng, s, dt, 2, 6, 1, 3)
			a, _ := NewNode(g, av, "A")
			b, _ := NewNode(g, bv, "B")
			c, err := e.graph(a, b, s)
			if err != nil {
				t.Fatal(err)
			}
			grads, err := gorgonia.Grad(graphCost(s, c.Node), a.Node, b.Node)
			if err != nil {
				t.Fatal(err)
			}
			m := gorgonia.NewTapeMachine(g)
			if err := m.RunAll(); err != nil {
				t.Fatal(err)
			}
			m.Close()
			want, _ := e.eager(av, bv, s)
			cv, _ := c.Banded()
			if !sameBits(cv, want) {
				t.Errorf("%s %v %v: graph value differs from the eager one", e.name, s, dt)
			}
			dc := costGrad(s, want.data)
			for wrt := 0; wrt < 2; wrt++ {
				wg, err := mkGrad(av.layout(), bv.layout(), s, wrt).Do(av.data, bv.data, want.data, dc)
				if err != nil {
					t.Fatal(err)
				}
				checkTensors(t, fmt.Sprintf("%s %v %v d%c", e.name, s, dt, 'A'+wrt), grads[wrt].Value(), wg, tolFor(dt))
			}
		}
	}
}

func TestPlusGraph(t *testing.T) {
	testElemGraph(t, plusElem, func(la, lb layout, s Semiring, wrt int) gorgonia.Op {
		return &binGradOp{binOp: *newBinOp(plusSpec, s, la, lb), wrt: wrt}
	})
}

func TestPlusErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	a := randomFor(t, rng, Log, tensor.Float64, 2, 4, 1, 1)
	cases := []struct {
		name string
		b    *Banded
		s    Semiring
	}{
		{"n", randomFor(t, rng, Log, tensor.Float64, 2, 5, 1, 1), Log},
		{"batch", randomFor(t, rng, Log, tensor.Float64, 1, 4, 1, 1), Log},
		{"dtype", randomFor(t, rng, Log, tensor.Float32, 2, 4, 1, 1), Log},
		{"fill", randomFor(t, rng, Real, tensor.Float64, 2, 4, 1, 1), Log},
		{"semiring", randomFor(t, rng, Log, tensor.Float64, 2, 4, 1, 1), Semiring(9)},
		{"nil", nil, Log},
	}
	for _, c := range cases {
		for _, op := range []string{"Plus", "Times"} {
			var err error
			if op == "Plus" {
				_, err = a.Plus(c.b, c.s)
			} else {
				_, err = a.Times(c.b, c.s)
			}
			if e, ok := err.(*Error); !ok || e.Op != op {
				t.Errorf("%s, bad %s: error %v, want a *Error of %s", op, c.name, err, op)
			}
		}
	}
}

// TestElemBackwardLarge runs the Plus and Times gradients on operands big
// enough to be split over goroutines and checks every slot against its
// plain meaning (Real: Plus passes dC on, Times multiplies it by the other
// factor; 0 outside the operand's band and in its padding).
func TestElemBackwardLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	a := randomFor(t, rng, Real, tensor.Float64, 4, 300, 20, 20)
	b := randomFor(t, rng, Real, tensor.Float64, 4, 300, 10, 30)
	for _, e := range []elemOp{plusElem, timesElem} {
		c, err := e.eager(a, b, Real)
		if err != nil {
			t.Fatal(err)
		}
		la, lb, lc := a.layout(), b.layout(), c.layout()
		if la.batch*la.n*lc.width() < minParallelWork {
			t.Fatalf("%s: too small to run in parallel", e.name)
		}
		dc, _ := Random(rng, tensor.Float64, 4, 300, lc.lower, lc.upper, 0)
		for wrt, lo := range []layout{la, lb} {
			g := make([]float64, lo.batch*lo.n*lo.width())
			e.backward(Real, wrt, g, storage[float64](a), storage[float64](b), storage[float64](c), storage[float64](dc), la, lb, lc)
			other := b
			if wrt == 1 {
				other = a
			}
			w := lo.width()
			for r := 0; r < lo.batch*lo.n; r++ {
				bt, i := r/lo.n, r%lo.n
				klo, khi := validSlots(i, lo.n, lo.lower, w)
				for k := 0; k < w; k++ {
					want := 0.0
					j := i + k - lo.lower
					if k >= klo && k < khi && j-i >= -lc.lower && j-i <= lc.upper {
						want = dc.At(bt, i, j)
						if e.name == "Times" {
							want *= other.At(bt, i, j)
						}
					}
					if got := g[r*w+k]; !closeTo(got, want, 1e-12) {
						t.Fatalf("%s d%c[%d][%d][%d] = %v, want %v", e.name, 'A'+wrt, bt, i, j, got, want)
					}
				}
			}
		}
	}
}
