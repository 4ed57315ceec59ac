package ctc

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/internal/errkind"
	"gorgonia.org/tensor"
)

// TestStepsGradKept: the gradient Op writes every element of the buffer it
// keeps on each run (a run with shorter input lengths after a longer one
// leaves nothing of the first), and a run while the buffer is claimed
// fails with ErrBusy, naming the caller's function; both dtypes.
func TestStepsGradKept(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testStepsGradKept[float32](t, tensor.Float32) })
	t.Run("f64", func(t *testing.T) { testStepsGradKept[float64](t, tensor.Float64) })
}

func testStepsGradKept[T float32 | float64](t *testing.T, dt tensor.Dtype) {
	rng := rand.New(rand.NewPCG(41, 42))
	p := randomProblem(rng, 6, 3, 5, 2, 6)
	p.targets = [][]int{{1, 1}, {2}, {}}
	p.width = 2
	f, err := checkForm("Loss", dt, tensor.Shape{p.t, p.batch, p.cls}, tensor.Int, tensor.Shape{p.batch, p.width},
		[2]tensor.Dtype{tensor.Int, tensor.Int}, [2]tensor.Shape{{p.batch}, {p.batch}}, options{})
	if err != nil {
		t.Fatal(err)
	}
	op := &stepsGradOp{form: f, name: "Loss"}
	tg := tensor.New(tensor.WithShape(p.batch, p.width), tensor.WithBacking(p.padded()))
	tl := tensor.New(tensor.WithShape(p.batch), tensor.WithBacking(p.targetLens()))
	runs := []struct {
		name  string
		inLen []int
		busy  bool
	}{
		{"full lengths", []int{6, 6, 6}, false},
		{"shorter lengths", []int{3, 6, 1}, false},
		{"claimed", []int{6, 6, 6}, true},
	}
	for _, r := range runs {
		il := tensor.New(tensor.WithShape(p.batch), tensor.WithBacking(append([]int(nil), r.inLen...)))
		da := make([]T, f.t*f.batch*f.states()*3)
		for i := range da {
			da[i] = T(rng.NormFloat64())
		}
		dv := tensor.New(tensor.WithShape(op.stepShape()...), tensor.WithBacking(da))
		if r.busy {
			mustTake(t, &op.keep.use)
			_, err := op.Do(tg, il, tl, dv)
			op.keep.use.Release()
			var e *Error
			if !errors.Is(err, ErrBusy) || !errors.As(err, &e) || e.Op != "Loss" {
				t.Errorf("%s: error %v, want kind ErrBusy from Loss", r.name, err)
			}
			continue
		}
		v, err := op.Do(tg, il, tl, dv)
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		bt, err := parse("Loss", f, tg, il, tl)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]T, f.t*f.batch*f.cls)
		gatherGrad(f, bt, want, da)
		got := v.Data().([]T)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: gradient[%d] %v, want %v", r.name, i, got[i], want[i])
			}
		}
		// Past an item's input length the gradient is 0.
		for m := range f.t * f.batch {
			if m/f.batch < r.inLen[m%f.batch] {
				continue
			}
			for c := range f.cls {
				if x := got[m*f.cls+c]; x != 0 {
					t.Fatalf("%s: frame %d item %d class %d: %v past the input length", r.name, m/f.batch, m%f.batch, c, x)
				}
			}
		}
	}
}

// mustTake takes c as another run's Do would.
func mustTake(t *testing.T, c *errkind.Claim) {
	t.Helper()
	if err := c.Take(pkgName, "test"); err != nil {
		t.Fatal(err)
	}
}
