package bandop

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// endGradGraph returns the gradients with respect to v0 and A of Σ w·S over
// the states S of ScanStates (with opts), and the scan Op's name.
func endGradGraph(t *testing.T, s Semiring, a *Banded, v *tensor.Dense, win *Window, w *tensor.Dense, opts ...ScanOption) (gv, ga []float64, name string) {
	t.Helper()
	g := gorgonia.NewGraph()
	an, err := NewNode(g, a, "A")
	if err != nil {
		t.Fatal(err)
	}
	vn := gorgonia.NewTensor(g, v.Dtype(), 2, gorgonia.WithShape(v.Shape()...), gorgonia.WithValue(v.Clone()), gorgonia.WithName("v0"))
	st, err := ScanStates(vn, an, s, win, opts...)
	if err != nil {
		t.Fatal(err)
	}
	prod, err := gorgonia.HadamardProd(st, gorgonia.NewConstant(w))
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
	return floats(grads[0].Value().(*tensor.Dense)), floats(grads[1].Value().(*tensor.Dense)), st.Op().String()
}

// TestScanGradientAtEnd checks that GradientAtEnd changes no bit of the
// gradients where the states' gradient is 0 but at v_T (every semiring and
// dtype, with windows, items whole and split into parts), that it is part
// of the Op's name (and so of its hash), and that the reverse scan on the
// CPU then reads no other state's gradient: one that is not 0 is not read.
func TestScanGradientAtEnd(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 10))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, c := range []struct{ items, steps, n, lower, upper, procs int }{
		{3, 4, 5, 1, 1, 1}, {2, 5, 6, -1, 2, 2}, {4, 3, 3, 0, 2, 4}, {1, 4, 2800, 0, 2, 4},
	} {
		for _, s := range semirings {
			for _, dt := range dtypes {
				t.Run(fmt.Sprintf("%v/%v/%d×%d×%d/%d", s, dt, c.items, c.steps, c.n, c.procs), func(t *testing.T) {
					runtime.GOMAXPROCS(c.procs)
					a := randomFor(t, rng, s, dt, c.items*c.steps, c.n, c.lower, c.upper)
					if s == Max && dt == tensor.Float64 {
						roundAll(a.data.Data().([]float64))
					}
					v := randomVec(rng, s, dt, c.items, c.n)
					win := randomWindow(rng, a, c.items, c.steps, s)
					size := c.items * c.n
					wv := make([]float64, (c.steps+1)*size)
					for i := c.steps * size; i < len(wv); i++ {
						wv[i] = rng.Float64()
					}
					w := tensor.New(tensor.WithShape(c.steps+1, c.items, c.n), tensor.WithBacking(wv))
					gv, ga, name := endGradGraph(t, s, a, v, win, w, GradientAtEnd())
					wgv, wga, wname := endGradGraph(t, s, a, v, win, w)
					if !sameFloats(gv, wgv) || !sameFloats(ga, wga) {
						t.Error("gradients differ from the scan's without the option")
					}
					if name == wname || !strings.Contains(name, "end gradient true") {
						t.Errorf("the Op's name %q does not tell the option (without: %q)", name, wname)
					}
					if callsExtern {
						return // the GPU's reverse scan reads every state's
					}
					// A gradient at another state is not read.
					for i := range c.steps * size {
						wv[i] = 1
					}
					if gv2, ga2, _ := endGradGraph(t, s, a, v, win, w, GradientAtEnd()); !sameFloats(gv2, gv) || !sameFloats(ga2, ga) {
						t.Error("the gradient of a state before v_T reached the gradients")
					}
				})
			}
		}
	}
}
