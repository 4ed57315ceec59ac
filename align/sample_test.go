package align

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
	"gorgonia.org/tensor"
)

// TestSampleChiSquare draws 20,000 paths of a 3×3 grid (and of a shorter
// item beside it) in every mode, with and without a gap, and checks the
// frequency of every path against its enumerated probability with a
// chi-square test at p > 0.001; paths of expected count below 5 share a bin.
func TestSampleChiSquare(t *testing.T) {
	const draws = 20000
	rng := rand.New(rand.NewPCG(23, 24))
	for _, m := range gapModels(Log) {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			p := randomProblem(rng, 2, 3, 3, false)
			p.lenX, p.lenY = []int{3, 2}, []int{3, 3}
			for k := range p.theta {
				p.theta[k] *= 1.5
			}
			if dt == tensor.Float32 {
				p.theta = float64s(p.tensor(dt))
			}
			th := p.tensor(dt)
			poisonPast(th, p)
			got, err := m.Sample(th, draws, rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())), p.lenX, p.lenY)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != draws {
				t.Fatalf("%v: %d draws, want %d", m, len(got), draws)
			}
			for b := range p.batch {
				paths := enumPaths(m, p, b)
				logZ := enumLogZ(m, p, b)
				index := map[string]int{}
				for k, path := range paths {
					index[pathKey(path)] = k
				}
				counts := make([]float64, len(paths))
				for s := range draws {
					k, ok := index[pathKey(got[s][b])]
					if !ok {
						t.Fatalf("%v item %d: drew %v, not a path", m, b, got[s][b])
					}
					counts[k]++
				}
				var stat, poolObs, poolExp float64
				bins := 0
				for k, path := range paths {
					e := draws * math.Exp(pathScore(p, b, path)-logZ)
					if e < 5 {
						poolObs += counts[k]
						poolExp += e
						continue
					}
					stat += (counts[k] - e) * (counts[k] - e) / e
					bins++
				}
				if poolExp > 0 {
					stat += (poolObs - poolExp) * (poolObs - poolExp) / poolExp
					bins++
				}
				if bins < 2 {
					if counts[0] != draws {
						t.Fatalf("%v item %d: one path, drawn %v times of %d", m, b, counts[0], draws)
					}
					continue
				}
				pv := distuv.ChiSquared{K: float64(bins - 1)}.Survival(stat)
				if pv <= 0.001 {
					t.Errorf("%v %v item %d: χ² %v over %d bins (%d paths), p = %v", m, dt, b, stat, bins, len(paths), pv)
				}
			}
		}
	}
}

// pathKey is a map key of a path of a small grid.
func pathKey(p Path) string {
	k := make([]byte, 0, 3*len(p))
	for _, s := range p {
		k = append(k, byte(s.I), byte(s.J), byte(s.Move))
	}
	return string(k)
}

// TestSampleDetects checks that the chi-square statistic of the test above
// rejects draws from the wrong distribution: samples of θ/2 against the
// probabilities of θ.
func TestSampleDetects(t *testing.T) {
	const draws = 20000
	rng := rand.New(rand.NewPCG(25, 26))
	m := Model{Semiring: Log, Mode: Local}
	p := randomProblem(rng, 1, 3, 3, false)
	half := problem{batch: 1, n: 3, mm: 3, theta: slices.Clone(p.theta)}
	for k := range half.theta {
		half.theta[k] /= 2
	}
	got, err := m.Sample(half.tensor(tensor.Float64), draws, rand.New(rand.NewPCG(1, 1)), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	paths := enumPaths(m, p, 0)
	logZ := enumLogZ(m, p, 0)
	counts := map[string]float64{}
	for s := range draws {
		counts[pathKey(got[s][0])]++
	}
	var stat float64
	for _, path := range paths {
		e := draws * math.Exp(pathScore(p, 0, path)-logZ)
		o := counts[pathKey(path)]
		stat += (o - e) * (o - e) / e
	}
	if pv := (distuv.ChiSquared{K: float64(len(paths) - 1)}).Survival(stat); pv > 1e-6 {
		t.Errorf("draws of θ/2 pass as draws of θ: p = %v", pv)
	}
}

// TestSampleDeterministic checks that one seed gives the same draws, and
// that draws of one call and of separate calls share the forward pass's
// results (a draw only reads rng).
func TestSampleDeterministic(t *testing.T) {
	p := randomProblem(rand.New(rand.NewPCG(27, 28)), 2, 6, 7, true)
	m := Model{Semiring: Log, Mode: SemiGlobal}
	th := p.tensor(tensor.Float64)
	a, err := m.Sample(th, 50, rand.New(rand.NewPCG(5, 5)), p.lenX, p.lenY)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Sample(th, 50, rand.New(rand.NewPCG(5, 5)), p.lenX, p.lenY)
	if err != nil {
		t.Fatal(err)
	}
	for s := range a {
		for x := range a[s] {
			if !slices.Equal(a[s][x], b[s][x]) {
				t.Fatalf("draw %d item %d: %v, then %v", s, x, a[s][x], b[s][x])
			}
		}
		if err := m.CheckPaths(a[s], p.n, p.mm, p.lenX, p.lenY); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSampleErrors(t *testing.T) {
	th := tensor.New(tensor.WithShape(1, 2, 2, 3), tensor.WithBacking(make([]float64, 12)))
	rng := rand.New(rand.NewPCG(1, 2))
	log := Model{Semiring: Log}
	inf := th.Clone().(*tensor.Dense)
	inf.Data().([]float64)[3*2+FromAbove] = math.Inf(1)
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"n", func() error { _, err := log.Sample(th, 0, rng, nil, nil); return err }(), "align.Sample: n = 0"},
		{"rng", func() error { _, err := log.Sample(th, 1, nil, nil, nil); return err }(), "nil random source"},
		{"semiring", func() error { _, err := (Model{Semiring: Real}).Sample(th, 1, rng, nil, nil); return err }(), "semiring is Real"},
		{"+Inf", func() error { _, err := log.Sample(inf, 1, rng, nil, nil); return err }(), "item 0: potential θ[0, 1, 0, FromAbove] is +Inf"},
		{"dtype", func() error {
			_, err := log.Sample(tensor.New(tensor.WithShape(1, 1, 1, 3), tensor.WithBacking([]int{0, 0, 0})), 1, rng, nil, nil)
			return err
		}(), "dtype int"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, c.err, c.want)
		}
	}
}
