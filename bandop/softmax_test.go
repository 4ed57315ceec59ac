package bandop

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// refSoftmax is the (log-)softmax of each row of a over its in-band
// entries, written plainly: out-of-band entries get the result's fill, and
// a row of only −Inf gives 0 (−Inf for log).
func refSoftmax(a *Banded, log bool) dense {
	fill := 0.0
	if log {
		fill = math.Inf(-1)
	}
	n := a.N()
	out := newDenseRef(a.Batch(), n, fill)
	for b := range out {
		for i := 0; i < n; i++ {
			m := math.Inf(-1)
			for j := 0; j < n; j++ {
				if a.InBand(i, j) {
					m = math.Max(m, a.At(b, i, j))
				}
			}
			if math.IsInf(m, -1) {
				continue
			}
			var s float64
			for j := 0; j < n; j++ {
				if a.InBand(i, j) {
					s += math.Exp(a.At(b, i, j) - m)
				}
			}
			for j := 0; j < n; j++ {
				if !a.InBand(i, j) {
					continue
				}
				if log {
					out[b][i][j] = a.At(b, i, j) - m - math.Log(s)
				} else {
					out[b][i][j] = math.Exp(a.At(b, i, j)-m) / s
				}
			}
		}
	}
	return out
}

// deadRow sets row i of matrix 0 of a to −Inf in the band.
func deadRow(a *Banded, i int) {
	w := a.Width()
	for k := 0; k < w; k++ {
		switch d := a.data.Data().(type) {
		case []float64:
			d[i*w+k] = math.Inf(-1)
		case []float32:
			d[i*w+k] = float32(math.Inf(-1))
		}
	}
	poison(a)
}

func TestSoftmaxRef(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 5))
	for _, c := range attnCases() {
		if c.d != 1 {
			continue
		}
		for _, dt := range dtypes {
			for _, log := range []bool{false, true} {
				t.Run(fmt.Sprintf("log%v/%v/%v", log, c, dt), func(t *testing.T) {
					// Any fill: outside the band is absent whatever it is.
					a := randomFor(t, rng, Log, dt, c.batch, c.n, c.lower, c.upper)
					a.fill = 7
					sparsen(rng, a, Log)
					deadRow(a, c.n/2)
					ac := a.Clone()
					f := (*Banded).Softmax
					if log {
						f = (*Banded).LogSoftmax
					}
					got, err := f(a)
					if err != nil {
						t.Fatal(err)
					}
					want := refSoftmax(a, log)
					fill := 0.0
					if log {
						fill = math.Inf(-1)
					}
					if got.Lower() != c.lower || got.Upper() != c.upper || got.Fill() != fill {
						t.Fatalf("result %v, want band (%d, %d) and fill %v", got, c.lower, c.upper, fill)
					}
					checkDense(t, got, want, tolFor(dt))
					if !sameBits(a, ac) {
						t.Error("the operand was modified")
					}
					name := "Softmax"
					gf := Softmax
					if log {
						name, gf = "LogSoftmax", LogSoftmax
					}
					g := gorgonia.NewGraph()
					an := must(NewNode(g, a, "A"))
					out, err := gf(an)
					if err != nil {
						t.Fatal(err)
					}
					m := gorgonia.NewTapeMachine(g)
					defer m.Close()
					if err := m.RunAll(); err != nil {
						t.Fatal(err)
					}
					if gb := must(out.Banded()); !sameBits(gb, got) {
						t.Errorf("the graph's %s differs from the method's", name)
					}
				})
			}
		}
	}
}

// The gradient against the plain Jacobian-vector product, with a row of
// only −Inf getting exactly 0 and the padding of dY (NaN) never read.
func TestSoftmaxBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 6))
	for _, c := range attnCases() {
		if c.d != 1 {
			continue
		}
		for _, log := range []bool{false, true} {
			t.Run(fmt.Sprintf("log%v/%v", log, c), func(t *testing.T) {
				a := randomFor(t, rng, Log, tensor.Float64, c.batch, c.n, c.lower, c.upper)
				sparsen(rng, a, Log)
				dead := c.n / 2
				deadRow(a, dead)
				y := must(a.LogSoftmax())
				if !log {
					y = must(a.Softmax())
				}
				dy := randomFor(t, rng, Real, tensor.Float64, c.batch, c.n, c.lower, c.upper)
				l := a.layout()
				g := make([]float64, len(storage[float64](a)))
				softmaxBackward(log, g, storage[float64](y), storage[float64](dy), l)
				gb := &Banded{lower: l.lower, upper: l.upper, data: tensor.New(tensor.WithShape(l.shape()...), tensor.WithBacking(g))}
				p := refSoftmax(a, false)
				dd := denseOf(dy)
				want := newDenseRef(c.batch, c.n, 0)
				for b := range want {
					for i := 0; i < c.n; i++ {
						var sum, mass float64 // Σ p·dy, or Σ dy for log
						for j := 0; j < c.n; j++ {
							mass += p[b][i][j]
							if a.InBand(i, j) {
								if log {
									sum += dd[b][i][j]
								} else {
									sum += p[b][i][j] * dd[b][i][j]
								}
							}
						}
						if mass == 0 { // a row of only −Inf: no distribution
							continue
						}
						for j := 0; j < c.n; j++ {
							if !a.InBand(i, j) {
								continue
							}
							if log {
								want[b][i][j] = dd[b][i][j] - p[b][i][j]*sum
							} else {
								want[b][i][j] = p[b][i][j] * (dd[b][i][j] - sum)
							}
						}
					}
				}
				checkDense(t, gb, want, 1e-12)
			})
		}
	}
}

func TestSoftmaxErrors(t *testing.T) {
	if _, err := (*Banded)(nil).Softmax(); !errors.Is(err, ErrNil) {
		t.Errorf("nil Softmax: error %v, want ErrNil", err)
	}
	if _, err := (*Banded)(nil).LogSoftmax(); !errors.Is(err, ErrNil) {
		t.Errorf("nil LogSoftmax: error %v, want ErrNil", err)
	}
	if _, err := Softmax(nil); !errors.Is(err, ErrNil) {
		t.Errorf("Softmax(nil): error %v, want ErrNil", err)
	}
	g := gorgonia.NewGraph()
	bad := errFakeNode(g, tensor.Float64, tensor.Shape{2, 4, 4}, 1, 1, 0)
	if _, err := LogSoftmax(bad); !errors.Is(err, ErrShape) {
		t.Errorf("LogSoftmax of a node of 4 slots for band (1, 1): error %v, want ErrShape", err)
	}
	ints := errFakeNode(g, tensor.Int, tensor.Shape{2, 4, 3}, 1, 1, 0)
	if _, err := Softmax(ints); !errors.Is(err, ErrDtype) {
		t.Errorf("Softmax of ints: error %v, want ErrDtype", err)
	}
	op := &softmaxOp{a: layout{batch: 2, n: 4, lower: 1, upper: 1, dt: tensor.Float64}}
	if _, err := op.Do(errDense(tensor.Float64, 2, 4, 4)); !errors.Is(err, ErrShape) {
		t.Errorf("softmaxOp.Do of a wrong shape: error %v, want ErrShape", err)
	}
	if _, err := (&softmaxGradOp{softmaxOp: *op}).Do(errDense(tensor.Float64, 2, 4, 3)); !errors.Is(err, ErrShape) {
		t.Errorf("softmaxGradOp.Do with one input: error %v, want ErrShape", err)
	}
}
