//go:build amd64 && !purego

package align

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// withKernels runs f with the AVX-512 kernels on or off, restoring the
// choice after.
func withKernels(on bool, f func()) {
	was := useAVX512
	useAVX512 = on
	defer func() { useAVX512 = was }()
	f()
}

// firstDiff returns the first index where got and want differ in their
// bits (any NaN matching any NaN), or −1.
func firstDiff(got, want []float64) int {
	for k := range want {
		if !sameFloat(got[k], want[k]) {
			return k
		}
	}
	return -1
}

// kernelInput returns n values: mostly in [−3, 3], with probability p
// each a special value (0, −0, ±Inf, NaN, ±1e300).
func kernelInput(rng *rand.Rand, n int, p float64) []float64 {
	special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 1e300, -1e300}
	x := make([]float64, n)
	for k := range x {
		x[k] = rng.Float64()*6 - 3
		if rng.Float64() < p {
			x[k] = special[rng.IntN(len(special))]
		}
	}
	return x
}

// TestCellsKernelsAVX512 checks every AVX-512 kernel against its Go
// version, bit for bit, on every length up to three blocks and a ragged
// tail, with special values among the inputs, and that neither writes
// past the cells it is given.
func TestCellsKernelsAVX512(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512 on this processor: the Go kernels run, and the other tests cover them")
	}
	rng := rand.New(rand.NewPCG(41, 42))
	const pad = 3 // sentinel elements after the outputs
	for n := 0; n <= 27; n++ {
		for _, p := range []float64{0, 0.1} {
			for _, nt := range []int{3, 4} {
				name := fmt.Sprintf("n %d, %d terms, specials %v", n, nt, p)
				left, above, dg := kernelInput(rng, n, p), kernelInput(rng, n, p), kernelInput(rng, n, p)
				const step = 5
				th := kernelInput(rng, 3+step*n, p)
				th32 := make([]float32, len(th))
				for k, x := range th {
					th32[k] = float32(x)
				}
				for _, f32 := range []bool{false, true} {
					var e, mx [2][]float64
					var bad [2]bool
					for v, on := range []bool{true, false} {
						e[v], mx[v] = make([]float64, nt*n+pad), make([]float64, n+pad)
						tp := make([]float64, 3*n)
						withKernels(on, func() {
							if f32 {
								bad[v] = logTerms(nt, left, above, dg, th32, 0, step, tp, e[v][:nt*n], mx[v][:n])
							} else {
								bad[v] = logTerms(nt, left, above, dg, th, 0, step, tp, e[v][:nt*n], mx[v][:n])
							}
						})
					}
					if k := firstDiff(e[0], e[1]); k >= 0 || bad[0] != bad[1] {
						t.Fatalf("%s, float32 %v: logTerms e[%d] %v, Go %v; bad %v, Go %v", name, f32, k, e[0], e[1], bad[0], bad[1])
					}
					if k := firstDiff(mx[0], mx[1]); k >= 0 {
						t.Fatalf("%s, float32 %v: logTerms mx[%d] %v, Go %v", name, f32, k, mx[0][k], mx[1][k])
					}
				}

				ex := kernelInput(rng, nt*n, p)
				const per = 40
				var w, sums [2][]float64
				for v, on := range []bool{true, false} {
					w[v], sums[v] = make([]float64, (nt-1)*per+n+pad), make([]float64, n+pad)
					withKernels(on, func() { logNorm(nt, ex, w[v], per, sums[v][:n]) })
				}
				if k := firstDiff(w[0], w[1]); k >= 0 {
					t.Fatalf("%s: logNorm w[%d] %v, Go %v", name, k, w[0][k], w[1][k])
				}
				if k := firstDiff(sums[0], sums[1]); k >= 0 {
					t.Fatalf("%s: logNorm sums[%d] %v, Go %v", name, k, sums[0][k], sums[1][k])
				}

				var sum [2][]float64
				for v, on := range []bool{true, false} {
					sum[v] = make([]float64, n+pad)
					withKernels(on, func() { addTo(sum[v][:n], left, above) })
				}
				if k := firstDiff(sum[0], sum[1]); k >= 0 {
					t.Fatalf("%s: addTo [%d] %v, Go %v", name, k, sum[0][k], sum[1][k])
				}

				// γ with many zeros, as where exps underflow.
				in := make([][]float64, 7)
				for u := range in {
					in[u] = kernelInput(rng, n, p)
					if u%2 == 1 {
						for k := range in[u] {
							if rng.IntN(3) == 0 {
								in[u][k] = 0
							}
						}
					}
				}
				var g [2][]float64
				var fin [2]bool
				for v, on := range []bool{true, false} {
					g[v] = make([]float64, n+pad)
					withKernels(on, func() { fin[v] = pull(g[v][:n], in[0], in[1], in[2], in[3], in[4], in[5], in[6]) })
				}
				if k := firstDiff(g[0], g[1]); k >= 0 || fin[0] != fin[1] {
					t.Fatalf("%s: pull [%d] %v, Go %v; finite %v, Go %v", name, k, g[0], g[1], fin[0], fin[1])
				}

				var ws []float64
				if nt == 4 {
					ws = append(make([]float64, 2), in[4]...)
				}
				var mu64 [2][]float64
				var mu32 [2][]float32
				for v, on := range []bool{true, false} {
					mu64[v], mu32[v] = make([]float64, 3+step*n+pad), make([]float32, 3+step*n+pad)
					withKernels(on, func() {
						scatterMu(mu64[v], 0, step, in[1], in[0], in[2], ws, 2, in[6])
						scatterMu(mu32[v], 0, step, in[1], in[0], in[2], ws, 2, in[6])
					})
				}
				if k := firstDiff(mu64[0], mu64[1]); k >= 0 {
					t.Fatalf("%s: scatterMu float64 [%d] %v, Go %v", name, k, mu64[0][k], mu64[1][k])
				}
				if k := firstDiff(float64s32(mu32[0]), float64s32(mu32[1])); k >= 0 {
					t.Fatalf("%s: scatterMu float32 [%d] %v, Go %v", name, k, mu32[0][k], mu32[1][k])
				}
			}
		}
	}
}

// TestCopyStream checks copyStream against copy on every alignment and a
// range of lengths, both dtypes, and that it writes nothing past dst.
func TestCopyStream(t *testing.T) {
	for n := 0; n <= 150; n += 7 {
		for at := range 9 {
			src := make([]float64, n)
			for k := range src {
				src[k] = float64(k) + 0.5
			}
			dst := make([]float64, n+at+1)
			copyStream(dst[at:at+n], src)
			for k, x := range dst {
				want := 0.0
				if k >= at && k < at+n {
					want = src[k-at]
				}
				if x != want {
					t.Fatalf("float64 n %d at %d: element %d = %v, want %v", n, at, k, x, want)
				}
			}
			src32, dst32 := make([]float32, n), make([]float32, n+at+1)
			for k := range src32 {
				src32[k] = float32(k) + 0.5
			}
			copyStream(dst32[at:at+n], src32)
			for k, x := range dst32 {
				want := float32(0)
				if k >= at && k < at+n {
					want = src32[k-at]
				}
				if x != want {
					t.Fatalf("float32 n %d at %d: element %d = %v, want %v", n, at, k, x, want)
				}
			}
		}
	}
}

// TestCellsGoKernels runs the cells forward and gradient with the Go
// kernels and with the AVX-512 ones, under every mode and gap, both
// dtypes, ragged lengths taller than a strip, NaN and −Inf among the
// potentials: α, log Z and the gradient must agree bit for bit.
func TestCellsGoKernels(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512 on this processor: only the Go kernels run")
	}
	rng := rand.New(rand.NewPCG(43, 44))
	p := randomProblem(rng, 3, stripRows+9, 23, true)
	for k := range p.theta {
		switch rng.IntN(200) {
		case 0:
			p.theta[k] = math.Inf(-1)
		case 1:
			p.theta[k] = -1e6
		}
	}
	p.theta[(5*p.mm+7)*3+FromLeft] = math.NaN()
	for _, mode := range []Mode{Global, Local, SemiGlobal} {
		for _, gap := range []int{-1, 3} {
			for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
				m := Model{Semiring: Log, Mode: mode, Gapped: gap >= 0, MaxGap: max(gap, 0)}
				name := fmt.Sprintf("%v %v", m, dt)
				theta := p.tensor(dt)
				g, err := newGrid("test", m, theta.Shape())
				must(t, err)
				lv, err := Lengths(p.lenX, p.lenY)
				must(t, err)
				var alpha, grad [2][]float64
				for v, on := range []bool{true, false} {
					withKernels(on, func() {
						fwd := newCellsOp(g, dt)
						av, err := fwd.Do(theta, lv)
						must(t, err)
						da := make([]float64, av.Shape().TotalSize())
						for k := range da {
							da[k] = float64(k%5) - 1
						}
						dv, err := fwd.gradOp().Do(theta, lv, av, tensor.New(tensor.WithShape(av.Shape()...), tensor.WithBacking(da)))
						must(t, err)
						alpha[v], grad[v] = float64s(av), float64s(dv)
					})
				}
				if k := firstDiff(alpha[0], alpha[1]); k >= 0 {
					t.Errorf("%s: α[%d] %v with AVX-512, %v in Go", name, k, alpha[0][k], alpha[1][k])
				}
				if k := firstDiff(grad[0], grad[1]); k >= 0 {
					t.Errorf("%s: gradient [%d] %v with AVX-512, %v in Go", name, k, grad[0][k], grad[1][k])
				}
			}
		}
	}
}
