package gradtest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
)

// scanCases are the shapes of the Scan checks: one step, n = 1, bands that
// miss the diagonal, several items, and a window that leaves rows out.
var scanCases = []struct {
	items, steps, n, l, u int
	window                bool
}{
	{1, 1, 1, 0, 0, false},
	{2, 1, 4, 1, 1, false},
	{1, 4, 1, 0, 0, false},
	{2, 3, 4, 1, 1, false},
	{1, 4, 5, -1, 2, false},
	{2, 3, 5, 2, -1, false},
	{2, 4, 5, 1, 1, true},
}

// window returns a window that leaves out the first row of even steps and
// the last two rows of odd ones.
func window(steps, n int) *bandop.Window {
	w := &bandop.Window{Lo: make([]int, steps), Hi: make([]int, steps)}
	for t := range steps {
		w.Lo[t], w.Hi[t] = 0, n
		if t%2 == 0 {
			w.Lo[t] = 1
		} else {
			w.Hi[t] = n - 2
		}
	}
	return w
}

// TestGradScan checks the gradient of v_T with respect to v0 and every step
// matrix. Rows outside a window are not read, so their finite differences
// are 0, as the analytic gradient must be; padding holds NaN throughout.
func TestGradScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	for _, c := range scanCases {
		for _, s := range semirings {
			for _, sp := range []bool{false, true} {
				name := fmt.Sprintf("Scan/%v/i%d_T%d_n%d_(%d,%d)_window%v_sparse%v", s, c.items, c.steps, c.n, c.l, c.u, c.window, sp)
				t.Run(name, func(t *testing.T) {
					a := band(rng, s, "A", c.items*c.steps, c.n, c.l, c.u, s.Zero())
					if sp {
						a = sparse(rng, a, s.Zero())
					}
					var w *bandop.Window
					if c.window {
						w = window(c.steps, c.n)
					}
					check(t, gradCase{
						name: name,
						in:   []operand{denseOp(rng, s, "v0", c.items, c.n), a},
						f: func(x []arg) (output, error) {
							return denseOut(bandop.Scan(x[0].N, x[1].B, s, w))
						},
						// Sparse steps may leave nothing: a 1×1 matrix may
						// hold only the zero, and a band above the diagonal
						// moves every entry right at each step.
						allZeroOK: sp && (c.n == 1 || c.l < 0),
					})
				})
			}
		}
	}
}
