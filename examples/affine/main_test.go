package main

import (
	"bytes"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/genband/genband/align"
)

// TestAffine trains both models and checks what the example claims: both
// learn, the affine model aligns the held-out pairs better, and it learns
// that opening a gap costs more than extending one.
func TestAffine(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new") // run must create it
	var out bytes.Buffer
	rep, err := run(&out, 60, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	for k, name := range []string{"linear", "affine"} {
		if !(rep.Loss1[k] < rep.Loss0[k]/2) {
			t.Errorf("%s: held-out loss %.2f → %.2f, want it at least halved", name, rep.Loss0[k], rep.Loss1[k])
		}
		if !(rep.F11[k] > rep.F10[k]+0.3) {
			t.Errorf("%s: held-out F1 %.3f → %.3f, want it up by at least 0.3", name, rep.F10[k], rep.F11[k])
		}
	}
	if !(rep.F11[1] > rep.F11[0]+0.02) {
		t.Errorf("held-out F1: affine %.3f, linear %.3f, want affine ahead by at least 0.02", rep.F11[1], rep.F11[0])
	}
	g := rep.Gaps[1] // OpenLeft, ExtendLeft, OpenAbove, ExtendAbove
	if !(g[0] < g[1]-1 && g[2] < g[3]-1) {
		t.Errorf("affine gap scores %v: want each opening at least 1 nat below its extension", g)
	}
	f, err := os.Open(rep.Picture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("%s: %v", rep.Picture, err)
	}
}

// TestPair: every generated pair's gold path is a global path of its
// lengths, in the linear model and, converted, in the affine one, and its
// steps reproduce x's letters in y up to the one confusion.
func TestPair(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	lin, aff := align.Model{}, align.Model{Affine: true}
	long := 0
	for range 200 {
		x, y, p := pair(rng)
		if len(x) > N || len(y) > N {
			t.Fatalf("lengths %d, %d past N = %d", len(x), len(y), N)
		}
		lx, ly := []int{len(x)}, []int{len(y)}
		if err := lin.CheckPaths([]align.Path{p}, N, N, lx, ly); err != nil {
			t.Fatal(err)
		}
		if err := aff.CheckPaths([]align.Path{affinePath(p)}, N, N, lx, ly); err != nil {
			t.Fatal(err)
		}
		run := 0
		for k, s := range p {
			if s.Move == align.FromDiag {
				if a, b := x[s.I], y[s.J]; b != a && b != (a+1)%V {
					t.Fatalf("step %d aligns %d with %d", k, a, b)
				}
				run = 0
				continue
			}
			if run++; run == 4 {
				long++
			}
		}
	}
	if long < 20 {
		t.Errorf("%d gaps of 4 or more in 200 pairs, want long indels", long)
	}
}
