package bandop

import (
	"fmt"
	"math"
)

// A Semiring chooses the meaning of ⊕ and ⊗ in the products of this package.
//
//	name  ⊕          ⊗   zero  one  gradient of ⊕
//	Real  +          ×   0     1    1
//	Log   logsumexp  +   −Inf  0    softmax weights
//	Max   max        +   −Inf  0    1 on the first maximal term
//
// Log's zero is a true −Inf: the logsumexp of terms that are all −Inf is −Inf
// and its gradient is 0, never NaN. The zero value of Semiring is Log, so
// that a configuration left unset computes log-partitions (not partitions,
// which overflow on all but small problems).
type Semiring int

const (
	Log Semiring = iota
	Real
	Max
)

// String returns the semiring's name.
func (s Semiring) String() string {
	switch s {
	case Real:
		return "Real"
	case Log:
		return "Log"
	case Max:
		return "Max"
	}
	return fmt.Sprintf("Semiring(%d)", int(s))
}

// Valid reports whether s is one of Real, Log and Max.
func (s Semiring) Valid() bool { return s == Real || s == Log || s == Max }

// Zero returns the semiring's additive identity, the fill of its operands.
func (s Semiring) Zero() float64 {
	if s == Real {
		return 0
	}
	return math.Inf(-1)
}

// One returns the semiring's multiplicative identity.
func (s Semiring) One() float64 {
	if s == Real {
		return 1
	}
	return 0
}

// Plus returns x ⊕ y.
func (s Semiring) Plus(x, y float64) float64 {
	switch s {
	case Log:
		return logAddExp(x, y)
	case Max:
		if y > x {
			return y
		}
		return x
	}
	return x + y
}

// Times returns x ⊗ y.
func (s Semiring) Times(x, y float64) float64 {
	if s == Real {
		return x * y
	}
	return x + y
}

// checkSemiring returns an error naming op when s is not a known semiring.
func checkSemiring(op string, s Semiring) error {
	if !s.Valid() {
		return kindErrorf(ErrSemiring, op, "unknown semiring %v (want Real, Log or Max)", s)
	}
	return nil
}

// isZero reports whether fill is the zero of s. NaN is never a zero.
func (s Semiring) isZero(fill float64) bool {
	if s == Real {
		return fill == 0
	}
	return math.IsInf(fill, -1)
}

// logAddExp returns log(exp(x)+exp(y)) without overflow; −Inf ⊕ −Inf = −Inf.
func logAddExp(x, y float64) float64 {
	if x < y {
		x, y = y, x
	}
	if math.IsInf(x, -1) {
		return x
	}
	return x + math.Log1p(math.Exp(y-x))
}
