package main

import (
	"bytes"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRun trains for 100 steps and checks that the held-out loss falls
// well, that more strings are read exactly, that the before and after
// readings and alignments are printed, and that the picture is a PNG.
func TestRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new") // run must create it
	var out bytes.Buffer
	rep, err := run(&out, 100, 50, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Steps) != 3 || rep.Steps[2] != 100 {
		t.Fatalf("measured at steps %v, want [0 50 100]", rep.Steps)
	}
	t.Logf("held-out loss %.3f → %.3f, read %.2f → %.2f", rep.HeldLoss[0], rep.HeldLoss[2], rep.HeldRead[0], rep.HeldRead[2])
	if !(rep.HeldLoss[2] < rep.HeldLoss[0]/4) {
		t.Errorf("held-out loss %.3f → %.3f, want it four times lower", rep.HeldLoss[0], rep.HeldLoss[2])
	}
	if !(rep.HeldRead[2] >= 0.4 && rep.HeldRead[2] > rep.HeldRead[0]) {
		t.Errorf("strings read exactly %.2f → %.2f, want at least 0.4 after and more than before", rep.HeldRead[0], rep.HeldRead[2])
	}
	for _, s := range []string{"greedy reading", "forced alignment"} {
		if n := strings.Count(out.String(), s); n != 2 {
			t.Errorf("printed %q %d times, want 2:\n%s", s, n, out.String())
		}
	}
	if len(rep.Pictures) != 1 || !strings.Contains(out.String(), "wrote "+rep.Pictures[0]) {
		t.Fatalf("pictures %v, want alignment.png, named in the report", rep.Pictures)
	}
	f, err := os.Open(rep.Pictures[0])
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	} else if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 250 {
		t.Errorf("the picture is only %v pixels", b.Size())
	}
}

// TestBatch checks the synthetic data: every sequence's frames fit T, its
// frames' classes read (repeats merged, blanks dropped) as its string, and
// its string has 3 to L labels of the alphabet.
func TestBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range 20 {
		bt := newBatch(rng)
		for b := range B {
			lab, fr := bt.labels[b], bt.frames[b]
			if len(fr) > T || len(lab) < 3 || len(lab) > L {
				t.Fatalf("sequence of %d labels over %d frames", len(lab), len(fr))
			}
			var read []int
			for i, c := range fr {
				if c < 0 || c > V {
					t.Fatalf("class %d", c)
				}
				if c != 0 && (i == 0 || fr[i-1] != c) {
					read = append(read, c)
				}
			}
			if len(read) != len(lab) {
				t.Fatalf("frames %v read as %v, want %v", fr, read, lab)
			}
			for j := range read {
				if read[j] != lab[j] {
					t.Fatalf("frames %v read as %v, want %v", fr, read, lab)
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
