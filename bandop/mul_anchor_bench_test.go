package bandop

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/genband/genband/internal/anchor"
	"gorgonia.org/tensor"
)

// BenchmarkMulVsAnchor times Banded.Mul(·, Log), float32, batch 8,
// n = 1024, both bands 16/16 (BenchmarkMul's operands), on one core and on
// two, against the C anchor bandmul_simd (../shared/anchors, see its README:
// `bandmul_simd 20 p`) in the same run: max(b.N, 3) interleaved rounds,
// each the median of 20 products then one run of the anchor (which prints
// the median of its 20), both in ns per inner term (mulTerms, the anchor's
// 8,801,408). It reports genband-ns/term, anchor-ns/term (the medians over
// the rounds) and x-anchor, the median of the rounds' ratios (target ≤ 2,
// issue 18). Without gcc or the anchors it skips.
//
//	go test -run '^$' -bench MulVsAnchor -benchtime 5x ./bandop
func BenchmarkMulVsAnchor(b *testing.B) {
	const reps = 20
	prog := anchor.ForBench(b, "bandmul_simd")
	x, y := benchOperands(b, Log, tensor.Float32)
	terms := float64(mulTerms(x.layout(), y.layout()))
	for _, p := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", p), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(p))
			genband := func() (float64, error) {
				ts := make([]float64, reps)
				for r := range ts {
					start := time.Now()
					if _, err := x.Mul(y, Log); err != nil {
						return 0, err
					}
					ts[r] = float64(time.Since(start).Nanoseconds()) / terms
				}
				return anchor.Median(ts), nil
			}
			b.ResetTimer()
			cmp, err := anchor.Interleave(max(b.N, 3), genband, func() (float64, error) {
				r, err := prog.Run(nil, strconv.Itoa(reps), strconv.Itoa(p))
				return r.NsPerTerm, err
			})
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			cmp.Report(b, "ns/term")
		})
	}
}
