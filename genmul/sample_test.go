package genmul

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// sampleLogits are the terms A[0,0,k] + B[0,k,0] of the chi-square tests:
// spread-out probabilities, the smallest about 2 %, and one −Inf term that
// must never be drawn.
var sampleLogits = []float64{0.5, -1.2, 1.4, math.Inf(-1), 0, -0.3, 0.9}

func softmax(x []float64) []float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = max(mx, v)
	}
	p := make([]float64, len(x))
	s := 0.0
	for i, v := range x {
		p[i] = math.Exp(v - mx)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
	return p
}

// chiSquare returns the p-value of the counts against the probabilities
// (cells of probability 0 must be empty: they count as a failure, p = 0).
func chiSquare(counts []int, prob []float64) float64 {
	total := 0
	for _, c := range counts {
		total += c
	}
	stat, cells := 0.0, 0
	for i, c := range counts {
		if prob[i] == 0 {
			if c != 0 {
				return 0
			}
			continue
		}
		e := prob[i] * float64(total)
		stat += (float64(c) - e) * (float64(c) - e) / e
		cells++
	}
	return distuv.ChiSquared{K: float64(cells - 1)}.Survival(stat)
}

// TestSampleChiSquare draws the sampled gradient of one output 20,000 times,
// each call taking its seed from one seeded source, and tests the
// frequencies of the k that receives dC (in dA, the same k in dB) against
// the softmax of the terms, for both dtypes.
func TestSampleChiSquare(t *testing.T) {
	const draws = 20000
	k := len(sampleLogits)
	prob := softmax(sampleLogits)
	for _, dt := range dtypes {
		av := make([]float64, k)
		bv := make([]float64, k)
		for i, x := range sampleLogits {
			av[i], bv[i] = x/2, x/2 // −Inf/2 is −Inf
		}
		a := toDense(dt, []int{1, 1, k}, av)
		b := toDense(dt, []int{1, k, 1}, bv)
		dc := toDense(dt, []int{1, 1, 1}, []float64{1})
		src := rand.NewPCG(21, 22)
		counts := make([]int, k)
		for range draws {
			da, db, err := SampleMatMulGrad(a, b, dc, src)
			if err != nil {
				t.Fatal(err)
			}
			ga, gb := floats(t, da), floats(t, db)
			drawn := -1
			for x := range ga {
				if ga[x] != gb[x] || ga[x] != 0 && ga[x] != 1 {
					t.Fatalf("dA %v and dB %v do not mark one k", ga, gb)
				}
				if ga[x] == 1 {
					if drawn >= 0 {
						t.Fatalf("dA %v marks two k", ga)
					}
					drawn = x
				}
			}
			if drawn < 0 {
				t.Fatalf("dA %v marks no k", ga)
			}
			counts[drawn]++
		}
		if pv := chiSquare(counts, prob); !(pv > 0.001) {
			t.Errorf("%v: counts %v for probabilities %v: chi-square p = %.3g", dt, counts, prob, pv)
		} else {
			t.Logf("%v: counts %v, p = %.3g", dt, counts, pv)
		}
	}
}

// TestSampleChiSquareOneCall does the same with 20,000 equal outputs of one
// call (200 equal rows of A times 100 equal columns of B), whose draws come
// from one seed.
func TestSampleChiSquareOneCall(t *testing.T) {
	const n, m = 200, 100
	k := len(sampleLogits)
	prob := softmax(sampleLogits)
	for _, dt := range dtypes {
		av := make([]float64, n*k)
		bv := make([]float64, k*m)
		for i := range n {
			for kk, x := range sampleLogits {
				av[i*k+kk] = x / 2
			}
		}
		for kk, x := range sampleLogits {
			for j := range m {
				bv[kk*m+j] = x / 2
			}
		}
		a := toDense(dt, []int{1, n, k}, av)
		b := toDense(dt, []int{1, k, m}, bv)
		ones := make([]float64, n*m)
		for i := range ones {
			ones[i] = 1
		}
		dc := toDense(dt, []int{1, n, m}, ones)
		// dB[k, j] counts the draws of k among the n outputs of column j.
		_, db, err := SampleMatMulGrad(a, b, dc, rand.NewPCG(31, 32))
		if err != nil {
			t.Fatal(err)
		}
		gb := floats(t, db)
		counts := make([]int, k)
		for kk := range k {
			for j := range m {
				counts[kk] += int(gb[kk*m+j])
			}
		}
		if pv := chiSquare(counts, prob); !(pv > 0.001) {
			t.Errorf("%v: counts %v for probabilities %v: chi-square p = %.3g", dt, counts, prob, pv)
		} else {
			t.Logf("%v: counts %v, p = %.3g", dt, counts, pv)
		}
	}
}

// TestUniform checks the counter-based uniforms: in [0, 1), and their mean
// and the correlation of neighbours over a million draws of one seed.
func TestUniform(t *testing.T) {
	const draws = 1 << 20
	var s, s2, sxy float64
	prev := uniform(7, 0)
	for i := range uint64(draws) {
		u := uniform(7, i)
		if !(u >= 0 && u < 1) {
			t.Fatalf("uniform(7, %d) = %v", i, u)
		}
		s += u
		s2 += u * u
		if i > 0 {
			sxy += (u - 0.5) * (prev - 0.5)
		}
		prev = u
	}
	mean, v := s/draws, s2/draws-(s/draws)*(s/draws)
	if math.Abs(mean-0.5) > 5*math.Sqrt(1.0/12/draws) || math.Abs(v-1.0/12) > 1e-3 || math.Abs(sxy/draws/(1.0/12)) > 5/math.Sqrt(draws) {
		t.Errorf("mean %v, variance %v, lag-1 correlation %v", mean, v, sxy/draws/(1.0/12))
	}
	if uniform(7, 0) == uniform(8, 0) {
		t.Errorf("two seeds give the same first draw")
	}
}
