//go:build !cuda

package align

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
	"gorgonia.org/tensor"
)

// TestProgramDirect checks that a Linear Program on the CPU runs its graph
// directly, and gives the tape machine's results bit for bit, under every
// semiring, mode and gap, both dtypes, ragged lengths; a LogDepth Program
// keeps the machine.
func TestProgramDirect(t *testing.T) {
	rng := rand.New(rand.NewPCG(53, 54))
	p := randomProblem(rng, 3, 6, 8, true)
	for _, s := range []bandop.Semiring{Log, Max, Real} {
		for _, mode := range []Mode{Global, Local, SemiGlobal} {
			for _, gap := range []int{-1, 2} {
				for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
					m := Model{Semiring: s, Mode: mode, Gapped: gap >= 0, MaxGap: max(gap, 0)}
					name := fmt.Sprintf("%v %v", m, dt)
					theta := p.tensor(dt)
					pr, err := m.Compile(theta.Shape(), dt, nil, nil)
					must(t, err)
					if pr.direct == nil {
						t.Fatalf("%s: a Linear Program without its direct runner", name)
					}
					got, err := pr.MarginalsLengths(theta, p.lenX, p.lenY)
					must(t, err)
					pr.direct = nil // the tape machine
					want, err := pr.MarginalsLengths(theta, p.lenX, p.lenY)
					must(t, err)
					if d := diffFloats(got.LogZ, want.LogZ, 0); d != "" {
						t.Errorf("%s: log Z: %s", name, d)
					}
					if d := diffFloats(float64s(got.Marginals), float64s(want.Marginals), 0); d != "" {
						t.Errorf("%s: marginals: %s", name, d)
					}
					pr.Close()
				}
			}
		}
	}
	pr, err := Model{Semiring: Log, Strategy: LogDepth}.Compile(tensor.Shape{1, 3, 3, 3}, tensor.Float64, nil, nil)
	must(t, err)
	defer pr.Close()
	if pr.direct != nil {
		t.Error("a LogDepth Program runs directly")
	}
}
