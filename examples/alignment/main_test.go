package main

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// decode reads a PNG and fails the test when it is not one or is too small
// to read.
func decode(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 200 {
		t.Errorf("%s is only %v pixels", path, b.Size())
	}
	return img
}

// colours counts the distinct colours of img: a blank or one-colour
// picture has very few.
func colours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return len(seen)
}

// TestRun runs a small seed example (24×24, the block from 20) in both
// dtypes and checks what it prints and that both pictures decode.
func TestRun(t *testing.T) {
	const n, block = 24, 20
	for _, dtype := range []string{"float64", "float32"} {
		t.Run(dtype, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "new") // run must create it
			var out bytes.Buffer
			if err := run(&out, dir, dtype, 1, n, block); err != nil {
				t.Fatal(err)
			}
			text := out.String()
			// Every path enters 2n−1 cells (no diagonal move beats a
			// cell at 1e6), so the marginals sum to 2n−1.
			sum := number(t, text, `sum of marginals = (\S+)`)
			if math.Abs(sum-(2*n-1)) > 1e-6 {
				t.Errorf("sum of marginals %v, want %d", sum, 2*n-1)
			}
			// log Z counts the cells at 1e6 of a best path: 2n−1−block of them.
			if z := number(t, text, `log Z = (\S+)`); math.Abs(z/1e6-(2*n-1-block)) > 1e-3 {
				t.Errorf("log Z %v, want about %d·1e6", z, 2*n-1-block)
			}
			// The two first moves are named by where they come from, and
			// they share the probability of the path's second cell.
			left := number(t, text, `enter \(0,1\) from the left\) = (\S+),`)
			above := number(t, text, `enter \(1,0\) from above\) = (\S+)`)
			if math.Abs(left+above-1) > 1e-3 {
				t.Errorf("P(from the left) + P(from above) = %v + %v, want 1", left, above)
			}
			for _, old := range []string{"right", "down", "Down", "Up"} {
				if strings.Contains(text, old) {
					t.Errorf("the report says %q, a move's old name:\n%s", old, text)
				}
			}
			if !regexp.MustCompile(`Viterbi path: \(0,0\) start(, \d+ × (FromLeft|FromDiag|FromAbove))+, end`).MatchString(text) {
				t.Errorf("the Viterbi path is not told as runs of named moves:\n%s", text)
			}
			if !strings.Contains(text, "Viterbi path: (0,0) start") || !strings.Contains(text, "end (23,23)") {
				t.Errorf("no Viterbi path from (0,0) to (23,23) in the report:\n%s", text)
			}
			for _, name := range []string{"marginals.png", "moves.png"} {
				path := filepath.Join(dir, name)
				if !strings.Contains(text, "wrote "+path) {
					t.Errorf("the report does not name %s", path)
				}
				if c := colours(decode(t, path)); c < 20 {
					t.Errorf("%s has %d colours, want a picture", name, c)
				}
			}
		})
	}
}

// number parses the first group of re's first match in text.
func number(t *testing.T, text, re string) float64 {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no %q in:\n%s", re, text)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("%q: %v", m[1], err)
	}
	return v
}

func TestRunErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, out, dtype string
		n, block         int
	}{
		{"zero n", t.TempDir(), "float64", 0, 0},
		{"negative block", t.TempDir(), "float64", 4, -1},
		{"unknown dtype", t.TempDir(), "int", 4, 2},
		{"folder below a file", filepath.Join(file, "sub"), "float64", 4, 2},
	}
	for _, tt := range tests {
		if err := run(&bytes.Buffer{}, tt.out, tt.dtype, 1, tt.n, tt.block); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}
