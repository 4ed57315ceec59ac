//go:build cuda

package ctc

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// cudaLoss builds Loss of p (padded targets) and its gradient with respect
// to logProbs, read out of the machine (gorgonia.Read: the gradient is a
// value on the GPU), and returns the machine and the read values.
func cudaLoss(tb testing.TB, p problem, dt tensor.Dtype, red gorgonia.Reduction) (gorgonia.VM, *gorgonia.Value, *gorgonia.Value) {
	tb.Helper()
	g := gorgonia.NewGraph()
	lpv, tgv, ilv, tlv := p.tensors(dt)
	var ns []*gorgonia.Node
	for i, v := range []*tensor.Dense{lpv, tgv, ilv, tlv} {
		ns = append(ns, gorgonia.NewTensor(g, v.Dtype(), v.Dims(), gorgonia.WithShape(v.Shape()...), gorgonia.WithName(argNames[i]), gorgonia.WithValue(v)))
	}
	cost, err := Loss(ns[0], ns[1], ns[2], ns[3], red)
	if err != nil {
		tb.Fatal(err)
	}
	grads, err := gorgonia.Grad(cost, ns[0])
	if err != nil {
		tb.Fatal(err)
	}
	var loss, grad gorgonia.Value
	gorgonia.Read(cost, &loss)
	gorgonia.Read(grads[0], &grad)
	return gorgonia.NewTapeMachine(g), &loss, &grad
}

// TestCUDALoss runs Loss and its gradient with the steps' gather and
// scatter on the GPU (a cuda-tagged binary exits at start-up without one)
// and compares them with enumeration: ragged lengths, empty and
// impossible targets, both dtypes and reductions, twice on one machine.
func TestCUDALoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, red := range []gorgonia.Reduction{gorgonia.ReductionSum, gorgonia.ReductionMean} {
			t.Run(fmt.Sprintf("%v/%d", dt, red), func(t *testing.T) {
				p := randomProblem(rng, 6, 4, 3, 3, 1)
				want, wantGrad := brute(p, red)
				vm, loss, grad := cudaLoss(t, p, dt, red)
				defer vm.Close()
				for run := range 2 {
					if err := vm.RunAll(); err != nil {
						t.Fatal(err)
					}
					tol := 1e-9
					if dt == tensor.Float32 {
						tol = 2e-4
					}
					if got := asFloats(*loss)[0]; !near(got, want, tol) {
						t.Errorf("run %d: loss %v, want %v", run, got, want)
					}
					for i, g := range asFloats(*grad) {
						if !near(g, wantGrad[i], tol) {
							t.Fatalf("run %d: gradient[%d] %v, want %v", run, i, g, wantGrad[i])
						}
					}
					vm.Reset()
				}
			})
		}
	}
}

// BenchmarkCUDALoss times Loss forward and backward on the GPU at batch
// 32, 1000 frames, 100 labels, 1000 classes, float32 (the scan, the
// steps' gather and scatter on the device; the loss's reading of the last
// state on the host).
func BenchmarkCUDALoss(b *testing.B) {
	vm, _, _ := cudaLoss(b, speedProblem(), tensor.Float32, gorgonia.ReductionMean)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		b.Fatal(err)
	}
	vm.Reset()
	b.ResetTimer()
	for range b.N {
		if err := vm.RunAll(); err != nil {
			b.Fatal(err)
		}
		vm.Reset()
	}
}
