//go:build cuda

package align

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/genband/genband/internal/cudatest"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// SMURF's configuration (a differentiable Smith–Waterman with affine gaps
// and no turns between the two gap directions): 128 local Log alignments,
// lengths drawn from 100 to 900 and padded to 900 × 900, float32
// potentials, log Z and the marginals. θ takes 2.1 GB (affine, 5
// channels) or 1.2 GB (linear), the float64 α and its gradient 2.5 GB each
// (affine, 3 states) or 0.8 GB.
const (
	smurfBatch  = 128
	smurfN      = 900
	smurfMinLen = 100
)

// smurfModels are the two models of BenchmarkCUDASMURF, on the same
// lengths: SMURF's affine one and the linear model.
var smurfModels = map[string]Model{
	"affine": {Semiring: Log, Mode: Local, Affine: true, NoTurns: true},
	"linear": {Semiring: Log, Mode: Local},
}

// smurfInput is one model's potentials and the lengths, made once per
// process (the framework calls a benchmark more than once), with the
// CPU's log Z and marginals of item 0.
type smurfInput struct {
	theta, lengths *tensor.Dense
	lenX, lenY     []int
	cpuZ           float64
	cpuMarg        []float64 // item 0's, laid out as θ
	cpu            time.Duration
}

var (
	smurfOnce sync.Map // model name → *sync.Once
	smurfIn   sync.Map // model name → smurfInput
)

func newSMURFInput(tb testing.TB, m Model) smurfInput {
	var in smurfInput
	const batch, n = smurfBatch, smurfN
	c := m.Channels()
	lrng := rand.New(rand.NewPCG(21, 22)) // the same lengths for both models
	in.lenX, in.lenY = make([]int, batch), make([]int, batch)
	for b := range batch {
		in.lenX[b], in.lenY[b] = smurfMinLen+lrng.IntN(n-smurfMinLen+1), smurfMinLen+lrng.IntN(n-smurfMinLen+1)
	}
	in.lenX[0], in.lenY[0] = n, n
	rng := rand.New(rand.NewPCG(23, 24))
	th := make([]float32, batch*n*n*c)
	for b := range batch {
		for i := range n {
			for j := range n {
				row := th[((b*n+i)*n+j)*c:][:c]
				for k := range row {
					if i < in.lenX[b] && j < in.lenY[b] {
						row[k] = 2*rng.Float32() - 1
					} else {
						row[k] = float32(math.NaN()) // past the lengths: never read
					}
				}
			}
		}
	}
	in.theta = tensor.New(tensor.WithShape(batch, n, n, c), tensor.WithBacking(th))
	var err error
	if in.lengths, err = Lengths(in.lenX, in.lenY); err != nil {
		tb.Fatal(err)
	}
	// Item 0 on the CPU, each Op's Do.
	sl := tensor.New(tensor.WithShape(1, n, n, c), tensor.WithBacking(append([]float32(nil), th[:n*n*c]...)))
	lv, err := Lengths(in.lenX[:1], in.lenY[:1])
	if err != nil {
		tb.Fatal(err)
	}
	g := newCUDAAlignGraph(tb, m, sl, lv, tensor.Float64)
	start := time.Now()
	vals, err := cudatest.CPUEval(g.g)
	if err != nil {
		tb.Fatal(err)
	}
	in.cpu = time.Since(start)
	in.cpuZ, in.cpuMarg = float64s(vals[g.z])[0], float64s(vals[g.grad])
	return in
}

// BenchmarkCUDASMURF runs, for SMURF's affine model and beside it the
// linear model on the same lengths (sub-benchmarks affine and linear), the
// graph of a Program (θ and the lengths as inputs, log Z in float64, the
// marginals by gorgonia.Grad of Σ log Z, both read back) for 128 local Log
// alignments with lengths from 100 to 900 padded to 900 × 900, float32
// potentials (NaN past the lengths), on GPU 0 through one TapeMachine
// built once, and reports per run the time of the genband kernels
// (kernel-ms) split into the cells' forward (cells-fwd-ms:
// align_affine_fwd or align_cells_fwd), their backward (cells-bwd-ms; the
// affine backward keeps its γ in scratch memory at 900 rows, past
// cudaops.AlignAffineMaxRows) and the ends (end-ms), and the launches (4).
// ns/op is the whole run, the TapeMachine's copies included. It checks
// every item's log Z (finite) and marginals (in [0, 1]), and item 0's
// against the CPU (each Op's Do). Needs a GPU with about 25 GB of memory
// (Gorgonia reserves 2.5 times what the graph's values take). By hand:
//
//	go test -tags cuda -modfile build/go.cuda.mod -run '^$' -bench CUDASMURF -benchtime 3x ./align
func BenchmarkCUDASMURF(b *testing.B) {
	for _, name := range []string{"affine", "linear"} {
		b.Run(name, func(b *testing.B) { benchCUDASMURF(b, name) })
	}
}

func benchCUDASMURF(b *testing.B, name string) {
	b.StopTimer()
	m := smurfModels[name]
	once, _ := smurfOnce.LoadOrStore(name, new(sync.Once))
	once.(*sync.Once).Do(func() { smurfIn.Store(name, newSMURFInput(b, m)) })
	v, ok := smurfIn.Load(name)
	if !ok {
		b.Fatal("no input: its construction failed in an earlier call")
	}
	in := v.(smurfInput)
	c := newCUDAAlignGraph(b, m, in.theta, in.lengths, tensor.Float64)
	var gotZ, gotGrad gorgonia.Value
	gorgonia.Read(c.z, &gotZ)
	gorgonia.Read(c.grad, &gotGrad)
	vm := gorgonia.NewTapeMachine(c.g)
	defer vm.Close()
	fwd, bwd := "align_cells_fwd", "align_cells_bwd"
	if m.Affine {
		fwd, bwd = "align_affine_fwd", "align_affine_bwd"
	}
	tally, stop := cudatest.CountLaunches(fwd, bwd, "align_end")
	defer stop()

	b.StartTimer()
	for i := 0; i < b.N; i++ {
		if err := vm.RunAll(); err != nil {
			b.Fatal(err)
		}
		if i < b.N-1 {
			vm.Reset()
		}
	}
	b.StopTimer()
	if gotZ == nil || gotGrad == nil {
		b.Fatal("log Z or the marginals were not read back")
	}
	smurfCheck(b, in, float64s(gotZ), gotGrad.Data().([]float32), m.Channels())
	runs := float64(b.N)
	ms := func(d time.Duration) float64 { return d.Seconds() * 1e3 / runs }
	b.ReportMetric(ms(tally.Total), "kernel-ms")
	b.ReportMetric(ms(tally.Of(fwd)), "cells-fwd-ms")
	b.ReportMetric(ms(tally.Of(bwd)), "cells-bwd-ms")
	b.ReportMetric(ms(tally.Of("align_end")), "end-ms")
	b.ReportMetric(float64(tally.N)/runs, "launches")
	b.Logf("%s: %d local Log alignments, lengths %d–%d padded to %d², float32: kernels %.1f ms a run (cells forward %.1f, backward %.1f, ends %.1f); CPU (each Op's Do) %.0f ms for item 0",
		name, smurfBatch, smurfMinLen, smurfN, smurfN, ms(tally.Total), ms(tally.Of(fwd)), ms(tally.Of(bwd)), ms(tally.Of("align_end")), in.cpu.Seconds()*1e3)
}

// smurfCheck checks the GPU's log Z and marginals (c channels): every
// marginal in [0, 1] (a path reads a potential at most once), every log Z
// finite, and item 0's equal to the CPU's.
func smurfCheck(b *testing.B, in smurfInput, z []float64, marg []float32, c int) {
	for k, x := range marg {
		if !(x >= -1e-4 && x <= 1+1e-4) {
			b.Fatalf("marginal %d = %v, outside [0, 1]", k, x)
		}
	}
	for bb, x := range z {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b.Fatalf("item %d: log Z = %v", bb, x)
		}
	}
	if math.Abs(z[0]-in.cpuZ) > 1e-9*math.Max(1, math.Abs(in.cpuZ)) {
		b.Fatalf("item 0: log Z on the GPU %v, on the CPU %v", z[0], in.cpuZ)
	}
	for k, w := range in.cpuMarg {
		if g := float64(marg[k]); !(math.Abs(g-w) <= 1e-4) {
			b.Fatalf("item 0, marginal %d (channel %d): GPU %v, CPU %v", k, k%c, g, w)
		}
	}
}
