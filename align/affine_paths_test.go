package align

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/genband/genband/align/internal/lattice"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The path functions (CheckPaths, Mask, PathsFromMask, Scores, MaskScore,
// BestPaths, KBest, BestMask) under every topology, against the engine's
// brute-force enumeration (lattice.Enumerate): affine with and without
// turns, and linear as a control, in every mode, with and without a gap,
// with ragged lengths and N, M ≤ 4.

// topoModels is every mode, with and without a gap, of the affine model
// with and without turns and of the linear one.
func topoModels() []Model {
	var ms []Model
	for _, top := range []struct{ affine, noTurns bool }{{true, false}, {true, true}, {false, false}} {
		for _, mode := range pathModes {
			for _, gap := range []int{-1, 0, 1} {
				ms = append(ms, Model{Semiring: Max, Mode: mode, Gapped: gap >= 0, MaxGap: max(gap, 0), Affine: top.affine, NoTurns: top.noTurns})
			}
		}
	}
	return ms
}

// topoProblem is a random case of m's shape: potentials (batch, n, mm, C)
// in dtype dt (theta holds them as that dtype rounds them), ragged lengths
// (item 0 full), filled by kind.
type topoProblem struct {
	m            Model
	dt           tensor.Dtype
	batch, n, mm int
	theta        []float64
	lenX, lenY   []int
}

func newTopoProblem(rng *rand.Rand, m Model, dt tensor.Dtype, kind string, batch, n, mm int) topoProblem {
	nc := m.Channels()
	p := topoProblem{m: m, dt: dt, batch: batch, n: n, mm: mm, theta: make([]float64, batch*n*mm*nc),
		lenX: make([]int, batch), lenY: make([]int, batch)}
	for b := range batch {
		p.lenX[b], p.lenY[b] = 1+rng.IntN(n), 1+rng.IntN(mm)
	}
	p.lenX[0], p.lenY[0] = n, mm
	for k := range p.theta {
		switch kind {
		case "ties":
			p.theta[k] = float64(rng.IntN(3) - 1)
		case "-Inf":
			p.theta[k] = rng.Float64()*2 - 1
			if rng.IntN(4) == 0 {
				p.theta[k] = math.Inf(-1)
			}
		default:
			p.theta[k] = rng.Float64()*2 - 1
		}
		if dt == tensor.Float32 {
			p.theta[k] = float64(float32(p.theta[k]))
		}
	}
	// What no path may use is NaN or +Inf: it must not be read.
	for b := range batch {
		l := p.lat(b)
		for i := range n {
			for j := range mm {
				for c := range nc {
					if !l.Used(i, j, c) {
						p.theta[p.at(b, i, j, c)] = [2]float64{math.NaN(), math.Inf(1)}[rng.IntN(2)]
					}
				}
			}
		}
	}
	return p
}

func (p topoProblem) lat(b int) *lattice.Lattice { return p.m.lat(p.lenX[b], p.lenY[b]) }

func (p topoProblem) at(b, i, j, c int) int { return ((b*p.n+i)*p.mm+j)*p.m.Channels() + c }

func (p topoProblem) shape() tensor.Shape { return tensor.Shape{p.batch, p.n, p.mm, p.m.Channels()} }

func (p topoProblem) tensor() *tensor.Dense {
	if p.dt == tensor.Float32 {
		f := make([]float32, len(p.theta))
		for k, v := range p.theta {
			f[k] = float32(v)
		}
		return tensor.New(tensor.WithShape(p.shape()...), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(p.shape()...), tensor.WithBacking(slices.Clone(p.theta)))
}

// score sums θ along path from its first step, in float64.
func (p topoProblem) score(b int, path Path) float64 {
	var s float64
	for _, st := range path {
		s += p.theta[p.at(b, st.I, st.J, st.Move)]
	}
	return s
}

// paths returns every path of item b, by the engine's enumeration.
func (p topoProblem) paths(b int) []Path {
	var out []Path
	lattice.Enumerate(p.lat(b), func(ps []lattice.Step) {
		path := make(Path, len(ps))
		for k, s := range ps {
			path[k] = Step{s.I, s.J, s.C}
		}
		out = append(out, path)
	})
	return out
}

func (p topoProblem) String() string {
	return fmt.Sprintf("%v %v %dx%d lengths %v %v", p.m, p.dt, p.n, p.mm, p.lenX, p.lenY)
}

// optionOf returns the index, in top.In of its state, of the option by
// which path enters step k.
func optionOf(top *lattice.Topology, path Path, k int) int {
	s := top.StateOf(path[k].Move)
	for o, op := range top.In[s] {
		if op.Channel != path[k].Move {
			continue
		}
		if op.Start && k == 0 || !op.Start && k > 0 && op.From == top.StateOf(path[k-1].Move) {
			return o
		}
	}
	panic(fmt.Sprintf("step %d of %v is no option of the %s model", k, path, top.Name))
}

// tieLess is KBest's documented tie order, for any topology: the last
// steps by (I, J, state); then, back along the steps the two share, by
// the option that enters the shared step in the topology's tie order (for
// the linear model, revlexLess).
func tieLess(top *lattice.Topology, a, b Path) bool {
	x, y := a[len(a)-1], b[len(b)-1]
	if x.I != y.I || x.J != y.J {
		return x.I < y.I || x.I == y.I && x.J < y.J
	}
	if sx, sy := top.StateOf(x.Move), top.StateOf(y.Move); sx != sy {
		return sx < sy
	}
	for k := 1; k <= min(len(a), len(b)); k++ {
		oa, ob := optionOf(top, a, len(a)-k), optionOf(top, b, len(b)-k)
		if oa != ob {
			return oa < ob
		}
		if top.In[top.StateOf(a[len(a)-k].Move)][oa].Start {
			return false
		}
	}
	return false
}

var topoKinds = []string{"uniform", "ties", "-Inf"}

// TestTopoKBest compares KBest, BestPaths and BestMask with the sorted
// enumeration of every path of finite score: the scores exactly (the same
// float64 sums in the same order), the paths in the documented tie order,
// for k = 1, 2, 5 and past the number of paths.
func TestTopoKBest(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, kind := range topoKinds {
			for _, m := range topoModels() {
				for n := 1; n <= 4; n++ {
					for mm := 1; mm <= 4; mm++ {
						checkTopoKBest(t, newTopoProblem(rng, m, dt, kind, 2, n, mm), kind)
					}
				}
			}
		}
	}
}

func checkTopoKBest(t *testing.T, p topoProblem, kind string) {
	t.Helper()
	top := p.m.top()
	want := make([][]Path, p.batch)
	wantS := make([][]float64, p.batch)
	most := 0
	for b := range p.batch {
		all := p.paths(b)
		if len(all) == 0 {
			t.Fatalf("%s %v: item %d has no path", kind, p, b)
		}
		for _, path := range all {
			if s := p.score(b, path); !math.IsInf(s, -1) {
				want[b], wantS[b] = append(want[b], path), append(wantS[b], s)
			}
		}
		idx := make([]int, len(want[b]))
		for k := range idx {
			idx[k] = k
		}
		sort.Slice(idx, func(x, y int) bool {
			if sx, sy := wantS[b][idx[x]], wantS[b][idx[y]]; sx != sy {
				return sx > sy
			}
			return tieLess(top, want[b][idx[x]], want[b][idx[y]])
		})
		ps, ss := make([]Path, len(idx)), make([]float64, len(idx))
		for k, x := range idx {
			ps[k], ss[k] = want[b][x], wantS[b][x]
		}
		want[b], wantS[b] = ps, ss
		most = max(most, len(ps))
	}
	th := p.tensor()
	for _, k := range []int{1, 2, 5, most + 2} {
		paths, scores, err := p.m.KBest(th, k, p.lenX, p.lenY)
		if err != nil {
			t.Fatalf("%s %v k %d: %v", kind, p, k, err)
		}
		for b := range p.batch {
			w := min(k, len(want[b]))
			if len(paths[b]) != w || len(scores[b]) != w {
				t.Fatalf("%s %v item %d k %d: %d paths and %d scores, want %d", kind, p, b, k, len(paths[b]), len(scores[b]), w)
			}
			for r := range w {
				if scores[b][r] != wantS[b][r] {
					t.Fatalf("%s %v item %d k %d: score %d is %v, want %v", kind, p, b, k, r, scores[b][r], wantS[b][r])
				}
				if !slices.Equal(paths[b][r], want[b][r]) {
					t.Fatalf("%s %v item %d k %d: path %d is %v, want %v (score %v)", kind, p, b, k, r, paths[b][r], want[b][r], wantS[b][r])
				}
			}
		}
	}
	scores, best, err := p.m.BestPaths(th, p.lenX, p.lenY)
	if err != nil {
		t.Fatalf("%s %v: BestPaths: %v", kind, p, err)
	}
	for b := range p.batch {
		if len(want[b]) == 0 {
			if !math.IsInf(scores[b], -1) || best[b] != nil {
				t.Fatalf("%s %v item %d: BestPaths gives %v and %v, want −Inf and no path", kind, p, b, scores[b], best[b])
			}
			continue
		}
		if scores[b] != wantS[b][0] || !slices.Equal(best[b], want[b][0]) {
			t.Fatalf("%s %v item %d: BestPaths gives %v (%v), want %v (%v)", kind, p, b, best[b], scores[b], want[b][0], wantS[b][0])
		}
	}
	if kind == "uniform" && p.n == 3 && p.mm == 4 {
		checkTopoBestMask(t, p, best)
	}
}

// checkTopoBestMask runs BestMask on p and compares its mask with the
// best paths' (a zero mask for an item with none).
func checkTopoBestMask(t *testing.T, p topoProblem, best []Path) {
	t.Helper()
	g := gorgonia.NewGraph()
	theta := gorgonia.NewTensor(g, p.dt, 4, gorgonia.WithShape(p.shape()...), gorgonia.WithName("theta"))
	lengths := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(p.batch, 2), gorgonia.WithName("lengths"))
	mask, err := p.m.BestMask(theta, lengths)
	if err != nil {
		t.Fatalf("%v: BestMask: %v", p, err)
	}
	lv, err := Lengths(p.lenX, p.lenY)
	must(t, err)
	must(t, gorgonia.Let(theta, p.tensor()))
	must(t, gorgonia.Let(lengths, lv))
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatalf("%v: BestMask run: %v", p, err)
	}
	got := float64s(mask.Value())
	want := make([]float64, len(got))
	for b, path := range best {
		for _, s := range path {
			want[p.at(b, s.I, s.J, s.Move)] = 1
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%v: BestMask gives %v, want the best paths' mask %v", p, got, want)
	}
}

// TestTopoCheckPaths checks that CheckPaths accepts every enumerated path
// and, for every path, step and other channel, accepts the path with that
// step's Move changed exactly when the result is also enumerated; and that
// each way of breaking an affine path is reported at the right step.
func TestTopoCheckPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	for _, m := range topoModels() {
		for n := 1; n <= 4; n++ {
			for mm := 1; mm <= 4; mm++ {
				p := newTopoProblem(rng, m, tensor.Float64, "uniform", 2, n, mm)
				for b := range p.batch {
					all := p.paths(b)
					set := make(map[string]bool, len(all))
					for _, path := range all {
						set[fmt.Sprint(path)] = true
					}
					check := func(path Path) error {
						return m.CheckPaths([]Path{path}, n, mm, p.lenX[b:b+1], p.lenY[b:b+1])
					}
					for _, path := range all {
						if err := check(path); err != nil {
							t.Fatalf("%v item %d: enumerated path %v: %v", p, b, path, err)
						}
						for k := range path {
							for c := range m.Channels() + 1 {
								if c == path[k].Move {
									continue
								}
								q := slices.Clone(path)
								q[k].Move = c
								err := check(q)
								var pe *PathError
								switch {
								case set[fmt.Sprint(q)] && err != nil:
									t.Fatalf("%v item %d: enumerated path %v: %v", p, b, q, err)
								case !set[fmt.Sprint(q)] && !errors.As(err, &pe):
									t.Fatalf("%v item %d: %v is no path, got error %v", p, b, q, err)
								case pe != nil && (pe.Step != k || !errors.Is(err, ErrPath)):
									t.Fatalf("%v item %d: %v, changed at step %d, fails at step %d: %v", p, b, q, k, pe.Step, err)
								}
							}
						}
					}
				}
			}
		}
	}
	turns, noTurns := Model{Affine: true}, Model{Affine: true, NoTurns: true}
	local := Model{Affine: true, Mode: Local}
	cases := []struct {
		name string
		m    Model
		path Path
		step int
		msg  string
	}{
		{"turn", noTurns, Path{{0, 0, Match}, {0, 1, OpenLeft}, {1, 1, OpenAbove}, {2, 2, Match}}, 2, "(1, 1) entered OpenAbove cannot follow a step in the left gap state"},
		{"turn back", noTurns, Path{{0, 0, Match}, {1, 0, OpenAbove}, {1, 1, OpenLeft}, {2, 2, Match}}, 2, "(1, 1) entered OpenLeft cannot follow a step in the above gap state"},
		{"extend left after a match", turns, Path{{0, 0, Match}, {0, 1, ExtendLeft}, {1, 2, Match}, {2, 2, OpenAbove}}, 1, "(0, 1) entered ExtendLeft cannot follow a step in the match state"},
		{"extend above after a match", turns, Path{{0, 0, Match}, {1, 0, ExtendAbove}, {2, 1, Match}, {2, 2, OpenLeft}}, 1, "(1, 0) entered ExtendAbove cannot follow a step in the match state"},
		{"extend above after a left gap", turns, Path{{0, 0, Match}, {0, 1, OpenLeft}, {1, 1, ExtendAbove}, {2, 2, Match}}, 2, "cannot follow a step in the left gap state"},
		{"open left after a left gap", turns, Path{{0, 0, Match}, {0, 1, OpenLeft}, {0, 2, OpenLeft}, {1, 2, OpenAbove}, {2, 2, ExtendAbove}}, 2, "(0, 2) entered OpenLeft cannot follow a step in the left gap state"},
		{"start", local, Path{{1, 1, OpenLeft}}, 0, "the first step enters (1, 1) OpenLeft, want Match"},
		{"bad move", turns, Path{{0, 0, Match}, {1, 1, 5}, {2, 2, Match}}, 1, "move 5 at (1, 1)"},
		{"jump", turns, Path{{0, 0, Match}, {0, 2, ExtendLeft}, {1, 2, OpenAbove}, {2, 2, ExtendAbove}}, 1, "(0, 2) entered ExtendLeft comes from (0, 1), but the previous step is (0, 0)"},
		{"end", turns, Path{{0, 0, Match}, {1, 1, Match}}, 1, "cannot end at (1, 1)"},
	}
	for _, c := range cases {
		// Item 0 holds a good path, so the error must name item 1.
		err := c.m.CheckPaths([]Path{{{0, 0, Match}}, c.path}, 3, 3, []int{1, 3}, []int{1, 3})
		var pe *PathError
		if !errors.As(err, &pe) || !errors.Is(err, ErrPath) {
			t.Errorf("%s: error %v, want a *PathError", c.name, err)
			continue
		}
		if pe.Item != 1 || pe.Step != c.step || !strings.Contains(pe.Msg, c.msg) || pe.Op != "CheckPaths" {
			t.Errorf("%s: %v (item %d step %d), want item 1 step %d and %q", c.name, err, pe.Item, pe.Step, c.step, c.msg)
		}
	}
	// The turns the NoTurns cases refuse are paths with turns.
	for _, c := range cases[:2] {
		if err := turns.CheckPaths([]Path{c.path}, 3, 3, nil, nil); err != nil {
			t.Errorf("%s with turns: %v", c.name, err)
		}
	}
}

// TestTopoMask converts random enumerated paths to masks and back, in both
// dtypes, and checks Scores and MaskScore (value and gradient) against the
// direct sum of θ along each path, with NaN and +Inf where no path may
// read.
func TestTopoMask(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, kind := range topoKinds {
			for _, m := range topoModels() {
				for _, size := range [][2]int{{1, 1}, {2, 3}, {4, 4}, {4, 2}} {
					p := newTopoProblem(rng, m, dt, kind, 3, size[0], size[1])
					checkTopoMask(t, p, rng, kind)
				}
			}
		}
	}
}

func checkTopoMask(t *testing.T, p topoProblem, rng *rand.Rand, kind string) {
	t.Helper()
	m := p.m
	paths := make([]Path, p.batch)
	want := make([]float64, p.batch)
	for b := range p.batch {
		all := p.paths(b)
		paths[b] = all[rng.IntN(len(all))]
		want[b] = p.score(b, paths[b])
	}
	mask, err := m.Mask(paths, p.shape(), p.dt, p.lenX, p.lenY)
	if err != nil {
		t.Fatalf("%s %v: Mask: %v", kind, p, err)
	}
	if mask.Dtype() != p.dt || !mask.Shape().Eq(p.shape()) {
		t.Fatalf("%s %v: Mask gives %v %v, want %v %v", kind, p, mask.Dtype(), mask.Shape(), p.dt, p.shape())
	}
	mv := float64s(mask)
	ones := 0
	for b, path := range paths {
		for _, s := range path {
			if mv[p.at(b, s.I, s.J, s.Move)] != 1 {
				t.Fatalf("%s %v: Mask misses step %v of item %d", kind, p, s, b)
			}
			ones++
		}
	}
	var sum float64
	for _, v := range mv {
		sum += v
	}
	if sum != float64(ones) {
		t.Fatalf("%s %v: the mask sums to %v, want its paths' %d steps", kind, p, sum, ones)
	}
	back, err := m.PathsFromMask(mask, p.lenX, p.lenY)
	if err != nil {
		t.Fatalf("%s %v: PathsFromMask: %v", kind, p, err)
	}
	for b := range paths {
		if !slices.Equal(back[b], paths[b]) {
			t.Fatalf("%s %v item %d: PathsFromMask gives %v, want %v", kind, p, b, back[b], paths[b])
		}
	}
	got, err := m.Scores(p.tensor(), paths, p.lenX, p.lenY)
	if err != nil {
		t.Fatalf("%s %v: Scores: %v", kind, p, err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s %v: Scores gives %v, want %v", kind, p, got, want)
	}
	// MaskScore sums in float64 too, but in the mask's order (row-major)
	// and rounds to the dtype.
	weights := []float64{1, -2, 0.5}[:p.batch]
	sg := newScoreGraph(t, m, p.shape(), p.dt, weights, false)
	defer sg.vm.Close()
	val, grad := sg.run(t, p.tensor(), mask, p.lenX, p.lenY)
	tol := 1e-12
	if p.dt == tensor.Float32 {
		tol = 1e-6
	}
	for b := range p.batch {
		if !closeTo(val[b], want[b], tol) && !(math.IsInf(want[b], -1) && math.IsInf(val[b], -1)) {
			t.Fatalf("%s %v item %d: MaskScore gives %v, want %v", kind, p, b, val[b], want[b])
		}
	}
	per := len(mv) / p.batch
	for k, g := range grad {
		if w := weights[k/per] * mv[k]; g != w {
			t.Fatalf("%s %v: MaskScore's gradient [%d] is %v, want %v", kind, p, k, g, w)
		}
	}
	// A changed mask element is refused; so is a mask of the other model's
	// channels.
	bad := mask.Clone().(*tensor.Dense)
	setAt(bad, 0, 0.5)
	if _, err := m.PathsFromMask(bad, p.lenX, p.lenY); !errors.Is(err, ErrPath) || !strings.Contains(err.Error(), p.m.top().ChannelName(0)) {
		t.Fatalf("%s %v: PathsFromMask of a mask holding 0.5: %v, want ErrPath naming %s", kind, p, err, p.m.top().ChannelName(0))
	}
	other := Model{Mode: m.Mode, Affine: !m.Affine}
	if _, err := other.PathsFromMask(mask, p.lenX, p.lenY); !errors.Is(err, ErrShape) {
		t.Fatalf("%s %v: %v's PathsFromMask of the mask: %v, want ErrShape", kind, p, other, err)
	}
}

// TestTopoFinite puts NaN and +Inf, one at a time, in every potential of
// an item: the eager functions refuse it, naming the item and the channel,
// exactly where lattice.Used says some path may read it, which covers
// every potential an enumerated path reads; elsewhere they ignore it.
func TestTopoFinite(t *testing.T) {
	rng := rand.New(rand.NewPCG(47, 48))
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, m := range topoModels() {
			for _, size := range [][2]int{{1, 1}, {2, 3}, {3, 3}, {4, 2}} {
				p := newTopoProblem(rng, m, dt, "uniform", 2, size[0], size[1])
				b := 1
				read := map[[3]int]bool{}
				for _, path := range p.paths(b) {
					for _, s := range path {
						read[[3]int{s.I, s.J, s.Move}] = true
					}
				}
				// A path of item 1 for Scores: its best.
				_, best, err := m.BestPaths(p.tensor(), p.lenX, p.lenY)
				if err != nil {
					t.Fatalf("%v: %v", p, err)
				}
				l := p.lat(b)
				for i := range p.n {
					for j := range p.mm {
						for c := range m.Channels() {
							used := l.Used(i, j, c)
							if read[[3]int{i, j, c}] && !used {
								t.Fatalf("%v: a path reads θ[%d, %d, %d, %d], which lattice.Used calls unused", p, b, i, j, c)
							}
							q := p
							q.theta = slices.Clone(p.theta)
							bad := [2]float64{math.NaN(), math.Inf(1)}[rng.IntN(2)]
							q.theta[q.at(b, i, j, c)] = bad
							th := q.tensor()
							for _, f := range []struct {
								name string
								run  func() error
							}{
								{"BestPaths", func() error { _, _, err := m.BestPaths(th, q.lenX, q.lenY); return err }},
								{"KBest", func() error { _, _, err := m.KBest(th, 3, q.lenX, q.lenY); return err }},
								{"Scores", func() error { _, err := m.Scores(th, best, q.lenX, q.lenY); return err }},
							} {
								err := f.run()
								wantMsg := fmt.Sprintf("align.%s: item 1: potential θ[1, %d, %d, %s] is %v, want a finite value or −Inf", f.name, i, j, m.top().ChannelName(c), bad)
								switch {
								case used && (!errors.Is(err, ErrPotential) || err.Error() != wantMsg):
									t.Fatalf("%v: %s with θ[1, %d, %d, %d] = %v: %v, want %q", p, f.name, i, j, c, bad, err, wantMsg)
								case !used && err != nil:
									t.Fatalf("%v: %s with θ[1, %d, %d, %d] = %v, which no path may use: %v", p, f.name, i, j, c, bad, err)
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestTopoLinearAsAffine checks that the affine model with Open = Extend
// (and turns) is the linear one: with potentials of no ties, the same k
// best scores, and paths through the same cells by the same directions.
func TestTopoLinearAsAffine(t *testing.T) {
	rng := rand.New(rand.NewPCG(49, 50))
	// The linear channel of each affine one.
	linear := [5]int{Match: FromDiag, OpenLeft: FromLeft, ExtendLeft: FromLeft, OpenAbove: FromAbove, ExtendAbove: FromAbove}
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, lin := range gapModels(Max) {
			aff := lin
			aff.Affine = true
			for _, size := range [][2]int{{1, 1}, {3, 2}, {4, 4}} {
				lp := newTopoProblem(rng, lin, dt, "uniform", 2, size[0], size[1])
				ap := topoProblem{m: aff, dt: dt, batch: lp.batch, n: lp.n, mm: lp.mm, lenX: lp.lenX, lenY: lp.lenY,
					theta: make([]float64, lp.batch*lp.n*lp.mm*5)}
				for b := range lp.batch {
					for i := range lp.n {
						for j := range lp.mm {
							for c, from := range linear {
								ap.theta[ap.at(b, i, j, c)] = lp.theta[lp.at(b, i, j, from)]
							}
						}
					}
				}
				lpaths, lscores, err := lin.KBest(lp.tensor(), 6, lp.lenX, lp.lenY)
				must(t, err)
				apaths, ascores, err := aff.KBest(ap.tensor(), 6, ap.lenX, ap.lenY)
				must(t, err)
				for b := range lp.batch {
					if !slices.Equal(lscores[b], ascores[b]) {
						t.Fatalf("%v: item %d: affine k best scores %v, want the linear %v", lp, b, ascores[b], lscores[b])
					}
					for r, path := range apaths[b] {
						as := make(Path, len(path))
						for k, s := range path {
							as[k] = Step{s.I, s.J, linear[s.Move]}
						}
						if !slices.Equal(as, lpaths[b][r]) {
							t.Fatalf("%v: item %d: affine path %d is %v, want the linear %v", lp, b, r, path, lpaths[b][r])
						}
					}
				}
			}
		}
	}
}

// TestTopoOptions checks that every topology fits the k-best search's
// candidate slots.
func TestTopoOptions(t *testing.T) {
	for _, top := range []*lattice.Topology{lattice.Linear, lattice.Affine(false), lattice.Affine(true)} {
		if top.MaxOptions() > maxOptions {
			t.Errorf("the %s model has %d options into a state, the k-best search room for %d", top.Name, top.MaxOptions(), maxOptions)
		}
	}
}
