package align

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/genband/genband/bandop"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var pathModes = []Mode{Global, Local, SemiGlobal}

// gapModels is every mode with and without a gap.
func gapModels(s bandop.Semiring) []Model {
	var ms []Model
	for _, mode := range pathModes {
		for _, gap := range []int{-1, 0, 1} {
			ms = append(ms, Model{Semiring: s, Mode: mode, Gapped: gap >= 0, MaxGap: max(gap, 0)})
		}
	}
	return ms
}

// enumPaths returns every path of item b of p under m, as Paths in the
// enumerator's order.
func enumPaths(m Model, p problem, b int) []Path {
	var out []Path
	for _, fs := range enumerate(m.Mode, p.item(m, b)) {
		path := make(Path, len(fs))
		for k, f := range fs {
			path[k] = Step{f.i, f.j, f.c}
		}
		out = append(out, path)
	}
	return out
}

// pathScore sums θ along a path from its first step, as the package does.
func pathScore(p problem, b int, path Path) float64 {
	var s float64
	for _, st := range path {
		s += p.theta[((b*p.n+st.I)*p.mm+st.J)*3+st.Move]
	}
	return s
}

// TestCheckPaths checks that every enumerated path passes and that each
// way of breaking one is reported at the right step with the right reason.
func TestCheckPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, m := range gapModels(Log) {
		for n := 1; n <= 4; n++ {
			for mm := 1; mm <= 4; mm++ {
				p := randomProblem(rng, 2, n, mm, true)
				for b := range p.batch {
					lx, ly := p.lengths(b)
					for _, path := range enumPaths(m, p, b) {
						if err := m.CheckPaths([]Path{path}, n, mm, []int{lx}, []int{ly}); err != nil {
							t.Fatalf("%v %dx%d lengths %d,%d: enumerated path %v: %v", m, n, mm, lx, ly, path, err)
						}
					}
				}
			}
		}
	}
	g := Model{Mode: Global}
	cases := []struct {
		name   string
		m      Model
		path   Path
		lx, ly int
		step   int
		msg    string
	}{
		{"empty", g, Path{}, 3, 3, 0, "empty path"},
		{"bad move", g, Path{{0, 0, FromDiag}, {0, 1, 3}}, 3, 3, 1, "move 3"},
		{"start move", g, Path{{0, 0, FromLeft}, {1, 1, FromDiag}}, 2, 2, 0, "want FromDiag"},
		{"global start", g, Path{{0, 1, FromDiag}, {1, 1, FromAbove}}, 2, 2, 0, "cannot start at (0, 1)"},
		{"global end", g, Path{{0, 0, FromDiag}, {1, 1, FromDiag}}, 3, 3, 1, "cannot end at (1, 1)"},
		{"semi-global start", Model{Mode: SemiGlobal}, Path{{1, 1, FromDiag}}, 3, 3, 0, "row 0 or column 0"},
		{"semi-global end", Model{Mode: SemiGlobal}, Path{{0, 0, FromDiag}, {1, 1, FromDiag}}, 3, 3, 1, "row lenX−1 = 2 or column lenY−1 = 2"},
		{"illegal move", g, Path{{0, 0, FromDiag}, {1, 1, FromLeft}, {1, 2, FromLeft}}, 2, 3, 1, "illegal move: (1, 1) entered FromLeft comes from (1, 0), but the previous step is (0, 0)"},
		{"jump", Model{Mode: Local}, Path{{0, 0, FromDiag}, {2, 2, FromDiag}}, 3, 3, 1, "illegal move"},
		{"past length", g, Path{{0, 0, FromDiag}, {0, 1, FromLeft}, {0, 2, FromLeft}, {1, 2, FromAbove}}, 2, 2, 2, "past the lengths (lenX 2, lenY 2)"},
		{"negative", Model{Mode: Local}, Path{{-1, 0, FromDiag}}, 2, 2, 0, "outside the grid"},
		{"gap band", Model{Mode: Global, Gapped: true}, Path{{0, 0, FromDiag}, {0, 1, FromLeft}, {1, 1, FromAbove}}, 2, 2, 1, "outside the gap band 0 ≤ j−i ≤ 0"},
	}
	for _, c := range cases {
		// Item 0 holds a good path, so the error must name item 1.
		err := c.m.CheckPaths([]Path{{{0, 0, FromDiag}}, c.path}, 4, 4, []int{1, c.lx}, []int{1, c.ly})
		var pe *PathError
		if !errors.As(err, &pe) {
			t.Errorf("%s: error %v, want a *PathError", c.name, err)
			continue
		}
		if pe.Item != 1 || pe.Step != c.step || !strings.Contains(pe.Msg, c.msg) || pe.Op != "CheckPaths" {
			t.Errorf("%s: %v (item %d step %d), want item 1 step %d and %q", c.name, err, pe.Item, pe.Step, c.step, c.msg)
		}
	}
}

// TestMask converts every enumerated path to a mask and back, in both
// dtypes, and checks that the mask's score is the path's score.
func TestMask(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, m := range gapModels(Log) {
		for _, sh := range [][2]int{{1, 1}, {2, 3}, {3, 3}, {4, 2}} {
			p := randomProblem(rng, 2, sh[0], sh[1], true)
			all := [][]Path{enumPaths(m, p, 0), enumPaths(m, p, 1)}
			for k := range max(len(all[0]), len(all[1])) {
				paths := []Path{all[0][k%len(all[0])], all[1][k%len(all[1])]}
				for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
					mask, err := m.Mask(paths, tensor.Shape{2, p.n, p.mm, 3}, dt, p.lenX, p.lenY)
					if err != nil {
						t.Fatalf("%v %v: Mask(%v): %v", m, dt, paths, err)
					}
					ones := 0
					for _, v := range float64s(mask) {
						if v == 1 {
							ones++
						} else if v != 0 {
							t.Fatalf("%v: mask element %v", m, v)
						}
					}
					if ones != len(paths[0])+len(paths[1]) {
						t.Fatalf("%v: %d ones for paths of %d and %d steps", m, ones, len(paths[0]), len(paths[1]))
					}
					back, err := m.PathsFromMask(mask, p.lenX, p.lenY)
					if err != nil {
						t.Fatalf("%v %v: PathsFromMask: %v", m, dt, err)
					}
					for b := range 2 {
						if !slices.Equal(back[b], paths[b]) {
							t.Fatalf("%v %v item %d: %v → mask → %v", m, dt, b, paths[b], back[b])
						}
					}
				}
				got, err := m.Scores(p.tensor(tensor.Float64), paths, p.lenX, p.lenY)
				if err != nil {
					t.Fatal(err)
				}
				for b := range 2 {
					if want := pathScore(p, b, paths[b]); got[b] != want {
						t.Fatalf("%v item %d: score %v, want %v", m, b, got[b], want)
					}
				}
			}
		}
	}
}

// TestMaskErrors checks the errors of Mask, PathsFromMask and Scores.
func TestMaskErrors(t *testing.T) {
	m := Model{Semiring: Log}
	good := []Path{{{0, 0, FromDiag}, {1, 1, FromDiag}}}
	shape := tensor.Shape{1, 2, 2, 3}
	theta := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float64, 12)))
	half := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float64, 12)))
	half.Data().([]float64)[4] = 0.5
	twoPerDiag := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float64, 12)))
	for _, k := range []int{1, 3, 8} { // (0,0) start, (0,1) and (1,0): both on i+j = 1
		twoPerDiag.Data().([]float64)[k] = 1
	}
	nan := theta.Clone().(*tensor.Dense)
	nan.Data().([]float64)[((1*2)+1)*3+FromDiag] = math.NaN()
	for _, c := range []struct {
		name string
		err  func() error
		want string
	}{
		{"Mask dtype", func() error { _, err := m.Mask(good, shape, tensor.Int, nil, nil); return err }, "align.Mask: dtype int"},
		{"Mask shape", func() error { _, err := m.Mask(good, tensor.Shape{1, 2, 2}, tensor.Float64, nil, nil); return err }, "want (batch, N, M, 3)"},
		{"Mask count", func() error { _, err := m.Mask(nil, shape, tensor.Float64, nil, nil); return err }, "0 paths for batch 1"},
		{"Mask lengths", func() error { _, err := m.Mask(good, shape, tensor.Float64, []int{3}, nil); return err }, "lenX[0] = 3"},
		{"Mask mode", func() error { _, err := Model{Mode: 7}.Mask(good, shape, tensor.Float64, nil, nil); return err }, "unknown mode"},
		{"Mask gap", func() error {
			_, err := Model{Gapped: true, MaxGap: -1}.Mask(good, shape, tensor.Float64, nil, nil)
			return err
		}, "negative MaxGap"},
		{"Mask path", func() error { _, err := m.Mask(good, shape, tensor.Float64, []int{1}, nil); return err }, "align.Mask: item 0, step 1: cell (1, 1) is past the lengths"},
		{"PathsFromMask nil", func() error { _, err := m.PathsFromMask(nil, nil, nil); return err }, "nil mask"},
		{"PathsFromMask value", func() error { _, err := m.PathsFromMask(half, nil, nil); return err }, "mask[0, 0, 1, FromDiag] is 0.5"},
		{"PathsFromMask diagonal", func() error { _, err := m.PathsFromMask(twoPerDiag, nil, nil); return err }, "item 0, step 2: illegal move"},
		{"Scores nil", func() error { _, err := m.Scores(nil, good, nil, nil); return err }, "nil potentials"},
		{"Scores NaN", func() error { _, err := m.Scores(nan, good, nil, nil); return err }, "align.Scores: item 0: potential θ[0, 1, 1, FromDiag] is NaN"},
		{"Scores path", func() error { _, err := m.Scores(theta, []Path{{{1, 1, FromDiag}}}, nil, nil); return err }, "cannot start at (1, 1)"},
		{"CheckPaths size", func() error { return m.CheckPaths(good, 0, 2, nil, nil) }, "N = 0"},
	} {
		err := c.err()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// scoreGraph builds Σ_b w[b]·MaskScore(θ, mask)[b] − or, with lp, the
// same of LogProb − on a tape machine with θ, mask and lengths as inputs.
type scoreGraph struct {
	g                    *gorgonia.ExprGraph
	theta, mask, lengths *gorgonia.Node
	out, grad            *gorgonia.Node
	vm                   gorgonia.VM
}

func newScoreGraph(t *testing.T, m Model, shape tensor.Shape, dt tensor.Dtype, weights []float64, lp bool) *scoreGraph {
	t.Helper()
	sg := &scoreGraph{g: gorgonia.NewGraph()}
	sg.theta = gorgonia.NewTensor(sg.g, dt, 4, gorgonia.WithShape(shape...), gorgonia.WithName("theta"))
	sg.mask = gorgonia.NewTensor(sg.g, dt, 4, gorgonia.WithShape(shape...), gorgonia.WithName("mask"))
	sg.lengths = gorgonia.NewTensor(sg.g, tensor.Int, 2, gorgonia.WithShape(shape[0], 2), gorgonia.WithName("lengths"))
	var err error
	if lp {
		sg.out, err = m.LogProbNode(sg.theta, sg.mask, sg.lengths)
	} else {
		sg.out, err = MaskScore(sg.theta, sg.mask)
	}
	if err != nil {
		t.Fatal(err)
	}
	w := tensor.New(tensor.WithShape(len(weights)), tensor.WithBacking(weights))
	if dt == tensor.Float32 {
		f := make([]float32, len(weights))
		for k, x := range weights {
			f[k] = float32(x)
		}
		w = tensor.New(tensor.WithShape(len(weights)), tensor.WithBacking(f))
	}
	prod, err := gorgonia.HadamardProd(sg.out, gorgonia.NewConstant(w))
	if err != nil {
		t.Fatal(err)
	}
	cost, err := gorgonia.Sum(prod)
	if err != nil {
		t.Fatal(err)
	}
	gs, err := gorgonia.Grad(cost, sg.theta)
	if err != nil {
		t.Fatal(err)
	}
	sg.grad = gs[0]
	sg.vm = gorgonia.NewTapeMachine(sg.g)
	return sg
}

func (sg *scoreGraph) run(t *testing.T, theta, mask *tensor.Dense, lenX, lenY []int) ([]float64, []float64) {
	t.Helper()
	lv, err := Lengths(lenX, lenY)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []struct {
		n *gorgonia.Node
		v gorgonia.Value
	}{{sg.theta, theta}, {sg.mask, mask}, {sg.lengths, lv}} {
		if err := gorgonia.Let(b.n, b.v); err != nil {
			t.Fatal(err)
		}
	}
	sg.vm.Reset()
	if err := sg.vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	return float64s(sg.out.Value()), float64s(sg.grad.Value())
}

// fullLengths returns p's lengths with nil expanded.
func (p problem) fullLengths() ([]int, []int) {
	lx, ly := make([]int, p.batch), make([]int, p.batch)
	for b := range p.batch {
		lx[b], ly[b] = p.lengths(b)
	}
	return lx, ly
}

// TestMaskScoreNode checks MaskScore against Scores and its gradient
// against the mask and finite differences, poisons θ past the lengths and
// off the path with NaN and −Inf, and checks that θ's and the mask's
// values are left untouched by the run.
func TestMaskScoreNode(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, m := range []Model{{Semiring: Log}, {Semiring: Log, Mode: Local, Gapped: true, MaxGap: 1}} {
			p := randomProblem(rng, 3, 4, 3, true)
			lx, ly := p.fullLengths()
			paths := make([]Path, p.batch)
			for b := range p.batch {
				all := enumPaths(m, p, b)
				paths[b] = all[rng.IntN(len(all))]
			}
			shape := tensor.Shape{p.batch, p.n, p.mm, 3}
			mask, err := m.Mask(paths, shape, dt, lx, ly)
			if err != nil {
				t.Fatal(err)
			}
			want, err := m.Scores(p.tensor(tensor.Float64), paths, lx, ly)
			if err != nil {
				t.Fatal(err)
			}
			theta := p.tensor(dt)
			poisonPast(theta, p)
			// −Inf off the path: the mask's zeros must not turn it into NaN.
			mv := float64s(mask)
			for k := range mv {
				if mv[k] == 0 && k%5 == 0 {
					setAt(theta, k, math.Inf(-1))
				}
			}
			before, maskBefore := float64s(theta), float64s(mask)
			weights := []float64{1, -2, 0.5}
			sg := newScoreGraph(t, m, shape, dt, weights, false)
			for range 2 { // a second run reuses the machine
				got, grad := sg.run(t, theta, mask, lx, ly)
				tol := 1e-12
				if dt == tensor.Float32 {
					tol = 1e-6
				}
				for b := range p.batch {
					if !closeTo(got[b], want[b], tol) {
						t.Fatalf("%v %v item %d: MaskScore %v, want %v", m, dt, b, got[b], want[b])
					}
				}
				per := p.n * p.mm * 3
				for k, g := range grad {
					if g != weights[k/per]*mv[k] {
						t.Fatalf("%v %v: gradient %d is %v, want %v", m, dt, k, g, weights[k/per]*mv[k])
					}
				}
				if !sameBits(float64s(theta), before) || !sameBits(float64s(mask), maskBefore) {
					t.Fatalf("%v %v: the run wrote into θ's or the mask's value", m, dt)
				}
			}
			sg.vm.Close()
		}
	}
}

func TestMaskScoreErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	th := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(1, 2, 2, 3), gorgonia.WithName("th"))
	m32 := gorgonia.NewTensor(g, tensor.Float32, 4, gorgonia.WithShape(1, 2, 2, 3), gorgonia.WithName("m32"))
	m3 := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(1, 2, 3, 3), gorgonia.WithName("m3"))
	bad := gorgonia.NewTensor(g, tensor.Float64, 3, gorgonia.WithShape(1, 2, 2), gorgonia.WithName("bad"))
	for _, c := range []struct {
		theta, mask *gorgonia.Node
		want        string
	}{
		{nil, th, "nil potentials"},
		{th, nil, "nil mask"},
		{th, m32, "mask has dtype float32"},
		{th, m3, "shape (1, 2, 3, 3)"},
		{bad, bad, "want (batch, N, M, 3)"},
	} {
		if _, err := MaskScore(c.theta, c.mask); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("MaskScore: error %v, want %q", err, c.want)
		}
	}
}

// TestMaskScoreKeepsTheta builds θ inside the graph, as a training loss
// does (θ = 2·w from learnable w), with the loss Σ log Z − MaskScore(θ,
// gold), and checks that θ's value after the run and its gradient are
// still 2·w and mask − marginals: nothing in the graph wrote θ⊙mask into
// θ's value.
func TestMaskScoreKeepsTheta(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	m := Model{Semiring: Log}
	p := randomProblem(rng, 2, 4, 5, true)
	lx, ly := p.fullLengths()
	shape := tensor.Shape{p.batch, p.n, p.mm, 3}
	g := gorgonia.NewGraph()
	w := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(shape...), gorgonia.WithName("w"))
	maskN := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(shape...), gorgonia.WithName("gold"))
	lengths := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(p.batch, 2), gorgonia.WithName("lengths"))
	theta, err := gorgonia.Mul(w, gorgonia.NewConstant(2.0))
	if err != nil {
		t.Fatal(err)
	}
	z, err := m.LogPartitionLengths(theta, lengths)
	if err != nil {
		t.Fatal(err)
	}
	score, err := MaskScore(theta, maskN)
	if err != nil {
		t.Fatal(err)
	}
	diff, err := gorgonia.Sub(z, score)
	if err != nil {
		t.Fatal(err)
	}
	loss, err := gorgonia.Sum(diff)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gorgonia.Grad(loss, w); err != nil {
		t.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	half := p
	half.theta = slices.Clone(p.theta)
	for k := range half.theta {
		half.theta[k] /= 2
	}
	paths := randomPaths(rng, m, p)
	mask, err := m.Mask(paths, shape, tensor.Float64, lx, ly)
	if err != nil {
		t.Fatal(err)
	}
	lv, _ := Lengths(lx, ly)
	gorgonia.Let(w, half.tensor(tensor.Float64))
	gorgonia.Let(maskN, mask)
	gorgonia.Let(lengths, lv)
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	got := float64s(theta.Value())
	for b := range p.batch {
		for i := range lx[b] {
			for j := range ly[b] {
				for c := range 3 {
					k := ((b*p.n+i)*p.mm+j)*3 + c
					if got[k] != p.theta[k] {
						t.Fatalf("θ[%d, %d, %d, %d] is %v after the run, want %v", b, i, j, c, got[k], p.theta[k])
					}
				}
			}
		}
	}
	res, err := m.Marginals(p.tensor(tensor.Float64), lx, ly)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := w.Grad()
	if err != nil {
		t.Fatal(err)
	}
	mv, marg := float64s(mask), float64s(res.Marginals)
	for k, d := range float64s(gw) {
		if want := 2 * (marg[k] - mv[k]); math.Abs(d-want) > 1e-9 {
			t.Fatalf("∂loss/∂w[%d] = %v, want %v", k, d, want)
		}
	}
}
