// Package anchor runs the C reference programs ("anchors") that genband's
// benchmarks measure themselves against, in the same run on the same
// machine, and reports the ratio.
//
// The anchors live outside the module, in the shared/anchors folder beside
// the module root (../shared/anchors from go.mod's folder), or in the folder
// named by $GENBAND_ANCHORS. Their README gives each program's build flags,
// arguments and output; this package holds those flags (Flags) and the
// parsing of the output (Result).
//
// A benchmark uses it in three steps:
//
//	prog := anchor.ForBench(b, "seed_dp_simd") // built with gcc, or b.Skip
//	cmp, err := anchor.Interleave(5,
//		func() (float64, error) { return timeGenband(), nil }, // ms
//		func() (float64, error) {
//			r, err := prog.Run([]string{"KERNEL=diag"}, "seed", "50", prog.File("seed_vals.npy"), prog.File("seed_marg_dp64.npy"))
//			return r.MedianMS, err
//		})
//	cmp.Report(b, "ms")
//
// Interleave alternates the two sides round by round, so that a neighbour's
// load on a shared machine falls on both, and Report gives the medians and
// the median of the rounds' ratios (genband over anchor) as the metric
// "x-anchor". Build caches each binary under the user's cache folder, keyed
// by the sources, the flags, gcc's version and the host, so a benchmark
// pays for gcc once.
//
// ForBench skips (b.Skip, with the reason) when gcc or the anchors folder is
// missing, errors of kind ErrUnavailable; any other failure, a compile
// error or an anchor's failed run, fails the benchmark. The package is for
// benchmarks and tests only.
package anchor

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// ErrUnavailable is the kind of error of a machine that cannot run the
// anchors at all: no gcc on the PATH, or no anchors folder. Benchmarks skip
// on it; any other error is a failure.
var ErrUnavailable = errors.New("anchors unavailable")

// EnvDir names the environment variable that, when set, is the anchors
// folder, in place of ../shared/anchors beside the module root.
const EnvDir = "GENBAND_ANCHORS"

// Flags are the gcc flags of each anchor, from the anchors' README: the
// vectorised programs with -ffast-math, the plain libm DP (seed_dp)
// without. Build links every program with -lm -lpthread.
var Flags = map[string][]string{
	"seed_dp_simd":   {"-O3", "-march=native", "-ffast-math"},
	"bandmul_simd":   {"-O3", "-march=native", "-ffast-math"},
	"logmatmul_simd": {"-O3", "-march=native", "-ffast-math"},
	"seed_dp":        {"-O3", "-march=native"},
}

// Dir returns the anchors folder: $GENBAND_ANCHORS when set, else
// shared/anchors beside the root of the module that holds the working
// directory (a package's folder under go test). The error is of kind
// ErrUnavailable when the folder does not exist.
func Dir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return checkDir(d, "$"+EnvDir)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("anchor: the working directory: %w", err)
	}
	return dirFrom(wd)
}

// dirFrom is Dir's search from the folder start: up to the first folder
// holding a go.mod, then ../shared/anchors from there.
func dirFrom(start string) (string, error) {
	for d := filepath.Clean(start); ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return checkDir(filepath.Join(filepath.Dir(d), "shared", "anchors"), "beside the module root "+d)
		}
		up := filepath.Dir(d)
		if up == d {
			return "", fmt.Errorf("anchor: no go.mod in %s or above: %w", start, ErrUnavailable)
		}
		d = up
	}
}

func checkDir(d, where string) (string, error) {
	st, err := os.Stat(d)
	if err != nil {
		return "", fmt.Errorf("anchor: anchors folder %s (%s): %w (%w)", d, where, ErrUnavailable, err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("anchor: %s (%s) is not a folder: %w", d, where, ErrUnavailable)
	}
	return filepath.Abs(d)
}

// A Program is an anchor built for this machine.
type Program struct {
	Name string // the program, e.g. "seed_dp_simd"
	Path string // the binary
	Dir  string // the anchors folder, which holds its data files
}

// File returns the path of a file of the anchors folder (seed_vals.npy …),
// to pass as an argument: the anchors run in a folder of their own.
func (p *Program) File(name string) string { return filepath.Join(p.Dir, name) }

// builds holds one build per program and process: benchmarks that share an
// anchor build it once.
var builds sync.Map // name → *build

type build struct {
	once sync.Once
	p    *Program
	err  error
}

// Build returns the anchor name (a key of Flags: name.c in Dir) built with
// gcc, from the cache when its sources, flags, compiler and host are
// unchanged. The error is of kind ErrUnavailable when gcc or the anchors
// folder is missing.
func Build(name string) (*Program, error) {
	v, _ := builds.LoadOrStore(name, &build{})
	bd := v.(*build)
	bd.once.Do(func() {
		dir, err := Dir()
		if err != nil {
			bd.err = err
			return
		}
		bd.p, bd.err = buildIn(dir, name, cacheRoot())
	})
	return bd.p, bd.err
}

// cacheRoot is the folder of cached binaries: under the user's cache
// folder, else the system's temporary folder.
func cacheRoot() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "genband", "anchors")
	}
	return filepath.Join(os.TempDir(), "genband-anchors")
}

// buildIn builds name from the anchors folder dir into a folder of cache
// named by the hash of everything the binary depends on.
func buildIn(dir, name, cache string) (*Program, error) {
	flags, ok := Flags[name]
	if !ok {
		return nil, fmt.Errorf("anchor: unknown anchor %q (known: %s)", name, strings.Join(names(), ", "))
	}
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		return nil, fmt.Errorf("anchor: building %s: %w (%w)", name, ErrUnavailable, err)
	}
	src := filepath.Join(dir, name+".c")
	key, err := buildKey(dir, src, gcc, flags)
	if err != nil {
		return nil, fmt.Errorf("anchor: building %s: %w", name, err)
	}
	out := filepath.Join(cache, key, name)
	p := &Program{Name: name, Path: out, Dir: dir}
	if st, err := os.Stat(out); err == nil && st.Mode().IsRegular() {
		return p, nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return nil, fmt.Errorf("anchor: building %s: %w", name, err)
	}
	// Into a temporary name first: a concurrent benchmark process never
	// runs a half-written binary.
	tmp, err := os.CreateTemp(filepath.Dir(out), name+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("anchor: building %s: %w", name, err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	args := append(slices.Clone(flags), "-o", tmp.Name(), src, "-lm", "-lpthread")
	cmd := exec.Command(gcc, args...)
	cmd.Dir = dir
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("anchor: gcc %s: %w\n%s", strings.Join(args, " "), err, msg)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return nil, fmt.Errorf("anchor: building %s: %w", name, err)
	}
	return p, nil
}

func names() []string {
	var n []string
	for k := range Flags {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// buildKey hashes the source, every header of the anchors folder, the
// flags, gcc's version and the host (-march=native builds for this CPU).
func buildKey(dir, src, gcc string, flags []string) (string, error) {
	h := sha256.New()
	files := []string{src}
	hdrs, err := filepath.Glob(filepath.Join(dir, "*.h"))
	if err != nil {
		return "", err
	}
	files = append(files, hdrs...)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && f == src {
				return "", fmt.Errorf("%w: %w", ErrUnavailable, err)
			}
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(f), len(b))
		h.Write(b)
	}
	ver, err := exec.Command(gcc, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("gcc --version: %w", err)
	}
	host, _ := os.Hostname()
	fmt.Fprintf(h, "%q\n%s\n%s\n", flags, ver, host)
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// Result is what an anchor printed: its last line, and the median figures
// it gives (0 where the line has none).
type Result struct {
	Line      string
	MedianMS  float64 // median_ms=
	NsPerTerm float64 // ns/term median=
}

var (
	reMedianMS = regexp.MustCompile(`\bmedian_ms=([0-9.eE+-]+)`)
	reNsTerm   = regexp.MustCompile(`ns/term median=([0-9.eE+-]+)`)
)

// Parse reads the figures of an anchor's output: the last line that holds
// median_ms= or ns/term median=. It is an error when no line does.
func Parse(out []byte) (Result, error) {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for k := len(lines) - 1; k >= 0; k-- {
		l := strings.TrimSpace(lines[k])
		r := Result{Line: l}
		var err error
		if m := reMedianMS.FindStringSubmatch(l); m != nil {
			if r.MedianMS, err = strconv.ParseFloat(m[1], 64); err != nil {
				return Result{}, fmt.Errorf("anchor: median_ms in %q: %w", l, err)
			}
		}
		if m := reNsTerm.FindStringSubmatch(l); m != nil {
			if r.NsPerTerm, err = strconv.ParseFloat(m[1], 64); err != nil {
				return Result{}, fmt.Errorf("anchor: ns/term in %q: %w", l, err)
			}
		}
		if r.MedianMS != 0 || r.NsPerTerm != 0 {
			return r, nil
		}
	}
	return Result{}, fmt.Errorf("anchor: no median_ms= or ns/term median= in the output %q", out)
}

// Run runs the program with the arguments and extra environment variables
// (KEY=value, added to this process's) and parses its output.
func (p *Program) Run(env []string, args ...string) (Result, error) {
	cmd := exec.Command(p.Path, args...)
	cmd.Dir = p.Dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return Result{}, fmt.Errorf("anchor: %s %s: %w: %s", p.Name, strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	r, err := Parse(out)
	if err != nil {
		return Result{}, fmt.Errorf("anchor: %s %s: %w", p.Name, strings.Join(args, " "), err)
	}
	return r, nil
}

// ForBench returns the anchor name built for this machine, skipping the
// benchmark (with the reason) when gcc or the anchors are missing and
// failing it on any other error.
func ForBench(b testing.TB, name string) *Program {
	b.Helper()
	p, err := Build(name)
	if errors.Is(err, ErrUnavailable) {
		b.Skipf("no ratio to the C anchor %s: %v", name, err)
	}
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// Comparison holds the figures of interleaved rounds, in one unit: one
// figure of each side a round.
type Comparison struct {
	Genband, Anchor []float64
}

// Interleave runs rounds rounds of genband then anchor, each returning a
// figure in the same unit (a median time, ns per term …), and returns them.
// It stops at the first error.
func Interleave(rounds int, genband, anchor func() (float64, error)) (Comparison, error) {
	var c Comparison
	for r := range rounds {
		g, err := genband()
		if err != nil {
			return c, fmt.Errorf("anchor: round %d, genband: %w", r, err)
		}
		a, err := anchor()
		if err != nil {
			return c, fmt.Errorf("anchor: round %d, the anchor: %w", r, err)
		}
		c.Genband, c.Anchor = append(c.Genband, g), append(c.Anchor, a)
	}
	return c, nil
}

// Ratio returns the median over the rounds of genband's figure over the
// anchor's (NaN without rounds).
func (c Comparison) Ratio() float64 {
	r := make([]float64, len(c.Genband))
	for k := range r {
		r[k] = c.Genband[k] / c.Anchor[k]
	}
	return Median(r)
}

// Report reports on b the medians of both sides, as genband-unit and
// anchor-unit, and the ratio, as x-anchor.
func (c Comparison) Report(b *testing.B, unit string) {
	b.ReportMetric(Median(c.Genband), "genband-"+unit)
	b.ReportMetric(Median(c.Anchor), "anchor-"+unit)
	b.ReportMetric(c.Ratio(), "x-anchor")
}

// Median returns the median of xs (the mean of the middle two for an even
// count, NaN for none), without modifying xs.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
