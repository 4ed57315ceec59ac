package dense_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/align"
	"github.com/genband/genband/bandop"
	"github.com/genband/genband/genmul"
	"gorgonia.org/tensor"
)

// pendingT returns a (b, r, c) tensor whose data is x in row-major order
// after a transpose of its last two axes that t.T only records, and the
// same tensor materialized: the public functions must read both alike.
func pendingT(t *testing.T, rng *rand.Rand, b, r, c int) (lazy, plain *tensor.Dense) {
	t.Helper()
	x := make([]float64, b*r*c)
	for i := range x {
		x[i] = rng.Float64()
	}
	lazy = tensor.New(tensor.WithShape(b, c, r), tensor.WithBacking(x))
	if err := lazy.T(0, 2, 1); err != nil {
		t.Fatal(err)
	}
	plain = lazy.Materialize().(*tensor.Dense)
	return lazy, plain
}

func equal(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s: element %d is %v with a pending transpose, %v materialized", what, i, got[i], want[i])
		}
	}
}

// TestPendingTransposeAtEntry feeds each package's eager entry points a
// tensor whose transpose is pending, which Data() alone would read in its
// old order.
func TestPendingTransposeAtEntry(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))

	lazy, plain := pendingT(t, rng, 2, 5, 5)
	bl, err := bandop.FromDense(lazy, 1, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	bp, err := bandop.FromDense(plain, 1, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "bandop.FromDense", bl.Data().Data().([]float64), bp.Data().Data().([]float64))

	qa, qp := pendingT(t, rng, 2, 5, 3)
	ka, kp := pendingT(t, rng, 2, 5, 3)
	ml, err := bandop.BandMul(qa, ka, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	mp, err := bandop.BandMul(qp, kp, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "bandop.BandMulDense", ml.Data().Data().([]float64), mp.Data().Data().([]float64))

	aa, ap := pendingT(t, rng, 2, 4, 3)
	ba, bpl := pendingT(t, rng, 2, 3, 5)
	gl, err := genmul.LogMatMul(aa, ba)
	if err != nil {
		t.Fatal(err)
	}
	gp, err := genmul.LogMatMul(ap, bpl)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "genmul.LogMatMul", gl.Data().([]float64), gp.Data().([]float64))

	// θ (1, 4, 3, 3) with its last two axes' transpose pending.
	x := make([]float64, 4*3*3)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	tl := tensor.New(tensor.WithShape(1, 4, 3, 3), tensor.WithBacking(x))
	if err := tl.T(0, 1, 3, 2); err != nil {
		t.Fatal(err)
	}
	tp := tl.Materialize().(*tensor.Dense)
	var m align.Model
	rl, err := m.Marginals(tl, []int{4}, []int{3})
	if err != nil {
		t.Fatal(err)
	}
	rp, err := m.Marginals(tp, []int{4}, []int{3})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "align.Model.Marginals log Z", rl.LogZ, rp.LogZ)
	equal(t, "align.Model.Marginals", rl.Marginals.Data().([]float64), rp.Marginals.Data().([]float64))
}
