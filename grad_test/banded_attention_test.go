package gradtest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/attention"
	"github.com/genband/genband/bandop"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestGradBandedAttention checks the gradient of attention.Banded with respect
// to q, k and v against central differences, at odd sizes and bands (causal,
// a negative side, a side past n), with and without per-item lengths; with
// lengths, the gradient of every row past an item's length must be exactly
// 0.
func TestGradBandedAttention(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 4))
	cases := []struct {
		n, d, lower, upper int
		lens               []int
	}{
		{1, 1, 0, 0, nil},
		{3, 2, 1, 0, nil},
		{5, 3, 2, 1, nil},
		{5, 1, -1, 2, nil},
		{4, 2, 6, 6, nil},
		{6, 3, 2, 2, []int{6, 3}},
		{6, 2, 0, 2, []int{2, 0}},
	}
	for _, c := range cases {
		const batch = 2
		name := fmt.Sprintf("Banded/n%d_d%d_(%d,%d)_lens%v", c.n, c.d, c.lower, c.upper, c.lens)
		t.Run(name, func(t *testing.T) {
			in := []operand{
				denseOp(rng, bandop.Real, "q", batch, c.n, c.d),
				denseOp(rng, bandop.Real, "k", batch, c.n, c.d),
				denseOp(rng, bandop.Real, "v", batch, c.n, c.d),
			}
			gc := gradCase{
				name: name,
				in:   in,
				f: func(a []arg) (output, error) {
					var opts []attention.Option
					if c.lens != nil {
						lv := tensor.New(tensor.WithShape(batch), tensor.WithBacking(append([]int(nil), c.lens...)))
						opts = append(opts, attention.WithLengths(gorgonia.NewTensor(a[0].N.Graph(), tensor.Int, 1,
							gorgonia.WithShape(batch), gorgonia.WithValue(lv), gorgonia.WithName("lengths"))))
					}
					return denseOut(attention.Banded(a[0].N, a[1].N, a[2].N, c.lower, c.upper, 0.8, opts...))
				},
				// One position: its softmax is 1 whatever q and k.
				allZeroOK: c.n == 1,
			}
			check(t, gc)
			if c.lens == nil {
				return
			}
			for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
				g := gc.grads(t, dt, gc.values())
				for k, o := range in {
					for b := range batch {
						for i := c.lens[b]; i < c.n; i++ {
							for x := range c.d {
								if v := g[k][(b*c.n+i)*c.d+x]; v != 0 {
									t.Errorf("%v: d%s[%d, %d, %d] = %v past the item's length %d, want exactly 0", dt, o.name, b, i, x, v, c.lens[b])
								}
							}
						}
					}
				}
			}
		})
	}
}
