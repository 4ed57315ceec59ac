package bandop

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A shapeCase is one shape op under test: its eager form, its graph form
// and its dense meaning, written plainly.
type shapeCase struct {
	name  string
	eager func(a *Banded) (*Banded, error)
	graph func(a *Node) (*Node, error)
	// ref returns entry (i, j) of the result from a's dense form d and
	// whether it comes from A (false: the result's fill).
	ref func(d dense, b, i, j int) (float64, bool)
	// lower, upper: the band of the result for an input band (l, u).
	band func(l, u int) (int, int)
}

// shapeCasesFor lists the shape ops with every parameter worth trying on
// matrices of size n.
func shapeCasesFor(n int) []shapeCase {
	cs := []shapeCase{{
		name:  "Transpose",
		eager: func(a *Banded) (*Banded, error) { return a.Transpose(), nil },
		graph: Transpose,
		ref:   func(d dense, b, i, j int) (float64, bool) { return d[b][j][i], true },
		band:  func(l, u int) (int, int) { return u, l },
	}}
	for _, t := range []int{-n - 1, -n, -3, -1, 0, 1, 2, n} {
		cs = append(cs, shapeCase{
			name:  fmt.Sprintf("RowShift(%d)", t),
			eager: func(a *Banded) (*Banded, error) { return a.RowShift(t) },
			graph: func(a *Node) (*Node, error) { return RowShift(a, t) },
			ref: func(d dense, b, i, j int) (float64, bool) {
				if i+t < 0 || i+t >= n {
					return 0, false
				}
				return d[b][i+t][j], true
			},
			band: func(l, u int) (int, int) { return l - t, u + t },
		}, shapeCase{
			name:  fmt.Sprintf("ColShift(%d)", t),
			eager: func(a *Banded) (*Banded, error) { return a.ColShift(t) },
			graph: func(a *Node) (*Node, error) { return ColShift(a, t) },
			ref: func(d dense, b, i, j int) (float64, bool) {
				if j+t < 0 || j+t >= n {
					return 0, false
				}
				return d[b][i][j+t], true
			},
			band: func(l, u int) (int, int) { return l + t, u - t },
		})
	}
	for _, r := range [][2]int{{0, 0}, {2, -1}, {-1, 3}, {4, 4}, {1, 0}} {
		cs = append(cs, shapeCase{
			name:  fmt.Sprintf("Reband(%d,%d)", r[0], r[1]),
			eager: func(a *Banded) (*Banded, error) { return a.Reband(r[0], r[1]) },
			graph: func(a *Node) (*Node, error) { return Reband(a, r[0], r[1]) },
			ref:   func(d dense, b, i, j int) (float64, bool) { return d[b][i][j], true },
			band:  func(l, u int) (int, int) { return r[0], r[1] },
		})
	}
	for _, t := range []int{-1, 1, 2} {
		cs = append(cs, shapeCase{
			name:  fmt.Sprintf("BandPad(%d)", t),
			eager: func(a *Banded) (*Banded, error) { return a.BandPad(t) },
			ref:   func(d dense, b, i, j int) (float64, bool) { return d[b][i][j], true },
			band:  func(l, u int) (int, int) { return l + t, u + t },
		}, shapeCase{
			name:  fmt.Sprintf("BandShift(%d)", t),
			eager: func(a *Banded) (*Banded, error) { return a.BandShift(t) },
			ref:   func(d dense, b, i, j int) (float64, bool) { return d[b][i][j], true },
			band:  func(l, u int) (int, int) { return l + t, u - t },
		})
	}
	return cs
}

// refShape is the dense result of sc on a: sc.ref inside the result's band,
// the fill elsewhere.
func refShape(sc shapeCase, a *Banded, lower, upper int) dense {
	d := denseOf(a)
	c := newDenseRef(a.Batch(), a.N(), a.fill)
	for b := range c {
		for i := range c[b] {
			for j := range c[b][i] {
				if j-i < -lower || j-i > upper {
					continue
				}
				if v, ok := sc.ref(d, b, i, j); ok {
					c[b][i][j] = v
				}
			}
		}
	}
	return c
}

// TestShapeOpsDense checks every shape op against its dense meaning on
// every band case, both dtypes and three fills, with NaN in the input's
// padding, and that the input is left as it was.
func TestShapeOpsDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, bc := range bandCases {
		for _, dt := range dtypes {
			for _, fill := range []float64{0, math.Inf(-1), 7.5} {
				a, err := Random(rng, dt, bc.batch, bc.n, bc.l1, bc.u1, fill)
				if err != nil {
					t.Fatal(err)
				}
				poison(a)
				before := a.Clone()
				for _, sc := range shapeCasesFor(bc.n) {
					l, u := sc.band(bc.l1, bc.u1)
					if l+u+1 < 1 {
						continue
					}
					name := fmt.Sprintf("%s/b%d_n%d_(%d,%d)_%v_fill%v", sc.name, bc.batch, bc.n, bc.l1, bc.u1, dt, fill)
					c, err := sc.eager(a)
					if err != nil {
						t.Errorf("%s: %v", name, err)
						continue
					}
					if c.Lower() != l || c.Upper() != u || c.Fill() != fill {
						t.Errorf("%s: band (%d,%d) fill %v, want (%d,%d) fill %v", name, c.Lower(), c.Upper(), c.Fill(), l, u, fill)
						continue
					}
					t.Run(name, func(t *testing.T) { checkDense(t, c, refShape(sc, a, l, u), 0) })
				}
				if !sameBits(a, before) {
					t.Errorf("b%d_n%d_(%d,%d): a shape op modified its input", bc.batch, bc.n, bc.l1, bc.u1)
				}
			}
		}
	}
}

// dot is Σ x·y over two band storages.
func dot(x, y *tensor.Dense) float64 {
	xs, ys := floats(x), floats(y)
	s := 0.0
	for i := range xs {
		s += xs[i] * ys[i]
	}
	return s
}

// TestShapeOpsAdjoint: each shape op is linear in the in-band entries, so
// its gradient Op G must satisfy ⟨C(A), W⟩ = ⟨A, G(W)⟩ for random A and W
// with zero padding and fill 0; the graph's gradient (Grad + TapeMachine)
// must equal G(W).
func TestShapeOpsAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	for _, bc := range bandCases {
		for _, dt := range dtypes {
			for _, sc := range shapeCasesFor(bc.n) {
				l, u := sc.band(bc.l1, bc.u1)
				if sc.graph == nil || l+u+1 < 1 {
					continue
				}
				name := fmt.Sprintf("%s/b%d_n%d_(%d,%d)_%v", sc.name, bc.batch, bc.n, bc.l1, bc.u1, dt)
				t.Run(name, func(t *testing.T) {
					a, _ := Random(rng, dt, bc.batch, bc.n, bc.l1, bc.u1, 0)
					w, _ := Random(rng, dt, bc.batch, bc.n, l, u, 0)
					g := gorgonia.NewGraph()
					an, _ := NewNode(g, a, "A")
					wn := gorgonia.NewTensor(g, dt, 3, gorgonia.WithShape(w.data.Shape()...), gorgonia.WithValue(w.data.Clone()), gorgonia.WithName("W"))
					c, err := sc.graph(an)
					if err != nil {
						t.Fatal(err)
					}
					cost := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(c.Node, wn))))
					grads, err := gorgonia.Grad(cost, an.Node)
					if err != nil {
						t.Fatal(err)
					}
					m := gorgonia.NewTapeMachine(g)
					defer m.Close()
					if err := m.RunAll(); err != nil {
						t.Fatal(err)
					}
					want, _ := sc.eager(a)
					cv, _ := c.Banded()
					if !sameBits(cv, want) {
						t.Fatalf("graph value differs from the eager one")
					}
					ga := grads[0].Value().(*tensor.Dense)
					lhs, rhs := dot(want.data, w.data), dot(a.data, ga)
					if !closeTo(lhs, rhs, 10*tolFor(dt)) {
						t.Errorf("⟨C(A), W⟩ = %v, ⟨A, G(W)⟩ = %v", lhs, rhs)
					}
					// The gradient's padding holds its fill, 0.
					gb, err := New(ga, bc.l1, bc.u1, 0)
					if err != nil {
						t.Fatal(err)
					}
					n, wd := gb.N(), gb.Width()
					gs := floats(ga)
					for r := 0; r < gb.Batch()*n; r++ {
						lo, hi := validSlots(r%n, n, bc.l1, wd)
						for k := 0; k < wd; k++ {
							if (k < lo || k >= hi) && gs[r*wd+k] != 0 {
								t.Fatalf("gradient padding (row %d, slot %d) = %v, want 0", r, k, gs[r*wd+k])
							}
						}
					}
				})
			}
		}
	}
}

// TestShapeOpsHash: ops that differ in any parameter must not share a hash,
// or Gorgonia would merge their nodes.
func TestShapeOpsHash(t *testing.T) {
	l := layout{batch: 2, n: 6, lower: 1, upper: 2, dt: tensor.Float64}
	ops := []gorgonia.Op{
		&transposeOp{in: l},
		&transposeOp{in: withBand(l, 2, 1)},
		&transposeOp{in: layout{batch: 2, n: 6, lower: 1, upper: 2, dt: tensor.Float64, fill: math.Inf(-1)}},
		&transposeOp{in: layout{batch: 2, n: 6, lower: 1, upper: 2, dt: tensor.Float32}},
	}
	for _, name := range []string{"RowShift", "ColShift"} {
		for _, tt := range []int{-1, 1, 2} {
			s, _ := rowShift(name, l, tt)
			if name == "ColShift" {
				s, _ = colShift(name, l, tt)
			}
			ops = append(ops, &shiftOp{name: name, s: s}, &shiftOp{name: name + "Grad", s: s.adjoint()})
		}
	}
	ops = append(ops, &shiftOp{name: "Reband", s: shift{in: l, out: withBand(l, 0, 3)}}, &shiftOp{name: "Reband", s: shift{in: l, out: withBand(l, 3, 0)}})
	seen := map[uint32]string{}
	for _, op := range ops {
		h := op.Hashcode()
		if prev, ok := seen[h]; ok {
			t.Errorf("%v and %v share hash %d", prev, op, h)
		}
		seen[h] = fmt.Sprint(op)
	}
}
