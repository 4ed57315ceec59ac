package align_test

import (
	"fmt"
	"log"
	"math"

	"github.com/genband/genband/align"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// printMoves prints item b of a (batch, N, M, 3) Float64 tensor of
// marginals as one line per cell, the value of each move formatted by verb,
// skipping cells where every move is 0.
func printMoves(d *tensor.Dense, b int, verb string) {
	s := d.Shape()
	v := d.Data().([]float64)
	for i := range s[1] {
		for j := range s[2] {
			c := v[((b*s[1]+i)*s[2]+j)*3:][:3]
			if c[0] == 0 && c[1] == 0 && c[2] == 0 {
				continue
			}
			fmt.Printf("(%d,%d) FromLeft "+verb+" FromDiag "+verb+" FromAbove "+verb+"\n",
				i, j, c[align.FromLeft], c[align.FromDiag], c[align.FromAbove])
		}
	}
}

// filled returns a Float64 tensor of the given shape holding v everywhere.
func filled(v float64, shape ...int) *tensor.Dense {
	t := tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float64))
	for k := range t.Data().([]float64) {
		t.Data().([]float64)[k] = v
	}
	return t
}

// Marginals of the uniform distribution over the 3 global paths of a 2×2
// grid (all potentials 0): the diagonal path, right then down, and down
// then right. Every path starts at (0, 0) and ends at (1, 1), and each of
// the three ways into (1, 1) has probability 1/3.
func ExampleModel_Marginals() {
	theta := filled(0, 1, 2, 2, 3)
	res, err := align.Model{}.Marginals(theta, nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("log Z = %.4f = log 3\n", res.LogZ[0])
	printMoves(res.Marginals, 0, "%.4f")
	// Output:
	// log Z = 1.0986 = log 3
	// (0,0) FromLeft 0.0000 FromDiag 1.0000 FromAbove 0.0000
	// (0,1) FromLeft 0.3333 FromDiag 0.0000 FromAbove 0.0000
	// (1,0) FromLeft 0.0000 FromDiag 0.0000 FromAbove 0.3333
	// (1,1) FromLeft 0.3333 FromDiag 0.3333 FromAbove 0.3333
}

// Local paths start and end anywhere. Under Real with every potential 1 (the
// semiring's one) Z counts the paths and the marginal of a move counts the
// paths that take it. A 2×2 grid has 11 local paths: 4 of one cell, 5 of
// two cells ((0,0) to any neighbour, (0,1) or (1,0) to (1,1)) and 2 of
// three. θ[0,0,FromDiag], the start at (0, 0), is taken by the 6 paths
// that start there; θ[1,1,FromDiag] by 2: the path that starts at (1, 1)
// and the one that comes from (0, 0).
func ExampleModel_Marginals_local() {
	theta := filled(1, 1, 2, 2, 3)
	res, err := align.Model{Semiring: align.Real, Mode: align.Local}.Marginals(theta, nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Z = %.0f paths\n", res.LogZ[0])
	printMoves(res.Marginals, 0, "%.0f")
	// Output:
	// Z = 11 paths
	// (0,0) FromLeft 0 FromDiag 6 FromAbove 0
	// (0,1) FromLeft 2 FromDiag 2 FromAbove 0
	// (1,0) FromLeft 0 FromDiag 2 FromAbove 2
	// (1,1) FromLeft 2 FromDiag 2 FromAbove 2
}

// MaxGap keeps a global path near the diagonal: on a 3×4 grid (lenY − lenX
// = 1) a cell (i, j) may be used only when −MaxGap ≤ j − i ≤ 1 + MaxGap.
// Under Real with every potential 1, Z counts the paths that stay inside:
// 8 along the two diagonals with MaxGap 0; with MaxGap 1 all 25 but the two
// that pass through the corners (0, 3) or (2, 0). A '#' marks a cell some
// path uses.
func ExampleModel_Marginals_maxGap() {
	theta := filled(1, 1, 3, 4, 3)
	for _, m := range []align.Model{
		{Semiring: align.Real, Gapped: true, MaxGap: 0},
		{Semiring: align.Real, Gapped: true, MaxGap: 1},
		{Semiring: align.Real},
	} {
		res, err := m.Marginals(theta, nil, nil)
		if err != nil {
			log.Fatal(err)
		}
		v := res.Marginals.Data().([]float64)
		fmt.Printf("Gapped %-5v MaxGap %d: %2.0f paths\n", m.Gapped, m.MaxGap, res.LogZ[0])
		for i := range 3 {
			row := ""
			for j := range 4 {
				c := v[(i*4+j)*3:][:3]
				if c[0]+c[1]+c[2] > 0 {
					row += "#"
				} else {
					row += "."
				}
			}
			fmt.Println(row)
		}
	}
	// Output:
	// Gapped true  MaxGap 0:  8 paths
	// ##..
	// .##.
	// ..##
	// Gapped true  MaxGap 1: 23 paths
	// ###.
	// ####
	// .###
	// Gapped false MaxGap 0: 25 paths
	// ####
	// ####
	// ####
}

// LogPartition in a graph, on a padded batch: three items in a 3×3 grid,
// of lengths 2×2, 2×3 and 3×3. With all potentials 0 log Z is the log of
// the number of global paths (3, 5 and 13), and gorgonia.Grad gives the
// marginals: the diagonal move into (1, 1) is taken by 1 path of 3, 1 of 5
// and 3 of 13. Cells past an item's lengths (NaN here) are never read.
func ExampleModel_LogPartition() {
	g := gorgonia.NewGraph()
	theta := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(3, 3, 3, 3), gorgonia.WithName("theta"))
	lenX, lenY := []int{2, 2, 3}, []int{2, 3, 3}
	logZ, err := align.Model{}.LogPartition(theta, lenX, lenY)
	if err != nil {
		log.Fatal(err)
	}
	grads, err := gorgonia.Grad(gorgonia.Must(gorgonia.Sum(logZ)), theta)
	if err != nil {
		log.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()

	th := filled(0, 3, 3, 3, 3)
	for b := range 3 {
		for i := range 3 {
			for j := range 3 {
				if i >= lenX[b] || j >= lenY[b] {
					for c := range 3 {
						th.SetAt(math.NaN(), b, i, j, c)
					}
				}
			}
		}
	}
	if err := gorgonia.Let(theta, th); err != nil {
		log.Fatal(err)
	}
	if err := vm.RunAll(); err != nil {
		log.Fatal(err)
	}
	d := grads[0].Value().(*tensor.Dense)
	for b, z := range logZ.Value().Data().([]float64) {
		p, _ := d.At(b, 1, 1, align.FromDiag)
		fmt.Printf("%d×%d: Z = %.4f, P(FromDiag into (1,1)) = %.4f\n", lenX[b], lenY[b], math.Exp(z), p)
	}
	// Output:
	// 2×2: Z = 3.0000, P(FromDiag into (1,1)) = 0.3333
	// 2×3: Z = 5.0000, P(FromDiag into (1,1)) = 0.2000
	// 3×3: Z = 13.0000, P(FromDiag into (1,1)) = 0.2308
}

// Lengths builds the lengths input of LogPartitionLengths (and of Entropy,
// LogProb and BestMask): row b holds item b's lenX and lenY. The two
// slices must have one length per batch item each.
func ExampleLengths() {
	l, err := align.Lengths([]int{4, 2}, []int{3, 5})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(l.Shape(), l.Dtype(), l.Data())
	_, err = align.Lengths([]int{4, 2}, []int{3})
	fmt.Println(err)
	// Output:
	// (2, 2) int [4 3 2 5]
	// align.Lengths: 2 lengths of x, 1 of y
}

// A Program compiles the graph of Marginals once for a shape and dtype of
// potentials; with the Linear strategy it runs on any lengths. All
// potentials 0: log Z is the log of the number of global paths, 13 on a
// 3×3 grid, 3 on 2×2 and 5 on 2×3. A closed Program refuses to run.
func ExampleModel_Compile() {
	m := align.Model{}
	pr, err := m.Compile(tensor.Shape{2, 3, 3, 3}, tensor.Float64, nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	theta := filled(0, 2, 3, 3, 3)
	res, err := pr.Marginals(theta)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("3×3, 3×3: Z = %.4f, %.4f\n", math.Exp(res.LogZ[0]), math.Exp(res.LogZ[1]))
	res, err = pr.MarginalsLengths(theta, []int{2, 2}, []int{2, 3})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("2×2, 2×3: Z = %.4f, %.4f\n", math.Exp(res.LogZ[0]), math.Exp(res.LogZ[1]))
	pr.Close()
	_, err = pr.Marginals(theta)
	fmt.Println("closed:", err != nil)
	// Output:
	// 3×3, 3×3: Z = 13.0000, 13.0000
	// 2×2, 2×3: Z = 3.0000, 5.0000
	// closed: true
}

// aligned returns the sequences of a gold alignment, written as two rows
// with '-' for a gap, and its path.
func aligned(top, bottom string) (x, y string, p align.Path) {
	for k := range len(top) {
		move := align.FromDiag
		switch {
		case top[k] == '-':
			move = align.FromLeft
			y += bottom[k : k+1]
		case bottom[k] == '-':
			move = align.FromAbove
			x += top[k : k+1]
		default:
			x, y = x+top[k:k+1], y+bottom[k:k+1]
		}
		p = append(p, align.Step{I: len(x) - 1, J: len(y) - 1, Move: move})
	}
	return x, y, p
}

// Training in a graph built once: θ is computed in the graph from three
// learnable scores w (gap, match, mismatch) and features that say which
// score each move takes, and the loss is Σ (log Z − score of the gold
// path) over a padded batch of two pairs, with log Z from
// LogPartitionLengths. One TapeMachine runs two batches of other lengths,
// bound with gorgonia.Let, and a Gorgonia solver steps w after each run.
// Potentials past an item's lengths are 0 and never read. The first run,
// at w = 0, makes every path equally likely: its loss is log(25·129) =
// 8.0787, for the 25 global paths of a 3×4 grid and the 129 of a 5×4 grid.
// Training lowers both batches' loss and learns that a match
// scores more than a mismatch, and a mismatch more than a gap.
func ExampleModel_LogPartitionLengths() {
	const batch, n, steps = 2, 5, 30
	batches := [][batch][2]string{
		{{"CAT-", "CATG"}, {"GATTA", "GA-TA"}},
		{{"AC", "AC"}, {"TAGTC", "T-GTC"}},
	}

	g := gorgonia.NewGraph()
	w := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(3), gorgonia.WithName("w"), gorgonia.WithInit(gorgonia.Zeroes()))
	// feat has a row per potential θ[b, i, j, c] and a column per score.
	feat := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(batch*n*n*3, 3), gorgonia.WithName("features"))
	gold := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(batch, n, n, 3), gorgonia.WithName("gold"))
	lengths := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(batch, 2), gorgonia.WithName("lengths"))
	theta := gorgonia.Must(gorgonia.Reshape(gorgonia.Must(gorgonia.Mul(feat, w)), tensor.Shape{batch, n, n, 3}))
	m := align.Model{}
	logZ, err := m.LogPartitionLengths(theta, lengths)
	if err != nil {
		log.Fatal(err)
	}
	score, err := align.MaskScore(theta, gold)
	if err != nil {
		log.Fatal(err)
	}
	loss := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.Sub(logZ, score))))
	if _, err := gorgonia.Grad(loss, w); err != nil {
		log.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g, gorgonia.BindDualValues(w))
	defer vm.Close()
	solver := gorgonia.NewVanillaSolver(gorgonia.WithLearnRate(0.1))

	// inputs returns the features, gold mask and lengths of one batch.
	inputs := func(pairs [batch][2]string) (f, mask, l *tensor.Dense) {
		f = tensor.New(tensor.WithShape(batch*n*n*3, 3), tensor.Of(tensor.Float64))
		fv := f.Data().([]float64)
		paths := make([]align.Path, batch)
		lenX, lenY := make([]int, batch), make([]int, batch)
		for b, p := range pairs {
			x, y, path := aligned(p[0], p[1])
			paths[b], lenX[b], lenY[b] = path, len(x), len(y)
			for i := range len(x) {
				for j := range len(y) {
					row := ((b*n+i)*n + j) * 3
					fv[(row+align.FromLeft)*3], fv[(row+align.FromAbove)*3] = 1, 1 // gap
					if x[i] == y[j] {
						fv[(row+align.FromDiag)*3+1] = 1 // match
					} else {
						fv[(row+align.FromDiag)*3+2] = 1 // mismatch
					}
				}
			}
		}
		mask, err := m.Mask(paths, tensor.Shape{batch, n, n, 3}, tensor.Float64, lenX, lenY)
		if err != nil {
			log.Fatal(err)
		}
		l, err = align.Lengths(lenX, lenY)
		if err != nil {
			log.Fatal(err)
		}
		return f, mask, l
	}
	var data [][3]*tensor.Dense
	for _, pairs := range batches {
		f, mask, l := inputs(pairs)
		data = append(data, [3]*tensor.Dense{f, mask, l})
	}

	for step := range steps {
		for k, d := range data {
			for i, node := range []*gorgonia.Node{feat, gold, lengths} {
				if err := gorgonia.Let(node, d[i]); err != nil {
					log.Fatal(err)
				}
			}
			if err := vm.RunAll(); err != nil {
				log.Fatal(err)
			}
			if step == 0 || step == steps-1 {
				fmt.Printf("step %2d, batch %d: loss %.4f\n", step+1, k, loss.Value().Data())
			}
			if err := solver.Step(gorgonia.NodesToValueGrads(gorgonia.Nodes{w})); err != nil {
				log.Fatal(err)
			}
			vm.Reset()
		}
	}
	wv := w.Value().Data().([]float64)
	fmt.Printf("w: gap %.2f, match %.2f, mismatch %.2f\n", wv[0], wv[1], wv[2])
	// Output:
	// step  1, batch 0: loss 8.0787
	// step  1, batch 1: loss 2.2925
	// step 30, batch 0: loss 0.8016
	// step 30, batch 1: loss 0.0615
	// w: gap -2.01, match 2.11, mismatch -1.11
}

// SemiGlobal (overlap) paths start in the first row or column and end in
// the last row or column, so gaps at the ends are free. Under Real with
// every potential 1, Z counts the paths: on a 2×2 grid 3 global, 11 local
// and 9 semi-global ones, 5 from (0, 0) (to (0, 1), to (1, 0), to (1, 1)
// directly or through either) and 2 from each of (0, 1) and (1, 0) (alone,
// or on to (1, 1)). (1, 1) may end a path but not start one, so
// θ[1,1,FromDiag] counts the one path that comes from (0, 0).
func ExampleModel_Marginals_semiGlobal() {
	theta := filled(1, 1, 2, 2, 3)
	for _, mode := range []align.Mode{align.Global, align.Local, align.SemiGlobal} {
		res, err := align.Model{Semiring: align.Real, Mode: mode}.Marginals(theta, nil, nil)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%v: Z = %.0f paths\n", mode, res.LogZ[0])
		if mode == align.SemiGlobal {
			printMoves(res.Marginals, 0, "%.0f")
		}
	}
	// Output:
	// Global: Z = 3 paths
	// Local: Z = 11 paths
	// SemiGlobal: Z = 9 paths
	// (0,0) FromLeft 0 FromDiag 5 FromAbove 0
	// (0,1) FromLeft 2 FromDiag 2 FromAbove 0
	// (1,0) FromLeft 0 FromDiag 2 FromAbove 2
	// (1,1) FromLeft 2 FromDiag 1 FromAbove 2
}
