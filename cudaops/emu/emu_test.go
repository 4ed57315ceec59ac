//go:build cgo

package emu

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/genband/genband/cudaops"
	"github.com/genband/genband/cudaops/emu/internal/kgen"
)

// The generated kernel table and PTX unit must be what the generator makes
// of the sources now, or a kernel edit would go untested (the Go build
// cache does not see the .cu files) or a new kernel would be missing.
func TestGeneratedUpToDate(t *testing.T) {
	files, _, err := kgen.Generate(".")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range files {
		got, err := os.ReadFile(filepath.FromSlash(path))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate ./cudaops/emu (and make ptx)", path)
		}
		if !strings.HasPrefix(string(got), kgen.Header+"\n") {
			t.Errorf("%s does not start with %q", path, kgen.Header)
		}
	}
}

// Every kernel the emulator has is in the committed PTX and the other way
// round, so that neither can forget one.
func TestKernelsMatchPTX(t *testing.T) {
	emu, ptx := Kernels(), cudaops.Kernels()
	slices.Sort(emu)
	slices.Sort(ptx)
	if !slices.Equal(emu, ptx) {
		t.Errorf("emulator kernels %v\nPTX entries       %v\nrun go generate ./cudaops/emu and make ptx", emu, ptx)
	}
	for _, name := range Kernels() {
		if strings.HasPrefix(name, "emutest_") {
			t.Errorf("test kernel %s is in the production table", name)
		}
	}
}

func TestParse(t *testing.T) {
	src := `extern "C" __global__ void a_f32(float* o, const float* __restrict__ x,
		long long n, double s) {}
	// not an entry: __device__ void b(int);
	extern "C" __global__ void c() {}`
	got := kgen.Parse(src)
	want := []kgen.Kernel{{Name: "a_f32", NArgs: 4, Params: "fFjx"}, {Name: "c", NArgs: 0}}
	if !slices.Equal(got, want) {
		t.Errorf("Parse = %v, want %v", got, want)
	}
}

// A block tree reduction in dynamic shared memory with __syncthreads gives
// the exact sum (the values are small integers, so the order of additions
// does not matter) for every block size, including sizes above and below
// the row length, and for many blocks (which run on several OS threads,
// each with its own dynamic shared memory).
func TestReduce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, threads := range []uint{1, 2, 32, 128, 512, 1024} {
		for _, n := range []int{1, 5, 300} {
			rows := 3
			if threads == 128 {
				rows = 200
			}
			in := make([]float64, rows*n)
			want := make([]float64, rows)
			for i := range in {
				in[i] = float64(rng.IntN(2001) - 1000)
				want[i/n] += in[i]
			}
			out := slices.Repeat([]float64{7}, rows)
			l := cudaops.Launch{Kernel: "emutest_reduce_f64", Grid: [3]uint{uint(rows), 1, 1}, Block: [3]uint{threads, 1, 1}, SharedBytes: threads * 8, Args: []any{int64(n)}}
			if err := Run(l, out, in); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(out, want) {
				t.Errorf("threads %d, n %d: sums %v, want %v", threads, n, out, want)
			}
		}
	}
}

// Static __shared__ is one per block; indices, dimensions and a double
// scalar arrive. With every thread live there is no early return; with
// some threads returned before the __syncthreads the others wait at, the
// launch fails and says so (undefined behaviour on a GPU).
func TestEarlyReturnAndStaticShared(t *testing.T) {
	const blocks, threads = 3, 8
	out := make([]int64, blocks*threads)
	for i := range out {
		out[i] = -1
	}
	l := cudaops.Launch{Kernel: "emutest_early", Grid: [3]uint{blocks, 1, 1}, Block: [3]uint{threads, 1, 1}, Args: []any{int64(threads), 40.0}}
	if err := Run(l, out); err != nil {
		t.Fatal(err)
	}
	for b := 0; b < blocks; b++ {
		for x := 0; x < threads; x++ {
			want := int64(b*1000 + 40 + threads)
			if got := out[b*threads+x]; got != want {
				t.Errorf("block %d thread %d: %d, want %d", b, x, got, want)
			}
		}
	}
	l.Args[0] = int64(5)
	err := Run(l, out)
	for _, want := range []string{"emutest_early", "__syncthreads", "3 of the block's 8 threads had returned"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("5 of 8 threads live: error %v, want one containing %q", err, want)
		}
	}
	// The emulator is still fine after a failed launch.
	l.Args[0] = int64(threads)
	if err := Run(l, out); err != nil {
		t.Fatal(err)
	}
}

func TestRunErrors(t *testing.T) {
	out, in := make([]float64, 1), make([]float64, 4)
	ok := cudaops.Launch{Kernel: "emutest_reduce_f64", Grid: [3]uint{1, 1, 1}, Block: [3]uint{4, 1, 1}, SharedBytes: 32, Args: []any{int64(4)}}
	if err := Run(ok, out, in); err != nil {
		t.Fatalf("valid launch: %v", err)
	}
	mod := func(f func(*cudaops.Launch)) cudaops.Launch {
		l := ok
		l.Args = slices.Clone(ok.Args)
		f(&l)
		return l
	}
	two := []any{out, in}
	cases := []struct {
		name string
		l    cudaops.Launch
		bufs []any
		want string
	}{
		{"empty grid", mod(func(l *cudaops.Launch) { l.Grid[0] = 0 }), two, "empty launch"},
		{"empty block", mod(func(l *cudaops.Launch) { l.Block[1] = 0 }), two, "empty launch"},
		{"too many threads", mod(func(l *cudaops.Launch) { l.Block = [3]uint{32, 33, 1} }), two, "at most 1024"},
		{"too much shared", mod(func(l *cudaops.Launch) { l.SharedBytes = 48<<10 + 1 }), two, "shared memory"},
		{"grid y", mod(func(l *cudaops.Launch) { l.Grid[1] = 65536 }), two, "CUDA limits"},
		{"unknown kernel", mod(func(l *cudaops.Launch) { l.Kernel = "nope_f32" }), two, "no kernel"},
		{"too few buffers", ok, []any{out}, "takes 3 arguments (2 pointers, 1 scalars), got 1 buffers"},
		{"too many scalars", mod(func(l *cudaops.Launch) { l.Args = append(l.Args, 1.5) }), two, "got 2 buffers and 2 scalars"},
		{"bad scalar", mod(func(l *cudaops.Launch) { l.Args[0] = "4" }), two, "type string"},
		{"a pointer", ok, []any{out, unsafe.Pointer(&in[0])}, "buffer 1 is a unsafe.Pointer"},
		{"wrong type", ok, []any{out, []float32{1, 2, 3, 4}}, "buffer 1 holds float, the parameter is const double*"},
	}
	for _, c := range cases {
		err := Run(c.l, c.bufs...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// The checks of Run fire on the deliberately broken kernel
// (testdata/broken.cu), each with a message that says what and where; the
// same kernel with nothing broken passes, and the emulator is fine after
// every failure.
func TestChecks(t *testing.T) {
	const n, threads = 40, 16
	in := make([]float32, n)
	for i := range in {
		in[i] = float32(i) + 0.5
	}
	launch := func(what int64, shared uint) error {
		out := make([]float32, n)
		l := cudaops.Launch{Kernel: "emutest_broken", Grid: [3]uint{3, 1, 1}, Block: [3]uint{threads, 1, 1}, SharedBytes: shared, Args: []any{int64(n), what}}
		err := Run(l, out, slices.Clone(in))
		if err == nil {
			for i := range out {
				if out[i] != 2*in[i] {
					t.Errorf("what %d: out[%d] = %v, want %v", what, i, out[i], 2*in[i])
					break
				}
			}
		}
		return err
	}
	exact := uint(threads * 4)
	cases := []struct {
		what    int64
		shared  uint
		checked bool // needs the access checks (off under -asan and -race)
		want    []string
	}{
		{1, exact, true, []string{"emutest_broken", "thread (0,0,0) of block (0,0,0) writes 4 bytes at byte -4 of buffer 0 (float*, 40 elements, 160 bytes): an overrun before its start"}},
		{12, exact, true, []string{"writes 4 bytes at byte 172 of buffer 0 (float*, 40 elements, 160 bytes): an overrun past its end"}},
		{2, exact, true, []string{"reads 4 bytes at byte 160 of buffer 1 (const float*, 40 elements, 160 bytes): an overrun past its end"}},
		{3, exact, true, []string{"writes element 0 of buffer 1 (const float*), an input"}},
		{4, exact, true, []string{"reads element 1 of buffer 0 (float*), which no thread has written in this launch"}},
		{5, exact + 4, true, []string{"reads byte 64 of the dynamic shared memory, which no thread of the block has written"}},
		{6, exact, true, []string{"writes 4 bytes at byte 64 of the dynamic shared memory (the launch's 64 bytes): an overrun past its end"}},
		{7, exact, true, []string{"reads static __shared__ memory", "that no thread of the block has written"}},
		{8, exact, false, []string{"buffer 0 (float*, 40 elements): a guard byte after its end (8 bytes past it) was overwritten"}},
		{9, exact, false, []string{"buffer 1 (const float*), an input, changed: element 0 differs after the launch"}},
		{10, exact, false, []string{"a divergent __syncthreads: thread (0,0,0) waits at the __syncthreads at testdata/broken.cu:", "thread (1,0,0) at the __syncthreads at testdata/broken.cu:"}},
	}
	if err := launch(0, exact); err != nil {
		t.Fatalf("nothing broken: %v", err)
	}
	for _, c := range cases {
		if c.checked && !Checked() {
			continue
		}
		if c.what == 8 && !Checked() {
			// Under go test -asan the buffer has no guard bytes, and
			// AddressSanitizer aborts the process at the memset, as it
			// should.
			continue
		}
		err := launch(c.what, c.shared)
		for _, want := range c.want {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("what %d: error %v, want one containing %q", c.what, err, want)
			}
		}
		if err := launch(0, exact); err != nil {
			t.Fatalf("nothing broken, after what %d: %v", c.what, err)
		}
	}
	// A read of the previous thread's shared slot with no barrier between
	// passes here (thread x-1 runs before x): the ThreadSanitizer replay
	// of make sanitize reports it (tsan/).
	if err := launch(11, exact); err != nil {
		t.Errorf("no barrier: %v", err)
	}
}

// Coverage counts the most trips of each loop (per thread and entry) and
// the most passes of each barrier (per block) of one launch, and keeps the
// best launch of each kernel.
func TestCoverageCounts(t *testing.T) {
	out := make([]int64, 2*4)
	for _, c := range [][2]int64{{1, 0}, {3, 2}, {2, 5}} {
		l := cudaops.Launch{Kernel: "emutest_count", Grid: [3]uint{2, 1, 1}, Block: [3]uint{4, 1, 1}, Args: []any{c[0], c[1]}}
		if err := Run(l, out); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]SiteCount{}
	for _, s := range Coverage()["emutest_count"] {
		got[s.Site()] = s
	}
	src, err := os.ReadFile("testdata/broken.cu")
	if err != nil {
		t.Fatal(err)
	}
	line := func(text string) string {
		for i, l := range strings.Split(string(src), "\n") {
			if strings.Contains(l, text) {
				return fmt.Sprintf("broken.cu:%d", i+1)
			}
		}
		t.Fatalf("no line %q in broken.cu", text)
		return ""
	}
	want := []struct {
		site    string
		barrier bool
		count   int
		inLoop  bool
	}{
		{line("for (long long i = 0; i < outer; i++)"), false, 3, false},
		{line("for (long long k = 0; k < inner; k++) s += k;"), false, 5, false},
	}
	for _, w := range want {
		s, ok := got[w.site]
		if !ok || s.Barrier != w.barrier || s.Count != w.count || s.InLoop != w.inLoop {
			t.Errorf("site %s: %+v, want barrier %v count %d inLoop %v", w.site, s, w.barrier, w.count, w.inLoop)
		}
	}
	// The barriers: one outside every loop (one pass a block), one in the
	// outer loop (three passes a block, in the launch with outer = 3).
	var passes []string
	for _, s := range Coverage()["emutest_count"] {
		if s.Barrier {
			passes = append(passes, fmt.Sprintf("%d/%v", s.Count, s.InLoop))
		}
	}
	if !slices.Equal(passes, []string{"1/false", "3/true"}) {
		t.Errorf("barrier passes/in loop %v, want [1/false 3/true]", passes)
	}
}

// The emulator computes as the GPU does: __expf is ex2.approx of x·log2(e)
// rounded to float (within an ulp of exp2 of that float, subnormal results
// flushed to zero, within the documented 2 + ⌊1.173·|x|⌋ ulp of e^x), and
// a·b + c is one fused multiply-add, in float and double.
func TestArith(t *testing.T) {
	xs := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.5, 10.25, -10.25, 40, 80, 88.5, 89, -80, -87, -87.4, -88, -90, -104, -200, 200,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 2000 {
		xs = append(xs, float32(rng.Float64()*180-90))
	}
	n := len(xs)
	// a·b + c with a = b = 1 + 2^-13, c = -1: 2^-12 + 2^-26 fused, 2^-12
	// when a·b is rounded first.
	a := slices.Clone(xs)
	b, c := make([]float32, n), make([]float32, n)
	a[0], b[0], c[0] = 1+0x1p-13, 1+0x1p-13, -1
	xs[0] = a[0]
	out := make([]float32, 2*n)
	l := cudaops.Linear("emutest_arith", n, int64(n))
	if err := Run(l, out, a, b, c); err != nil {
		t.Fatal(err)
	}
	if got, want := out[n], float32(0x1p-12+0x1p-26); got != want {
		t.Errorf("float a·b + c = %g, want %g (fused)", got, want)
	}
	ulp := func(x float32) float64 { return float64(math.Nextafter32(x, float32(math.Inf(1))) - x) }
	worst := 0.0
	for i, x := range xs {
		got := out[i]
		tt := x * float32(math.Log2E) // rounded to float, as mul.f32
		model := float32(math.Exp2(float64(tt)))
		if math.Abs(float64(model)) < 0x1p-126 {
			model = 0
		}
		exact := math.Exp(float64(x))
		switch {
		case x != x:
			if got == got {
				t.Errorf("__expf(NaN) = %v", got)
			}
			continue
		case exact < 0x1p-126:
			if got != 0 {
				t.Errorf("__expf(%g) = %g, want 0 (the subnormal result flushed)", x, got)
			}
			continue
		case math.IsInf(float64(model), 1):
			if !math.IsInf(float64(got), 1) {
				t.Errorf("__expf(%g) = %g, want +Inf", x, got)
			}
			continue
		}
		if d := math.Abs(float64(got - model)); d > ulp(model) {
			t.Errorf("__expf(%g) = %g, want exp2(%g) = %g within an ulp", x, got, tt, model)
		}
		bound := 2 + math.Floor(1.173*math.Abs(float64(x)))
		e := math.Abs(float64(got)-exact) / ulp(float32(exact))
		if e > bound {
			t.Errorf("__expf(%g) = %g, %.1f ulp from e^x, documented at most %g", x, got, e, bound)
		}
		worst = max(worst, e)
	}
	if worst < 4 {
		t.Errorf("__expf is at most %.1f ulp from e^x: the argument's rounding is not emulated", worst)
	}

	d := []float64{1 + 0x1p-30}
	o := make([]float64, 1)
	if err := Run(cudaops.Linear("emutest_arith64", 1, int64(1)), o, d, d, []float64{-1}); err != nil {
		t.Fatal(err)
	}
	if want := 0x1p-29 + 0x1p-60; o[0] != want {
		t.Errorf("double a·b + c = %g, want %g (fused)", o[0], want)
	}
}
