package cudaops

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// constructorLaunch is a launch a constructor returns, with the number of
// pointers its kernel takes before the scalars.
type constructorLaunch struct {
	l    Launch
	ptrs int
}

// everyConstructor returns a launch of every kernel every constructor can
// name, for dtype dt: each (forward or backward) of each op, each wrt.
func everyConstructor(dt Dtype) []constructorLaunch {
	const batch, n = 2, 5
	ls := []constructorLaunch{
		{MulForward(dt, Log, batch, n, 1, 2, 2, 0), 3},
		{VecMulForward(dt, Log, batch, n, 1, 2), 3},
		{MulVecForward(dt, Log, batch, n, 1, 2), 3},
		{PlusForward(dt, Log, batch, n, 1, 2, 2, 0), 3},
		{TimesForward(dt, Log, batch, n, 1, 2, 2, 0), 3},
		{SumForward(dt, Log, batch, n, 1, 2), 2},
		{SumBackward(dt, Log, batch, n, 1, 2), 4},
		{FromDenseForward(dt, batch, n, 1, 2, 0), 2},
		{ToDenseForward(dt, batch, n, 1, 2, 0), 2},
		{TransposeForward(dt, batch, n, 1, 2, 0), 2},
		{ShiftForward(dt, batch, n, 1, 2, 0, 3, 1, 0, 0), 2},
		{RebandForward(dt, batch, n, 1, 2, 0, 3, 0), 2},
		{RowShiftForward(dt, batch, n, 1, 2, 1, 0), 2},
		{ColShiftForward(dt, batch, n, 1, 2, -1, 0), 2},
		{GatherForward(dt, 7), 4},
		{GatherBackward(dt, 7), 4},
		{CTCStepsForward(dt, 3, batch, 4, n), 3},
		{CTCStepsBackward(dt, 3, batch, 4, n), 3},
		{CTCFinalForward(3, batch, n, 2), 3},
		{CTCFinalBackward(3, batch, n, 2), 4},
		{ScanForward(dt, Log, batch, 3, n, 1, 2), 4},
		{ScanLastForward(dt, batch, 3, n), 2},
		{ScanLastBackward(dt, batch, 3, n), 2},
		{AlignCellsForward(dt, Log, batch, 3, n, AlignGlobal, -1), 3},
		{AlignCellsForward(dt, Max, batch, 3, n, AlignLocal, 1), 3},
		{AlignCellsBackward(dt, Log, batch, 3, n, AlignSemiGlobal, 1), 6},
		{AlignCellsBackwardGlobal(dt, Max, batch, 3, n, AlignLocal, -1), 6},
		{AlignEndForward(dt, Log, batch, 3, n, AlignGlobal, 2), 3},
		{AlignEndForward(dt, Log, batch, 3, n, AlignLocal, -1), 3},
		{AlignEndBackward(dt, Log, batch, 3, n, AlignGlobal, -1), 4},
		{AlignEndBackward(dt, Max, batch, 3, n, AlignLocal, 0), 4},
		{AlignEndForwardStates(dt, Log, 3, batch, 3, n, AlignGlobal, -1), 3},
		{AlignEndBackwardStates(dt, Max, 3, batch, 3, n, AlignGlobal, 1), 4},
		{AlignAffineForward(dt, Log, batch, 3, n, AlignGlobal, -1, false), 3},
		{AlignAffineForward(dt, Max, batch, 3, n, AlignLocal, 1, true), 3},
		{AlignAffineBackward(dt, Real, batch, 3, n, AlignSemiGlobal, 0, false), 6},
		{AlignAffineBackwardGlobal(dt, Log, batch, 3, n, AlignLocal, -1, true), 6},
		{AttentionForward(dt, batch, n, 3, 1, 2, 0.5, true), 5},
		{AttentionBackwardRows(dt, batch, n, 3, 1, 2, 0.5, false), 7},
		{AttentionBackwardKeys(dt, batch, n, 3, 1, 2, 0.5, true), 7},
		{BandMulForward(dt, batch, n, 1, 2, 3), 3},
		{MulDenseForward(dt, Log, batch, n, 1, 2, 3), 3},
		{SoftmaxForward(dt, true, batch, n, 1, 2), 2},
		{SoftmaxBackward(dt, false, batch, n, 1, 2), 3},
	}
	for wrt := 0; wrt < 2; wrt++ {
		ls = append(ls,
			constructorLaunch{MulBackward(dt, Log, wrt, batch, n, 1, 2, 2, 0), 5},
			constructorLaunch{VecMulBackward(dt, Log, wrt, batch, n, 1, 2), 5},
			constructorLaunch{MulVecBackward(dt, Log, wrt, batch, n, 1, 2), 5},
			constructorLaunch{PlusBackward(dt, Log, wrt, batch, n, 1, 2, 2, 0), 5},
			constructorLaunch{TimesBackward(dt, Log, wrt, batch, n, 1, 2, 2, 0), 5},
			constructorLaunch{ScanBackward(dt, Log, wrt, batch, 3, n, 1, 2), 7},
			constructorLaunch{BandMulBackward(dt, wrt, batch, n, 1, 2, 3), 4},
			constructorLaunch{MulDenseBackward(dt, Log, wrt, batch, n, 1, 2, 3), 5},
		)
	}
	return append(ls, genmulConstructors(dt)...)
}

// ptxParams returns the PTX types of the parameters of every entry point of
// the module, by entry name.
func ptxParams(t *testing.T) map[string][]string {
	t.Helper()
	entry := regexp.MustCompile(`(?s)\.entry\s+([A-Za-z_][A-Za-z0-9_]*)\s*\((.*?)\)`)
	param := regexp.MustCompile(`\.param\s+\.(\w+)\s`)
	out := map[string][]string{}
	for _, m := range entry.FindAllStringSubmatch(Module(), -1) {
		var types []string
		for _, p := range param.FindAllStringSubmatch(m[2], -1) {
			types = append(types, p[1])
		}
		out[m[1]] = types
	}
	if len(out) != len(Kernels()) {
		t.Fatalf("parsed %d entries with parameters, Kernels() lists %d", len(out), len(Kernels()))
	}
	return out
}

// TestConstructorsMatchPTX checks, without a GPU, that every kernel a
// constructor names is an entry point of the embedded PTX, that the entry
// takes exactly the constructor's pointers and scalars, each 8 bytes (a
// pointer or a long long as .u64, a double as .f64, in the order of
// Launch.Args), that each launch passes Check, and that every entry of the
// PTX is named by some constructor.
func TestConstructorsMatchPTX(t *testing.T) {
	params := ptxParams(t)
	named := map[string]bool{}
	for _, dt := range []Dtype{Float32, Float64} {
		for _, c := range everyConstructor(dt) {
			name := c.l.Kernel
			named[name] = true
			types, ok := params[name]
			if !ok {
				t.Errorf("%s: not an entry point of the PTX module", name)
				continue
			}
			var want []string
			for i := 0; i < c.ptrs; i++ {
				want = append(want, "u64")
			}
			for _, a := range c.l.Args {
				switch a.(type) {
				case float64:
					want = append(want, "f64")
				default:
					want = append(want, "u64")
				}
			}
			if strings.Join(types, " ") != strings.Join(want, " ") {
				t.Errorf("%s: PTX parameters %v, the constructor passes %v", name, types, want)
			}
			if err := c.l.Check(); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	for name := range params {
		if !named[name] {
			t.Errorf("PTX entry %s is named by no constructor", name)
		}
	}
}

// TestConstructorsRefuseBadWrt checks that a gradient index other than 0
// and 1 names no kernel of the PTX, so the launch fails instead of
// computing the wrong gradient.
func TestConstructorsRefuseBadWrt(t *testing.T) {
	have := map[string]bool{}
	for _, k := range Kernels() {
		have[k] = true
	}
	for _, wrt := range []int{-1, 2} {
		for _, l := range []Launch{
			PlusBackward(Float32, Real, wrt, 1, 3, 1, 1, 1, 1),
			TimesBackward(Float64, Real, wrt, 1, 3, 1, 1, 1, 1),
			ScanBackward(Float32, Log, wrt, 1, 2, 3, 1, 1),
			BandMulBackward(Float32, wrt, 1, 3, 1, 1, 2),
			MulDenseBackward(Float64, Real, wrt, 1, 3, 1, 1, 2),
		} {
			if have[l.Kernel] {
				t.Errorf("wrt %d: constructor names kernel %s, which exists", wrt, l.Kernel)
			}
		}
	}
	if l := SumForward(Dtype(0), Real, 1, 3, 1, 1); have[l.Kernel] {
		t.Errorf("dtype 0: SumForward names kernel %s, which exists", l.Kernel)
	}
	if got := fmt.Sprint(PlusForward(Float32, Max, 1, 3, 0, 0, 0, 0).Args[6]); got != "2" {
		t.Errorf("PlusForward passes the semiring Max as %s, want 2", got)
	}
}

// TestLaunchesHaveNoBatchLimit checks that the launches of the
// element-per-thread, Sum and Transpose kernels stay within the CUDA grid
// limits for a batch far beyond genbmm's 65535 (their kernels loop over
// whatever the grid does not cover), and that the element-per-thread grid
// is capped, so that each thread walks several elements of a large output.
func TestLaunchesHaveNoBatchLimit(t *testing.T) {
	const batch, n = 1 << 22, 64
	ls := []Launch{
		PlusForward(Float32, Log, batch, n, 16, 16, 16, 16),
		PlusBackward(Float32, Log, 1, batch, n, 16, 16, 16, 16),
		TimesForward(Float64, Max, batch, n, 16, 16, 16, 16),
		TimesBackward(Float64, Max, 0, batch, n, 16, 16, 16, 16),
		SumForward(Float32, Log, batch, n, 16, 16),
		SumBackward(Float32, Max, batch, n, 16, 16),
		FromDenseForward(Float32, batch, n, 16, 16, 0),
		ToDenseForward(Float32, batch, n, 16, 16, 0),
		TransposeForward(Float32, batch, n, 16, 16, 0),
		ShiftForward(Float32, batch, n, 16, 16, 15, 17, 1, 0, 0),
	}
	for _, l := range ls {
		if err := l.Check(); err != nil {
			t.Errorf("batch %d: %v", batch, err)
		}
	}
	if g := PlusForward(Float32, Log, batch, n, 16, 16, 16, 16).Grid[0]; g != flatMaxBlocks {
		t.Errorf("PlusForward grid %d blocks for %d elements, want the cap %d", g, int64(batch)*n*33, flatMaxBlocks)
	}
	if g := PlusForward(Float32, Log, 1, 3, 0, 0, 0, 0).Grid[0]; g != 1 {
		t.Errorf("PlusForward grid %d blocks for 3 elements, want 1", g)
	}
	if b := SumForward(Float32, Log, 2, 1000, 40, 40).Block[0]; b != sumLargeThreads {
		t.Errorf("SumForward of 81000-slot matrices: %d threads, want %d", b, sumLargeThreads)
	}
}
