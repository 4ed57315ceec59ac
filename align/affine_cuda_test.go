//go:build cuda

package align

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/cudaops"
	"github.com/genband/genband/internal/cudatest"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The affine model on the GPU (needs one, as cuda_test.go's tests):
// align_affine_fwd/_bwd and the ends over three state planes, in the
// graph a Program builds, against the CPU's Do of every Op.

// affCUDAModels are the affine models of the GPU tests: every semiring,
// mode, with and without a gap and turns.
func affCUDAModels() []Model {
	var ms []Model
	for _, m := range cudaAlignModels() {
		for _, noTurns := range []bool{false, true} {
			m.Affine, m.NoTurns = true, noTurns
			ms = append(ms, m)
		}
	}
	return ms
}

// affCUDAProblem is θ (batch, n, mm, 5) of dtype dt and ragged lengths
// (item 0 full) for model m: NaN in every potential no path may use, and
// for Max distinct scores (a unique best path, whatever the order of the
// GPU's sums).
func affCUDAProblem(rng *rand.Rand, m Model, dt tensor.Dtype, batch, n, mm int) (*tensor.Dense, *tensor.Dense) {
	lx, ly := make([]int, batch), make([]int, batch)
	th := make([]float64, batch*n*mm*5)
	for b := range batch {
		lx[b], ly[b] = n, mm
		if b > 0 {
			lx[b], ly[b] = 1+rng.IntN(n), 1+rng.IntN(mm)
		}
		l := m.lat(lx[b], ly[b])
		for i := range n {
			for j := range mm {
				for c := range 5 {
					x := 4*rng.Float64() - 2
					if m.Semiring == Real {
						x = 0.5 + rng.Float64()
					}
					if !l.Used(i, j, c) {
						x = math.NaN()
					}
					th[((b*n+i)*mm+j)*5+c] = x
				}
			}
		}
	}
	lv, err := Lengths(lx, ly)
	if err != nil {
		panic(err)
	}
	t := tensor.New(tensor.WithShape(batch, n, mm, 5), tensor.WithBacking(th))
	if dt == tensor.Float32 {
		return cudaFloat32(t), lv
	}
	return t, lv
}

// TestCUDAAffineGraph runs the graph of log Z and the marginals
// (gorgonia.Grad of Σ log Z) of the affine model in one TapeMachine on the
// GPU, twice with other potentials and lengths, and compares both with
// the CPU's Do of every Op: every model of affCUDAModels, both dtypes;
// then shapes past cudaops.AlignAffineMaxRows (the backward's γ in scratch
// memory), and small ones with the scratch forced (cellsGradScratch),
// which must give the shared memory's marginals bit for bit.
func TestCUDAAffineGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(211, 212))
	type run struct {
		m       Model
		dt      tensor.Dtype
		shape   [3]int
		scratch bool
	}
	var runs []run
	for _, m := range affCUDAModels() {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			runs = append(runs, run{m, dt, [3]int{5, 8, 11}, false})
		}
	}
	r := cudaops.AlignAffineMaxRows + 1
	runs = append(runs,
		run{Model{Semiring: Log, Affine: true}, tensor.Float32, [3]int{2, r, r + 7}, false},
		run{Model{Semiring: Max, Mode: Local, Gapped: true, MaxGap: 40, Affine: true, NoTurns: true}, tensor.Float64, [3]int{2, r + 5, r}, false},
		run{Model{Semiring: Log, Mode: SemiGlobal, Affine: true}, tensor.Float64, [3]int{3, 9, 6}, true},
		run{Model{Semiring: Real, Mode: Local, Gapped: true, MaxGap: 2, Affine: true, NoTurns: true}, tensor.Float32, [3]int{3, 6, 9}, true},
	)
	for _, c := range runs {
		t.Run(fmt.Sprintf("%v/scratch=%v", emuName(c.m, c.dt, c.shape), c.scratch), func(t *testing.T) {
			th, lv := affCUDAProblem(rng, c.m, c.dt, c.shape[0], c.shape[1], c.shape[2])
			g := newCUDAAlignGraph(t, c.m, th, lv, tensor.Float64)
			var gotZ, gotGrad gorgonia.Value
			gorgonia.Read(g.z, &gotZ)
			gorgonia.Read(g.grad, &gotGrad)
			vm := gorgonia.NewTapeMachine(g.g)
			defer vm.Close()
			for k := range 2 {
				if k > 0 {
					th, lv = affCUDAProblem(rng, c.m, c.dt, c.shape[0], c.shape[1], c.shape[2])
					if err := gorgonia.Let(g.theta, th); err != nil {
						t.Fatal(err)
					}
					if err := gorgonia.Let(g.length, lv); err != nil {
						t.Fatal(err)
					}
				}
				want, err := cudatest.CPUEval(g.g)
				if err != nil {
					t.Fatal(err)
				}
				var marg [2][]float64 // shared, scratch
				for w, scratch := range []bool{false, true} {
					if scratch && !c.scratch {
						continue
					}
					cellsGradScratch = scratch
					gotZ, gotGrad = nil, nil
					vm.Reset()
					err := vm.RunAll()
					cellsGradScratch = false
					if err != nil {
						t.Fatalf("run %d: %v", k, err)
					}
					if gotZ == nil || gotGrad == nil {
						t.Fatalf("run %d: log Z or the marginals not read back", k)
					}
					if d := cudatest.Compare(gotZ, want[g.z], 1e-9); d != "" {
						t.Errorf("run %d: log Z: GPU and CPU differ: %s", k, d)
					}
					if d := cudatest.Compare(gotGrad, want[g.grad], cudaAlignTol(c.dt)); d != "" {
						t.Errorf("run %d: marginals: GPU and CPU differ: %s", k, d)
					}
					marg[w] = float64s(gotGrad) // a copy
				}
				if c.scratch {
					for e, x := range marg[0] {
						if y := marg[1][e]; !sameFloat(x, y) {
							t.Fatalf("run %d: marginal %d: %v with γ in scratch memory, %v in shared memory", k, e, y, x)
						}
					}
				}
				if c.m.Semiring != Real {
					for e, x := range marg[0] {
						if !(x >= -1e-4 && x <= 1+1e-4) {
							t.Fatalf("run %d: marginal %d = %v, outside [0, 1]", k, e, x)
						}
					}
				}
			}
		})
	}
}
