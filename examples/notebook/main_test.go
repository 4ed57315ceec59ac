package main

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunWritesPNGs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new") // run must create it
	var out bytes.Buffer
	if err := run(dir, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(pictures) {
		t.Fatalf("printed %d lines, want one per picture (%d):\n%s", len(lines), len(pictures), out.String())
	}
	for i, p := range pictures {
		path := filepath.Join(dir, p.name+".png")
		if lines[i] != path {
			t.Errorf("line %d is %q, want %q", i, lines[i], path)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Error(err)
			continue
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if b := img.Bounds(); b.Dx() < 100 || b.Dy() < 100 {
			t.Errorf("%s is only %v pixels", path, b.Size())
		}
	}
}

func TestRunBadFolder(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(filepath.Join(file, "sub"), &bytes.Buffer{}); err == nil {
		t.Error("run into a folder below a file: no error")
	}
}

// matrix returns matrix 0 of the named picture as a dense [][]float64.
func matrix(t *testing.T, name string) [][]float64 {
	t.Helper()
	a, err := seed()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pictures {
		if p.name != name {
			continue
		}
		m, err := p.build(a)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d := make([][]float64, m.N())
		for i := range d {
			d[i] = make([]float64, m.N())
			for j := range d[i] {
				d[i][j] = m.At(0, i, j)
			}
		}
		return d
	}
	t.Fatalf("no picture %q", name)
	return nil
}

// TestPictureMatrices checks each picture's matrix against its dense
// meaning, written from the seed's dense form A.
func TestPictureMatrices(t *testing.T) {
	a := matrix(t, "matrix")
	at := func(i, j int) float64 { // A[i,j], 0 outside the matrix
		if i < 0 || i >= n || j < 0 || j >= n {
			return 0
		}
		return a[i][j]
	}
	mul := func(x, y func(i, j int) float64) func(i, j int) float64 {
		return func(i, j int) float64 {
			s := 0.0
			for k := range n {
				s += x(i, k) * y(k, j)
			}
			return s
		}
	}
	transpose := func(i, j int) float64 { return at(j, i) }
	aat := mul(at, transpose)
	tests := []struct {
		name string
		want func(i, j int) float64
	}{
		{"matrix", func(i, j int) float64 {
			if j-i < -lower || j-i > upper {
				return 0
			}
			return float64(j+1) / 21
		}},
		{"transpose", transpose},
		{"mean_self", at},
		{"mean_transpose", func(i, j int) float64 { return (at(i, j) + at(j, i)) / 2 }},
		{"mul_self", mul(at, at)},
		{"rowshift_plus1", func(i, j int) float64 { return at(i+1, j) }},
		{"rowshift_minus1", func(i, j int) float64 { return at(i-1, j) }},
		{"colshift_plus1", func(i, j int) float64 { return at(i, j+1) }},
		{"colshift_minus1", func(i, j int) float64 { return at(i, j-1) }},
		// The window moves down by one diagonal: the top super-diagonal
		// is dropped.
		{"bandshift_plus1", func(i, j int) float64 {
			if j-i == upper {
				return 0
			}
			return at(i, j)
		}},
		{"bandshift_minus1", func(i, j int) float64 {
			if j-i == -lower {
				return 0
			}
			return at(i, j)
		}},
		{"mul_transpose_cubed", mul(mul(aat, aat), aat)},
		{"mul_rowshift2", mul(at, func(i, j int) float64 { return at(i+2, j) })},
	}
	if len(tests) != len(pictures) {
		t.Errorf("%d tests for %d pictures", len(tests), len(pictures))
	}
	for _, tt := range tests {
		got := matrix(t, tt.name)
		for i := range n {
			for j := range n {
				if w := tt.want(i, j); !near(got[i][j], w) {
					t.Errorf("%s[%d][%d] = %v, want %v", tt.name, i, j, got[i][j], w)
				}
			}
		}
	}
}

// near reports whether x and y agree to about 12 digits.
func near(x, y float64) bool {
	return math.Abs(x-y) <= 1e-12*(1+math.Max(math.Abs(x), math.Abs(y)))
}

// TestBandStorageIsDiagonals checks the fact the band pictures show: column
// k of the storage of A is the diagonal j−i = k−lower.
func TestBandStorageIsDiagonals(t *testing.T) {
	a, err := seed()
	if err != nil {
		t.Fatal(err)
	}
	data := a.Data().Data().([]float64)
	w := a.Width()
	for i := range n {
		for k := range w {
			j := i + k - lower
			if j < 0 || j >= n {
				continue
			}
			if got, want := data[i*w+k], float64(j+1)/21; got != want {
				t.Errorf("storage[%d][%d] = %v, want A[%d][%d] = %v", i, k, got, i, j, want)
			}
		}
	}
	if a.Lower() != lower || a.Upper() != upper || w != 4 {
		t.Errorf("seed band (%d, %d) width %d, want (1, 2) width 4", a.Lower(), a.Upper(), w)
	}
}
