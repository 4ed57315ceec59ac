package align_test

import (
	"fmt"

	"github.com/genband/genband/align"
	"gorgonia.org/tensor"
)

// An affine alignment of two DNA strings: a match scores 2, a mismatch
// −1, opening a gap −3 and extending one −0.5, so the best path takes one
// gap of three rather than three gaps of one.
func ExampleModel_Describe() {
	x, y := "ACGTTGACCA", "ACGTGATTTACCA"
	n, m := len(x), len(y)
	th := make([]float64, n*m*5)
	for i := range n {
		for j := range m {
			c := th[(i*m+j)*5:]
			c[align.Match] = -1
			if x[i] == y[j] {
				c[align.Match] = 2
			}
			c[align.OpenLeft], c[align.ExtendLeft] = -3, -0.5
			c[align.OpenAbove], c[align.ExtendAbove] = -3, -0.5
		}
	}
	theta := tensor.New(tensor.WithShape(1, n, m, 5), tensor.WithBacking(th))
	model := align.Model{Affine: true}
	scores, paths, err := model.BestPaths(theta, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	var ax, ay []byte
	for _, s := range paths[0] {
		switch s.Move {
		case align.Match:
			ax, ay = append(ax, x[s.I]), append(ay, y[s.J])
		case align.OpenLeft, align.ExtendLeft: // a letter of y against a gap
			ax, ay = append(ax, '-'), append(ay, y[s.J])
		default: // a letter of x against a gap
			ax, ay = append(ax, x[s.I]), append(ay, '-')
		}
	}
	fmt.Printf("score %.1f\n%s\n%s\n", scores[0], ax, ay)
	fmt.Println(model.Describe(paths[0][:6]))
	// Output:
	// score 13.0
	// ACG---TTGACCA
	// ACGTGATTTACCA
	// (0,0)Match (1,1)Match (2,2)Match (2,3)OpenLeft (2,4)ExtendLeft (2,5)ExtendLeft
}
