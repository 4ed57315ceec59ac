package align

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/genband/genband/bandop"
	"gorgonia.org/tensor"
)

// fuzzModes and fuzzSemirings are what the fuzz input picks from.
var (
	fuzzModes     = []Mode{Global, Local, SemiGlobal}
	fuzzSemirings = []bandop.Semiring{Log, Real, Max}
)

// FuzzAlign checks Model.Marginals against the plain references of
// oracle_test.go on shapes, lengths, modes, gaps, semirings, strategies and
// dtypes decoded from the fuzz input, with NaN in every potential that no
// path may use (past an item's lengths, outside its gap, or a move from a
// cell outside them): the brute-force enumeration where the grid is small
// enough (every semiring), the forward–backward DP elsewhere (Log and
// Real). θ must come back unmodified.
//
//	go test -run '^$' -fuzz '^FuzzAlign$' -fuzztime 10m ./align
func FuzzAlign(f *testing.F) {
	// seed, batch, n, m, mode, gap (< 0: none), semiring, logDepth, float32
	f.Add(uint64(1), uint8(0), uint8(0), uint8(0), uint8(0), int8(-1), uint8(0), false, false) // 1×1
	f.Add(uint64(2), uint8(1), uint8(3), uint8(2), uint8(1), int8(0), uint8(1), false, false)
	f.Add(uint64(3), uint8(2), uint8(1), uint8(5), uint8(0), int8(1), uint8(2), true, false)
	f.Add(uint64(4), uint8(1), uint8(9), uint8(4), uint8(1), int8(-1), uint8(0), false, true)
	f.Add(uint64(5), uint8(0), uint8(15), uint8(15), uint8(0), int8(2), uint8(0), true, true)
	f.Add(uint64(6), uint8(2), uint8(2), uint8(11), uint8(2), int8(3), uint8(1), false, false)
	f.Add(uint64(7), uint8(255), uint8(255), uint8(255), uint8(255), int8(-128), uint8(255), true, true) // extreme bytes
	f.Fuzz(func(t *testing.T, seed uint64, batch, n, mm, mode uint8, gap int8, sr uint8, logDepth, f32 bool) {
		m := Model{
			Semiring: fuzzSemirings[int(sr)%len(fuzzSemirings)],
			Mode:     fuzzModes[int(mode)%len(fuzzModes)],
			Gapped:   gap >= 0,
			MaxGap:   max(int(gap), 0) % 6,
		}
		if logDepth {
			m.Strategy = LogDepth
		}
		p := randomProblem(rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
			1+int(batch)%3, 1+int(n)%16, 1+int(mm)%16, true)
		small := p.n <= 4 && p.mm <= 4
		if m.Semiring == Max && !small {
			// The DP reference has no Max; shrink the grid to one the
			// enumeration covers.
			p = randomProblem(rand.New(rand.NewPCG(seed, 1)), p.batch, 1+p.n%4, 1+p.mm%4, true)
			small = true
		}
		dt, tol := tensor.Float64, 1e-9
		if f32 {
			// The references run on the float32 values, in float64.
			dt, tol = tensor.Float32, 2e-4
			for k, x := range p.theta {
				p.theta[k] = float64(float32(x))
			}
		}
		poisonUnused(m, tensor.New(tensor.WithShape(p.batch, p.n, p.mm, 3), tensor.WithBacking(p.theta)), p)
		theta := p.tensor(dt)
		before := slices.Clone(float64s(theta))
		res, err := m.Marginals(theta, p.lenX, p.lenY)
		if err != nil {
			t.Fatalf("%v on %d×%d×%d, lengths %v %v: %v", m, p.batch, p.n, p.mm, p.lenX, p.lenY, err)
		}
		after := float64s(theta)
		for k := range before {
			if math.Float64bits(before[k]) != math.Float64bits(after[k]) {
				t.Fatalf("%v modified θ at %d: %v → %v", m, k, before[k], after[k])
			}
		}
		ref := bruteForce
		if !small {
			ref = forwardBackward
		}
		if m.Semiring == Real {
			// Z multiplies about N+M potentials in [−1, 1] over many
			// paths: compare relative to the marginals' own scale.
			tol *= 10
		}
		checkAgainst(t, "fuzz", m, p, res.LogZ, float64s(res.Marginals), ref, tol)
	})
}
