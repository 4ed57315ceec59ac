package align_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/genband/genband/align"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// potentials scores the alignment of x (rows) with y (columns): a match
// +2 and a mismatch −1 when entering a cell FromDiag, −1.5 for a gap.
func potentials(x, y string) []float64 {
	th := make([]float64, len(x)*len(y)*3)
	for i := range len(x) {
		for j := range len(y) {
			c := th[(i*len(y)+j)*3:]
			c[align.FromLeft], c[align.FromAbove] = -1.5, -1.5
			c[align.FromDiag] = -1
			if x[i] == y[j] {
				c[align.FromDiag] = 2
			}
		}
	}
	return th
}

// show prints a path as the pairs it aligns, "-" for a gap.
func show(x, y string, p align.Path) string {
	var top, bottom string
	for _, s := range p {
		switch s.Move {
		case align.FromDiag:
			top, bottom = top+x[s.I:s.I+1], bottom+y[s.J:s.J+1]
		case align.FromLeft:
			top, bottom = top+"-", bottom+y[s.J:s.J+1]
		case align.FromAbove:
			top, bottom = top+x[s.I:s.I+1], bottom+"-"
		}
	}
	return top + "/" + bottom
}

func ExampleModel_BestPaths() {
	x, y := "TTGATTACATT", "GATTACAGG"
	theta := tensor.New(tensor.WithShape(1, len(x), len(y), 3), tensor.WithBacking(potentials(x, y)))
	for _, mode := range []align.Mode{align.Global, align.Local, align.SemiGlobal} {
		scores, paths, err := align.Model{Mode: mode}.BestPaths(theta, nil, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%-10v %4.1f %s\n", mode, scores[0], show(x, y, paths[0]))
	}
	// Output:
	// Global      6.0 TTGATTACATT/G--ATTACAGG
	// Local      14.0 GATTACA/GATTACA
	// SemiGlobal 12.0 GATTACATT/GATTACAGG
}

func ExampleModel_KBest() {
	x, y := "ACGT", "AGT"
	theta := tensor.New(tensor.WithShape(1, len(x), len(y), 3), tensor.WithBacking(potentials(x, y)))
	paths, scores, err := align.Model{}.KBest(theta, 4, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Paths 3 and 4 tie: the one that enters the last cell FromLeft comes
	// first (KBest's order compares the last steps first).
	for r, p := range paths[0] {
		fmt.Printf("%d %4.1f %s\n", r+1, scores[0][r], show(x, y, p))
	}
	// Output:
	// 1  4.5 ACGT/A-GT
	// 2  1.5 ACGT/AG-T
	// 3 -0.5 ACGT-/A-G-T
	// 4 -0.5 ACG-T/A--GT
}

func ExampleModel_LogProb() {
	x, y := "ACGT", "AGT"
	theta := tensor.New(tensor.WithShape(1, len(x), len(y), 3), tensor.WithBacking(potentials(x, y)))
	m := align.Model{Semiring: align.Log}
	best, _, err := m.KBest(theta, 2, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range best[0] {
		lp, err := m.LogProb(theta, []align.Path{p}, nil, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s log p %.4f p %.4f\n", show(x, y, p), lp[0], math.Exp(lp[0]))
	}
	// Output:
	// ACGT/A-GT log p -0.0850 p 0.9185
	// ACGT/AG-T log p -3.0850 p 0.0457
}

func ExampleModel_Sample() {
	x, y := "ACGT", "AGT"
	theta := tensor.New(tensor.WithShape(1, len(x), len(y), 3), tensor.WithBacking(potentials(x, y)))
	m := align.Model{Semiring: align.Log}
	rng := rand.New(rand.NewPCG(1, 2))
	draws, err := m.Sample(theta, 10000, rng, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	count := map[string]int{}
	for _, d := range draws {
		count[show(x, y, d[0])]++
	}
	// About 0.9185 and 0.0457 of the draws (see ExampleModel_LogProbs).
	fmt.Println(count["ACGT/A-GT"], count["ACGT/AG-T"])
	// Output:
	// 9217 430
}

// ExampleModel_LogProb builds the log-likelihood of gold paths in a graph
// once and runs it on a padded batch: two pairs of different lengths in a
// 4×4 grid. The gradient with respect to θ is the gold mask minus the
// marginals, so its total over a pair is the gold path's number of steps
// minus the expected number.
func ExampleModel_LogProbNode() {
	const batch, n = 2, 4
	pairs := [][2]string{{"ACGT", "AGT"}, {"GA", "GTA"}}
	th := make([]float64, batch*n*n*3)
	for k := range th {
		th[k] = math.NaN() // past the lengths: never read
	}
	lenX, lenY := make([]int, batch), make([]int, batch)
	gold := make([]align.Path, batch)
	m := align.Model{Semiring: align.Log}
	for b, p := range pairs {
		x, y := p[0], p[1]
		lenX[b], lenY[b] = len(x), len(y)
		pt := potentials(x, y)
		for i := range len(x) {
			copy(th[((b*n+i)*n)*3:], pt[i*len(y)*3:(i+1)*len(y)*3])
		}
		// The gold path is the best one here.
		theta := tensor.New(tensor.WithShape(1, len(x), len(y), 3), tensor.WithBacking(pt))
		_, best, _ := m.BestPaths(theta, nil, nil)
		gold[b] = best[0]
	}

	g := gorgonia.NewGraph()
	thetaN := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(batch, n, n, 3), gorgonia.WithName("theta"))
	maskN := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(batch, n, n, 3), gorgonia.WithName("gold"))
	lengthsN := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(batch, 2), gorgonia.WithName("lengths"))
	lp, err := m.LogProbNode(thetaN, maskN, lengthsN)
	if err != nil {
		fmt.Println(err)
		return
	}
	loss, _ := gorgonia.Sum(lp)
	grads, err := gorgonia.Grad(loss, thetaN)
	if err != nil {
		fmt.Println(err)
		return
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()

	shape := tensor.Shape{batch, n, n, 3}
	mask, err := m.Mask(gold, shape, tensor.Float64, lenX, lenY)
	if err != nil {
		fmt.Println(err)
		return
	}
	lengths, _ := align.Lengths(lenX, lenY)
	gorgonia.Let(thetaN, tensor.New(tensor.WithShape(shape...), tensor.WithBacking(th)))
	gorgonia.Let(maskN, mask)
	gorgonia.Let(lengthsN, lengths)
	if err := vm.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	grad := grads[0].Value().Data().([]float64)
	for b, v := range lp.Value().Data().([]float64) {
		var total float64
		for _, d := range grad[b*n*n*3 : (b+1)*n*n*3] {
			total += d
		}
		fmt.Printf("%s/%s log p %.4f, gradient total %.4f\n", pairs[b][0], pairs[b][1], v, total)
	}
	// Output:
	// ACGT/AGT log p -0.0850, gradient total -0.0339
	// GA/GTA log p -0.0677, gradient total -0.0189
}

// ExampleMaskScore scores gold paths in a graph: the score node never
// writes into θ's value, which may then be read back for decoding.
func ExampleMaskScore() {
	g := gorgonia.NewGraph()
	shape := tensor.Shape{1, 2, 2, 3}
	thetaN := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(shape...), gorgonia.WithName("theta"))
	maskN := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(shape...), gorgonia.WithName("mask"))
	score, err := align.MaskScore(thetaN, maskN)
	if err != nil {
		fmt.Println(err)
		return
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	theta := tensor.New(tensor.WithShape(shape...), tensor.WithBacking([]float64{
		0, 1, 0, 0.5, 0, 0, // (0, 0) and (0, 1)
		0, 0, 0.25, 0, 2, 0, // (1, 0) and (1, 1)
	}))
	diagonal := align.Path{{I: 0, J: 0, Move: align.FromDiag}, {I: 1, J: 1, Move: align.FromDiag}}
	mask, _ := align.Model{}.Mask([]align.Path{diagonal}, shape, tensor.Float64, nil, nil)
	gorgonia.Let(thetaN, theta)
	gorgonia.Let(maskN, mask)
	if err := vm.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(score.Value(), theta.Data())
	// Output:
	// [3] [0 1 0 0.5 0 0 0 0 0.25 0 2 0]
}

// ExampleModel_BestMask decodes in a graph: the best path's mask as a
// node, and its score through MaskScore.
func ExampleModel_BestMask() {
	x, y := "ACGT", "AGT"
	g := gorgonia.NewGraph()
	shape := tensor.Shape{1, len(x), len(y), 3}
	thetaN := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(shape...), gorgonia.WithName("theta"))
	lengthsN := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(1, 2), gorgonia.WithName("lengths"))
	m := align.Model{}
	best, err := m.BestMask(thetaN, lengthsN)
	if err != nil {
		fmt.Println(err)
		return
	}
	score, _ := align.MaskScore(thetaN, best)
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	lengths, _ := align.Lengths([]int{len(x)}, []int{len(y)})
	gorgonia.Let(thetaN, tensor.New(tensor.WithShape(shape...), tensor.WithBacking(potentials(x, y))))
	gorgonia.Let(lengthsN, lengths)
	if err := vm.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	paths, _ := m.PathsFromMask(best.Value().(*tensor.Dense), nil, nil)
	fmt.Println(score.Value(), show(x, y, paths[0]))
	// Output:
	// [4.5] ACGT/A-GT
}

// ExampleModel_Mask converts a path to the mask a graph scores with
// MaskScore, and back; a broken path says where it breaks.
func ExampleModel_Mask() {
	m := align.Model{}
	// x has 2 symbols, y 3: align x₀ with y₀, y₁ with a gap, x₁ with y₂.
	path := align.Path{{I: 0, J: 0, Move: align.FromDiag}, {I: 0, J: 1, Move: align.FromLeft}, {I: 1, J: 2, Move: align.FromDiag}}
	mask, err := m.Mask([]align.Path{path}, tensor.Shape{1, 2, 3, 3}, tensor.Float64, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(mask.Data())
	back, err := m.PathsFromMask(mask, nil, nil)
	fmt.Println(back[0], err)
	broken := align.Path{{I: 0, J: 0, Move: align.FromDiag}, {I: 1, J: 2, Move: align.FromDiag}}
	fmt.Println(m.CheckPaths([]align.Path{broken}, 2, 3, nil, nil))
	// Output:
	// [0 1 0 1 0 0 0 0 0 0 0 0 0 0 0 0 1 0]
	// [(0,0)FromDiag (0,1)FromLeft (1,2)FromDiag] <nil>
	// align.CheckPaths: item 0, step 1: illegal move: (1, 2) entered FromDiag comes from (0, 1), but the previous step is (0, 0)
}
