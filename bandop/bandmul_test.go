package bandop

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// attnCase is one shape of the attention ops' tests: batch, n, the band
// and d, V's (or Q's and K's) columns.
type attnCase struct{ batch, n, lower, upper, d int }

// attnCases covers n ∈ {1, 2, 3, 17, 64}, bands of width 1, asymmetric,
// with a negative limit and wider than n, and d ∈ {1, 5}.
func attnCases() []attnCase {
	var cs []attnCase
	for _, n := range []int{1, 2, 3, 17, 64} {
		for _, b := range [][2]int{{0, 0}, {2, 1}, {-1, 3}, {3, -2}, {n + 2, n + 5}} {
			if b[0]+b[1]+1 < 1 {
				continue
			}
			for _, d := range []int{1, 5} {
				cs = append(cs, attnCase{batch: 2, n: n, lower: b[0], upper: b[1], d: d})
			}
		}
	}
	return cs
}

func (c attnCase) String() string {
	return fmt.Sprintf("b%d_n%d_(%d,%d)_d%d", c.batch, c.n, c.lower, c.upper, c.d)
}

// randDense returns a (batch, n, d) tensor of dtype dt with entries drawn
// for s (as randomVec does) and its values in float64.
func randDense(rng *rand.Rand, s Semiring, dt tensor.Dtype, batch, n, d int) (*tensor.Dense, []float64) {
	x := make([]float64, batch*n*d)
	for i := range x {
		x[i] = 2*rng.Float64() - 1
		if s != Real {
			x[i] *= 3
		}
		if dt == tensor.Float32 {
			x[i] = float64(float32(x[i]))
		}
	}
	return gatherTensorOf(dt, tensor.Shape{batch, n, d}, x), x
}

// refBandMul is the band of Q·Kᵀ written plainly: every entry (i, j) of
// the dense product, kept where j − i lies in [−lower, upper].
func refBandMul(q, k []float64, c attnCase) dense {
	out := newDenseRef(c.batch, c.n, 0)
	for b := range out {
		for i := 0; i < c.n; i++ {
			for j := 0; j < c.n; j++ {
				if j-i < -c.lower || j-i > c.upper {
					continue
				}
				var s float64
				for t := 0; t < c.d; t++ {
					s += q[(b*c.n+i)*c.d+t] * k[(b*c.n+j)*c.d+t]
				}
				out[b][i][j] = s
			}
		}
	}
	return out
}

func TestBandMulDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 1))
	for _, c := range attnCases() {
		for _, dt := range dtypes {
			t.Run(fmt.Sprintf("%v/%v", c, dt), func(t *testing.T) {
				q, qv := randDense(rng, Real, dt, c.batch, c.n, c.d)
				k, kv := randDense(rng, Real, dt, c.batch, c.n, c.d)
				qc, kc := q.Clone().(*tensor.Dense), k.Clone().(*tensor.Dense)
				got, err := BandMul(q, k, c.lower, c.upper)
				if err != nil {
					t.Fatal(err)
				}
				if got.Lower() != c.lower || got.Upper() != c.upper || got.Fill() != 0 {
					t.Fatalf("result %v, want band (%d, %d) and fill 0", got, c.lower, c.upper)
				}
				checkDense(t, got, refBandMul(qv, kv, c), tolFor(dt))
				if !sameDenseBits(q, qc) || !sameDenseBits(k, kc) {
					t.Error("an operand was modified")
				}
				// The graph's forward is the same kernel, bit for bit.
				g := gorgonia.NewGraph()
				qn := gorgonia.NodeFromAny(g, q, gorgonia.WithName("q"))
				kn := gorgonia.NodeFromAny(g, k, gorgonia.WithName("k"))
				out, err := BandMulNode(qn, kn, c.lower, c.upper)
				if err != nil {
					t.Fatal(err)
				}
				m := gorgonia.NewTapeMachine(g)
				defer m.Close()
				if err := m.RunAll(); err != nil {
					t.Fatal(err)
				}
				if gb := must(out.Banded()); !sameBits(gb, got) {
					t.Error("the graph's BandMul differs from BandMulDense")
				}
			})
		}
	}
}

// The gradients of BandMul are G·K and Gᵀ·Q over the band: checked against
// the dense products, with NaN in the padding of G (never read).
func TestBandMulBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 2))
	for _, c := range attnCases() {
		for _, dt := range dtypes {
			t.Run(fmt.Sprintf("%v/%v", c, dt), func(t *testing.T) {
				_, qv := randDense(rng, Real, dt, c.batch, c.n, c.d)
				_, kv := randDense(rng, Real, dt, c.batch, c.n, c.d)
				gb := randomFor(t, rng, Real, dt, c.batch, c.n, c.lower, c.upper)
				gd := denseOf(gb)
				lc := gb.layout()
				for wrt := 0; wrt < 2; wrt++ {
					got := make([]float64, len(qv))
					switch dt {
					case tensor.Float32:
						g := make([]float32, len(qv))
						bandMulBackward(wrt, g, f32s(qv), f32s(kv), storage[float32](gb), lc, c.d)
						for i, x := range g {
							got[i] = float64(x)
						}
					default:
						bandMulBackward(wrt, got, qv, kv, storage[float64](gb), lc, c.d)
					}
					for b := 0; b < c.batch; b++ {
						for x := 0; x < c.n; x++ {
							for t2 := 0; t2 < c.d; t2++ {
								var want float64
								for y := 0; y < c.n; y++ {
									if wrt == 0 {
										want += gd[b][x][y] * kv[(b*c.n+y)*c.d+t2]
									} else {
										want += gd[b][y][x] * qv[(b*c.n+y)*c.d+t2]
									}
								}
								if g := got[(b*c.n+x)*c.d+t2]; !closeTo(g, want, tolFor(dt)) {
									t.Fatalf("wrt %d: [%d][%d][%d] = %v, want %v", wrt, b, x, t2, g, want)
								}
							}
						}
					}
				}
			})
		}
	}
}

func TestBandMulErrors(t *testing.T) {
	q := errDense(tensor.Float64, 2, 4, 3)
	cases := []struct {
		name         string
		q, k         *tensor.Dense
		lower, upper int
		kind         error
	}{
		{"nil", nil, q, 1, 1, ErrNil},
		{"rank", errDense(tensor.Float64, 4, 3), errDense(tensor.Float64, 4, 3), 1, 1, ErrShape},
		{"shapes", q, errDense(tensor.Float64, 2, 4, 2), 1, 1, ErrShape},
		{"batch", q, errDense(tensor.Float64, 1, 4, 3), 1, 1, ErrShape},
		{"empty d", errDense(tensor.Float64, 2, 4, 0), errDense(tensor.Float64, 2, 4, 0), 1, 1, ErrShape},
		{"dtypes", q, errDense(tensor.Float32, 2, 4, 3), 1, 1, ErrDtype},
		{"int", intDense(2, 4, 3), intDense(2, 4, 3), 1, 1, ErrDtype},
		{"width", q, q, -2, 0, ErrBand},
		{"range", q, q, bandLimit + 1, 0, ErrBand},
	}
	for _, c := range cases {
		_, err := BandMul(c.q, c.k, c.lower, c.upper)
		if !errors.Is(err, c.kind) {
			t.Errorf("BandMulDense %s: error %v, want kind %v", c.name, err, c.kind)
		}
		if c.q == nil {
			continue
		}
		g := gorgonia.NewGraph()
		qn := gorgonia.NodeFromAny(g, c.q, gorgonia.WithName("q"))
		kn := gorgonia.NodeFromAny(g, c.k, gorgonia.WithName("k"))
		if _, err := BandMulNode(qn, kn, c.lower, c.upper); !errors.Is(err, c.kind) {
			t.Errorf("BandMul %s: error %v, want kind %v", c.name, err, c.kind)
		}
	}
	if _, err := BandMulNode(nil, nil, 0, 0); !errors.Is(err, ErrNil) {
		t.Errorf("BandMul(nil): error %v, want ErrNil", err)
	}
	// Do checks its inputs again.
	op := &bandMulOp{c: layout{batch: 2, n: 4, lower: 1, upper: 1, dt: tensor.Float64}, d: 3}
	if _, err := op.Do(q, errDense(tensor.Float64, 2, 4, 2)); !errors.Is(err, ErrShape) {
		t.Errorf("bandMulOp.Do with a wrong K: error %v, want ErrShape", err)
	}
	if _, err := (&bandMulGradOp{bandMulOp: *op}).Do(q, q); !errors.Is(err, ErrShape) {
		t.Errorf("bandMulGradOp.Do with two inputs: error %v, want ErrShape", err)
	}
}

// intDense is a tensor of a dtype no op takes.
func intDense(shape ...int) *tensor.Dense {
	return tensor.New(tensor.Of(tensor.Int), tensor.WithShape(shape...))
}

// Views as Q and K (columns of wider tensors) are read as their
// materialized values.
func TestBandMulView(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 7))
	for _, dt := range dtypes {
		wq, _ := randDense(rng, Real, dt, 2, 9, 6)
		wk, _ := randDense(rng, Real, dt, 2, 9, 7)
		q := must(wq.Slice(nil, nil, gorgonia.S(1, 5))).(*tensor.Dense)
		k := must(wk.Slice(nil, nil, gorgonia.S(3, 7))).(*tensor.Dense)
		if !q.IsView() || !k.IsView() {
			t.Fatal("the slices are not views: the test tests nothing")
		}
		want := must(BandMul(q.Materialize().(*tensor.Dense), k.Materialize().(*tensor.Dense), 2, 1))
		got := must(BandMul(q, k, 2, 1))
		if !sameBits(got, want) {
			t.Errorf("%v: BandMulDense of views differs from that of their values", dt)
		}
		v := must(wk.Slice(nil, nil, gorgonia.S(0, 3))).(*tensor.Dense)
		a := randomFor(t, rng, Real, dt, 2, 9, 1, 2)
		if !sameDenseBits(must(a.MulDense(v, Real)), must(a.MulDense(v.Materialize().(*tensor.Dense), Real))) {
			t.Errorf("%v: MulDense of a view differs from that of its value", dt)
		}
	}
}

// Each parameter of the Ops is in their names, so Gorgonia merges two nodes
// only when every parameter agrees.
func TestAttentionOpNames(t *testing.T) {
	l := layout{batch: 2, n: 4, lower: 1, upper: 2, dt: tensor.Float32}
	names := map[string]bool{}
	for _, op := range []fmt.Stringer{
		&bandMulOp{c: l, d: 3}, &bandMulOp{c: layout{batch: 2, n: 4, lower: 2, upper: 1, dt: tensor.Float32}, d: 3},
		&bandMulOp{c: l, d: 4}, &bandMulGradOp{bandMulOp{c: l, d: 3}, 0}, &bandMulGradOp{bandMulOp{c: l, d: 3}, 1},
		&mulDenseOp{s: Real, a: l, d: 3}, &mulDenseOp{s: Log, a: l, d: 3}, &mulDenseOp{s: Real, a: l, d: 2},
		&mulDenseGradOp{mulDenseOp{s: Real, a: l, d: 3}, 0}, &mulDenseGradOp{mulDenseOp{s: Real, a: l, d: 3}, 1},
		&softmaxOp{a: l}, &softmaxOp{log: true, a: l}, &softmaxGradOp{softmaxOp{a: l}}, &softmaxGradOp{softmaxOp{log: true, a: l}},
	} {
		if names[op.String()] {
			t.Errorf("two Ops named %s", op)
		}
		names[op.String()] = true
	}
}
