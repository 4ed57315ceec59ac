//go:build amd64 && !purego

package fastexp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkVec times each vector kernel against its pure-Go loop on the
// same data in the same run: ns/elem is the kernel's, go-ns/elem the pure-Go
// loop's, speedup their ratio (ns/op is the kernel's call, as usual).
// Lengths: 1024, and 33 (a band of 16 either side) and 3 (an alignment
// cell's terms) for the per-call overhead.
func BenchmarkVec(b *testing.B) {
	rng := rand.New(rand.NewPCG(71, 72))
	const maxN = 1024
	x32, w32, m32, d32 := make([]float32, maxN), make([]float32, maxN), make([]float32, maxN), make([]float32, maxN)
	x64, w64, m64, d64 := make([]float64, maxN), make([]float64, maxN), make([]float64, maxN), make([]float64, maxN)
	l64, c64 := make([]float64, maxN), make([]float64, maxN)
	for i := range maxN {
		// Log-semiring arguments: mostly within a few tens below the
		// largest term, a few far below.
		x64[i] = -20 * rng.Float64()
		if i%16 == 0 {
			x64[i] = -200 * rng.Float64()
		}
		x32[i] = float32(x64[i])
		w64[i], m64[i], d64[i] = rng.Float64(), rng.Float64(), rng.Float64()
		w32[i], m32[i], d32[i] = float32(w64[i]), float32(m64[i]), float32(d64[i])
		l64[i] = 1 + 2*rng.Float64()
		c64[i] = -5 * rng.Float64()
	}
	var s32 float32
	var s64 float64
	type kernel struct {
		name string
		vec  func(k kernelSet, n int)
		gen  func(n int)
	}
	kernels := []kernel{
		{"exp32", func(k kernelSet, n int) { k.exp32(&d32[0], &x32[0], n) }, func(n int) { expSlice32Generic(d32[:n], x32[:n]) }},
		{"exp64", func(k kernelSet, n int) { k.exp64(&d64[0], &x64[0], n) }, func(n int) { expSlice64Generic(d64[:n], x64[:n]) }},
		{"acc32", func(k kernelSet, n int) { k.acc32(&d32[0], &x32[0], &m32[0], n, -1) }, func(n int) { acc32Generic(d32[:n], x32[:n], m32[:n], -1) }},
		{"acc64", func(k kernelSet, n int) { k.acc64(&d64[0], &x64[0], &m64[0], n, -1) }, func(n int) { acc64Generic(d64[:n], x64[:n], m64[:n], -1) }},
		{"accW32", func(k kernelSet, n int) { k.accW32(&d32[0], &w32[0], &x32[0], &m32[0], n, -1) }, func(n int) { accW32Generic(d32[:n], w32[:n], x32[:n], m32[:n], -1) }},
		{"accWSum64", func(k kernelSet, n int) { s64 += k.accWSum64(&d64[0], &w64[0], &x64[0], &m64[0], n, -1) }, func(n int) { s64 += accWSum64Generic(d64[:n], w64[:n], x64[:n], m64[:n], -1) }},
		{"dot32", func(k kernelSet, n int) { s32 += k.dot32(&w32[0], &x32[0], &m32[0], n, -1) }, func(n int) { s32 += dot32Generic(w32[:n], x32[:n], m32[:n], -1) }},
		{"dot64", func(k kernelSet, n int) { s64 += k.dot64(&w64[0], &x64[0], &m64[0], n, -1) }, func(n int) { s64 += dot64Generic(w64[:n], x64[:n], m64[:n], -1) }},
		{"shift64", func(k kernelSet, n int) { copy(d64[:n], x64); k.shift64(&d64[0], n, 0) }, func(n int) { copy(d64[:n], x64); shift64Generic(d64[:n], 0) }},
		{"log64", func(k kernelSet, n int) { k.log64(&d64[0], &l64[0], n) }, func(n int) { logSlice64Generic(d64[:n], l64[:n]) }},
		{"logsums", func(k kernelSet, n int) { copy(d64[:n], l64); k.log64(&d64[0], &d64[0], n) }, func(n int) { copy(d64[:n], l64); logSumsGeneric(d64[:n]) }},
		{"lse3", func(k kernelSet, n int) { k.lse3(&d64[0], &x64[0], &m64[0], &c64[0], n) }, func(n int) { lse3Generic(d64[:n], x64[:n], m64[:n], c64[:n]) }},
	}
	for _, kr := range kernels {
		for _, n := range []int{maxN, 33, 3} {
			for _, k := range kernelSets {
				if k.isa > isa {
					continue
				}
				b.Run(fmt.Sprintf("%s/n=%d/%s", kr.name, n, k.name), func(b *testing.B) {
					for b.Loop() {
						kr.vec(k, n)
					}
					vec, gen := bestOf(func() { kr.vec(k, n) }, func() { kr.gen(n) }, n)
					b.ReportMetric(vec, "ns/elem")
					b.ReportMetric(gen, "go-ns/elem")
					b.ReportMetric(gen/vec, "speedup")
				})
			}
		}
	}
	sink32, sink64 = s32, s64
}

// bestOf times vec and gen in alternating rounds of some 16k elements each
// and returns the best round of each in ns per element: on shared cores the
// best rounds are the ones nothing else ran in, and alternating exposes both
// to the same machine.
func bestOf(vec, gen func(), n int) (v, g float64) {
	reps := max(1, 16384/n)
	best := [2]float64{math.Inf(1), math.Inf(1)}
	for range 16 {
		for j, f := range []func(){vec, gen} {
			start := time.Now()
			for range reps {
				f()
			}
			best[j] = min(best[j], float64(time.Since(start).Nanoseconds())/float64(reps*n))
		}
	}
	return best[0], best[1]
}
