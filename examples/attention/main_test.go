package main

import (
	"bytes"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/genband/genband/attention"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestRun trains for 60 steps and checks that the held-out accuracy goes
// from chance to near perfect, that the loss falls, and that the picture is
// a PNG.
func TestRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new") // run must create it
	var out bytes.Buffer
	rep, err := run(&out, 60, 30, dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 30, 60}; len(rep.Steps) != len(want) || rep.Steps[2] != 60 {
		t.Fatalf("measured at steps %v, want %v", rep.Steps, want)
	}
	a0, a1 := rep.HeldAcc[0], rep.HeldAcc[2]
	t.Logf("held-out accuracy %.3f → %.3f, loss %.3f → %.3f", a0, a1, rep.HeldLoss[0], rep.HeldLoss[2])
	if a0 > 0.3 || a1 < 0.9 {
		t.Errorf("held-out accuracy %.3f → %.3f, want below 0.3 before (chance 1/%d) and at least 0.9 after", a0, a1, V)
	}
	if !(rep.HeldLoss[2] < rep.HeldLoss[0]/4) {
		t.Errorf("held-out loss %.3f → %.3f, want it four times lower", rep.HeldLoss[0], rep.HeldLoss[2])
	}
	if n := strings.Count(out.String(), "accuracy"); n != 3 {
		t.Errorf("printed the accuracy %d times, want 3:\n%s", n, out.String())
	}
	if len(rep.Pictures) != 1 || !strings.Contains(out.String(), "wrote "+rep.Pictures[0]) {
		t.Fatalf("pictures %v, want weights.png, named in the report", rep.Pictures)
	}
	f, err := os.Open(rep.Pictures[0])
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	} else if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 300 {
		t.Errorf("the picture is only %v pixels", b.Size())
	}
}

// TestAttentionWeights checks that the weights drawn are those Banded
// uses: Σ_j w[i][j]·v[j] is its output for sequence 0.
func TestAttentionWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	const n = 20
	g := gorgonia.NewGraph()
	var in []*gorgonia.Node
	for _, name := range []string{"q", "k", "v"} {
		x := make([]float32, B*N*D)
		for i := range x {
			x[i] = float32(2*rng.Float64() - 1)
		}
		in = append(in, gorgonia.NewTensor(g, tensor.Float32, 3, gorgonia.WithShape(B, N, D), gorgonia.WithName(name),
			gorgonia.WithValue(tensor.New(tensor.WithShape(B, N, D), tensor.WithBacking(x)))))
	}
	lens := make([]int, B)
	for b := range lens {
		lens[b] = n
	}
	l := gorgonia.NewTensor(g, tensor.Int, 1, gorgonia.WithShape(B), gorgonia.WithValue(tensor.New(tensor.WithShape(B), tensor.WithBacking(lens))))
	h, err := attention.Banded(in[0], in[1], in[2], Lower, 0, 1/math.Sqrt(D), attention.WithLengths(l))
	if err != nil {
		t.Fatal(err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	w := attentionWeights(in[0].Value(), in[1].Value(), n)
	v, got := in[2].Value().Data().([]float32), h.Value().Data().([]float32)
	for i := range n {
		sum := 0.0
		for j := range n {
			if w[i][j] != 0 && (j > i || j < i-Lower) {
				t.Fatalf("weight of key %d for query %d is %v, outside the window", j, i, w[i][j])
			}
			sum += w[i][j]
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("query %d: weights sum to %v", i, sum)
		}
		for x := range D {
			want := 0.0
			for j := range n {
				want += w[i][j] * float64(v[j*D+x])
			}
			if g := float64(got[i*D+x]); math.Abs(g-want) > 1e-5 {
				t.Errorf("out[0, %d, %d] = %v, Σ w·v = %v", i, x, g, want)
			}
		}
	}
}

func TestRunErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name         string
		steps, every int
		out          string
	}{
		{"no steps", 0, 1, t.TempDir()},
		{"every 0", 5, 0, t.TempDir()},
		{"folder below a file", 1, 1, filepath.Join(file, "sub")},
	} {
		if _, err := run(&bytes.Buffer{}, tt.steps, tt.every, tt.out); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}
