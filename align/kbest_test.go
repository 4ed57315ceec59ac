package align

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// revlexLess is KBest's documented tie order: steps compared from the last
// backwards by (I, J, Move); a proper suffix first.
func revlexLess(a, b Path) bool {
	for k := 1; ; k++ {
		if k > len(a) || k > len(b) {
			return len(a) < len(b)
		}
		x, y := a[len(a)-k], b[len(b)-k]
		switch {
		case x.I != y.I:
			return x.I < y.I
		case x.J != y.J:
			return x.J < y.J
		case x.Move != y.Move:
			return x.Move < y.Move
		}
	}
}

// sortedPaths returns the enumerated paths of item b of finite score,
// sorted by decreasing score and then by the tie order.
func sortedPaths(m Model, p problem, b int) ([]Path, []float64) {
	type scored struct {
		p Path
		s float64
	}
	var all []scored
	for _, path := range enumPaths(m, p, b) {
		if s := pathScore(p, b, path); !math.IsInf(s, -1) {
			all = append(all, scored{path, s})
		}
	}
	sort.Slice(all, func(x, y int) bool {
		if all[x].s != all[y].s {
			return all[x].s > all[y].s
		}
		return revlexLess(all[x].p, all[y].p)
	})
	paths, scores := make([]Path, len(all)), make([]float64, len(all))
	for k, a := range all {
		paths[k], scores[k] = a.p, a.s
	}
	return paths, scores
}

// thetaKinds fills a problem's potentials three ways: uniform (no ties),
// small integers (many ties, summed exactly), and uniform with a quarter of
// the potentials −Inf (forbidden moves).
var thetaKinds = []struct {
	name string
	fill func(rng *rand.Rand, p problem)
}{
	{"uniform", func(*rand.Rand, problem) {}},
	{"ties", func(rng *rand.Rand, p problem) {
		for k := range p.theta {
			p.theta[k] = float64(rng.IntN(3) - 1)
		}
	}},
	{"-Inf", func(rng *rand.Rand, p problem) {
		for k := range p.theta {
			if rng.IntN(4) == 0 {
				p.theta[k] = math.Inf(-1)
			}
		}
	}},
}

// TestKBest compares KBest and BestPaths with the sorted enumeration of
// every path in every mode, with and without a gap and lengths, for k
// beyond the number of paths and below it.
func TestKBest(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, kind := range thetaKinds {
		for _, m := range gapModels(Max) {
			for n := 1; n <= 4; n++ {
				for mm := 1; mm <= 4; mm++ {
					p := randomProblem(rng, 2, n, mm, true)
					kind.fill(rng, p)
					th := p.tensor(tensor.Float64)
					want := make([][]Path, p.batch)
					wantS := make([][]float64, p.batch)
					most := 0
					for b := range p.batch {
						want[b], wantS[b] = sortedPaths(m, p, b)
						most = max(most, len(want[b]))
					}
					for _, k := range []int{1, 2, 5, most + 2} {
						paths, scores, err := m.KBest(th, k, p.lenX, p.lenY)
						if err != nil {
							t.Fatalf("%s %v %dx%d: %v", kind.name, m, n, mm, err)
						}
						for b := range p.batch {
							w := min(k, len(want[b]))
							if len(paths[b]) != w || len(scores[b]) != w {
								t.Fatalf("%s %v %dx%d item %d k %d: %d paths, want %d", kind.name, m, n, mm, b, k, len(paths[b]), w)
							}
							for r := range w {
								if !slices.Equal(paths[b][r], want[b][r]) || scores[b][r] != wantS[b][r] {
									t.Fatalf("%s %v %dx%d item %d k %d: path %d is %v (%v), want %v (%v)",
										kind.name, m, n, mm, b, k, r, paths[b][r], scores[b][r], want[b][r], wantS[b][r])
								}
							}
						}
					}
					// Small integers are exact in float32: the same paths and
					// scores.
					dt := tensor.Float64
					if kind.name == "ties" {
						dt = tensor.Float32
					}
					best, bestPaths, err := m.BestPaths(p.tensor(dt), p.lenX, p.lenY)
					if err != nil {
						t.Fatal(err)
					}
					for b := range p.batch {
						if len(want[b]) == 0 {
							if !math.IsInf(best[b], -1) || bestPaths[b] != nil {
								t.Fatalf("%s %v item %d: BestPaths %v %v with no path of finite score", kind.name, m, b, best[b], bestPaths[b])
							}
							continue
						}
						if !slices.Equal(bestPaths[b], want[b][0]) || best[b] != wantS[b][0] {
							t.Fatalf("%s %v %v item %d: BestPaths %v (%v), want %v (%v)", kind.name, m, dt, b, bestPaths[b], best[b], want[b][0], wantS[b][0])
						}
					}
				}
			}
		}
	}
}

// TestKBestLarge checks on a larger grid that the k best come in
// non-increasing order, are distinct valid paths scoring what they say,
// and begin with the Max semiring's best score.
func TestKBestLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, m := range gapModels(Max) {
		p := randomProblem(rng, 2, 12, 15, true)
		th := p.tensor(tensor.Float64)
		paths, scores, err := m.KBest(th, 50, p.lenX, p.lenY)
		if err != nil {
			t.Fatal(err)
		}
		for b := range p.batch {
			seen := map[string]bool{}
			for r, path := range paths[b] {
				lx, ly := p.lengths(b)
				if err := m.CheckPaths([]Path{path}, p.n, p.mm, []int{lx}, []int{ly}); err != nil {
					t.Fatalf("%v item %d path %d: %v", m, b, r, err)
				}
				if s := pathScore(p, b, path); s != scores[b][r] {
					t.Fatalf("%v item %d path %d scores %v, KBest says %v", m, b, r, s, scores[b][r])
				}
				if r > 0 && scores[b][r] > scores[b][r-1] {
					t.Fatalf("%v item %d: score %d %v above score %d %v", m, b, r, scores[b][r], r-1, scores[b][r-1])
				}
				key := fmt.Sprint(path)
				if seen[key] {
					t.Fatalf("%v item %d: path %d repeats %v", m, b, r, path)
				}
				seen[key] = true
			}
		}
		res, err := m.Marginals(th, p.lenX, p.lenY)
		if err != nil {
			t.Fatal(err)
		}
		for b := range p.batch {
			if !closeTo(scores[b][0], res.LogZ[b], 1e-12) {
				t.Fatalf("%v item %d: best score %v, Max log Z %v", m, b, scores[b][0], res.LogZ[b])
			}
		}
	}
}

func TestKBestErrors(t *testing.T) {
	m := Model{Semiring: Max}
	th := tensor.New(tensor.WithShape(2, 2, 2, 3), tensor.WithBacking(make([]float64, 24)))
	inf := th.Clone().(*tensor.Dense)
	inf.Data().([]float64)[12+FromAbove+3*2] = math.Inf(1) // item 1, cell (1, 0)
	past := th.Clone().(*tensor.Dense)
	past.Data().([]float64)[12+FromAbove+3*2] = math.NaN() // past lenX = 1 of item 1
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"k", func() error { _, _, err := m.KBest(th, 0, nil, nil); return err }(), "align.KBest: k = 0"},
		{"+Inf", func() error { _, _, err := m.KBest(inf, 2, nil, nil); return err }(), "item 1: potential θ[1, 1, 0, FromAbove] is +Inf"},
		{"BestPaths +Inf", func() error { _, _, err := m.BestPaths(inf, nil, nil); return err }(), "align.BestPaths: item 1"},
		{"nil", func() error { _, _, err := m.KBest(nil, 1, nil, nil); return err }(), "nil potentials"},
		{"lengths", func() error { _, _, err := m.KBest(th, 1, []int{1}, nil); return err }(), "lenX has 1 lengths for batch 2"},
		{"past", func() error { _, _, err := m.KBest(past, 1, []int{2, 1}, nil); return err }(), ""},
	} {
		if c.want == "" {
			if c.err != nil {
				t.Errorf("%s: %v, want no error (NaN past a length)", c.name, c.err)
			}
			continue
		}
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, c.err, c.want)
		}
	}
}
