package anchor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		out     string
		ms, ns  float64
		fails   bool
		lineHas string
	}{
		{out: "simd(VL=8,diag) logZ=1 sum=2 maxabs_vs_dp64=1e-13 best_ms=0.2400 median_ms=0.2460\n", ms: 0.246, lineHas: "diag"},
		{out: "bandmul_simd threads=1 terms=8801408 median_ms=7.1 ns/term median=0.812 best=0.70 maxrel_vs_libm=1e-7\n", ms: 7.1, ns: 0.812},
		{out: "warming up\nlogZ=3 sum=1 best_ms=1.5 median_ms=2.25\n", ms: 2.25},
		{out: "median_ms=1\nmedian_ms=3\n", ms: 3},
		{out: "logZ=3 sum=1\n", fails: true},
		{out: "", fails: true},
		{out: "median_ms=x1\n", fails: true},
	} {
		r, err := Parse([]byte(c.out))
		if c.fails {
			if err == nil {
				t.Errorf("Parse(%q) = %+v, want an error", c.out, r)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", c.out, err)
			continue
		}
		if r.MedianMS != c.ms || r.NsPerTerm != c.ns || !strings.Contains(r.Line, c.lineHas) {
			t.Errorf("Parse(%q) = %+v, want median_ms %v, ns/term %v", c.out, r, c.ms, c.ns)
		}
	}
}

func TestMedianAndRatio(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{{[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}, {[]float64{5}, 5}} {
		in := slices.Clone(c.xs)
		if got := Median(in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.xs, got, c.want)
		}
		if !slices.Equal(in, c.xs) {
			t.Errorf("Median modified its argument: %v, was %v", in, c.xs)
		}
	}
	if m := Median(nil); !math.IsNaN(m) {
		t.Errorf("Median(nil) = %v, want NaN", m)
	}
	// Ratio is the median of the rounds' ratios, not the ratio of medians.
	c := Comparison{Genband: []float64{2, 10, 3}, Anchor: []float64{1, 1, 3}}
	if r := c.Ratio(); r != 2 {
		t.Errorf("Ratio of %+v = %v, want 2", c, r)
	}
}

func TestInterleave(t *testing.T) {
	var order []string
	k := 0.0
	c, err := Interleave(3,
		func() (float64, error) { order = append(order, "g"); k++; return k, nil },
		func() (float64, error) { order = append(order, "a"); return 10 * k, nil })
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, ""); got != "gagaga" {
		t.Errorf("order %s, want gagaga", got)
	}
	if !slices.Equal(c.Genband, []float64{1, 2, 3}) || !slices.Equal(c.Anchor, []float64{10, 20, 30}) {
		t.Errorf("got %+v", c)
	}
	boom := errors.New("boom")
	c, err = Interleave(3, func() (float64, error) { return 1, nil }, func() (float64, error) { return 0, boom })
	if !errors.Is(err, boom) || len(c.Genband) != 0 {
		t.Errorf("failing anchor: %+v, %v; want no rounds and the cause", c, err)
	}
}

// TestDirFrom builds module trees in a temporary folder: the anchors are
// found from any folder below the module root, and their absence is
// ErrUnavailable.
func TestDirFrom(t *testing.T) {
	root := t.TempDir()
	mod := filepath.Join(root, "clone")
	pkg := filepath.Join(mod, "a", "b")
	must(t, os.MkdirAll(pkg, 0o755))
	must(t, os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module x\n"), 0o644))
	if _, err := dirFrom(pkg); !errors.Is(err, ErrUnavailable) {
		t.Errorf("no shared folder: %v, want ErrUnavailable", err)
	}
	want := filepath.Join(root, "shared", "anchors")
	must(t, os.MkdirAll(want, 0o755))
	for _, start := range []string{mod, pkg} {
		got, err := dirFrom(start)
		if err != nil || got != want {
			t.Errorf("dirFrom(%s) = %q, %v; want %q", start, got, err, want)
		}
	}
	t.Setenv(EnvDir, filepath.Join(root, "elsewhere"))
	if _, err := Dir(); !errors.Is(err, ErrUnavailable) {
		t.Errorf("$%s names a missing folder: %v, want ErrUnavailable", EnvDir, err)
	}
	t.Setenv(EnvDir, want)
	if got, err := Dir(); err != nil || got != want {
		t.Errorf("Dir with $%s = %q, %v; want %q", EnvDir, got, err, want)
	}
}

// TestBuildRun builds a stand-in anchor in a temporary anchors folder,
// runs it, reuses the cached binary, and rebuilds when the source
// changes.
func TestBuildRun(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc:", err)
	}
	dir, cache := t.TempDir(), t.TempDir()
	Flags["stand_in"] = []string{"-O1"}
	defer delete(Flags, "stand_in")
	src := `#include <stdio.h>
#include <stdlib.h>
#include "x.h"
int main(int argc, char **argv){ const char *e = getenv("SCALE"); printf("noise\nrun median_ms=%g ns/term median=%d\n", X*(e?atof(e):1), argc-1); return 0; }
`
	must(t, os.WriteFile(filepath.Join(dir, "stand_in.c"), []byte(src), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "x.h"), []byte("#define X 1.5\n"), 0o644))
	p, err := buildIn(dir, "stand_in", cache)
	must(t, err)
	r, err := p.Run([]string{"SCALE=2"}, "a", "b")
	must(t, err)
	if r.MedianMS != 3 || r.NsPerTerm != 2 {
		t.Errorf("run: %+v, want median_ms 3 and ns/term 2", r)
	}
	again, err := buildIn(dir, "stand_in", cache)
	must(t, err)
	if again.Path != p.Path {
		t.Errorf("unchanged sources built into %s, then %s", p.Path, again.Path)
	}
	// A header is a dependency too.
	must(t, os.WriteFile(filepath.Join(dir, "x.h"), []byte("#define X 2.5\n"), 0o644))
	changed, err := buildIn(dir, "stand_in", cache)
	must(t, err)
	if changed.Path == p.Path {
		t.Errorf("a changed header reused %s", p.Path)
	}
	if r, err := changed.Run(nil); err != nil || r.MedianMS != 2.5 {
		t.Errorf("rebuilt run: %+v, %v; want median_ms 2.5", r, err)
	}
	must(t, os.WriteFile(filepath.Join(dir, "stand_in.c"), []byte("int main(void){ return }\n"), 0o644))
	if _, err := buildIn(dir, "stand_in", cache); err == nil || errors.Is(err, ErrUnavailable) {
		t.Errorf("a compile error: %v, want an error that is not ErrUnavailable", err)
	}
	if _, err := buildIn(dir, "no_such", cache); err == nil {
		t.Error("an unknown anchor built")
	}
	if _, err := buildIn(t.TempDir(), "stand_in", cache); !errors.Is(err, ErrUnavailable) {
		t.Errorf("a missing source: %v, want ErrUnavailable", err)
	}
}

// npy returns a version 1 .npy file of the given header and data.
func npy(hdr string, data []byte) []byte {
	h := []byte(hdr)
	for (10+len(h)+1)%64 != 0 {
		h = append(h, ' ')
	}
	h = append(h, '\n')
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), byte(len(h)>>8))
	return append(append(b, h...), data...)
}

func TestLoadNPY(t *testing.T) {
	vals := []float64{1.5, -2, 3.25, 0, 7, 1e-3}
	f4, f8 := make([]byte, 4*len(vals)), make([]byte, 8*len(vals))
	for k, v := range vals {
		binary.LittleEndian.PutUint32(f4[4*k:], math.Float32bits(float32(v)))
		binary.LittleEndian.PutUint64(f8[8*k:], math.Float64bits(v))
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name, hdr string
		data      []byte
		shape     []int
		fails     bool
	}{
		{"f4", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f4, []int{2, 3}, false},
		{"f8", "{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }", f8, []int{6}, false},
		{"fortran", "{'descr': '<f8', 'fortran_order': True, 'shape': (6,), }", f8, nil, true},
		{"int", "{'descr': '<i8', 'fortran_order': False, 'shape': (6,), }", f8, nil, true},
		{"short", "{'descr': '<f8', 'fortran_order': False, 'shape': (7,), }", f8, nil, true},
	} {
		path := filepath.Join(dir, c.name+".npy")
		must(t, os.WriteFile(path, npy(c.hdr, c.data), 0o644))
		shape, data, err := LoadNPY(path)
		if c.fails {
			if err == nil {
				t.Errorf("%s: got shape %v, want an error", c.name, shape)
			}
			continue
		}
		if err != nil || !slices.Equal(shape, c.shape) {
			t.Errorf("%s: shape %v, %v; want %v", c.name, shape, err, c.shape)
			continue
		}
		for k, v := range vals {
			if want := float64(float32(v)); data[k] != want && data[k] != v {
				t.Errorf("%s: value %d = %v, want %v", c.name, k, data[k], v)
			}
		}
	}
	if _, _, err := LoadNPY(filepath.Join(dir, "missing.npy")); err == nil {
		t.Error("a missing file loaded")
	}
}

// TestBatchTheta checks the LCG against the README's formula evaluated in
// arbitrary precision.
func TestBatchTheta(t *testing.T) {
	x := BatchTheta(1000)
	s, mod := big.NewInt(12345), new(big.Int).Lsh(big.NewInt(1), 64)
	a, _ := new(big.Int).SetString("6364136223846793005", 10)
	c, _ := new(big.Int).SetString("1442695040888963407", 10)
	for k, v := range x {
		s.Mul(s, a).Add(s, c).Mod(s, mod)
		hi := new(big.Int).Rsh(s, 40).Int64()
		if want := float32(hi) / (1 << 24); v != want || v < 0 || v >= 1 {
			t.Fatalf("value %d = %v, want %v in [0, 1)", k, v, want)
		}
	}
}

// TestAnchorsReal builds and runs the real seed anchor where this machine
// has the anchors and gcc, and checks its seed data.
func TestAnchorsReal(t *testing.T) {
	p, err := Build("seed_dp_simd")
	if errors.Is(err, ErrUnavailable) {
		t.Skip(err)
	}
	must(t, err)
	r, err := p.Run([]string{"KERNEL=diag"}, "seed", "3", p.File("seed_vals.npy"), p.File("seed_marg_dp64.npy"))
	must(t, err)
	if !(r.MedianMS > 0) {
		t.Errorf("seed anchor: %+v", r)
	}
	shape, th, err := LoadNPY(p.File("seed_vals.npy"))
	must(t, err)
	if fmt.Sprint(shape) != "[1 200 200 3]" || len(th) != 120000 {
		t.Errorf("seed_vals.npy: shape %v", shape)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
