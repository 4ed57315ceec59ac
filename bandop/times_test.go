package bandop

import (
	"math"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// refTimesDense is C[i][j] = A[i][j] ⊗ B[i][j] entry by entry.
func refTimesDense(s Semiring, a, b dense) dense {
	c := newDenseRef(len(a), len(a[0]), 0)
	for bt := range a {
		for i := range a[bt] {
			for j := range a[bt][i] {
				c[bt][i][j] = refTimes(s, a[bt][i][j], b[bt][i][j])
			}
		}
	}
	return c
}

var timesElem = elemOp{
	name:     "Times",
	eager:    func(a, b *Banded, s Semiring) (*Banded, error) { return a.Times(b, s) },
	ref:      refTimesDense,
	forward:  timesForward[float64],
	backward: timesBackward[float64],
	graph:    Times,
	result:   timesResult,
}

func TestTimesDense(t *testing.T)              { testElemDense(t, timesElem) }
func TestTimesBackwardFiniteDiff(t *testing.T) { testElemFiniteDiff(t, timesElem) }

func TestTimesGraph(t *testing.T) {
	testElemGraph(t, timesElem, func(la, lb layout, s Semiring, wrt int) gorgonia.Op {
		return &binGradOp{binOp: *newBinOp(timesSpec, s, la, lb), wrt: wrt}
	})
}

// TestTimesEmpty: disjoint bands are an error that names the intersection.
func TestTimesEmpty(t *testing.T) {
	a, _ := Filled(tensor.Float64, 1, 5, 2, -1, 0) // sub-diagonals 1 and 2
	b, _ := Filled(tensor.Float64, 1, 5, -1, 2, 0) // super-diagonals 1 and 2
	_, err := a.Times(b, Real)
	if err == nil || !strings.Contains(err.Error(), "intersection") {
		t.Errorf("error %v, want one about the empty intersection", err)
	}
}

// TestTimesInfinite: where dc is 0 an infinite factor adds no NaN, and the
// Log gradient is dc itself even where the product is −Inf.
func TestTimesInfinite(t *testing.T) {
	a, _ := Filled(tensor.Float64, 1, 3, 0, 0, 0)
	b, _ := Filled(tensor.Float64, 1, 3, 0, 0, 0)
	copy(storage[float64](a), []float64{1, math.Inf(1), 3})
	copy(storage[float64](b), []float64{4, 5, 6})
	c, _ := a.Times(b, Real)
	dc := []float64{1, 0, 1}
	gb := make([]float64, 3)
	timesBackward(Real, 1, gb, storage[float64](a), storage[float64](b), nil, dc, a.layout(), b.layout(), c.layout())
	if gb[0] != 1 || gb[1] != 0 || gb[2] != 3 {
		t.Errorf("dB = %v, want [1 0 3]", gb)
	}
	la, _ := Filled(tensor.Float64, 1, 3, 0, 0, math.Inf(-1))
	copy(storage[float64](la), []float64{math.Inf(-1), 1, 2})
	lc, _ := la.Times(la, Log)
	ga := make([]float64, 3)
	timesBackward(Log, 0, ga, storage[float64](la), storage[float64](la), nil, []float64{2, 3, 4}, la.layout(), la.layout(), lc.layout())
	if ga[0] != 2 || ga[1] != 3 || ga[2] != 4 {
		t.Errorf("Log dA = %v, want [2 3 4]", ga)
	}
}
