package align

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/align/internal/lattice"
	"gonum.org/v1/gonum/stat/distuv"
	"gorgonia.org/tensor"
)

// This file checks LogProbs, Sample and the LogProb node of the affine
// model (with and without turns) against the engine's enumeration of
// every path (lattice.Enumerate), on every shape up to 4×4, in every mode,
// with and without MaxGap, with ragged lengths, random −Inf patterns and
// NaN or +Inf in every potential no path may use.

// affineCase is a batch of small affine items: potentials (batch, n, mm,
// 5) already rounded to the dtype, and every item's paths and their
// scores by enumeration.
type affineCase struct {
	m            Model
	batch, n, mm int
	lx, ly       []int
	theta        []float64
	paths        [][]Path
	scores       [][]float64
}

func (c *affineCase) name(dt tensor.Dtype) string {
	return fmt.Sprintf("%v %v %d×%d lengths %v×%v", c.m, dt, c.n, c.mm, c.lx, c.ly)
}

// tensor returns the potentials in dt.
func (c *affineCase) tensor(dt tensor.Dtype) *tensor.Dense {
	return denseOf(c.theta, dt, c.batch, c.n, c.mm, 5)
}

func denseOf(x []float64, dt tensor.Dtype, shape ...int) *tensor.Dense {
	if dt == tensor.Float32 {
		f := make([]float32, len(x))
		for k, v := range x {
			f[k] = float32(v)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), x...)))
}

// logZ is item b's log partition by enumeration.
func (c *affineCase) logZ(b int) float64 {
	m := math.Inf(-1)
	for _, s := range c.scores[b] {
		m = max(m, s)
	}
	if math.IsInf(m, -1) {
		return m
	}
	var s float64
	for _, x := range c.scores[b] {
		s += math.Exp(x - m)
	}
	return m + math.Log(s)
}

// newAffineCase draws a case of batch 3 for m: shape n×mm, lengths ragged
// (the first item full), potentials normal with about dens of those a
// path may use −Inf, NaN or +Inf (alternately) where no path may read
// them, all rounded to dt. It redraws the −Inf pattern of an item until
// some path of it scores above −Inf.
func newAffineCase(rng *rand.Rand, m Model, dt tensor.Dtype, n, mm int, dens float64) *affineCase {
	const batch = 3
	c := &affineCase{m: m, batch: batch, n: n, mm: mm, theta: make([]float64, batch*n*mm*5)}
	c.paths, c.scores = make([][]Path, batch), make([][]float64, batch)
	for b := range batch {
		lx, ly := n, mm
		if b > 0 {
			lx, ly = 1+rng.IntN(n), 1+rng.IntN(mm)
		}
		c.lx, c.ly = append(c.lx, lx), append(c.ly, ly)
		l := m.lat(lx, ly)
		th := c.theta[b*n*mm*5 : (b+1)*n*mm*5]
		for try := 0; ; try++ {
			for i := range n {
				for j := range mm {
					for ch := range 5 {
						v := rng.NormFloat64()
						switch {
						case !l.Used(i, j, ch):
							v = math.NaN()
							if (i+j+ch)%2 == 0 {
								v = math.Inf(1)
							}
						case try < 20 && rng.Float64() < dens:
							v = math.Inf(-1)
						case dt == tensor.Float32:
							v = float64(float32(v))
						}
						th[(i*mm+j)*5+ch] = v
					}
				}
			}
			c.paths[b], c.scores[b] = nil, nil
			lattice.Enumerate(l, func(p []lattice.Step) {
				path := make(Path, len(p))
				var s float64
				for k, st := range p {
					path[k] = Step{I: st.I, J: st.J, Move: st.C}
					s += th[(st.I*mm+st.J)*5+st.C]
				}
				c.paths[b], c.scores[b] = append(c.paths[b], path), append(c.scores[b], s)
			})
			if !math.IsInf(c.logZ(b), -1) {
				break
			}
		}
	}
	return c
}

// affineModels lists the affine models of the tests: with and without
// turns, every mode, with and without MaxGap.
func affineModels() []Model {
	var ms []Model
	for _, noTurns := range []bool{false, true} {
		for _, mode := range []Mode{Global, Local, SemiGlobal} {
			for _, gap := range []int{-1, 0, 1} {
				ms = append(ms, Model{Semiring: Log, Mode: mode, Gapped: gap >= 0, MaxGap: max(gap, 0), Affine: true, NoTurns: noTurns})
			}
		}
	}
	return ms
}

// TestAffineLogProbs checks LogProbs on every enumerated path of every
// item: each is its score less the enumerated log Z, so that their
// probabilities sum to 1. An item's paths go in one call, one batch item
// a path, each with the item's potentials.
func TestAffineLogProbs(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, m := range affineModels() {
		for n := 1; n <= 4; n++ {
			for mm := 1; mm <= 4; mm++ {
				for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
					dens := []float64{0, 0.2, 0.35}[rng.IntN(3)]
					c := newAffineCase(rng, m, dt, n, mm, dens)
					for b := range c.batch {
						checkAffineLogProbs(t, c, b, dt)
					}
				}
			}
		}
	}
}

func checkAffineLogProbs(t *testing.T, c *affineCase, b int, dt tensor.Dtype) {
	t.Helper()
	per := c.n * c.mm * 5
	k := len(c.paths[b])
	th := make([]float64, 0, k*per)
	lx, ly := make([]int, k), make([]int, k)
	for p := range k {
		th = append(th, c.theta[b*per:(b+1)*per]...)
		lx[p], ly[p] = c.lx[b], c.ly[b]
	}
	got, err := c.m.LogProb(denseOf(th, dt, k, c.n, c.mm, 5), c.paths[b], lx, ly)
	if err != nil {
		t.Fatalf("%s item %d: %v", c.name(dt), b, err)
	}
	logZ := c.logZ(b)
	var total float64
	for p, lp := range got {
		want := c.scores[b][p] - logZ
		if !(math.IsInf(want, -1) && math.IsInf(lp, -1)) && math.Abs(lp-want) > 1e-12*(1+math.Abs(want)) {
			t.Fatalf("%s item %d: path %v: log p %v, enumeration %v", c.name(dt), b, c.paths[b][p], lp, want)
		}
		total += math.Exp(lp)
	}
	if math.Abs(total-1) > 1e-12 {
		t.Fatalf("%s item %d: the %d paths' probabilities sum to %v", c.name(dt), b, k, total)
	}
}

// TestAffineLogProbsNoPath: an affine item whose every path scores −Inf
// has no distribution, an ErrPotential of LogProbs and of Sample; a NaN
// where a path may read is one too.
func TestAffineLogProbsNoPath(t *testing.T) {
	for _, m := range affineModels() {
		c := newAffineCase(rand.New(rand.NewPCG(43, 44)), m, tensor.Float64, 3, 3, 0)
		paths := []Path{c.paths[0][0], c.paths[1][0], c.paths[2][0]}
		for _, bad := range []float64{math.Inf(-1), math.NaN()} {
			th := append([]float64(nil), c.theta...)
			l := m.lat(c.lx[1], c.ly[1])
			for x := range c.n * c.mm * 5 {
				if ch := x % 5; l.Used(x/5/c.mm, x/5%c.mm, ch) && (bad < 0 || ch == Match) {
					th[c.n*c.mm*5+x] = bad
				}
			}
			_, err := m.LogProb(denseOf(th, tensor.Float64, 3, 3, 3, 5), paths, c.lx, c.ly)
			if !errors.Is(err, ErrPotential) {
				t.Errorf("%v, item 1 all %v: LogProbs error %v, want ErrPotential", m, bad, err)
			}
			_, err = m.Sample(denseOf(th, tensor.Float64, 3, 3, 3, 5), 5, rand.New(rand.NewPCG(1, 1)), c.lx, c.ly)
			if !errors.Is(err, ErrPotential) {
				t.Errorf("%v, item 1 all %v: Sample error %v, want ErrPotential", m, bad, err)
			}
		}
	}
}

// TestAffineSampleChiSquare draws 20,000 paths of every item of a case
// per model and checks that each is a path of its item and that their
// frequencies fit the enumerated probabilities: a chi-square test at
// p > 0.001, paths of expected count below 5 sharing a bin.
func TestAffineSampleChiSquare(t *testing.T) {
	const draws = 20000
	rng := rand.New(rand.NewPCG(45, 46))
	for k, m := range affineModels() {
		dt := []tensor.Dtype{tensor.Float64, tensor.Float32}[k%2]
		c := newAffineCase(rng, m, dt, 3, 4, []float64{0, 0.2}[k%2])
		th := c.tensor(dt)
		got, err := m.Sample(th, draws, rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())), c.lx, c.ly)
		if err != nil {
			t.Fatalf("%s: %v", c.name(dt), err)
		}
		for b := range c.batch {
			index := map[string]int{}
			for p, path := range c.paths[b] {
				index[pathKey(path)] = p
			}
			counts := make([]float64, len(c.paths[b]))
			for s := range draws {
				p, ok := index[pathKey(got[s][b])]
				if !ok {
					t.Fatalf("%s item %d: drew %v, not a path", c.name(dt), b, got[s][b])
				}
				counts[p]++
			}
			logZ := c.logZ(b)
			var stat, poolObs, poolExp float64
			bins := 0
			for p, s := range c.scores[b] {
				e := draws * math.Exp(s-logZ)
				if e == 0 && counts[p] > 0 {
					t.Fatalf("%s item %d: drew %v, of probability 0", c.name(dt), b, c.paths[b][p])
				}
				if e < 5 {
					poolObs += counts[p]
					poolExp += e
					continue
				}
				stat += (counts[p] - e) * (counts[p] - e) / e
				bins++
			}
			if poolExp > 0 {
				stat += (poolObs - poolExp) * (poolObs - poolExp) / poolExp
				bins++
			}
			if bins < 2 {
				continue
			}
			if pv := (distuv.ChiSquared{K: float64(bins - 1)}).Survival(stat); pv < 0.001 {
				t.Errorf("%s item %d: chi-square %v over %d bins, p = %v", c.name(dt), b, stat, bins, pv)
			}
		}
	}
}

// TestAffineSampleDeterministic: one seed gives the same affine draws.
func TestAffineSampleDeterministic(t *testing.T) {
	m := Model{Semiring: Log, Mode: SemiGlobal, Affine: true}
	c := newAffineCase(rand.New(rand.NewPCG(47, 48)), m, tensor.Float64, 4, 4, 0.2)
	var first [][]Path
	for range 2 {
		d, err := m.Sample(c.tensor(tensor.Float64), 200, rand.New(rand.NewPCG(9, 9)), c.lx, c.ly)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = d
			continue
		}
		for s := range d {
			for b := range d[s] {
				if pathKey(d[s][b]) != pathKey(first[s][b]) {
					t.Fatalf("draw %d of item %d: %v, then %v", s, b, first[s][b], d[s][b])
				}
			}
		}
	}
}

// TestAffineIsLinearDist: with Open = Extend and turns allowed, the
// affine model is the linear one, so a path's log-probability is the same
// under both.
func TestAffineIsLinearDist(t *testing.T) {
	rng := rand.New(rand.NewPCG(49, 50))
	for _, mode := range []Mode{Global, Local, SemiGlobal} {
		lin := Model{Semiring: Log, Mode: mode, Gapped: true, MaxGap: 2}
		aff := lin
		aff.Affine = true
		const n, mm = 5, 6
		thl := make([]float64, n*mm*3)
		tha := make([]float64, n*mm*5)
		for x := range n * mm {
			for c := range 3 {
				thl[3*x+c] = rng.NormFloat64()
			}
			tha[5*x+Match] = thl[3*x+FromDiag]
			tha[5*x+OpenLeft], tha[5*x+ExtendLeft] = thl[3*x+FromLeft], thl[3*x+FromLeft]
			tha[5*x+OpenAbove], tha[5*x+ExtendAbove] = thl[3*x+FromAbove], thl[3*x+FromAbove]
		}
		_, best, err := lin.BestPaths(denseOf(thl, tensor.Float64, 1, n, mm, 3), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		// The same path under the affine model: a gap step extends when
		// the step before it is a gap of the same direction.
		pa := make(Path, len(best[0]))
		for k, s := range best[0] {
			pa[k] = s
			switch {
			case s.Move == FromDiag:
				pa[k].Move = Match
			case s.Move == FromLeft && k > 0 && best[0][k-1].Move == FromLeft:
				pa[k].Move = ExtendLeft
			case s.Move == FromLeft:
				pa[k].Move = OpenLeft
			case k > 0 && best[0][k-1].Move == FromAbove:
				pa[k].Move = ExtendAbove
			default:
				pa[k].Move = OpenAbove
			}
		}
		wl, err := lin.LogProb(denseOf(thl, tensor.Float64, 1, n, mm, 3), best, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		wa, err := aff.LogProb(denseOf(tha, tensor.Float64, 1, n, mm, 5), []Path{pa}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(wl[0]-wa[0]) > 1e-12*(1+math.Abs(wl[0])) {
			t.Errorf("%v: linear log p %v, affine %v", mode, wl[0], wa[0])
		}
	}
}

// TestAffineLogProbNode checks the LogProb node of the affine model
// against LogProbs and its gradient against the enumeration: the weighted
// mask less the weighted marginals (the expected number of times a path
// reads each potential), in every mode, with and without MaxGap and turns.
func TestAffineLogProbNode(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	weights := []float64{1, -0.5, 2}
	for _, m := range affineModels() {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			c := newAffineCase(rng, m, dt, 3, 4, 0.2)
			shape := tensor.Shape{c.batch, c.n, c.mm, 5}
			paths := make([]Path, c.batch)
			for b := range paths {
				// A path of probability above 0.
				for {
					p := rng.IntN(len(c.paths[b]))
					if !math.IsInf(c.scores[b][p], -1) {
						paths[b] = c.paths[b][p]
						break
					}
				}
			}
			mask, err := m.Mask(paths, shape, dt, c.lx, c.ly)
			if err != nil {
				t.Fatal(err)
			}
			want, err := m.LogProb(c.tensor(dt), paths, c.lx, c.ly)
			if err != nil {
				t.Fatal(err)
			}
			sg := newScoreGraph(t, m, shape, dt, weights, true)
			got, grad := sg.run(t, c.tensor(dt), mask, c.lx, c.ly)
			sg.vm.Close()
			tol := 1e-9
			if dt == tensor.Float32 {
				tol = 1e-5
			}
			per := c.n * c.mm * 5
			mk := float64s(mask)
			for b := range c.batch {
				if math.Abs(got[b]-want[b]) > tol*(1+math.Abs(want[b])) {
					t.Fatalf("%s item %d: LogProb %v, LogProbs %v", c.name(dt), b, got[b], want[b])
				}
				mu := make([]float64, per)
				logZ := c.logZ(b)
				for p, path := range c.paths[b] {
					for _, s := range path {
						mu[(s.I*c.mm+s.J)*5+s.Move] += math.Exp(c.scores[b][p] - logZ)
					}
				}
				for x := range per {
					if w := weights[b] * (mk[b*per+x] - mu[x]); math.Abs(grad[b*per+x]-w) > 10*tol {
						t.Fatalf("%s item %d: ∂/∂θ[%d] = %v, enumeration %v", c.name(dt), b, x, grad[b*per+x], w)
					}
				}
			}
		}
	}
}
