package align

import (
	"github.com/genband/genband/bandop"
	"gorgonia.org/tensor"
)

// reband returns a with its band window moved to (l, u), the new diagonals
// the fill: bandop.Reband's meaning, built from one bandop.Gather (it stands
// in for bandop.Reband, which was not yet written when this package was).
func reband(a *bandop.Node, l, u int) (*bandop.Node, error) {
	sh := a.Shape()
	batch, n, w := sh[0], sh[1], sh[2]
	nw := l + u + 1
	idx := make([]int32, batch*n*nw)
	for b := 0; b < batch; b++ {
		for i := 0; i < n; i++ {
			for k := 0; k < nw; k++ {
				j := i + k - l
				ok := j - i + a.Lower()
				x := (b*n+i)*nw + k
				idx[x] = -1
				if j >= 0 && j < n && ok >= 0 && ok < w {
					idx[x] = int32((b*n+i)*w + ok)
				}
			}
		}
	}
	out, err := bandop.Gather(a.Node, &bandop.GatherMap{In: tensor.Shape{batch, n, w}, Out: tensor.Shape{batch, n, nw}, Index: idx, Consts: []float64{a.Fill()}})
	if err != nil {
		return nil, err
	}
	return bandop.Wrap(out, l, u, a.Fill())
}
