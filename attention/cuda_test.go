//go:build cuda

package attention

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/internal/cudatest"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestCUDABanded runs a graph of Banded, a weighted sum and its gradient
// with respect to q, k and v on the GPU (a cuda-tagged binary exits at
// start-up without one) and compares the output and the gradients with
// every Op's Do on the CPU, with and without lengths, both dtypes, twice
// with other values.
func TestCUDABanded(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	const batch, n, d = 3, 150, 40
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, withLens := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/lengths%v", dt, withLens), func(t *testing.T) {
				sh := tensor.Shape{batch, n, d}
				g := gorgonia.NewGraph()
				var in []*gorgonia.Node
				for i := range 4 {
					in = append(in, gorgonia.NewTensor(g, dt, 3, gorgonia.WithShape(sh...), gorgonia.WithName(fmt.Sprint("x", i))))
				}
				var opts []Option
				var lens *gorgonia.Node
				if withLens {
					lens = gorgonia.NewTensor(g, tensor.Int, 1, gorgonia.WithShape(batch), gorgonia.WithName("lengths"))
					opts = append(opts, WithLengths(lens))
				}
				out, err := Banded(in[0], in[1], in[2], 70, 3, 0.3, opts...)
				if err != nil {
					t.Fatal(err)
				}
				cost, err := gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(out, in[3])))
				if err != nil {
					t.Fatal(err)
				}
				grads, err := gorgonia.Grad(cost, in[:3]...)
				if err != nil {
					t.Fatal(err)
				}
				nodes := append(gorgonia.Nodes{out}, grads...)
				got := make([]gorgonia.Value, len(nodes))
				for i, x := range nodes {
					gorgonia.Read(x, &got[i])
				}
				vm := gorgonia.NewTapeMachine(g)
				defer vm.Close()
				for run := range 2 {
					for i := range in {
						x := make([]float64, sh.TotalSize())
						for j := range x {
							x[j] = 2*rng.Float64() - 1
						}
						if err := gorgonia.Let(in[i], tensorOf(dt, sh, x)); err != nil {
							t.Fatal(err)
						}
					}
					if withLens {
						lv := tensor.New(tensor.WithShape(batch), tensor.WithBacking([]int{n, rng.IntN(n + 1), 1}))
						if err := gorgonia.Let(lens, lv); err != nil {
							t.Fatal(err)
						}
					}
					want, err := cudatest.CPUEval(g)
					if err != nil {
						t.Fatal(err)
					}
					vm.Reset()
					if err := vm.RunAll(); err != nil {
						t.Fatalf("run %d: %v", run, err)
					}
					tol := 1e-10
					if dt == tensor.Float32 {
						tol = 1e-4
					}
					for i, x := range nodes {
						if got[i] == nil {
							t.Fatalf("run %d: %v not read back", run, x)
						}
						if diff := cudatest.Compare(got[i], want[x], tol); diff != "" {
							t.Errorf("run %d: %v: GPU and CPU differ: %s", run, []string{"out", "dq", "dk", "dv"}[i], diff)
						}
					}
				}
			})
		}
	}
}

// BenchmarkCUDABanded times Banded forward and backward on the GPU at the
// size the attention issue names for it: batch·heads 32, n = 16384, a
// window of 513 (lower = upper = 256), d = 64, float32. One iteration is
// one RunAll of out, Σ out ⊙ w and the gradients with respect to q, k and
// v; ns/query-key reports the time per in-band score.
func BenchmarkCUDABanded(b *testing.B) {
	const batch, n, d, half = 32, 16384, 64, 256
	sh := tensor.Shape{batch, n, d}
	rng := rand.New(rand.NewPCG(41, 42))
	g := gorgonia.NewGraph()
	var in []*gorgonia.Node
	for i := range 4 {
		x := make([]float32, sh.TotalSize())
		for j := range x {
			x[j] = float32(2*rng.Float64() - 1)
		}
		v := tensor.New(tensor.WithShape(sh...), tensor.WithBacking(x))
		in = append(in, gorgonia.NewTensor(g, tensor.Float32, 3, gorgonia.WithShape(sh...), gorgonia.WithName(fmt.Sprint("x", i)), gorgonia.WithValue(v)))
	}
	out, err := Banded(in[0], in[1], in[2], half, half, 0.125)
	if err != nil {
		b.Fatal(err)
	}
	cost, err := gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(out, in[3])))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := gorgonia.Grad(cost, in[:3]...); err != nil {
		b.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil { // the first run loads the module and allocates
		b.Fatal(err)
	}
	vm.Reset()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := vm.RunAll(); err != nil {
			b.Fatal(err)
		}
		vm.Reset()
	}
	b.StopTimer()
	// In-band scores: every row has 2·half + 1 keys but the first and last half rows.
	scores := float64(batch) * float64(n*(2*half+1)-half*(half+1))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/scores, "ns/query-key")
}
