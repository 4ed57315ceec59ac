package ctc

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// tensors returns p's arguments as values of dtype dt (padded targets).
func (p problem) tensors(dt tensor.Dtype) (lp, tg, il, tl *tensor.Dense) {
	lp = tensor.New(tensor.WithShape(p.t, p.batch, p.cls), tensor.WithBacking(toDtype(dt, p.lp)))
	tg = tensor.New(tensor.WithShape(p.batch, p.width), tensor.WithBacking(p.padded()))
	il = tensor.New(tensor.WithShape(p.batch), tensor.WithBacking(append([]int(nil), p.inLen...)))
	tl = tensor.New(tensor.WithShape(p.batch), tensor.WithBacking(p.targetLens()))
	return
}

// bestScore returns the highest score of a path of item b that collapses
// to its labels, by enumeration (−Inf when none does).
func bestScore(p problem, b int) float64 {
	best := math.Inf(-1)
	path := make([]int, p.inLen[b])
	for {
		if slices.Equal(collapse(path, p.blank), p.targets[b]) {
			s := 0.0
			for t, c := range path {
				s += p.lp[(t*p.batch+b)*p.cls+c]
			}
			best = max(best, s)
		}
		k := 0
		for k < len(path) && path[k] == p.cls-1 {
			path[k] = 0
			k++
		}
		if k == len(path) {
			return best
		}
		path[k]++
	}
}

// TestAlignBrute: the spans of Align are a path of the item's labels
// (each label's frames in order, the others blank) whose score is the best
// that enumeration finds; items with no path have nil spans. Both dtypes.
func TestAlignBrute(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for trial := range 8 {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			p := randomProblem(rng, 6, 4, 3, 3, 1)
			spans, err := Align(p.tensors(dt))
			if err != nil {
				t.Fatal(err)
			}
			for b := range p.batch {
				want := bestScore(p, b)
				if math.IsInf(want, -1) || len(p.targets[b]) == 0 {
					if spans[b] != nil {
						t.Errorf("trial %d item %d: spans %v, want nil", trial, b, spans[b])
					}
					continue
				}
				path := make([]int, p.inLen[b])
				end := 0
				for j, s := range spans[b] {
					if s.Label != j || s.Class != p.targets[b][j] || s.Start < end || s.End <= s.Start || s.End > p.inLen[b] {
						t.Fatalf("trial %d item %d: span %d is %+v after frame %d", trial, b, j, s, end)
					}
					for f := s.Start; f < s.End; f++ {
						path[f] = s.Class
					}
					end = s.End
				}
				if got := collapse(path, 0); !slices.Equal(got, p.targets[b]) {
					t.Fatalf("trial %d item %d: path %v collapses to %v, want %v", trial, b, path, got, p.targets[b])
				}
				score := 0.0
				for f, c := range path {
					score += p.lp[(f*p.batch+b)*p.cls+c]
				}
				tol := 1e-9
				if dt == tensor.Float32 {
					tol = 1e-4
				}
				if !near(score, want, tol) {
					t.Errorf("trial %d %v item %d: path %v scores %v, best %v", trial, dt, b, path, score, want)
				}
			}
		}
	}
}

// TestAlignMask: the mask node has one 1 per frame of each span and
// nothing else, and is 0 past each item's input length.
func TestAlignMask(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	p := randomProblem(rng, 9, 3, 4, 3, 6)
	spans, err := Align(p.tensors(tensor.Float32))
	if err != nil {
		t.Fatal(err)
	}
	g := gorgonia.NewGraph()
	lpv, tgv, ilv, tlv := p.tensors(tensor.Float32)
	var ns []*gorgonia.Node
	for i, v := range []*tensor.Dense{lpv, tgv, ilv, tlv} {
		ns = append(ns, gorgonia.NewTensor(g, v.Dtype(), v.Dims(), gorgonia.WithShape(v.Shape()...), gorgonia.WithName(argNames[i]), gorgonia.WithValue(v)))
	}
	mask, err := AlignMask(ns[0], ns[1], ns[2], ns[3])
	if err != nil {
		t.Fatal(err)
	}
	if err := run("test", g); err != nil {
		t.Fatal(err)
	}
	if !mask.Shape().Eq(tensor.Shape{3, 9, 3}) {
		t.Fatalf("mask shape %v", mask.Shape())
	}
	m := mask.Value().Data().([]float32)
	want := make([]float32, len(m))
	for b, sp := range spans {
		for _, s := range sp {
			for f := s.Start; f < s.End; f++ {
				want[(b*9+f)*3+s.Label] = 1
			}
		}
	}
	if !slices.Equal(m, want) {
		t.Errorf("mask %v, want %v", m, want)
	}
}

// TestPosteriors: each frame's posteriors sum to 1, and the posteriors of
// a class's states add up to the enumerated probability that a path
// emits that class at that frame (minus Loss's gradient, Sum reduction).
func TestPosteriors(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		p := randomProblem(rng, 6, 3, 3, 2, 4)
		post, err := Posteriors(p.tensors(dt))
		if err != nil {
			t.Fatal(err)
		}
		s := 2*p.width + 1
		if !post.Shape().Eq(tensor.Shape{p.batch, p.t, s}) {
			t.Fatalf("shape %v", post.Shape())
		}
		_, grad := brute(p, gorgonia.ReductionSum)
		d := post.Data().([]float64)
		tol := 1e-9
		if dt == tensor.Float32 {
			tol = 1e-5
		}
		for b := range p.batch {
			for f := range p.t {
				row := d[(b*p.t+f)*s : (b*p.t+f+1)*s]
				cls := make([]float64, p.cls)
				var sum float64
				for c, x := range row {
					sum += x
					if c%2 == 0 {
						cls[0] += x
					} else if c/2 < len(p.targets[b]) {
						cls[p.targets[b][c/2]] += x
					} else if x != 0 {
						t.Fatalf("%v item %d frame %d: state %d past the labels has %v", dt, b, f, c, x)
					}
				}
				wantSum := 1.0
				if f >= p.inLen[b] {
					wantSum = 0
				}
				if !near(sum, wantSum, tol) {
					t.Errorf("%v item %d frame %d: posteriors sum to %v, want %v", dt, b, f, sum, wantSum)
				}
				for c := range p.cls {
					if w := -grad[(f*p.batch+b)*p.cls+c]; !near(cls[c], w+0, tol) {
						t.Errorf("%v item %d frame %d class %d: %v, enumeration %v", dt, b, f, c, cls[c], w)
					}
				}
			}
		}
	}
}

// TestEagerViews: Align and Posteriors read views (a slice of a larger
// tensor, a pending transpose) as their values and modify none of their
// arguments.
func TestEagerViews(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	p := randomProblem(rng, 6, 3, 4, 2, 4)
	lp, tg, il, tl := p.tensors(tensor.Float64)
	wantSpans, err := Align(lp, tg, il, tl)
	if err != nil {
		t.Fatal(err)
	}
	wantPost, err := Posteriors(lp, tg, il, tl)
	if err != nil {
		t.Fatal(err)
	}
	// logProbs as frames 1…6 of a (7, 3, 4) tensor.
	big := tensor.New(tensor.WithShape(7, 3, 4), tensor.WithBacking(append(make([]float64, 12), p.lp...)))
	view, err := big.Slice(gorgonia.S(1, 7))
	if err != nil {
		t.Fatal(err)
	}
	// targets as the transpose, pending, of their transpose.
	tt := tensor.New(tensor.WithShape(p.width, p.batch), tensor.WithBacking(make([]int, p.width*p.batch)))
	for b := range p.batch {
		for j := range p.width {
			tt.Data().([]int)[j*p.batch+b] = tg.Data().([]int)[b*p.width+j]
		}
	}
	if err := tt.T(); err != nil {
		t.Fatal(err)
	}
	before := slices.Clone(big.Data().([]float64))
	beforeT := slices.Clone(tt.Data().([]int))
	spans, err := Align(view.(*tensor.Dense), tt, il, tl)
	if err != nil {
		t.Fatal(err)
	}
	post, err := Posteriors(view.(*tensor.Dense), tt, il, tl)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(spans, wantSpans, slices.Equal) {
		t.Errorf("spans of views %v, want %v", spans, wantSpans)
	}
	if !slices.Equal(post.Data().([]float64), wantPost.Data().([]float64)) {
		t.Errorf("posteriors of views differ")
	}
	if !slices.Equal(big.Data().([]float64), before) || !slices.Equal(tt.Data().([]int), beforeT) {
		t.Errorf("an argument was modified")
	}
}
