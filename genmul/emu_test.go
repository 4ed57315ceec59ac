//go:build !cuda

package genmul

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/cudaops"
	"github.com/genband/genband/cudaops/emu"
	"gorgonia.org/tensor"
)

// Emulation tests of genmul.cu: each kernel runs on the CPU under
// cudaops/emu with the launch the cuda glue uses (cudaops' constructors),
// and its whole output is compared with genmul's CPU kernel on the same
// inputs: Max and ProdMax forwards, the selections and Max's routes bit for
// bit, the Log kernels (whose f32 weights come from ex2 in base 2) to a
// tolerance, the draws as often as rounding allows. Outputs start as a
// sentinel, so an element a kernel skips shows; the emulator itself
// catches accesses out of bounds and writes into inputs. The shapes cover
// partial and several tiles (64 × 64 for products, 32 × 32 for gradients),
// k below and above a step of 16, and inputs hold −Inf, with one row of A
// all −Inf (outputs of only −Inf terms).

var emuShapes = []struct{ batch, n, k, m int }{
	{1, 1, 1, 1},
	{2, 3, 17, 5},
	{1, 70, 33, 65},
	{3, 5, 1, 34},
}

const emuSentinel = -98765.25

func emuDtype(dt tensor.Dtype) cudaops.Dtype {
	if dt == tensor.Float32 {
		return cudaops.Float32
	}
	return cudaops.Float64
}

// emuOut runs l with an output of size elements, first set to the sentinel.
func emuOut[T float](t *testing.T, l cudaops.Launch, size int, ins ...any) []T {
	t.Helper()
	out := make([]T, size)
	for i := range out {
		out[i] = emuSentinel
	}
	if err := emu.Run(l, append([]any{out}, ins...)...); err != nil {
		t.Fatalf("%s: %v", l.Kernel, err)
	}
	return out
}

func emuSel(t *testing.T, l cudaops.Launch, size int, ins ...any) []int32 {
	t.Helper()
	out := make([]int32, size)
	for i := range out {
		out[i] = -98765
	}
	if err := emu.Run(l, append([]any{out}, ins...)...); err != nil {
		t.Fatalf("%s: %v", l.Kernel, err)
	}
	return out
}

// emuCompare checks got against want: NaN where want is NaN, equal
// infinities, and |got − want| ≤ tol·max(1, |want|).
func emuCompare[T float](got, want []T, tol float64) error {
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if g == emuSentinel {
			return fmt.Errorf("element %d not written (want %v)", i, w)
		}
		if g == w || math.IsNaN(g) && math.IsNaN(w) {
			continue
		}
		if math.IsNaN(g) || math.IsNaN(w) || math.IsInf(g, 0) || math.IsInf(w, 0) || math.Abs(g-w) > tol*math.Max(1, math.Abs(w)) {
			return fmt.Errorf("element %d = %v, want %v", i, g, w)
		}
	}
	return nil
}

func emuTol[T float](terms int) float64 {
	// A sum of terms in another order than the CPU's: a probabilistic
	// bound, √terms·u with slack; float32 adds the GPU's fast exp2, a few
	// ulps of each term.
	var x T
	if any(x) == any(float32(0)) {
		return 0x1p-24 * (12*math.Sqrt(float64(terms)) + 64)
	}
	return 0x1p-53 * (12*math.Sqrt(float64(terms)) + 16)
}

func slice[T float](v []float64) []T {
	s := make([]T, len(v))
	for i, x := range v {
		s[i] = T(x)
	}
	return s
}

func TestEmuGenmul(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, c := range emuShapes {
		for _, dt := range dtypes {
			name := fmt.Sprintf("%v/b%d_n%d_k%d_m%d", dt, c.batch, c.n, c.k, c.m)
			t.Run(name, func(t *testing.T) {
				d := dims{batch: c.batch, n: c.n, k: c.k, m: c.m, dt: dt}
				if dt == tensor.Float32 {
					emuCheck[float32](t, rng, d)
				} else {
					emuCheck[float64](t, rng, d)
				}
			})
		}
	}
}

func emuCheck[T float](t *testing.T, rng *rand.Rand, d dims) {
	cdt := emuDtype(d.dt)
	tol := emuTol[T](d.k)
	nc := d.batch * d.n * d.m
	for _, p := range []product{logProd, maxProd, prodMaxProd} {
		r := newRefCase(rng, p, d.dt, d.batch, d.n, d.k, d.m, true)
		a, b := slice[T](r.a), slice[T](r.b)
		want := make([]T, nc)
		forward(p, want, a, b, d)
		cp := map[product]cudaops.GenmulProduct{logProd: cudaops.LogMatMul, maxProd: cudaops.MaxMatMul, prodMaxProd: cudaops.ProdMaxMatMul}[p]
		got := emuOut[T](t, cudaops.GenmulForward(cdt, cp, d.batch, d.n, d.k, d.m), nc, a, b)
		ftol := tol
		if p != logProd {
			ftol = 0
		}
		if err := emuCompare(got, want, ftol); err != nil {
			t.Fatalf("%v forward: %v", p, err)
		}
		dc := slice[T](upstream(rng, d.dt, nc))
		na, nb := len(a), len(b)
		if p == logProd {
			emuCheckLog(t, rng, d, a, b, want, dc)
			emuCheckDraw(t, d, a, b, want, dc)
			continue
		}
		// Selection and routes, from the CPU's C.
		sel := make([]int32, nc)
		selectMax(p, sel, a, b, want, d)
		gotSel := emuSel(t, cudaops.GenmulSelect(cdt, cp, d.batch, d.n, d.k, d.m), nc, a, b, want)
		for i := range sel {
			if gotSel[i] != sel[i] {
				t.Fatalf("%v selection %d = %d, want %d", p, i, gotSel[i], sel[i])
			}
		}
		rtol := 0.0
		if p == prodMaxProd {
			rtol = tol // a multiply-add may be fused
		}
		for wrt := 0; wrt < 2; wrt++ {
			size := na
			if wrt == 1 {
				size = nb
			}
			g := make([]T, size)
			route(p, wrt, g, a, b, sel, dc, d)
			got := emuOut[T](t, cudaops.GenmulRoute(cdt, cp, wrt, d.batch, d.n, d.k, d.m), size, a, b, sel, dc)
			if err := emuCompare(got, g, rtol); err != nil {
				t.Fatalf("%v route wrt %d: %v", p, wrt, err)
			}
		}
	}
}

// emuCheckLog checks LogMatMul's gradient kernels: both at once, their
// parts, each alone, and the second-derivative terms.
func emuCheckLog[T float](t *testing.T, rng *rand.Rand, d dims, a, b, c, dc []T) {
	cdt := emuDtype(d.dt)
	// dA sums over the m columns, dB over the n rows, the second
	// derivatives over k as well.
	tol := emuTol[T](max(d.n, d.k, d.m))
	na, nb := len(a), len(b)
	cm, dm := logMasked(c, dc)
	ga, gb := make([]T, na), make([]T, nb)
	logGradA(ga, a, b, cm, dm, nil, d)
	logGradB(gb, a, b, cm, dm, nil, d)
	both := emuOut[T](t, cudaops.LogMatMulBackward(cdt, d.batch, d.n, d.k, d.m), na+nb, a, b, c, dc)
	if err := emuCompare(both, append(append([]T(nil), ga...), gb...), tol); err != nil {
		t.Fatalf("logmatmul_bwd: %v", err)
	}
	for wrt, want := range [][]T{ga, gb} {
		part := emuOut[T](t, cudaops.LogMatMulPart(cdt, wrt, d.batch, d.n, d.k, d.m), len(want), both)
		off := 0
		if wrt == 1 {
			off = na
		}
		if err := emuCompare(part, both[off:off+len(want)], 0); err != nil {
			t.Fatalf("logmatmul_bwd_part wrt %d: %v", wrt, err)
		}
		one := emuOut[T](t, cudaops.LogMatMulGrad(cdt, wrt, false, d.batch, d.n, d.k, d.m), len(want), a, b, c, dc)
		if err := emuCompare(one, want, tol); err != nil {
			t.Fatalf("logmatmul gradient wrt %d: %v", wrt, err)
		}
		// Weighted by H of the other operand's shape; the expectation of H
		// of this operand's shape.
		hsize := nb
		if wrt == 1 {
			hsize = na
		}
		h := slice[T](upstream(rng, d.dt, hsize))
		w2 := make([]T, len(want))
		if wrt == 0 {
			logGradA(w2, a, b, cm, dm, h, d)
		} else {
			logGradB(w2, a, b, cm, dm, h, d)
		}
		got2 := emuOut[T](t, cudaops.LogMatMulGrad(cdt, wrt, true, d.batch, d.n, d.k, d.m), len(want), a, b, c, dc, h)
		if err := emuCompare(got2, w2, tol); err != nil {
			t.Fatalf("logmatmul second-derivative term wrt %d: %v", wrt, err)
		}
		hx := slice[T](upstream(rng, d.dt, len(want)))
		e := make([]T, len(c))
		expect(wrt, e, a, b, c, hx, d)
		gotE := emuOut[T](t, cudaops.LogMatMulExpect(cdt, wrt, d.batch, d.n, d.k, d.m), len(c), a, b, c, hx)
		if err := emuCompare(gotE, e, tol); err != nil {
			t.Fatalf("logmatmul expectation wrt %d: %v", wrt, err)
		}
	}
}

// emuCheckDraw checks samplematmul_bwd_draw against drawSample with the
// same seed: the same k for all but the rare outputs where the sums'
// rounding moves the target across a boundary (at most 1 in 200), each of
// those a k of positive weight; and Max's routes of the draw.
func emuCheckDraw[T float](t *testing.T, d dims, a, b, c, dc []T) {
	cdt := emuDtype(d.dt)
	const seed = 0xdeadbeefcafef00d
	nc := len(c)
	cm, _ := logMasked(c, nil)
	want := make([]int32, nc)
	drawSample(want, a, b, cm, c, seed, d)
	got := emuSel(t, cudaops.SampleMatMulDraw(cdt, seed, d.batch, d.n, d.k, d.m), nc, a, b, c)
	diff := 0
	for x := range want {
		if got[x] == want[x] {
			continue
		}
		diff++
		bat, i, j := x/(d.n*d.m), x/d.m%d.n, x%d.m
		q := int(got[x])
		if q < 0 || q >= d.k || !(math.Exp(float64(a[(bat*d.n+i)*d.k+q]+b[(bat*d.k+q)*d.m+j]-c[x])) > 0) {
			t.Fatalf("draw %d = %d (CPU %d), not a k of positive weight", x, got[x], want[x])
		}
	}
	if diff > max(1, nc/200) {
		t.Fatalf("%d of %d draws differ from the CPU's", diff, nc)
	}
	for wrt := 0; wrt < 2; wrt++ {
		size := len(a)
		if wrt == 1 {
			size = len(b)
		}
		g := make([]T, size)
		route(sampleProd, wrt, g, a, b, got, dc, d)
		gotG := emuOut[T](t, cudaops.GenmulRoute(cdt, cudaops.MaxMatMul, wrt, d.batch, d.n, d.k, d.m), size, a, b, got, dc)
		if err := emuCompare(gotG, g, 0); err != nil {
			t.Fatalf("sample route wrt %d: %v", wrt, err)
		}
	}
}
