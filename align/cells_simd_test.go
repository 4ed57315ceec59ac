package align

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// TestCellsStripCopies runs the Log cells with every item in strips
// through a copy (copyStrips) and as one strip, under every mode and gap,
// both dtypes, ragged lengths over several strips: α and the gradient must
// agree to a few ulps (fastexp may take the exps of a short run of cells
// another way, within its bounds). The gradient is written over a buffer
// of NaN, which it must cover whole (0 outside the lattice).
func TestCellsStripCopies(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	p := randomProblem(rng, 3, 2*stripRows+5, 19, true)
	p.lenX[2] = stripRows + 3
	for _, mode := range []Mode{Global, Local, SemiGlobal} {
		for _, gap := range []int{-1, 4} {
			for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
				m := Model{Semiring: Log, Mode: mode, Gapped: gap >= 0, MaxGap: max(gap, 0)}
				name := fmt.Sprintf("%v %v", m, dt)
				theta := p.tensor(dt)
				g, err := newGrid("test", m, theta.Shape())
				must(t, err)
				per := g.n * g.mm
				da := make([]float64, g.batch*per)
				for k := range da {
					da[k] = rng.Float64()
				}
				var alpha, grad [2][]float64
				for v, limit := range []int{0, min(1<<40, math.MaxInt)} {
					func() {
						was := stripCopyBytes
						stripCopyBytes = limit
						defer func() { stripCopyBytes = was }()
						a, w := make([]float64, g.batch*per), make([]float64, g.batch*per*g.terms())
						gam := make([]float64, g.batch*per)
						if dt == tensor.Float32 {
							th := theta.Data().([]float32)
							dth := make([]float32, len(th))
							for k := range dth {
								dth[k] = float32(math.NaN())
							}
							cellsForward(g, a, th, p.lenX, p.lenY, w)
							cellsBackward(g, dth, th, a, da, p.lenX, p.lenY, w, gam)
							grad[v] = float64s32(dth)
						} else {
							th := theta.Data().([]float64)
							dth := make([]float64, len(th))
							for k := range dth {
								dth[k] = math.NaN()
							}
							cellsForward(g, a, th, p.lenX, p.lenY, w)
							cellsBackward(g, dth, th, a, da, p.lenX, p.lenY, w, gam)
							grad[v] = dth
						}
						alpha[v] = a
					}()
				}
				for k, x := range grad[0] {
					if math.IsNaN(x) {
						t.Fatalf("%s: gradient element %d not written", name, k)
					}
				}
				tol := 1e-12
				if dt == tensor.Float32 {
					tol = 1e-6 // one rounding to float32 may go either way
				}
				if d := diffFloats(alpha[0], alpha[1], 1e-12); d != "" {
					t.Errorf("%s: α with strip copies: %s", name, d)
				}
				if d := diffFloats(grad[0], grad[1], tol); d != "" {
					t.Errorf("%s: gradient with strip copies: %s", name, d)
				}
			}
		}
	}
}

func float64s32(x []float32) []float64 {
	y := make([]float64, len(x))
	for k, v := range x {
		y[k] = float64(v)
	}
	return y
}
