//go:build amd64 && !purego

package align

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"gorgonia.org/tensor"
)

// isaNames names the kernels' instruction sets, as GENBAND_CELLS_ISA
// takes them.
var isaNames = map[int]string{isaGo: "go", isaAVX2: "avx2", isaAVX512: "avx512"}

// GENBAND_CELLS_ISA (go, avx2 or avx512) runs this process's tests and
// benchmarks with the cells' kernels of that instruction set, one the
// processor has, in place of its best: to time the AVX2 kernels on an
// AVX-512 machine,
//
//	GENBAND_CELLS_ISA=avx2 go test -run '^$' -bench SeedVsAnchor -cpu 1 ./align
//
// (add GODEBUG=cpu.avx512f=off to take fastexp's AVX2 kernels too, as a
// processor without AVX-512 would).
func init() {
	s := os.Getenv("GENBAND_CELLS_ISA")
	if s == "" {
		return
	}
	for isa, name := range isaNames {
		if name == s && isa <= cpuISA() {
			cellsISA = isa
			return
		}
	}
	panic(fmt.Sprintf("GENBAND_CELLS_ISA=%s: not go, avx2 or avx512, or not on this processor (best %s)", s, isaNames[cpuISA()]))
}

// withISA runs f with the kernels of isa, restoring the choice after.
func withISA(isa int, f func()) {
	was := cellsISA
	cellsISA = isa
	defer func() { cellsISA = was }()
	f()
}

// runnableISAs returns the instruction sets this processor runs the
// kernels in, Go first.
func runnableISAs() []int {
	isas := []int{isaGo}
	for isa := isaAVX2; isa <= cpuISA(); isa++ {
		isas = append(isas, isa)
	}
	return isas
}

// vectorISAs returns runnableISAs but Go, skipping t where there is none.
func vectorISAs(t *testing.T) []int {
	isas := runnableISAs()[1:]
	if len(isas) == 0 {
		t.Skip("no AVX2+FMA on this processor: the Go kernels run, and the other tests cover them")
	}
	return isas
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

// filled returns n sentinels, the start of a kernel's outputs: the test
// sees a kernel's stray writes where none should go.
func filled(n int) []float64 {
	x := make([]float64, n)
	for k := range x {
		x[k] = 7.25
	}
	return x
}

// agree fails t where the outputs of f (named by names, each a slice and
// the padding after it) under each of isas differ from its outputs under
// Go, bit for bit.
func agree(t *testing.T, what string, isas []int, names []string, f func() [][]float64) {
	t.Helper()
	var want [][]float64
	withISA(isaGo, func() { want = f() })
	for _, isa := range isas {
		var got [][]float64
		withISA(isa, func() { got = f() })
		for o := range want {
			if k := firstDiff(got[o], want[o]); k >= 0 {
				t.Fatalf("%s: %s[%d] %v with %s, %v in Go", what, names[o], k, got[o][k], isaNames[isa], want[o][k])
			}
		}
	}
}

// boolOut is b as an output of agree.
func boolOut(b bool) []float64 {
	if b {
		return []float64{1}
	}
	return []float64{0}
}

// TestCellsKernels checks the vector kernels of every instruction set the
// processor has against the Go ones, bit for bit, on every length up to
// several blocks of either width (four cells, eight) and every ragged
// tail, with special values among the inputs, and that none writes
// outside the cells it is given (the padding after them, and for
// scatterMu the elements between cells, keep their sentinels).
func TestCellsKernels(t *testing.T) {
	isas := vectorISAs(t)
	rng := rand.New(rand.NewPCG(41, 42))
	const pad, per = 3, 140
	var lengths []int
	for n := 0; n <= 27; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 64, 131)
	for _, n := range lengths {
		for _, p := range []float64{0, 0.1} {
			for _, nt := range []int{3, 4} {
				step := 3 + 2*(n%2) // cells side by side, or apart
				name := fmt.Sprintf("n %d, step %d, %d terms, specials %v", n, step, nt, p)
				left, above, dg := kernelInput(rng, n, p), kernelInput(rng, n, p), kernelInput(rng, n, p)
				th := kernelInput(rng, 3+step*n, p)
				th32 := make([]float32, len(th))
				for k, x := range th {
					th32[k] = float32(x)
				}
				for _, f32 := range []bool{false, true} {
					agree(t, fmt.Sprintf("%s, float32 %v: logTerms", name, f32), isas, []string{"e", "mx", "bad"}, func() [][]float64 {
						e, mx, tp := filled(nt*n+pad), filled(n+pad), make([]float64, 3*n)
						var bad bool
						if f32 {
							bad = logTerms(nt, left, above, dg, th32, 0, step, tp, e[:nt*n], mx[:n])
						} else {
							bad = logTerms(nt, left, above, dg, th, 0, step, tp, e[:nt*n], mx[:n])
						}
						return [][]float64{e, mx, boolOut(bad)}
					})
				}

				ex := kernelInput(rng, nt*n, p)
				agree(t, name+": logNorm", isas, []string{"w", "sums"}, func() [][]float64 {
					w, sums := filled((nt-1)*per+n+pad), filled(n+pad)
					logNorm(nt, ex, w, per, sums[:n])
					return [][]float64{w, sums}
				})

				agree(t, name+": addTo", isas, []string{"sum"}, func() [][]float64 {
					sum := filled(n + pad)
					addTo(sum[:n], left, above)
					return [][]float64{sum}
				})

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
				agree(t, name+": pull", isas, []string{"γ", "finite"}, func() [][]float64 {
					g := filled(n + pad)
					fin := pull(g[:n], in[0], in[1], in[2], in[3], in[4], in[5], in[6])
					return [][]float64{g, boolOut(fin)}
				})

				var ws []float64
				if nt == 4 {
					ws = append(make([]float64, 2), in[4]...)
				}
				agree(t, name+": scatterMu", isas, []string{"float64", "float32"}, func() [][]float64 {
					mu64, mu32 := filled(3+step*n+pad), make([]float32, 3+step*n+pad)
					for k := range mu32 {
						mu32[k] = 7.25
					}
					scatterMu(mu64, 0, step, in[1], in[0], in[2], ws, 2, in[6])
					scatterMu(mu32, 0, step, in[1], in[0], in[2], ws, 2, in[6])
					return [][]float64{mu64, float64s32(mu32)}
				})
			}
		}
	}
}

// TestCellsKernelsSignedZeros checks logTerms of every instruction set
// against Go on cells whose terms are every combination of 0, −0 and −1,
// with θ all 0 or all −0: the largest of terms 0 and −0 is 0, as Go's
// max has it, whichever comes first.
func TestCellsKernelsSignedZeros(t *testing.T) {
	isas := vectorISAs(t)
	vals := []float64{0, math.Copysign(0, -1), -1}
	const n, step = 27, 3
	left, above, dg := make([]float64, n), make([]float64, n), make([]float64, n)
	for q := range n {
		left[q], dg[q], above[q] = vals[q%3], vals[q/3%3], vals[q/9]
	}
	for _, z := range vals[:2] {
		th := make([]float64, 3+step*n)
		for k := range th {
			th[k] = z
		}
		th32 := make([]float32, len(th))
		for k, x := range th {
			th32[k] = float32(x)
		}
		for _, nt := range []int{3, 4} {
			for _, f32 := range []bool{false, true} {
				name := fmt.Sprintf("θ %v, %d terms, float32 %v: logTerms", z, nt, f32)
				agree(t, name, isas, []string{"e", "mx", "bad"}, func() [][]float64 {
					e, mx, tp := filled(nt*n), filled(n), make([]float64, 3*n)
					var bad bool
					if f32 {
						bad = logTerms(nt, left, above, dg, th32, 0, step, tp, e, mx)
					} else {
						bad = logTerms(nt, left, above, dg, th, 0, step, tp, e, mx)
					}
					return [][]float64{e, mx, boolOut(bad)}
				})
			}
		}
	}
}

// TestCopyStream checks copyStream against copy under every instruction
// set the processor has, on every alignment and a range of lengths, both
// dtypes, and that it writes nothing past dst.
func TestCopyStream(t *testing.T) {
	for _, isa := range runnableISAs() {
		withISA(isa, func() { checkCopyStream(t, isaNames[isa]) })
	}
}

func checkCopyStream(t *testing.T, isa string) {
	t.Helper()
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
					t.Fatalf("%s, float64 n %d at %d: element %d = %v, want %v", isa, n, at, k, x, want)
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
					t.Fatalf("%s, float32 n %d at %d: element %d = %v, want %v", isa, n, at, k, x, want)
				}
			}
		}
	}
}

// TestCellsGoKernels runs the cells forward and gradient with the Go
// kernels and with the vector ones of every instruction set the processor
// has, under every mode and gap, both dtypes, ragged lengths taller than a
// strip, NaN and −Inf among the potentials: α, log Z and the gradient must
// agree bit for bit.
func TestCellsGoKernels(t *testing.T) {
	isas := vectorISAs(t)
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
				run := func() (alpha, grad []float64) {
					fwd := newCellsOp(g, dt)
					av, err := fwd.Do(theta, lv)
					must(t, err)
					da := make([]float64, av.Shape().TotalSize())
					for k := range da {
						da[k] = float64(k%5) - 1
					}
					dv, err := fwd.gradOp().Do(theta, lv, av, tensor.New(tensor.WithShape(av.Shape()...), tensor.WithBacking(da)))
					must(t, err)
					return float64s(av), float64s(dv)
				}
				var alpha, grad []float64
				withISA(isaGo, func() { alpha, grad = run() })
				for _, isa := range isas {
					var a, d []float64
					withISA(isa, func() { a, d = run() })
					if k := firstDiff(a, alpha); k >= 0 {
						t.Errorf("%s: α[%d] %v with %s, %v in Go", name, k, a[k], isaNames[isa], alpha[k])
					}
					if k := firstDiff(d, grad); k >= 0 {
						t.Errorf("%s: gradient [%d] %v with %s, %v in Go", name, k, d[k], isaNames[isa], grad[k])
					}
				}
			}
		}
	}
}

// BenchmarkCellsKernels times each kernel on an anti-diagonal of 200
// cells (the seed's longest) in every instruction set the processor has.
func BenchmarkCellsKernels(b *testing.B) {
	const n, step, nt = 200, 3 * 199, 3
	rng := rand.New(rand.NewPCG(47, 48))
	left, above, dg := kernelInput(rng, n, 0), kernelInput(rng, n, 0), kernelInput(rng, n, 0)
	th := kernelInput(rng, 3+step*n, 0)
	th32 := make([]float32, len(th))
	for k, x := range th {
		th32[k] = float32(x)
	}
	tp, e, mx, w := make([]float64, 3*n), make([]float64, nt*n), make([]float64, n), make([]float64, nt*n)
	in := make([][]float64, 7)
	for u := range in {
		in[u] = kernelInput(rng, n, 0)
	}
	kernels := []struct {
		name string
		f    func()
	}{
		{"logTerms64", func() { logTerms(nt, left, above, dg, th, 0, step, tp, e, mx) }},
		{"logTerms32", func() { logTerms(nt, left, above, dg, th32, 0, step, tp, e, mx) }},
		{"logNorm", func() { logNorm(nt, e, w, n, mx) }},
		{"addTo", func() { addTo(mx, left, above) }},
		{"pull", func() { pull(mx, in[0], in[1], in[2], in[3], in[4], in[5], in[6]) }},
		{"scatterMu64", func() { scatterMu(th, 0, step, in[0], in[1], in[2], nil, 0, in[3]) }},
		{"scatterMu32", func() { scatterMu(th32, 0, step, in[0], in[1], in[2], nil, 0, in[3]) }},
	}
	for _, k := range kernels {
		for _, isa := range runnableISAs() {
			b.Run(k.name+"/"+isaNames[isa], func(b *testing.B) {
				withISA(isa, func() {
					for b.Loop() {
						k.f()
					}
				})
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/cell")
			})
		}
	}
}
