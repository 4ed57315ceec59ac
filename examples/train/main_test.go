package main

import (
	"bytes"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/genband/genband/align"
	"gorgonia.org/tensor"
)

// TestTrain trains for 60 steps and checks that the held-out loss falls,
// that the held-out Viterbi F1 goes from chance to a good aligner, and that
// both pictures are PNGs.
func TestTrain(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new") // run must create it
	var out bytes.Buffer
	rep, err := run(&out, 60, 20, dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 20, 40, 60}; len(rep.Steps) != len(want) || rep.Steps[3] != 60 {
		t.Fatalf("measured at steps %v, want %v", rep.Steps, want)
	}
	if len(rep.TrainLoss) != 60 {
		t.Errorf("%d training losses, want one per step (60)", len(rep.TrainLoss))
	}
	l0, l1 := rep.HeldLoss[0], rep.HeldLoss[3]
	f0, f1 := rep.HeldF1[0], rep.HeldF1[3]
	t.Logf("held-out loss %.2f → %.2f nats per pair, F1 %.3f → %.3f", l0, l1, f0, f1)
	// Before training every path has the same score, so the gold path's
	// −log P is log(number of paths): tens of nats for 20–40 letters.
	if !(l1 < l0/3) {
		t.Errorf("held-out loss %.2f → %.2f nats per pair, want it at least three times lower", l0, l1)
	}
	// With θ = 0 every path is equally likely, so −log P(gold path) is the
	// entropy, log(number of paths).
	if d := rep.HeldLoss[0] - rep.HeldH[0]; d > 1e-3*l0 || d < -1e-3*l0 {
		t.Errorf("before training the held-out loss %.4f differs from the entropy %.4f", l0, rep.HeldH[0])
	}
	if h := rep.HeldH[3]; !(h < rep.HeldH[0]/2) {
		t.Errorf("held-out entropy %.2f → %.2f nats per pair, want it at least halved", rep.HeldH[0], h)
	}
	for k := 1; k < len(rep.HeldLoss); k++ {
		if rep.HeldLoss[k] >= rep.HeldLoss[k-1] {
			t.Errorf("held-out loss rose from %.3f to %.3f between steps %d and %d", rep.HeldLoss[k-1], rep.HeldLoss[k], rep.Steps[k-1], rep.Steps[k])
		}
	}
	if f0 > 0.3 || f1 < 0.8 {
		t.Errorf("held-out F1 %.3f → %.3f, want below 0.3 before and at least 0.8 after", f0, f1)
	}
	if n := strings.Count(out.String(), "held-out loss"); n != 4 {
		t.Errorf("printed the held-out loss %d times, want 4:\n%s", n, out.String())
	}
	if len(rep.Pictures) != 2 {
		t.Fatalf("pictures %v, want loss.png and marginals.png", rep.Pictures)
	}
	for _, p := range rep.Pictures {
		if !strings.Contains(out.String(), "wrote "+p) {
			t.Errorf("the report does not name %s", p)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", p, err)
		} else if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 300 {
			t.Errorf("%s is only %v pixels", p, b.Size())
		}
	}
}

// TestPairs checks the generator: every gold path is a global path of its
// pair's lengths, and it scores its pair's substitutions as the graph does.
func TestPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var gaps, subs int
	for range 200 {
		x, y, path := pair(rng)
		if len(y) > N || len(x) > N || len(x) < 1 || len(y) < 1 {
			t.Fatalf("lengths %d, %d, want 1..%d", len(x), len(y), N)
		}
		if s := path[0]; s != (align.Step{I: 0, J: 0, Move: align.FromDiag}) {
			t.Fatalf("path starts with %+v, want (0, 0) FromDiag", s)
		}
		if e := path[len(path)-1]; e.I != len(x)-1 || e.J != len(y)-1 {
			t.Fatalf("path ends at (%d, %d), want (%d, %d)", e.I, e.J, len(x)-1, len(y)-1)
		}
		for k := 1; k < len(path); k++ {
			p, s := path[k-1], path[k]
			di, dj := s.I-p.I, s.J-p.J
			switch {
			case s.Move == align.FromLeft && di == 0 && dj == 1,
				s.Move == align.FromAbove && di == 1 && dj == 0:
				gaps++
			case s.Move == align.FromDiag && di == 1 && dj == 1:
				if x[s.I] != y[s.J] {
					subs++
					if y[s.J] != (x[s.I]+1)%V {
						t.Fatalf("x[%d] = %d aligned with y[%d] = %d: not the confusion a → a+1", s.I, x[s.I], s.J, y[s.J])
					}
				}
			default:
				t.Fatalf("step %d %+v does not follow %+v", k, s, p)
			}
		}
	}
	if gaps == 0 || subs == 0 {
		t.Errorf("%d gaps and %d substitutions in 200 pairs, want both", gaps, subs)
	}
}

func TestItem0(t *testing.T) {
	src := make([]float32, B*N*N*3)
	for k := range src {
		src[k] = float32(k)
	}
	th := item0(tensor.New(tensor.WithShape(B, N, N, 3), tensor.WithBacking(src)), 3, 5)
	if s := th.Shape(); !s.Eq(tensor.Shape{1, 3, 5, 3}) {
		t.Fatalf("shape %v, want (1, 3, 5, 3)", s)
	}
	got := th.Data().([]float32)
	for i := range 3 {
		for j := range 5 {
			for c := range 3 {
				if g, w := got[(i*5+j)*3+c], src[(i*N+j)*3+c]; g != w {
					t.Errorf("θ[0, %d, %d, %d] = %v, want %v", i, j, c, g, w)
				}
			}
		}
	}
}

func TestRunErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		steps, every int
		out          string
	}{
		{"no steps", 0, 1, t.TempDir()},
		{"every 0", 5, 0, t.TempDir()},
		{"folder below a file", 1, 1, filepath.Join(file, "sub")},
	}
	for _, tt := range tests {
		if _, err := run(&bytes.Buffer{}, tt.steps, tt.every, tt.out); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}
