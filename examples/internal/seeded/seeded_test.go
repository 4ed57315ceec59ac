package seeded

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestGlorot(t *testing.T) {
	a := Glorot(30, 50, rand.New(rand.NewPCG(1, 2)))
	b := Glorot(30, 50, rand.New(rand.NewPCG(1, 2)))
	if !slices.Equal(a.Data().([]float32), b.Data().([]float32)) {
		t.Fatal("two draws from one seed differ")
	}
	bound := math.Sqrt(6.0 / 80)
	lo, hi := 0.0, 0.0
	for _, x := range a.Data().([]float32) {
		if math.Abs(float64(x)) > bound {
			t.Fatalf("%v outside ±%v", x, bound)
		}
		lo, hi = min(lo, float64(x)), max(hi, float64(x))
	}
	if lo > -bound/2 || hi < bound/2 {
		t.Errorf("1500 draws span only [%v, %v] of ±%v", lo, hi, bound)
	}
	if s := a.Shape(); s[0] != 30 || s[1] != 50 {
		t.Errorf("shape %v, want (30, 50)", s)
	}
}
