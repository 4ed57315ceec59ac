//go:build amd64 && !purego

package fastexp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// A kernelSet is the vector kernels of one instruction set.
type kernelSet struct {
	name      string
	isa       int
	exp32     func(dst, x *float32, n int)
	exp64     func(dst, x *float64, n int)
	shift32   func(x *float32, n int, m float32)
	shift64   func(x *float64, n int, m float64)
	acc32     func(dst, src, m *float32, n int, av float32)
	acc64     func(dst, src, m *float64, n int, av float64)
	accW32    func(dst, w, src, m *float32, n int, av float32)
	accW64    func(dst, w, src, m *float64, n int, av float64)
	accWSum32 func(dst, w, src, m *float32, n int, av float32) float32
	accWSum64 func(dst, w, src, m *float64, n int, av float64) float64
	dot32     func(w, src, m *float32, n int, av float32) float32
	dot64     func(w, src, m *float64, n int, av float64) float64
	log64     func(dst, x *float64, n int)
	lse3      func(dst, a, b, c *float64, n int)
}

var kernelSets = []kernelSet{
	{"AVX2", isaAVX2, exp32AVX2, exp64AVX2, shift32AVX2, shift64AVX2, acc32AVX2, acc64AVX2,
		accW32AVX2, accW64AVX2, accWSum32AVX2, accWSum64AVX2, dot32AVX2, dot64AVX2, log64AVX2, lse3AVX2},
	{"AVX512", isaAVX512, exp32AVX512, exp64AVX512, shift32AVX512, shift64AVX512, acc32AVX512, acc64AVX512,
		accW32AVX512, accW64AVX512, accWSum32AVX512, accWSum64AVX512, dot32AVX512, dot64AVX512, log64AVX512, lse3AVX512},
}

// runnable returns the kernel sets this CPU runs (isa is the best of them).
func runnable(t *testing.T) []kernelSet {
	var ks []kernelSet
	for _, k := range kernelSets {
		if k.isa <= isa {
			ks = append(ks, k)
		}
	}
	if len(ks) == 0 {
		t.Skip("no vector kernel runs on this CPU (it lacks AVX2 or FMA)")
	}
	return ks
}

// p32 and p64 are a slice's first element or nil, for the kernels.
func p32(s []float32) *float32 {
	if len(s) == 0 {
		return nil
	}
	return &s[0]
}

func p64(s []float64) *float64 {
	if len(s) == 0 {
		return nil
	}
	return &s[0]
}

// exp32Specials are float32 inputs at and beyond the edges of Exp32.
func exp32Specials() []float32 {
	inf := float32(math.Inf(1))
	xs := []float32{0, float32(math.Copysign(0, -1)), 1, -1, inf, -inf, float32(math.NaN()),
		math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
		88.72283, 88.72284, 88.7229, 89, 89.1, -87.33654, -87.34, -103.9, -103.97, -103.98, -104, -110, -111, 1000, -1000}
	for x := float32(-105); x < 90; x += 0.125 {
		xs = append(xs, x)
	}
	return xs
}

// TestVecExp32 holds the float32 vector exp to e^x and to Exp32 over a
// sweep of the whole range, subnormal results included, and to exactly 0,
// +Inf and NaN where Exp32 gives them; the instruction sets agree bit for
// bit.
func TestVecExp32(t *testing.T) {
	xs := append(exp32Inputs(251), exp32Specials()...)
	var ref []float32
	for _, k := range runnable(t) {
		got := make([]float32, len(xs))
		k.exp32(p32(got), p32(xs), len(xs))
		var worst, worstGen float64
		for i, x := range xs {
			gen := Exp32(x)
			e := math.Exp(float64(x))
			if gen != gen || gen == 0 || math.IsInf(float64(gen), 1) || gen == 1 {
				// NaN, the ends of the range, and e^0: exactly Exp32's.
				if !same32(got[i], gen) && ulpDiff32(got[i], gen) > 1 {
					t.Fatalf("%s exp32(%g) = %g, Exp32 %g", k.name, x, got[i], gen)
				}
				if gen != gen || gen == 1 {
					if !same32(got[i], gen) {
						t.Fatalf("%s exp32(%g) = %g, want %g", k.name, x, got[i], gen)
					}
				}
				continue
			}
			u := float64(ulpDiff32(got[i], gen))
			worstGen = max(worstGen, u)
			if u > exp32GenULP {
				t.Fatalf("%s exp32(%g) = %g, Exp32 %g: %v ulps", k.name, x, got[i], gen, u)
			}
			ulp := float64(math.Nextafter32(float32(e), float32(math.Inf(1)))) - float64(float32(e))
			if e < 0x1p-126 {
				ulp = 0x1p-149
			}
			err := math.Abs(float64(got[i])-e) / ulp
			worst = max(worst, err)
			if err > exp32MaxULP {
				t.Fatalf("%s exp32(%g) = %g, e^x = %g: %.3f ulps", k.name, x, got[i], e, err)
			}
		}
		t.Logf("%s: exp32 within %.3f ulp of e^x, %.0f of Exp32", k.name, worst, worstGen)
		if ref == nil {
			ref = got
			continue
		}
		for i := range xs {
			if !same32(got[i], ref[i]) {
				t.Fatalf("exp32(%g): %s %g, %s %g", xs[i], k.name, got[i], kernelSets[0].name, ref[i])
			}
		}
	}
}

// exp64Inputs returns random points of the whole range where e^x is
// neither 0 nor +Inf and a little beyond, of [−1, 1], of the subnormal
// results, and the edges and special values.
func exp64Inputs(n int) []float64 {
	rng := rand.New(rand.NewPCG(21, 22))
	inf := math.Inf(1)
	xs := []float64{0, math.Copysign(0, -1), 1, -1, inf, -inf, math.NaN(), math.MaxFloat64, -math.MaxFloat64,
		math.SmallestNonzeroFloat64, 1e-300, -1e-300, 708, -708, 709, 709.7, 709.78, 709.7827128933839, 709.7827128933840,
		709.79, 710, 711, 1000, -707.9, -708.4, -740, -745, -745.13, -745.1332191019411, -745.1332191019412, -745.2, -746, -1000}
	for range n {
		xs = append(xs, 1460*rng.Float64()-748, 2*rng.Float64()-1, -708-38*rng.Float64(), 700+10*rng.Float64(), math.Ldexp(rng.Float64(), -rng.IntN(60)))
	}
	return xs
}

// TestVecExp64 holds the float64 vector exp to e^x correctly rounded
// (expBig) and to Exp64, 0, +Inf and NaN included; the instruction sets
// agree bit for bit.
func TestVecExp64(t *testing.T) {
	xs := exp64Inputs(3000)
	wants := make([]float64, len(xs))
	for i, x := range xs {
		switch {
		case x != x:
			wants[i] = x
		case x > 710:
			wants[i] = math.Inf(1)
		case x < -746:
			wants[i] = 0
		default:
			wants[i] = expBig(x)
		}
	}
	var ref []float64
	for _, k := range runnable(t) {
		got := make([]float64, len(xs))
		k.exp64(p64(got), p64(xs), len(xs))
		var worst, worstGen uint64
		for i, x := range xs {
			want := wants[i]
			if want != want || want == 0 || math.IsInf(want, 1) || want == 1 {
				if !same64(got[i], want) {
					t.Fatalf("%s exp64(%v) = %v, want %v", k.name, x, got[i], want)
				}
				continue
			}
			d := ulpDiff64(got[i], want)
			worst = max(worst, d)
			if float64(d) > exp64MaxULP {
				t.Fatalf("%s exp64(%v) = %v, e^x = %v: %d ulps", k.name, x, got[i], want, d)
			}
			g := ulpDiff64(got[i], Exp64(x))
			worstGen = max(worstGen, g)
			if g > exp64GenULP {
				t.Fatalf("%s exp64(%v) = %v, Exp64 %v: %d ulps", k.name, x, got[i], Exp64(x), g)
			}
		}
		t.Logf("%s: exp64 within %d ulp of e^x correctly rounded, %d of Exp64", k.name, worst, worstGen)
		if ref == nil {
			ref = got
			continue
		}
		for i := range xs {
			if !same64(got[i], ref[i]) {
				t.Fatalf("exp64(%v): %s %v, %s %v", xs[i], k.name, got[i], kernelSets[0].name, ref[i])
			}
		}
	}
}

// TestVecLog64 holds the vector log to ln x (logBig, and math.Log for a
// denser sample) and to Log64; zero, negatives, infinities and NaN give
// −Inf, NaN, +Inf and NaN; the instruction sets agree bit for bit.
func TestVecLog64(t *testing.T) {
	xs := log64Inputs(20000)
	wants := make([]float64, len(xs))
	for i, x := range xs {
		if x > 0 && x <= math.MaxFloat64 && (i%16 == 0 || x < 0x1p-1022) {
			wants[i] = logBig(x)
		} else {
			wants[i] = math.Log(x)
		}
	}
	var ref []float64
	for _, k := range runnable(t) {
		got := make([]float64, len(xs))
		k.log64(p64(got), p64(xs), len(xs))
		var worst, worstGen float64
		for i, x := range xs {
			want := wants[i]
			if !(x > 0 && x <= math.MaxFloat64) {
				if !same64(got[i], want) {
					t.Fatalf("%s log64(%v) = %v, want %v", k.name, x, got[i], want)
				}
				continue
			}
			// Near 1, against the ulp of the sums it is added to (as
			// TestLog64).
			u, g := ulpsTo64(got[i], want), ulpsTo64(got[i], Log64(x))
			if math.Abs(want) < 1e-3 {
				u, g = math.Abs(got[i]-want)/nearOneLogUnit, math.Abs(got[i]-Log64(x))/nearOneLogUnit
			}
			worst, worstGen = max(worst, u), max(worstGen, g)
			if u > log64MaxULP || g > log64GenULP {
				t.Fatalf("%s log64(%v) = %v: ln x %v (%.2f ulps), Log64 %v (%.2f ulps)", k.name, x, got[i], want, u, Log64(x), g)
			}
		}
		t.Logf("%s: log64 within %.3f ulp of ln x, %.3f of Log64", k.name, worst, worstGen)
		if ref == nil {
			ref = got
			continue
		}
		for i := range xs {
			if !same64(got[i], ref[i]) {
				t.Fatalf("log64(%v): %s %v, %s %v", xs[i], k.name, got[i], kernelSets[0].name, ref[i])
			}
		}
	}
}

// laneSum32 and laneSum64 sum ts as the kernels do: term i into lane
// i mod 16 (float32) or i mod 8 (float64), in order, then the halves of
// the lanes pairwise down to one.
func laneSum32(ts []float32) float32 {
	var l [16]float32
	for i, v := range ts {
		l[i%16] += v
	}
	for n := 8; n >= 1; n /= 2 {
		for j := range n {
			l[j] += l[j+n]
		}
	}
	return l[0]
}

func laneSum64(ts []float64) float64 {
	var l [8]float64
	for i, v := range ts {
		l[i%8] += v
	}
	for n := 4; n >= 1; n /= 2 {
		for j := range n {
			l[j] += l[j+n]
		}
	}
	return l[0]
}

// loopCase returns the inputs of a loop test of n terms: exp arguments
// over the whole range (av + src − m), the special values among them,
// weights and old values.
func loopCase(rng *rand.Rand, n int) (src, m, w, dst []float64) {
	special := []float64{math.Inf(1), math.Inf(-1), math.NaN(), -800, 800, 0}
	for i := range n {
		s := 200*rng.Float64() - 150
		if rng.IntN(12) == 0 {
			s = special[rng.IntN(len(special))]
		}
		src = append(src, s)
		m = append(m, 20*rng.Float64()-10)
		w = append(w, 2*rng.Float64()-1)
		dst = append(dst, rng.Float64())
		if i%17 == 5 {
			w[i] = 0
		}
	}
	return src, m, w, dst
}

func to32(s []float64) []float32 {
	r := make([]float32, len(s))
	for i, v := range s {
		r[i] = float32(v)
	}
	return r
}

// TestVecLoops holds every loop kernel to its definition with the same
// instruction set's exp, bit for bit, for every length up to 70 and a long
// one (the masked tail included), in both precisions: Acc, AccW and
// AccWSum add e, w·e and w·e to dst, AccWSum and Dot return the lane sums
// of w·e, Shift and ExpSlice write e; nothing beyond n is written.
func TestVecLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, k := range runnable(t) {
		for n := 0; n <= 71; n++ {
			if n == 71 {
				n = 1000
			}
			src, m, w, dst := loopCase(rng, n+3) // 3 guards beyond n
			const av = 0.75
			// float32
			s32, m32, w32, d32 := to32(src), to32(m), to32(w), to32(dst)
			x32 := make([]float32, n+3)
			for i := range x32 {
				x32[i] = av + s32[i] - m32[i]
			}
			e32 := make([]float32, n+3)
			k.exp32(p32(e32), p32(x32), n)
			terms := make([]float32, n)
			for i := range n {
				terms[i] = w32[i] * e32[i]
			}
			check32 := func(what string, got []float32, want func(i int) float32) {
				t.Helper()
				for i := range n + 3 {
					wi := d32[i]
					if i < n {
						wi = want(i)
					}
					if !same32(got[i], wi) {
						t.Fatalf("%s %s32, n %d, i %d: %g, want %g", k.name, what, n, i, got[i], wi)
					}
				}
			}
			g := append([]float32(nil), d32...)
			k.acc32(p32(g), p32(s32), p32(m32), n, av)
			check32("acc", g, func(i int) float32 { return d32[i] + e32[i] })
			g = append(g[:0], d32...)
			k.accW32(p32(g), p32(w32), p32(s32), p32(m32), n, av)
			check32("accW", g, func(i int) float32 { return d32[i] + terms[i] })
			g = append(g[:0], d32...)
			sum := k.accWSum32(p32(g), p32(w32), p32(s32), p32(m32), n, av)
			check32("accWSum", g, func(i int) float32 { return d32[i] + terms[i] })
			if want := laneSum32(terms); !same32(sum, want) {
				t.Fatalf("%s accWSum32, n %d: sum %g, want %g", k.name, n, sum, want)
			}
			if got, want := k.dot32(p32(w32), p32(s32), p32(m32), n, av), laneSum32(terms); !same32(got, want) {
				t.Fatalf("%s dot32, n %d: %g, want %g", k.name, n, got, want)
			}
			g = append(g[:0], d32...)
			copy(g, x32[:n])
			for i := range n {
				g[i] += 0.5
			}
			k.shift32(p32(g), n, 0.5)
			check32("shift", g, func(i int) float32 { return expOne32(k, x32[i]+0.5-0.5) })
			g = append(g[:0], d32...)
			k.exp32(p32(g), p32(x32), n)
			check32("exp", g, func(i int) float32 { return e32[i] })
			// float64
			x64 := make([]float64, n+3)
			for i := range x64 {
				x64[i] = av + src[i] - m[i]
			}
			e64 := make([]float64, n+3)
			k.exp64(p64(e64), p64(x64), n)
			terms64 := make([]float64, n)
			for i := range n {
				terms64[i] = w[i] * e64[i]
			}
			check64 := func(what string, got []float64, want func(i int) float64) {
				t.Helper()
				for i := range n + 3 {
					wi := dst[i]
					if i < n {
						wi = want(i)
					}
					if !same64(got[i], wi) {
						t.Fatalf("%s %s64, n %d, i %d: %v, want %v", k.name, what, n, i, got[i], wi)
					}
				}
			}
			g64 := append([]float64(nil), dst...)
			k.acc64(p64(g64), p64(src), p64(m), n, av)
			check64("acc", g64, func(i int) float64 { return dst[i] + e64[i] })
			g64 = append(g64[:0], dst...)
			k.accW64(p64(g64), p64(w), p64(src), p64(m), n, av)
			check64("accW", g64, func(i int) float64 { return dst[i] + terms64[i] })
			g64 = append(g64[:0], dst...)
			sum64 := k.accWSum64(p64(g64), p64(w), p64(src), p64(m), n, av)
			check64("accWSum", g64, func(i int) float64 { return dst[i] + terms64[i] })
			if want := laneSum64(terms64); !same64(sum64, want) {
				t.Fatalf("%s accWSum64, n %d: sum %v, want %v", k.name, n, sum64, want)
			}
			if got, want := k.dot64(p64(w), p64(src), p64(m), n, av), laneSum64(terms64); !same64(got, want) {
				t.Fatalf("%s dot64, n %d: %v, want %v", k.name, n, got, want)
			}
			g64 = append(g64[:0], dst...)
			copy(g64, src[:n])
			k.shift64(p64(g64), n, -av)
			check64("shift", g64, func(i int) float64 { return expOne64(k, src[i]+av) })
			g64 = append(g64[:0], dst...)
			k.exp64(p64(g64), p64(x64), n)
			check64("exp", g64, func(i int) float64 { return e64[i] })
		}
	}
}

// expOne32 and expOne64 are a kernel set's exp of one value: the lanes of
// a vector compute alike whatever their place.
func expOne32(k kernelSet, x float32) float32 {
	var r float32
	k.exp32(&r, &x, 1)
	return r
}

func expOne64(k kernelSet, x float64) float64 {
	var r float64
	k.exp64(&r, &x, 1)
	return r
}

// TestVecLSE3 holds the vector LSE3 to the pure-Go one: within lse3GenULP
// ulps of the largest of 1, |m| and the result (both round the sum of the
// weights, in [1, 3], before its log), NaN,
// +Inf and −Inf alike, and bit for bit between the instruction sets and
// between a term's place among the three.
func TestVecLSE3(t *testing.T) {
	a, b, c := lse3Inputs(20000)
	n := len(a)
	var ref []float64
	for _, k := range runnable(t) {
		got := make([]float64, n)
		k.lse3(p64(got), p64(a), p64(b), p64(c), n)
		perm := make([]float64, n)
		k.lse3(p64(perm), p64(c), p64(a), p64(b), n)
		worst := 0.0
		for i := range n {
			want := lse3One(a[i], b[i], c[i])
			if want != want || math.IsInf(want, 0) {
				if !same64(got[i], want) {
					t.Fatalf("%s lse3(%v, %v, %v) = %v, want %v", k.name, a[i], b[i], c[i], got[i], want)
				}
				continue
			}
			m := max(a[i], b[i], c[i])
			scale := max(math.Abs(m), math.Abs(want), 1)
			u := math.Abs(got[i]-want) / (math.Nextafter(scale, math.Inf(1)) - scale)
			worst = max(worst, u)
			if u > lse3GenULP {
				t.Fatalf("%s lse3(%v, %v, %v) = %v, want %v (%.2f ulps)", k.name, a[i], b[i], c[i], got[i], want, u)
			}
			if !same64(perm[i], got[i]) {
				t.Fatalf("%s lse3 of (%v, %v, %v) = %v, of (%v, %v, %v) = %v", k.name, a[i], b[i], c[i], got[i], c[i], a[i], b[i], perm[i])
			}
		}
		t.Logf("%s: lse3 within %.3f ulp of the pure-Go LSE3", k.name, worst)
		if ref == nil {
			ref = got
			continue
		}
		for i := range n {
			if !same64(got[i], ref[i]) {
				t.Fatalf("lse3(%v, %v, %v): %s %v, %s %v", a[i], b[i], c[i], k.name, got[i], kernelSets[0].name, ref[i])
			}
		}
	}
}
