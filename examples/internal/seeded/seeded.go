// Package seeded holds the examples' parameter initialisation, drawn from a
// caller's seeded source so that every run of an example trains from the
// same start and prints the same figures (gorgonia.GlorotU draws from an
// unseeded global source).
package seeded

import (
	"math"
	"math/rand/v2"

	"gorgonia.org/tensor"
)

// Glorot returns an r×c float32 matrix drawn uniformly from ±√(6/(r+c)),
// Glorot and Bengio's bound for a layer of r inputs and c outputs.
func Glorot(r, c int, rng *rand.Rand) *tensor.Dense {
	a := math.Sqrt(6 / float64(r+c))
	x := make([]float32, r*c)
	for i := range x {
		x[i] = float32(a * (2*rng.Float64() - 1))
	}
	return tensor.New(tensor.WithShape(r, c), tensor.WithBacking(x))
}
