// Command notebook draws the pictures of genbmm's seed notebook with
// genband: a small banded matrix, the results of the shape operations and
// products on it, each as the dense matrix beside its band storage.
//
// Usage:
//
//	go run ./examples/notebook [-out dir]
//
// It writes one PNG per picture into dir (default ./out, created if needed)
// and prints the path of each. Every picture uses the colour scale 0..1;
// larger values, which the products produce, are drawn as 1.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/genband/genband/bandop"
	"gorgonia.org/tensor"
)

// The seed matrix: n×n with one sub-diagonal and two super-diagonals.
const n, lower, upper = 20, 1, 2

// seed returns the seed matrix: every in-band entry of column j is
// (j+1)/(n+1), so that the pictures show which column a value came from.
func seed() (*bandop.Banded, error) {
	d := make([]float64, n*n)
	for i := range n {
		for j := range n {
			d[i*n+j] = float64(j+1) / (n + 1)
		}
	}
	return bandop.FromDense(tensor.New(tensor.WithShape(1, n, n), tensor.WithBacking(d)), lower, upper, 0)
}

// A picture is one matrix built from the seed matrix a.
type picture struct {
	name, title string
	build       func(a *bandop.Banded) (*bandop.Banded, error)
}

func mean(x, y float64) float64 { return (x + y) / 2 }

var pictures = []picture{
	{"matrix", "A", func(a *bandop.Banded) (*bandop.Banded, error) { return a, nil }},
	{"mean_self", "(A+A)/2 by Zip", func(a *bandop.Banded) (*bandop.Banded, error) { return bandop.Zip(a, a, mean) }},
	{"mul_self", "A·A", func(a *bandop.Banded) (*bandop.Banded, error) { return a.Mul(a, bandop.Real) }},
	{"transpose", "Aᵀ", func(a *bandop.Banded) (*bandop.Banded, error) { return a.Transpose(), nil }},
	{"mean_transpose", "(A+Aᵀ)/2 by Zip", func(a *bandop.Banded) (*bandop.Banded, error) { return bandop.Zip(a, a.Transpose(), mean) }},
	{"rowshift_plus1", "RowShift(A, +1)", func(a *bandop.Banded) (*bandop.Banded, error) { return a.RowShift(1) }},
	{"rowshift_minus1", "RowShift(A, −1)", func(a *bandop.Banded) (*bandop.Banded, error) { return a.RowShift(-1) }},
	{"colshift_plus1", "ColShift(A, +1)", func(a *bandop.Banded) (*bandop.Banded, error) { return a.ColShift(1) }},
	{"colshift_minus1", "ColShift(A, −1)", func(a *bandop.Banded) (*bandop.Banded, error) { return a.ColShift(-1) }},
	// genbmm's band_shift: the same matrix seen through a window moved by
	// one diagonal, so one diagonal is dropped and an empty one appears.
	{"bandshift_plus1", "BandShift(A, +1) = Reband(A, 2, 1)", func(a *bandop.Banded) (*bandop.Banded, error) { return a.BandShift(1) }},
	{"bandshift_minus1", "BandShift(A, −1) = Reband(A, 0, 3)", func(a *bandop.Banded) (*bandop.Banded, error) { return a.BandShift(-1) }},
	// (A·Aᵀ)³, computed as ((A·Aᵀ)·(A·Aᵀ))·(A·Aᵀ).
	{"mul_transpose_cubed", "(A·Aᵀ)³", func(a *bandop.Banded) (*bandop.Banded, error) {
		p, err := a.Mul(a.Transpose(), bandop.Real)
		if err != nil {
			return nil, err
		}
		p2, err := p.Mul(p, bandop.Real)
		if err != nil {
			return nil, err
		}
		return p2.Mul(p, bandop.Real)
	}},
	// A times the copy of A whose rows moved up by two: A·S with
	// S[i,j] = A[i+2, j].
	{"mul_rowshift2", "A·RowShift(A, 2)", func(a *bandop.Banded) (*bandop.Banded, error) {
		s, err := a.RowShift(2)
		if err != nil {
			return nil, err
		}
		return a.Mul(s, bandop.Real)
	}},
}

// run writes every picture into dir and prints each file's path to w.
func run(dir string, w io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	a, err := seed()
	if err != nil {
		return err
	}
	for _, p := range pictures {
		m, err := p.build(a)
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		path := filepath.Join(dir, p.name+".png")
		if err := writePicture(path, p.title, m); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		fmt.Fprintln(w, path)
	}
	return nil
}

func main() {
	out := flag.String("out", "out", "folder for the PNG files (created if missing)")
	flag.Parse()
	if err := run(*out, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "notebook:", err)
		os.Exit(1)
	}
}
