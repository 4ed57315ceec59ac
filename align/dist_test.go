package align

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// enumLogZ is log Z of item b by summing exp(score) over the enumerated
// paths.
func enumLogZ(m Model, p problem, b int) float64 {
	var scores []float64
	for _, path := range enumPaths(m, p, b) {
		scores = append(scores, pathScore(p, b, path))
	}
	mx := slices.Max(scores)
	var s float64
	for _, x := range scores {
		s += math.Exp(x - mx)
	}
	return mx + math.Log(s)
}

// randomPaths picks a random enumerated path of every item.
func randomPaths(rng *rand.Rand, m Model, p problem) []Path {
	paths := make([]Path, p.batch)
	for b := range paths {
		all := enumPaths(m, p, b)
		paths[b] = all[rng.IntN(len(all))]
	}
	return paths
}

// TestLogProbs compares LogProbs with the enumeration, within 1e-9, in
// every mode with and without a gap and lengths, from float64 and float32
// potentials, with NaN past the lengths.
func TestLogProbs(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, m := range gapModels(Log) {
		for n := 1; n <= 4; n++ {
			for mm := 1; mm <= 4; mm++ {
				p := randomProblem(rng, 3, n, mm, true)
				for k := range p.theta {
					p.theta[k] *= 3
				}
				for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
					q := p
					if dt == tensor.Float32 {
						// The reference reads the rounded potentials.
						q.theta = float64s(p.tensor(dt))
					}
					th := q.tensor(dt)
					poisonPast(th, q)
					for range 3 {
						paths := randomPaths(rng, m, q)
						got, err := m.LogProb(th, paths, q.lenX, q.lenY)
						if err != nil {
							t.Fatalf("%v %v %dx%d: %v", m, dt, n, mm, err)
						}
						for b := range q.batch {
							want := pathScore(q, b, paths[b]) - enumLogZ(m, q, b)
							if math.Abs(got[b]-want) > 1e-9 {
								t.Fatalf("%v %v %dx%d item %d path %v: log-probability %v, want %v", m, dt, n, mm, b, paths[b], got[b], want)
							}
						}
					}
				}
			}
		}
	}
}

// TestLogProbsSumToOne checks on a larger grid, where enumeration is out of
// reach, that the k best paths' probabilities add up to at most 1 and that
// the forward pass's log Z is the scan's.
func TestLogProbsLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, m := range gapModels(Log) {
		p := randomProblem(rng, 2, 9, 11, true)
		th := p.tensor(tensor.Float64)
		paths, _, err := m.KBest(th, 30, p.lenX, p.lenY)
		if err != nil {
			t.Fatal(err)
		}
		for b := range p.batch {
			var total float64
			for _, path := range paths[b] {
				batch := make([]Path, p.batch)
				for x := range batch {
					batch[x] = paths[x][0]
				}
				batch[b] = path
				lp, err := m.LogProb(th, batch, p.lenX, p.lenY)
				if err != nil {
					t.Fatal(err)
				}
				total += math.Exp(lp[b])
			}
			if total > 1+1e-12 || total <= 0 {
				t.Fatalf("%v item %d: the 30 best paths have probability %v", m, b, total)
			}
		}
		res, err := m.Marginals(th, p.lenX, p.lenY)
		if err != nil {
			t.Fatal(err)
		}
		best := make([]Path, p.batch)
		for b := range best {
			best[b] = paths[b][0]
		}
		lp, err := m.LogProb(th, best, p.lenX, p.lenY)
		if err != nil {
			t.Fatal(err)
		}
		for b := range p.batch {
			if want := pathScore(p, b, best[b]) - res.LogZ[b]; math.Abs(lp[b]-want) > 1e-9 {
				t.Fatalf("%v item %d: log-probability %v, from the scan's log Z %v", m, b, lp[b], want)
			}
		}
	}
}

// TestLogProbNode checks the LogProb node against LogProbs and its
// gradient against central finite differences of LogProbs, for weighted
// items, with NaN past the lengths; float32 against float64.
func TestLogProbNode(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	weights := []float64{1, -0.5, 2}
	for _, m := range gapModels(Log) {
		p := randomProblem(rng, 3, 4, 3, true)
		shape := tensor.Shape{p.batch, p.n, p.mm, 3}
		lx, ly := p.fullLengths()
		paths := randomPaths(rng, m, p)
		lpOf := func(theta []float64) float64 {
			q := p
			q.theta = theta
			lp, err := m.LogProb(q.tensor(tensor.Float64), paths, lx, ly)
			if err != nil {
				t.Fatal(err)
			}
			var s float64
			for b, x := range lp {
				s += weights[b] * x
			}
			return s
		}
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			mask, err := m.Mask(paths, shape, dt, lx, ly)
			if err != nil {
				t.Fatal(err)
			}
			want, err := m.LogProb(p.tensor(tensor.Float64), paths, lx, ly)
			if err != nil {
				t.Fatal(err)
			}
			sg := newScoreGraph(t, m, shape, dt, weights, true)
			th := p.tensor(dt)
			poisonPast(th, p)
			before := float64s(th)
			got, grad := sg.run(t, th, mask, lx, ly)
			sg.vm.Close()
			tol := 1e-9
			if dt == tensor.Float32 {
				tol = 1e-5
			}
			for b := range p.batch {
				if math.Abs(got[b]-want[b]) > tol {
					t.Fatalf("%v %v item %d: LogProb %v, LogProbs %v", m, dt, b, got[b], want[b])
				}
			}
			if !sameBits(float64s(th), before) {
				t.Fatalf("%v %v: the run wrote into θ's value", m, dt)
			}
			const h = 1e-5
			for k := range p.theta {
				b, rest := k/(p.n*p.mm*3), k%(p.n*p.mm*3)
				i, j := rest/(p.mm*3), rest/3%p.mm
				var fd float64
				if i < lx[b] && j < ly[b] {
					up, down := slices.Clone(p.theta), slices.Clone(p.theta)
					up[k] += h
					down[k] -= h
					fd = (lpOf(up) - lpOf(down)) / (2 * h)
				}
				if math.Abs(grad[k]-fd) > 10*tol+1e-7 {
					t.Fatalf("%v %v: ∂/∂θ[%d] = %v, finite difference %v", m, dt, k, grad[k], fd)
				}
			}
		}
	}
}

// TestBestMask checks BestMask against BestPaths and, through MaskScore,
// that the best score's gradient is the mask, in every mode and gap.
func TestBestMask(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, m := range gapModels(Max) {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			p := randomProblem(rng, 3, 5, 4, true)
			shape := tensor.Shape{p.batch, p.n, p.mm, 3}
			lx, ly := p.fullLengths()
			g := gorgonia.NewGraph()
			theta := gorgonia.NewTensor(g, dt, 4, gorgonia.WithShape(shape...), gorgonia.WithName("theta"))
			lengths := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(p.batch, 2), gorgonia.WithName("lengths"))
			mask, err := m.BestMask(theta, lengths)
			if err != nil {
				t.Fatal(err)
			}
			score, err := MaskScore(theta, mask)
			if err != nil {
				t.Fatal(err)
			}
			cost, err := gorgonia.Sum(score)
			if err != nil {
				t.Fatal(err)
			}
			grads, err := gorgonia.Grad(cost, theta)
			if err != nil {
				t.Fatal(err)
			}
			vm := gorgonia.NewTapeMachine(g)
			th := p.tensor(dt)
			poisonPast(th, p)
			lv, _ := Lengths(lx, ly)
			gorgonia.Let(theta, th)
			gorgonia.Let(lengths, lv)
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			vm.Close()
			scores, paths, err := m.BestPaths(th, lx, ly)
			if err != nil {
				t.Fatal(err)
			}
			want, err := m.Mask(paths, shape, dt, lx, ly)
			if err != nil {
				t.Fatal(err)
			}
			wm := float64s(want)
			if got := float64s(mask.Value()); !slices.Equal(got, wm) {
				t.Fatalf("%v %v: BestMask differs from BestPaths' mask", m, dt)
			}
			if got := float64s(grads[0].Value()); !slices.Equal(got, wm) {
				t.Fatalf("%v %v: the best score's gradient is not the mask", m, dt)
			}
			tol := 1e-12
			if dt == tensor.Float32 {
				tol = 1e-6
			}
			for b, s := range float64s(score.Value()) {
				if !closeTo(s, scores[b], tol) {
					t.Fatalf("%v %v item %d: best score %v, BestPaths %v", m, dt, b, s, scores[b])
				}
			}
		}
	}
}

func TestDistErrors(t *testing.T) {
	th := tensor.New(tensor.WithShape(2, 2, 2, 3), tensor.WithBacking(make([]float64, 24)))
	nan := th.Clone().(*tensor.Dense)
	nan.Data().([]float64)[12+3*3+FromLeft] = math.NaN() // item 1, cell (1, 1)
	ninf := th.Clone().(*tensor.Dense)
	for k := range 12 {
		ninf.Data().([]float64)[12+k] = math.Inf(-1)
	}
	path := Path{{0, 0, FromDiag}, {1, 1, FromDiag}}
	two := []Path{path, path}
	log := Model{Semiring: Log}
	g := gorgonia.NewGraph()
	tn := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(2, 2, 2, 3), gorgonia.WithName("t"))
	ln := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(2, 2), gorgonia.WithName("l"))
	bad := gorgonia.NewTensor(g, tensor.Float64, 2, gorgonia.WithShape(2, 2), gorgonia.WithName("bad"))
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"semiring", func() error { _, err := (Model{Semiring: Max}).LogProb(th, two, nil, nil); return err }(), "align.LogProb: the distribution over paths is the Log semiring's; the model's semiring is Max"},
		{"NaN", func() error { _, err := log.LogProb(nan, two, nil, nil); return err }(), "item 1: potential θ[1, 1, 1, FromLeft] is NaN"},
		{"no path", func() error { _, err := log.LogProb(ninf, two, nil, nil); return err }(), "item 1: every path scores −Inf"},
		{"count", func() error { _, err := log.LogProb(th, two[:1], nil, nil); return err }(), "1 paths for batch 2"},
		{"path", func() error {
			_, err := log.LogProb(th, []Path{path, {{0, 0, FromDiag}}}, nil, nil)
			return err
		}(), "item 1, step 0: a Global path cannot end at (0, 0)"},
		{"node semiring", func() error { _, err := (Model{Semiring: Real}).LogProbNode(tn, tn, ln); return err }(), "align.LogProbNode: the distribution"},
		{"node strategy", func() error { _, err := (Model{Semiring: Log, Strategy: LogDepth}).LogProbNode(tn, tn, ln); return err }(), "use Linear"},
		{"node lengths", func() error { _, err := log.LogProbNode(tn, tn, bad); return err }(), "lengths have dtype float64"},
		{"node nil", func() error { _, err := log.LogProbNode(nil, tn, ln); return err }(), "align.LogProbNode: nil potentials"},
		{"mask lengths", func() error { _, err := log.BestMask(tn, bad); return err }(), "align.BestMask: lengths have dtype float64"},
		{"mask mode", func() error { _, err := Model{Mode: 9}.BestMask(tn, ln); return err }(), "unknown mode"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, c.err, c.want)
		}
	}
	// A run of BestMask with a +Inf potential fails naming the cell.
	g = gorgonia.NewGraph()
	tn = gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(2, 2, 2, 3), gorgonia.WithName("t"))
	ln = gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(2, 2), gorgonia.WithName("l"))
	if _, err := log.BestMask(tn, ln); err != nil {
		t.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	inf := th.Clone().(*tensor.Dense)
	inf.Data().([]float64)[3*1+FromLeft] = math.Inf(1) // item 0, cell (0, 1)
	lv, _ := Lengths([]int{2, 2}, []int{2, 2})
	gorgonia.Let(tn, inf)
	gorgonia.Let(ln, lv)
	if err := vm.RunAll(); err == nil || !strings.Contains(err.Error(), "item 0: potential θ[0, 0, 1, FromLeft] is +Inf") {
		t.Errorf("BestMask run: error %v, want the +Inf potential named", err)
	}
}

// TestLogProbRefusesNonPath: a run of LogProb fails with an ErrPath error
// naming the item when a mask is not the mask of a path of its item (a
// step missing, an element other than 0 or 1, a step past its lengths),
// and runs again once the mask is mended.
func TestLogProbRefusesNonPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	m := Model{}
	p := randomProblem(rng, 2, 4, 5, true)
	p.lenX[1], p.lenY[1] = 2, 3
	shape := tensor.Shape{p.batch, p.n, p.mm, 3}
	lx, ly := p.fullLengths()
	paths := randomPaths(rng, m, p)
	good, err := m.Mask(paths, shape, tensor.Float64, lx, ly)
	must(t, err)
	lv, err := Lengths(lx, ly)
	must(t, err)
	sg := newScoreGraph(t, m, shape, tensor.Float64, []float64{1, 1}, true)
	defer sg.vm.Close()
	last := paths[1][len(paths[1])-1]
	at := func(b, i, j, c int) int { return ((b*p.n+i)*p.mm+j)*3 + c }
	for _, c := range []struct {
		name string
		edit func(d []float64)
	}{
		{"a step missing", func(d []float64) { d[at(1, last.I, last.J, last.Move)] = 0 }},
		{"a half", func(d []float64) { d[at(1, last.I, last.J, last.Move)] = 0.5 }},
		{"a step past the lengths", func(d []float64) { d[at(1, 3, 4, FromDiag)] = 1 }},
	} {
		bad := good.Clone().(*tensor.Dense)
		c.edit(bad.Data().([]float64))
		for _, b := range []struct {
			n *gorgonia.Node
			v gorgonia.Value
		}{{sg.theta, p.tensor(tensor.Float64)}, {sg.mask, bad}, {sg.lengths, lv}} {
			must(t, gorgonia.Let(b.n, b.v))
		}
		sg.vm.Reset()
		err := sg.vm.RunAll()
		var inner interface{ Err() error }
		if err == nil || !errors.As(err, &inner) || !errors.Is(inner.Err(), ErrPath) || !strings.Contains(err.Error(), "item 1") {
			t.Errorf("%s: run error %v, want one of kind ErrPath naming item 1", c.name, err)
		}
		sg.run(t, p.tensor(tensor.Float64), good, lx, ly)
	}
}
