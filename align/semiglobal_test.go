package align

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
	"gorgonia.org/tensor"
)

// TestOracleSemiGlobal checks the two references against each other in
// semi-global mode, and the enumerator against path counts worked out by
// hand: on a 2×2 grid a path starts at (0,0), (0,1) or (1,0) and ends at
// (0,1), (1,0) or (1,1): five paths leave (0,0), two each leave (0,1) and
// (1,0).
func TestOracleSemiGlobal(t *testing.T) {
	counts := []struct{ n, m, count int }{
		{1, 1, 1}, // the one cell is a start and an end
		{1, 3, 6}, // any contiguous run of a single row: 3+2+1
		{2, 2, 9},
	}
	for _, c := range counts {
		p := problem{batch: 1, n: c.n, mm: c.m, theta: make([]float64, c.n*c.m*3)}
		if got := len(enumerate(SemiGlobal, p.item(Model{Mode: SemiGlobal}, 0))); got != c.count {
			t.Errorf("%dx%d: %d semi-global paths, want %d", c.n, c.m, got, c.count)
		}
	}
	rng := rand.New(rand.NewPCG(41, 42))
	for n := 1; n <= 4; n++ {
		for mm := 1; mm <= 4; mm++ {
			for _, gap := range []int{-1, 0, 1} {
				for _, s := range []bandop.Semiring{Log, Real, Max} {
					m := Model{Semiring: s, Mode: SemiGlobal, Gapped: gap >= 0, MaxGap: max(gap, 0)}
					p := randomProblem(rng, 2, n, mm, true)
					for b := range p.batch {
						it := p.item(m, b)
						bz, bm := bruteForce(s, SemiGlobal, it)
						fz, fm := forwardBackward(s, SemiGlobal, it)
						if !close(fz, bz, 1e-12) {
							t.Fatalf("%v %dx%d item %d: DP log Z %v, enumerator %v", m, n, mm, b, fz, bz)
						}
						if s == Max {
							continue // the DP gives Max's best score only
						}
						for i := range n {
							for j := range mm {
								for c := range 3 {
									if !close(fm[i][j][c], bm[i][j][c], 1e-12) {
										t.Fatalf("%v %dx%d item %d: DP marginal (%d,%d,%d) %v, enumerator %v",
											m, n, mm, b, i, j, c, fm[i][j][c], bm[i][j][c])
									}
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestSemiGlobalRefused checks that the scan refuses a mode it does not yet
// compute, with an error naming the function.
func TestSemiGlobalRefused(t *testing.T) {
	p := randomProblem(rand.New(rand.NewPCG(43, 44)), 1, 2, 3, false)
	_, err := Model{Semiring: Log, Mode: SemiGlobal}.Marginals(p.tensor(tensor.Float64), nil, nil)
	var ae *Error
	if !errors.As(err, &ae) || !contains(err.Error(), "SemiGlobal") {
		t.Errorf("Marginals in SemiGlobal mode: error %v, want one naming SemiGlobal", err)
	}
}
