package bandop

import (
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"
)

// FuzzMul checks Banded.Mul against the dense reference on shapes, bands,
// semirings and dtypes decoded from the fuzz input, with NaN in every
// padding slot and, when sparse is set, about a third of the in-band
// entries set to the semiring's zero (so that Log meets sums of only −Inf).
func FuzzMul(f *testing.F) {
	// seed, batch, n, l1, u1, l2, u2, semiring, float32, sparse
	f.Add(uint64(1), int8(0), int8(0), int8(0), int8(0), int8(0), int8(0), uint8(0), false, false) // n = 1, diagonal
	f.Add(uint64(2), int8(0), int8(0), int8(2), int8(3), int8(1), int8(0), uint8(1), false, false) // n = 1, bands wider than n
	f.Add(uint64(3), int8(1), int8(4), int8(-1), int8(3), int8(2), int8(-1), uint8(2), false, false)
	f.Add(uint64(4), int8(2), int8(6), int8(3), int8(-2), int8(-3), int8(4), uint8(0), true, false)
	f.Add(uint64(5), int8(0), int8(7), int8(9), int8(9), int8(9), int8(9), uint8(1), true, true) // bands wider than n
	f.Add(uint64(6), int8(1), int8(5), int8(-2), int8(4), int8(-2), int8(4), uint8(2), false, true)
	f.Add(uint64(7), int8(0), int8(7), int8(-9), int8(10), int8(10), int8(-9), uint8(1), false, true) // bands touching no diagonal
	f.Add(uint64(8), int8(2), int8(2), int8(0), int8(0), int8(5), int8(-5), uint8(0), false, true)
	f.Add(uint64(9), int8(0), int8(3), int8(-127), int8(-128), int8(127), int8(127), uint8(255), true, true) // extreme bytes
	f.Fuzz(func(t *testing.T, seed uint64, batch, n, l1, u1, l2, u2 int8, sr uint8, f32, sparse bool) {
		nb := 1 + fuzzAbs8(batch)%3
		nn := 1 + fuzzAbs8(n)%8
		bandOf := func(l, u int8) (int, int) {
			lo, hi := int(l)%(nn+3), int(u)%(nn+3)
			if lo+hi+1 < 1 {
				hi = -lo
			}
			return lo, hi
		}
		al, au := bandOf(l1, u1)
		bl, bu := bandOf(l2, u2)
		s := Semiring(int(sr) % 3)
		dt := tensor.Float64
		if f32 {
			dt = tensor.Float32
		}
		rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		a := randomFor(t, rng, s, dt, nb, nn, al, au)
		b := randomFor(t, rng, s, dt, nb, nn, bl, bu)
		if sparse {
			fuzzSparsify(a, rng, s)
			fuzzSparsify(b, rng, s)
		}
		ac, bc := a.Clone(), b.Clone()
		got, err := a.Mul(b, s)
		if err != nil {
			t.Fatalf("%v: %v ⊗ %v: %v", s, a, b, err)
		}
		if got.Lower() != al+bl || got.Upper() != au+bu || !s.isZero(got.Fill()) {
			t.Fatalf("result %v, want band (%d, %d)", got, al+bl, au+bu)
		}
		checkDense(t, got, refMul(s, denseOf(a), denseOf(b)), tolFor(dt))
		// The graph Op's Do runs the same kernel on the raw storage, NaN
		// padding included.
		v, err := newBinOp(mulSpec, s, a.layout(), b.layout()).Do(a.data, b.data)
		if err != nil {
			t.Fatalf("Mul's Op Do: %v", err)
		}
		viaDo := &Banded{lower: got.lower, upper: got.upper, fill: got.fill, data: v.(*tensor.Dense)}
		if !sameBits(viaDo, got) {
			t.Error("Mul's Op Do and Banded.Mul differ")
		}
		if !sameBits(a, ac) || !sameBits(b, bc) {
			t.Error("Mul modified an operand")
		}
	})
}

func fuzzAbs8(x int8) int {
	if x < 0 {
		return -int(x)
	}
	return int(x)
}

// fuzzSparsify sets about a third of a's in-band entries to the zero of s.
func fuzzSparsify(a *Banded, rng *rand.Rand, s Semiring) {
	n, w := a.N(), a.Width()
	for r := 0; r < a.Batch()*n; r++ {
		lo, hi := validSlots(r%n, n, a.lower, w)
		for k := lo; k < hi; k++ {
			if rng.IntN(3) != 0 {
				continue
			}
			switch d := a.data.Data().(type) {
			case []float64:
				d[r*w+k] = s.Zero()
			case []float32:
				d[r*w+k] = float32(s.Zero())
			}
		}
	}
}
