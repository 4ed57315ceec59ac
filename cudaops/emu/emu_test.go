package emu

import (
	"bytes"
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
	want := []kgen.Kernel{{Name: "a_f32", NArgs: 4}, {Name: "c", NArgs: 0}}
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
			if err := Run(l, unsafe.Pointer(&out[0]), unsafe.Pointer(&in[0])); err != nil {
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
	if err := Run(l, unsafe.Pointer(&out[0])); err != nil {
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
	err := Run(l, unsafe.Pointer(&out[0]))
	for _, want := range []string{"emutest_early", "__syncthreads", "3 of the block's 8 threads had returned"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("5 of 8 threads live: error %v, want one containing %q", err, want)
		}
	}
	// The emulator is still fine after a failed launch.
	l.Args[0] = int64(threads)
	if err := Run(l, unsafe.Pointer(&out[0])); err != nil {
		t.Fatal(err)
	}
}

func TestRunErrors(t *testing.T) {
	var buf [4]float64
	p := unsafe.Pointer(&buf[0])
	ok := cudaops.Launch{Kernel: "emutest_reduce_f64", Grid: [3]uint{1, 1, 1}, Block: [3]uint{4, 1, 1}, SharedBytes: 32, Args: []any{int64(4)}}
	if err := Run(ok, p, p); err != nil {
		t.Fatalf("valid launch: %v", err)
	}
	mod := func(f func(*cudaops.Launch)) cudaops.Launch {
		l := ok
		l.Args = slices.Clone(ok.Args)
		f(&l)
		return l
	}
	cases := []struct {
		name string
		l    cudaops.Launch
		ptrs []unsafe.Pointer
		want string
	}{
		{"empty grid", mod(func(l *cudaops.Launch) { l.Grid[0] = 0 }), []unsafe.Pointer{p, p}, "empty launch"},
		{"empty block", mod(func(l *cudaops.Launch) { l.Block[1] = 0 }), []unsafe.Pointer{p, p}, "empty launch"},
		{"too many threads", mod(func(l *cudaops.Launch) { l.Block = [3]uint{32, 33, 1} }), []unsafe.Pointer{p, p}, "at most 1024"},
		{"too much shared", mod(func(l *cudaops.Launch) { l.SharedBytes = 48<<10 + 1 }), []unsafe.Pointer{p, p}, "shared memory"},
		{"grid y", mod(func(l *cudaops.Launch) { l.Grid[1] = 65536 }), []unsafe.Pointer{p, p}, "CUDA limits"},
		{"unknown kernel", mod(func(l *cudaops.Launch) { l.Kernel = "nope_f32" }), []unsafe.Pointer{p, p}, "no kernel"},
		{"too few pointers", ok, []unsafe.Pointer{p}, "takes 3 arguments"},
		{"too many scalars", mod(func(l *cudaops.Launch) { l.Args = append(l.Args, 1.5) }), []unsafe.Pointer{p, p}, "takes 3 arguments"},
		{"bad scalar", mod(func(l *cudaops.Launch) { l.Args[0] = "4" }), []unsafe.Pointer{p, p}, "type string"},
		{"nil pointer", ok, []unsafe.Pointer{p, nil}, "nil"},
	}
	for _, c := range cases {
		err := Run(c.l, c.ptrs...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
