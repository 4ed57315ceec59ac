package bandop

import "math"

// expT returns e^x in the precision of T.
func expT[T float](x T) T {
	return T(math.Exp(float64(x)))
}
