package align

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
	"gorgonia.org/tensor"
)

// This file checks the Log distribution's functions against the
// brute-force enumeration of every path (oracle_test.go's enumerate, via
// bruteDivergences, enumPaths and sortedPaths) on every shape up to 4×4,
// in every mode with and without a gap, with ragged lengths, NaN in every
// potential no path may use and random patterns of −Inf potentials in p
// and q: the cases where cells become unreachable under one distribution
// and not the other.

// enumBatch is the number of items of each case: each draws its own
// pattern of −Inf.
const enumBatch = 6

// negInfPair returns p and q of one random shape (divProblem's) with −Inf
// in some of the potentials a path may use. Each item draws a density and
// how q's forbidden moves relate to p's: independent, a subset of p's (so
// that CE and KL stay finite while both forbid moves), none, or only q's.
func negInfPair(rng *rand.Rand, m Model, n, mm int) (problem, problem) {
	p, q := divProblem(rng, m, enumBatch, n, mm)
	per := n * mm * 3
	for b := range enumBatch {
		dens := []float64{0.1, 0.2, 0.35}[rng.IntN(3)]
		kind := rng.IntN(4)
		for x := b * per; x < (b+1)*per; x++ {
			if math.IsNaN(p.theta[x]) {
				continue
			}
			fp, fq := rng.Float64() < dens, rng.Float64() < dens
			switch kind {
			case 1:
				fp = fp || fq
			case 2:
				fq = false
			case 3:
				fp = false
			}
			if fp {
				p.theta[x] = math.Inf(-1)
			}
			if fq {
				q.theta[x] = math.Inf(-1)
			}
		}
	}
	return p, q
}

// rounded returns p with its potentials rounded to dt, the values a
// tensor of dt holds, so that the enumeration sees what the code sees.
func (p problem) rounded(dt tensor.Dtype) problem {
	if dt == tensor.Float32 {
		p.theta = float64s(p.tensor(dt))
	}
	return p
}

// sub returns the items of p listed in keep, as a problem of their own.
func (p problem) sub(keep []int) problem {
	per := p.n * p.mm * 3
	s := problem{batch: len(keep), n: p.n, mm: p.mm}
	for _, b := range keep {
		s.theta = append(s.theta, p.theta[b*per:(b+1)*per]...)
		lx, ly := p.lengths(b)
		s.lenX, s.lenY = append(s.lenX, lx), append(s.lenY, ly)
	}
	return s
}

// sameOrNaN reports whether got is close to want within tol, NaN matching
// NaN only.
func sameOrNaN(got, want, tol float64) bool {
	if math.IsNaN(want) || math.IsNaN(got) {
		return math.IsNaN(want) && math.IsNaN(got)
	}
	return closeTo(got, want, tol)
}

// TestEnumNegInf runs every check of this file on every case: shapes 1…4
// × 1…4, every mode with and without a gap, float64 and float32.
func TestEnumNegInf(t *testing.T) {
	rng := rand.New(rand.NewPCG(171, 172))
	cases := 0
	// How many items of each kind the cases hold: each must occur, or
	// the test does not test what it says.
	seen := map[string]int{}
	for n := 1; n <= 4; n++ {
		for mm := 1; mm <= 4; mm++ {
			for _, m := range divModels() {
				pp, pq := negInfPair(rng, m, n, mm)
				for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
					p, q := pp.rounded(dt), pq.rounded(dt)
					name := fmt.Sprintf("%v %dx%d %v", m, n, mm, dt)
					bru := make([]bruteDiv, p.batch)
					for b := range p.batch {
						bru[b] = bruteDivergences(m.Mode, p.item(m, b), q.item(m, b))
						seen[enumKind(p, q, b, bru[b])]++
					}
					checkEnumDivergences(t, name, m, dt, p, q, bru)
					if dt == tensor.Float64 {
						checkEnumFiniteDiff(t, name, m, p, q, bru, cases)
					}
					var withPath []int
					for b := range bru {
						if !bru[b].noP {
							withPath = append(withPath, b)
						}
					}
					checkEnumLogProbs(t, name, m, dt, p, bru, withPath, rng)
					checkEnumSample(t, name, m, dt, p, bru, withPath, rng)
					checkEnumKBest(t, name, m, dt, p)
					cases++
				}
			}
		}
	}
	t.Logf("items by kind over %d cases: %v", cases, seen)
	for _, k := range []string{"no path under p", "no path under q", "+Inf, one move forbidden", "+Inf, a cell out of q's reach",
		"finite, −Inf in p and q", "finite, a cell out of p's reach"} {
		if seen[k] < 10 {
			t.Errorf("%d items of kind %q in %d cases, want at least 10", seen[k], k, cases)
		}
	}
}

// enumKind names what makes item b of a case interesting.
func enumKind(p, q problem, b int, r bruteDiv) string {
	per := p.n * p.mm * 3
	infs := func(pr problem) bool {
		return slices.ContainsFunc(pr.theta[b*per:(b+1)*per], func(x float64) bool { return math.IsInf(x, -1) })
	}
	// reached returns the cells that paths of positive probability under
	// pr visit.
	reached := func(pr problem) map[[2]int]bool {
		cells := map[[2]int]bool{}
		for _, path := range r.paths {
			var s float64
			for _, f := range path {
				s += pr.theta[b*per+(f.i*p.mm+f.j)*3+f.c]
			}
			if !math.IsInf(s, -1) {
				for _, f := range path {
					cells[[2]int{f.i, f.j}] = true
				}
			}
		}
		return cells
	}
	// beyond reports whether a reaches a cell that c does not.
	beyond := func(a, c map[[2]int]bool) bool {
		for k := range a {
			if !c[k] {
				return true
			}
		}
		return false
	}
	switch {
	case r.noP:
		return "no path under p"
	case r.noQ:
		return "no path under q"
	case r.infinite && beyond(reached(p), reached(q)):
		return "+Inf, a cell out of q's reach"
	case r.infinite:
		return "+Inf, one move forbidden"
	case beyond(reached(q), reached(p)):
		return "finite, a cell out of p's reach"
	case infs(p) && infs(q):
		return "finite, −Inf in p and q"
	}
	return "other"
}

// checkEnumDivergences compares Entropy, CrossEntropy and KL, nodes and
// eager functions, values and both gradients, with the enumeration,
// including the contract where they are not finite.
func checkEnumDivergences(t *testing.T, name string, m Model, dt tensor.Dtype, p, q problem, bru []bruteDiv) {
	t.Helper()
	tol := 1e-9
	if dt == tensor.Float32 {
		tol = 1e-6 // the results are rounded to float32
	}
	per := p.n * p.mm * 3
	tp, tq := p.tensor(dt), q.tensor(dt)
	for _, div := range divs {
		v, dp, dq := newDivGraph(t, m, div, dt, p.batch, p.n, p.mm).run(t, tp, tq, p.lenX, p.lenY)
		for b := range p.batch {
			want := bru[b].val[div]
			if !sameOrNaN(v[b], want, tol) {
				t.Fatalf("%s %v item %d: node %v, enumeration %v", name, div, b, v[b], want)
			}
			for wrt, g := range [][]float64{dp, dq} {
				if g == nil {
					continue
				}
				w := [][3][]float64{bru[b].dp, bru[b].dq}[wrt][div]
				for x := range per {
					if !sameOrNaN(g[b*per+x], w[x], tol) {
						t.Fatalf("%s %v item %d (value %v): gradient wrt %c of (%d, %d, %s) is %v, enumeration %v",
							name, div, b, want, "pq"[wrt], x/3/p.mm, x/3%p.mm, channelName(x%3), g[b*per+x], w[x])
					}
				}
			}
		}
		// The eager function refuses the first item with no path and
		// agrees with the enumeration on the others.
		var ok []int
		bad := -1
		for b := range p.batch {
			if math.IsNaN(bru[b].val[div]) {
				if bad < 0 {
					bad = b
				}
				continue
			}
			ok = append(ok, b)
		}
		_, err := eagerDiv(m, div, tp, tq, p.lenX, p.lenY)
		if bad >= 0 {
			if !errors.Is(err, ErrPotential) || !strings.Contains(err.Error(), fmt.Sprintf("item %d:", bad)) {
				t.Fatalf("%s %v: eager error %v, want one of kind ErrPotential naming item %d", name, div, err, bad)
			}
		} else if err != nil {
			t.Fatalf("%s %v: %v", name, div, err)
		}
		if len(ok) == 0 {
			continue
		}
		sp, sq := p.sub(ok), q.sub(ok)
		got, err := eagerDiv(m, div, sp.tensor(dt), sq.tensor(dt), sp.lenX, sp.lenY)
		if err != nil {
			t.Fatalf("%s %v: items %v: %v", name, div, ok, err)
		}
		for k, b := range ok {
			if !closeTo(got[k], bru[b].val[div], 1e-9) {
				t.Fatalf("%s %v item %d: eager %v, enumeration %v", name, div, b, got[k], bru[b].val[div])
			}
		}
	}
}

// checkEnumFiniteDiff checks the enumeration's gradients of finite values
// against central differences of the eager functions, on a sample of the
// finite potentials of each item (k picks which).
func checkEnumFiniteDiff(t *testing.T, name string, m Model, p, q problem, bru []bruteDiv, k int) {
	t.Helper()
	per := p.n * p.mm * 3
	for b := range p.batch {
		for _, div := range divs {
			if math.IsInf(bru[b].val[div], 0) || math.IsNaN(bru[b].val[div]) {
				continue
			}
			sp, sq := p.sub([]int{b}), q.sub([]int{b})
			for wrt, th := range []problem{sp, sq} {
				if wrt == 1 && div == divEntropy {
					continue
				}
				for x := range per {
					if (x+k+b)%5 != 0 || math.IsInf(th.theta[x], 0) || math.IsNaN(th.theta[x]) {
						continue
					}
					f := func(h float64) float64 {
						a, c := sp, sq
						moved := slices.Clone(th.theta)
						moved[x] += h
						if wrt == 0 {
							a.theta = moved
						} else {
							c.theta = moved
						}
						v, err := eagerDiv(m, div, a.tensor(tensor.Float64), c.tensor(tensor.Float64), a.lenX, a.lenY)
						if err != nil {
							t.Fatal(err)
						}
						return v[0]
					}
					const h = 1e-5
					fd := (f(h) - f(-h)) / (2 * h)
					w := [][3][]float64{bru[b].dp, bru[b].dq}[wrt][div][x]
					if !closeTo(w, fd, 1e-6) {
						t.Fatalf("%s %v item %d: enumeration's gradient wrt %c of (%d, %d, %s) is %v, central difference %v",
							name, div, b, "pq"[wrt], x/3/p.mm, x/3%p.mm, channelName(x%3), w, fd)
					}
				}
			}
		}
	}
}

// checkEnumLogProbs compares LogProbs, over every enumerated path of the
// items that have one (or a random sample of them), and the LogProb node
// and its gradient, mask − μ, with the enumeration.
func checkEnumLogProbs(t *testing.T, name string, m Model, dt tensor.Dtype, p problem, bru []bruteDiv, withPath []int, rng *rand.Rand) {
	t.Helper()
	if len(withPath) == 0 {
		return
	}
	s := p.sub(withPath)
	th := s.tensor(dt)
	most := 0
	for _, b := range withPath {
		most = max(most, len(bru[b].paths))
	}
	const calls = 24
	var first []Path
	for r := range min(most, calls) {
		paths := make([]Path, s.batch)
		want := make([]float64, s.batch)
		for k, b := range withPath {
			all := bru[b].paths
			x := r % len(all)
			if len(all) > calls {
				x = rng.IntN(len(all))
			}
			paths[k] = make(Path, len(all[x]))
			for y, f := range all[x] {
				paths[k][y] = Step{f.i, f.j, f.c}
			}
			want[k] = bru[b].scoreP[x] - bru[b].logZp
		}
		got, err := m.LogProb(th, paths, s.lenX, s.lenY)
		if err != nil {
			t.Fatalf("%s LogProbs: %v", name, err)
		}
		for k := range want {
			if !closeTo(got[k], want[k], 1e-12) {
				t.Fatalf("%s LogProbs item %d path %v: %v, enumeration %v", name, withPath[k], paths[k], got[k], want[k])
			}
		}
		if r == 0 {
			first = paths
		}
	}
	// The node, with the first call's paths and a weight per item.
	shape := tensor.Shape{s.batch, s.n, s.mm, 3}
	weights := make([]float64, s.batch)
	for k := range weights {
		weights[k] = float64(k%3) - 0.5
	}
	mask, err := m.Mask(first, shape, dt, s.lenX, s.lenY)
	if err != nil {
		t.Fatal(err)
	}
	sg := newScoreGraph(t, m, shape, dt, weights, true)
	defer sg.vm.Close()
	got, grad := sg.run(t, th, mask, s.lenX, s.lenY)
	tol := 1e-9
	if dt == tensor.Float32 {
		tol = 1e-6
	}
	mv := float64s(mask)
	per := s.n * s.mm * 3
	for k, b := range withPath {
		var want float64
		for _, st := range first[k] {
			want += s.theta[k*per+(st.I*s.mm+st.J)*3+st.Move]
		}
		want -= bru[b].logZp
		if !closeTo(got[k], want, tol) {
			t.Fatalf("%s LogProb item %d: %v, enumeration %v", name, b, got[k], want)
		}
		for x := range per {
			w := weights[k] * (mv[k*per+x] - bru[b].mup[x])
			if !closeTo(grad[k*per+x], w, tol) {
				t.Fatalf("%s LogProb item %d: gradient of (%d, %d, %s) is %v, enumeration %v",
					name, b, x/3/s.mm, x/3%s.mm, channelName(x%3), grad[k*per+x], w)
			}
		}
	}
}

// checkEnumSample draws paths of the items that have one and checks that
// every draw is a path of positive probability and, by a chi-square test
// (paths of expected count below 5 share a bin), that the frequencies
// match the enumeration; and that Sample refuses the first item without
// a path.
func checkEnumSample(t *testing.T, name string, m Model, dt tensor.Dtype, p problem, bru []bruteDiv, withPath []int, rng *rand.Rand) {
	t.Helper()
	if len(withPath) < p.batch {
		_, err := m.Sample(p.tensor(dt), 1, rand.New(rand.NewPCG(1, 2)), p.lenX, p.lenY)
		first := slices.IndexFunc(bru, func(b bruteDiv) bool { return b.noP })
		if !errors.Is(err, ErrPotential) || !strings.Contains(err.Error(), fmt.Sprintf("item %d:", first)) {
			t.Fatalf("%s Sample: error %v, want one naming item %d, which has no path", name, err, first)
		}
	}
	if len(withPath) == 0 {
		return
	}
	const draws = 1500
	s := p.sub(withPath)
	got, err := m.Sample(s.tensor(dt), draws, rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())), s.lenX, s.lenY)
	if err != nil {
		t.Fatalf("%s Sample: %v", name, err)
	}
	for k, b := range withPath {
		index := map[string]int{}
		prob := make([]float64, len(bru[b].paths))
		for x, fs := range bru[b].paths {
			path := make(Path, len(fs))
			for y, f := range fs {
				path[y] = Step{f.i, f.j, f.c}
			}
			index[pathKey(path)] = x
			prob[x] = math.Exp(bru[b].scoreP[x] - bru[b].logZp)
		}
		counts := make([]float64, len(prob))
		for d := range draws {
			x, ok := index[pathKey(got[d][k])]
			if !ok || prob[x] == 0 {
				t.Fatalf("%s Sample item %d: drew %v, not a path of positive probability", name, b, got[d][k])
			}
			counts[x]++
		}
		var stat, poolObs, poolExp float64
		bins := 0
		for x := range prob {
			e := draws * prob[x]
			if e == 0 {
				continue
			}
			if e < 5 {
				poolObs += counts[x]
				poolExp += e
				continue
			}
			stat += (counts[x] - e) * (counts[x] - e) / e
			bins++
		}
		if poolExp > 0 {
			stat += (poolObs - poolExp) * (poolObs - poolExp) / poolExp
			bins++
		}
		if bins < 2 {
			continue // one bin holds every draw
		}
		// A threshold this low keeps the many deterministic tests of a
		// run from failing by chance.
		if pv := (distuv.ChiSquared{K: float64(bins - 1)}).Survival(stat); pv < 1e-6 {
			t.Fatalf("%s Sample item %d: χ² %v over %d bins, p = %v", name, b, stat, bins, pv)
		}
	}
}

// checkEnumKBest compares KBest with the enumeration sorted by score (the
// paths of finite score only), for a k below and beyond the number of
// paths.
func checkEnumKBest(t *testing.T, name string, m Model, dt tensor.Dtype, p problem) {
	t.Helper()
	want := make([][]Path, p.batch)
	wantS := make([][]float64, p.batch)
	most := 0
	for b := range p.batch {
		want[b], wantS[b] = sortedPaths(m, p, b)
		most = max(most, len(want[b]))
	}
	for _, k := range []int{2, most + 1} {
		paths, scores, err := m.KBest(p.tensor(dt), k, p.lenX, p.lenY)
		if err != nil {
			t.Fatalf("%s KBest: %v", name, err)
		}
		for b := range p.batch {
			w := min(k, len(want[b]))
			if len(paths[b]) != w || len(scores[b]) != w {
				t.Fatalf("%s KBest item %d k %d: %d paths, want %d", name, b, k, len(paths[b]), w)
			}
			for r := range w {
				if !slices.Equal(paths[b][r], want[b][r]) || scores[b][r] != wantS[b][r] {
					t.Fatalf("%s KBest item %d k %d: path %d is %v (%v), want %v (%v)",
						name, b, k, r, paths[b][r], scores[b][r], want[b][r], wantS[b][r])
				}
			}
		}
	}
}

// TestEnumSmallest pins the smallest cases of the bugs the enumeration
// found, so that a failure names them plainly: a −Inf in q that leaves a
// cell unreachable under q makes CE and KL +Inf (they were NaN), while one
// that forbids a single move always did; and a start that p forbids in
// local or semi-global mode leaves the gradient with respect to q μq − μp
// (it missed q's paths that end in the cell p cannot reach).
func TestEnumSmallest(t *testing.T) {
	ninf := math.Inf(-1)
	cases := []struct {
		name   string
		mode   Mode
		pInf   []int // (i·2 + j)·3 + c of a 2×2 grid
		qInf   []int
		finite bool
	}{
		{"q cuts off (0, 1)", Global, nil, []int{(0*2+1)*3 + FromLeft}, false},
		{"q forbids one move into (1, 1)", Global, nil, []int{(1*2+1)*3 + FromDiag}, false},
		{"p forbids the start (0, 0)", Local, []int{FromDiag}, nil, true},
		{"p forbids starting at (0, 0) semi-globally", SemiGlobal, []int{FromDiag}, nil, true},
	}
	for _, c := range cases {
		m := Model{Semiring: Log, Mode: c.mode}
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			p := problem{batch: 1, n: 2, mm: 2, theta: make([]float64, 12), lenX: []int{2}, lenY: []int{2}}
			q := problem{batch: 1, n: 2, mm: 2, theta: make([]float64, 12), lenX: []int{2}, lenY: []int{2}}
			for _, x := range c.pInf {
				p.theta[x] = ninf
			}
			for _, x := range c.qInf {
				q.theta[x] = ninf
			}
			bru := bruteDivergences(c.mode, p.item(m, 0), q.item(m, 0))
			if math.IsInf(bru.val[divKL], 1) == c.finite {
				t.Fatalf("%s: the enumeration's KL is %v", c.name, bru.val[divKL])
			}
			checkEnumDivergences(t, c.name+" "+dt.String(), m, dt, p, q, []bruteDiv{bru})
		}
	}
}
