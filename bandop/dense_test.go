package bandop

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestFromDenseToDense: FromDense keeps exactly the band of D (NaN outside
// it changes nothing), ToDense gives it back with the fill outside, and a
// view of a larger tensor is read as the matrices it shows.
func TestFromDenseToDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	for _, bc := range bandCases {
		for _, dt := range dtypes {
			for _, fill := range []float64{0, math.Inf(-1)} {
				name := fmt.Sprintf("b%d_n%d_(%d,%d)_%v_fill%v", bc.batch, bc.n, bc.l1, bc.u1, dt, fill)
				n := bc.n
				// A (batch+1, n, n) tensor whose last batch item is a
				// view's excluded part; NaN outside the band.
				full := newDense(dt, tensor.Shape{bc.batch + 1, n, n}, math.NaN())
				want := newDenseRef(bc.batch, n, fill)
				for b := 0; b < bc.batch; b++ {
					for i := 0; i < n; i++ {
						for j := 0; j < n; j++ {
							if j-i < -bc.l1 || j-i > bc.u1 {
								continue
							}
							v := rng.Float64()
							if dt == tensor.Float32 {
								v = float64(float32(v))
							}
							full.SetAt(castTo(dt, v), b+1, i, j)
							want[b][i][j] = v
						}
					}
				}
				// tensor squeezes a slice of one batch item to rank 2,
				// so batch 1 is read from a contiguous copy instead.
				view, err := full.Slice(gorgonia.S(1, bc.batch+1))
				if err != nil {
					t.Fatal(err)
				}
				d := view.(*tensor.Dense)
				if bc.batch == 1 {
					d = d.Materialize().(*tensor.Dense)
					d.Reshape(1, n, n)
				} else if !d.IsView() {
					t.Fatalf("%s: the slice is not a view", name)
				}
				a, err := FromDense(d, bc.l1, bc.u1, fill)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				checkDense(t, a, want, 0)
				back := must(a.ToDense())
				for b := 0; b < bc.batch; b++ {
					for i := 0; i < n; i++ {
						for j := 0; j < n; j++ {
							got, _ := back.At(b, i, j)
							if g := toF64(got); g != want[b][i][j] {
								t.Fatalf("%s: ToDense[%d][%d][%d] = %v, want %v", name, b, i, j, g, want[b][i][j])
							}
						}
					}
				}
			}
		}
	}
}

func castTo(dt tensor.Dtype, v float64) any {
	if dt == tensor.Float32 {
		return float32(v)
	}
	return v
}

func toF64(v any) float64 {
	if f, ok := v.(float32); ok {
		return float64(f)
	}
	return v.(float64)
}

// TestDenseGraphAdjoint: FromDense and ToDense are each other's adjoints
// with fill 0, so ⟨ToDense(A), W⟩ = ⟨A, FromDense(W)⟩; the graph's
// gradients of both directions must satisfy it.
func TestDenseGraphAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(53, 54))
	for _, bc := range bandCases {
		for _, dt := range dtypes {
			name := fmt.Sprintf("b%d_n%d_(%d,%d)_%v", bc.batch, bc.n, bc.l1, bc.u1, dt)
			a, _ := Random(rng, dt, bc.batch, bc.n, bc.l1, bc.u1, 0)
			w, _ := Random(rng, dt, bc.batch, bc.n, bc.n-1, bc.n-1, 0) // a full matrix: any dense W
			wd := must(w.ToDense())
			g := gorgonia.NewGraph()
			an, _ := NewNode(g, a, "A")
			wn := gorgonia.NewTensor(g, dt, 3, gorgonia.WithShape(wd.Shape()...), gorgonia.WithValue(wd.Clone()), gorgonia.WithName("W"))
			ad, err := ToDense(an)
			if err != nil {
				t.Fatal(err)
			}
			// cost = ⟨ToDense(A), W⟩ + ⟨FromDense(W), A⟩·1: d/dA is
			// FromDense(W) twice over, d/dW is ToDense(A) twice over.
			fw, err := FromDenseNode(wn, bc.l1, bc.u1, 0)
			if err != nil {
				t.Fatal(err)
			}
			c1 := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(ad, wn))))
			c2 := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(fw.Node, an.Node))))
			cost := gorgonia.Must(gorgonia.Add(c1, c2))
			grads, err := gorgonia.Grad(cost, an.Node, wn)
			if err != nil {
				t.Fatal(err)
			}
			m := gorgonia.NewTapeMachine(g)
			if err := m.RunAll(); err != nil {
				t.Fatal(err)
			}
			m.Close()
			fwant, _ := FromDense(wd, bc.l1, bc.u1, 0)
			ga, gw := floats(grads[0].Value().(*tensor.Dense)), floats(grads[1].Value().(*tensor.Dense))
			fa, ta := floats(fwant.data), floats(must(a.ToDense()))
			for i := range ga {
				if !closeTo(ga[i], 2*fa[i], tolFor(dt)) {
					t.Fatalf("%s: dA[%d] = %v, want %v", name, i, ga[i], 2*fa[i])
				}
			}
			for i := range gw {
				if !closeTo(gw[i], 2*ta[i], tolFor(dt)) {
					t.Fatalf("%s: dW[%d] = %v, want %v", name, i, gw[i], 2*ta[i])
				}
			}
		}
	}
}
