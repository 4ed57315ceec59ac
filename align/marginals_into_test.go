package align

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/genband/genband/bandop"
	"gorgonia.org/tensor"
)

// nanDense returns a tensor of the shape and dtype full of NaN, so that a
// destination's every element must be written.
func nanDense(dt tensor.Dtype, shape tensor.Shape) *tensor.Dense {
	d := tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
	switch x := d.Data().(type) {
	case []float64:
		for k := range x {
			x[k] = math.NaN()
		}
	case []float32:
		for k := range x {
			x[k] = float32(math.NaN())
		}
	}
	return d
}

// TestProgramMarginalsInto checks MarginalsInto against Marginals, bit for
// bit, under every semiring, mode and gap of the Linear strategy and for
// LogDepth, both dtypes, with ragged lengths (the cells past them must be
// 0) and a destination full of NaN reused over two different θ.
func TestProgramMarginalsInto(t *testing.T) {
	rng := rand.New(rand.NewPCG(47, 48))
	p := randomProblem(rng, 3, 7, 9, true)
	for _, s := range []bandop.Semiring{Log, Max, Real} {
		for _, mode := range []Mode{Global, Local, SemiGlobal} {
			for _, gap := range []int{-1, 2} {
				for _, st := range []Strategy{Linear, LogDepth} {
					if st == LogDepth && (s != Log || gap >= 0) {
						continue
					}
					for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
						m := Model{Semiring: s, Mode: mode, Gapped: gap >= 0, MaxGap: max(gap, 0), Strategy: st}
						name := fmt.Sprintf("%v %v", m, dt)
						pr, err := m.Compile(tensor.Shape{p.batch, p.n, p.mm, 3}, dt, p.lenX, p.lenY)
						must(t, err)
						dst := nanDense(dt, tensor.Shape{p.batch, p.n, p.mm, 3})
						for run := range 2 {
							q := randomProblem(rng, p.batch, p.n, p.mm, false)
							q.lenX, q.lenY = p.lenX, p.lenY
							theta := q.tensor(dt)
							before := float64s(theta)
							want, err := pr.Marginals(theta)
							must(t, err)
							z, err := pr.MarginalsInto(dst, theta)
							must(t, err)
							if d := diffFloats(z, want.LogZ, 0); d != "" {
								t.Errorf("%s, run %d: log Z: %s", name, run, d)
							}
							if d := diffFloats(float64s(dst), float64s(want.Marginals), 0); d != "" {
								t.Errorf("%s, run %d: marginals: %s", name, run, d)
							}
							if d := diffFloats(float64s(theta), before, 0); d != "" {
								t.Errorf("%s, run %d: θ changed: %s", name, run, d)
							}
						}
						pr.Close()
					}
				}
			}
		}
	}
}

// TestProgramMarginalsIntoRefuses checks the destinations MarginalsInto
// refuses, and that a refused call leaves the program usable.
func TestProgramMarginalsIntoRefuses(t *testing.T) {
	p := randomProblem(rand.New(rand.NewPCG(49, 50)), 2, 4, 5, false)
	theta := p.tensor(tensor.Float64)
	pr, err := Model{Semiring: Log}.Compile(theta.Shape(), tensor.Float64, nil, nil)
	must(t, err)
	defer pr.Close()
	view, err := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(4, 4, 5, 3)).Slice(tensor.S(0, 2))
	must(t, err)
	for _, c := range []struct {
		name string
		dst  *tensor.Dense
		want error
	}{
		{"nil", nil, ErrNil},
		{"float32", tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(theta.Shape()...)), ErrDtype},
		{"shape", tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(2, 4, 6, 3)), ErrShape},
		{"view", view.(*tensor.Dense), ErrValue},
		{"θ itself", theta, ErrValue},
	} {
		if _, err := pr.MarginalsInto(c.dst, theta); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	dst := nanDense(tensor.Float64, theta.Shape())
	if _, err := pr.MarginalsInto(dst, theta); err != nil {
		t.Fatalf("after the refusals: %v", err)
	}
	pr.Close()
	if _, err := pr.MarginalsInto(dst, theta); !errors.Is(err, ErrClosed) {
		t.Errorf("closed program: %v, want ErrClosed", err)
	}
}

// TestProgramMarginalsIntoAllocates checks that a Linear program's
// MarginalsInto allocates far less than θ's size a run, where Marginals
// allocates the marginals.
func TestProgramMarginalsIntoAllocates(t *testing.T) {
	p := randomProblem(rand.New(rand.NewPCG(51, 52)), 2, 60, 70, false)
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		theta := p.tensor(dt)
		size := float64(theta.MemSize())
		pr, err := Model{Semiring: Log}.Compile(theta.Shape(), dt, nil, nil)
		must(t, err)
		dst := tensor.New(tensor.Of(dt), tensor.WithShape(theta.Shape()...))
		perRun := func(f func() error) float64 {
			must(t, f())
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			const runs = 5
			for range runs {
				must(t, f())
			}
			runtime.ReadMemStats(&after)
			return float64(after.TotalAlloc-before.TotalAlloc) / runs
		}
		into := perRun(func() error { _, err := pr.MarginalsInto(dst, theta); return err })
		fresh := perRun(func() error { _, err := pr.Marginals(theta); return err })
		if into > size/4 || fresh < size {
			t.Errorf("%v: MarginalsInto allocates %.0f bytes a run, Marginals %.0f; θ is %.0f", dt, into, fresh, size)
		}
		pr.Close()
	}
}
