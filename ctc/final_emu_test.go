//go:build !cuda

package ctc

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/cudaops"
	"github.com/genband/genband/cudaops/emu"
	"gorgonia.org/tensor"
)

// TestFinalEmu runs ctc_final and ctc_final_bwd under the emulator with the
// launches the cuda glue uses and compares them with finalOp's and
// finalGradOp's CPU Do: every item's log p and the gradient of the states
// (every element, the kept buffer's zeros included), within a few ulps
// (the device's exp and log against Go's), and −Inf, NaN and 0 exactly.
// The items: an empty target, ragged lengths, one past lmax (does not
// fit), one whose final states are both −Inf (p = 0), one with a NaN final
// state, and the rest random. The gradient kernel runs again on one block
// of 32 threads, so that each thread strides over many elements: the same
// bits.
func TestFinalEmu(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	for _, c := range []struct{ frames, batch, lmax int }{{6, 7, 3}, {1, 1, 1}, {5, 3, 4}} {
		t.Run(fmt.Sprintf("%d×%d×%d", c.frames, c.batch, c.lmax), func(t *testing.T) {
			testFinalEmu(t, rng, c.frames, c.batch, c.lmax)
		})
	}
}

func testFinalEmu(t *testing.T, rng *rand.Rand, frames, batch, lmax int) {
	f, err := checkForm("test", tensor.Float32, tensor.Shape{frames, batch, 5}, tensor.Int, tensor.Shape{batch, lmax},
		[2]tensor.Dtype{tensor.Int, tensor.Int}, [2]tensor.Shape{{batch}, {batch}}, options{})
	if err != nil {
		t.Fatal(err)
	}
	s := f.states()
	st := make([]float64, f.statesShape().TotalSize())
	for i := range st {
		st[i] = -30 * rng.Float64()
		if rng.IntN(5) == 0 {
			st[i] = math.Inf(-1)
		}
	}
	tl := make([]int, batch)
	last := st[frames*batch*s:]
	for b := range tl {
		tl[b] = rng.IntN(lmax + 1)
		switch b {
		case 0:
			tl[b] = 0
		case 1:
			tl[b] = lmax + 1 // does not fit
		case 2:
			tl[b] = lmax
			last[b*s+2*lmax-1], last[b*s+2*lmax] = math.Inf(-1), math.Inf(-1)
		case 3:
			tl[b] = 1
			last[b*s+2] = math.NaN()
		}
	}
	stv := tensor.New(tensor.WithShape(f.statesShape()...), tensor.WithBacking(st))
	tlv := tensor.New(tensor.WithShape(batch), tensor.WithBacking(tl))

	fop := &finalOp{form: f}
	wantV, err := fop.Do(stv, tlv)
	if err != nil {
		t.Fatal(err)
	}
	want := wantV.Data().([]float64)
	got := nans(batch)
	if err := emu.Run(cudaops.CTCFinalForward(frames, batch, s, f.lmax), got, st, tl); err != nil {
		t.Fatal(err)
	}
	ulps(t, "log p", got, want)

	dlp := make([]float64, batch)
	for b := range dlp {
		dlp[b] = rng.NormFloat64()
	}
	gop := &finalGradOp{finalOp: *fop}
	wantGV, err := gop.Do(stv, tlv, tensor.New(tensor.WithShape(batch), tensor.WithBacking(dlp)))
	if err != nil {
		t.Fatal(err)
	}
	wantG := wantGV.Data().([]float64)
	gotG := nans(len(st))
	l := cudaops.CTCFinalBackward(frames, batch, s, f.lmax)
	if err := emu.Run(l, gotG, st, tl, dlp); err != nil {
		t.Fatal(err)
	}
	ulps(t, "the states' gradient", gotG, wantG)
	l.Grid, l.Block = [3]uint{1, 1, 1}, [3]uint{32, 1, 1}
	strided := nans(len(st))
	if err := emu.Run(l, strided, st, tl, dlp); err != nil {
		t.Fatal(err)
	}
	for i := range gotG {
		if math.Float64bits(strided[i]) != math.Float64bits(gotG[i]) {
			t.Fatalf("one block of 32: element %d is %v, the constructor's geometry gives %v", i, strided[i], gotG[i])
		}
	}
}

// nans returns n NaNs, an output a kernel must overwrite.
func nans(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = math.NaN()
	}
	return out
}

// ulps requires got to equal want within 4 ulps, and exactly where want
// is infinite, NaN or 0 (a 0 that a NaN hides would read as a NaN).
func ulps(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i, w := range want {
		g := got[i]
		switch {
		case math.IsNaN(w) || math.IsNaN(g):
			if math.IsNaN(w) != math.IsNaN(g) {
				t.Fatalf("%s: element %d is %v, want %v", what, i, g, w)
			}
		case math.IsInf(w, 0) || w == 0:
			if g != w {
				t.Fatalf("%s: element %d is %v, want %v", what, i, g, w)
			}
		default:
			if d := math.Abs(g - w); d > 4*ulp(w) {
				t.Fatalf("%s: element %d is %v, want %v (%.1f ulps)", what, i, g, w, d/ulp(w))
			}
		}
	}
}

// ulp is the spacing of float64s at x.
func ulp(x float64) float64 {
	x = math.Abs(x)
	return math.Nextafter(x, math.Inf(1)) - x
}
