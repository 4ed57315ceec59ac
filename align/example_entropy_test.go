package align_test

import (
	"fmt"
	"log"
	"math"

	"github.com/genband/genband/align"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// With all potentials 0 every path is equally likely, so the entropy is
// the log of the number of paths: 3 global paths cross a 2×2 grid (the
// diagonal, or right then down, or down then right), and 5 cross a 2×3
// grid.
func ExampleModel_Entropy() {
	theta := tensor.New(tensor.WithShape(2, 2, 3, 3), tensor.Of(tensor.Float64))
	m := align.Model{Semiring: align.Log}
	h, err := m.Entropy(theta, []int{2, 2}, []int{2, 3})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("H = %.4f, log 3 = %.4f\n", h[0], math.Log(3))
	fmt.Printf("H = %.4f, log 5 = %.4f\n", h[1], math.Log(5))
	// Output:
	// H = 1.0986, log 3 = 1.0986
	// H = 1.6094, log 5 = 1.6094
}

// The affine model (five channels) with all potentials 0: with turns, its
// paths are the linear model's, one for one (3 across a 2×2 grid, 5
// across a 2×3 grid). Without turns a gap may not follow a gap of the
// other direction: across the 2×2 grid only the diagonal is left, and
// across the 2×3 grid the diagonal then right and right then diagonal.
func ExampleModel_Entropy_affine() {
	theta := tensor.New(tensor.WithShape(2, 2, 3, 5), tensor.Of(tensor.Float64))
	for _, noTurns := range []bool{false, true} {
		m := align.Model{Semiring: align.Log, Affine: true, NoTurns: noTurns}
		h, err := m.Entropy(theta, []int{2, 2}, []int{2, 3})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("no turns %v: H = %.4f, %.4f; log 2 = %.4f, log 3 = %.4f, log 5 = %.4f\n",
			noTurns, h[0], h[1], math.Log(2), math.Log(3), math.Log(5))
	}
	// Output:
	// no turns false: H = 1.0986, 1.6094; log 2 = 0.6931, log 3 = 1.0986, log 5 = 1.6094
	// no turns true: H = 0.0000, 0.6931; log 2 = 0.6931, log 3 = 1.0986, log 5 = 1.6094
}

// Entropy in a graph built once: the lengths are an input bound before
// each run, and gorgonia.Grad gives the gradient of the entropy with
// respect to the potentials. The diagonal move into (1, 1) scores 1, the
// others 0: raising it further makes the likeliest paths likelier and the
// distribution less uncertain, so the gradient there is negative. On the
// 2×2 grid that path has probability e/(e+2) ≈ 0.576 against 0.212 for
// each of the two others, and cell (2, 2), past the lengths, gets a zero
// gradient.
func ExampleModel_EntropyNode() {
	g := gorgonia.NewGraph()
	theta := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(1, 3, 3, 3), gorgonia.WithName("theta"))
	lengths := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(1, 2), gorgonia.WithName("lengths"))
	m := align.Model{Semiring: align.Log}
	h, err := m.EntropyNode(theta, lengths)
	if err != nil {
		log.Fatal(err)
	}
	cost, err := gorgonia.Sum(h)
	if err != nil {
		log.Fatal(err)
	}
	grads, err := gorgonia.Grad(cost, theta)
	if err != nil {
		log.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()

	th := tensor.New(tensor.WithShape(1, 3, 3, 3), tensor.Of(tensor.Float64))
	if err := th.SetAt(1.0, 0, 1, 1, align.FromDiag); err != nil {
		log.Fatal(err)
	}
	for _, l := range [][2]int{{2, 2}, {3, 3}} {
		lv, err := align.Lengths([]int{l[0]}, []int{l[1]})
		if err != nil {
			log.Fatal(err)
		}
		if err := gorgonia.Let(theta, th); err != nil {
			log.Fatal(err)
		}
		if err := gorgonia.Let(lengths, lv); err != nil {
			log.Fatal(err)
		}
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			log.Fatal(err)
		}
		d := grads[0].Value().(*tensor.Dense)
		at := func(i, j, c int) float64 { v, _ := d.At(0, i, j, c); return v.(float64) }
		fmt.Printf("%d×%d: H = %.4f, ∂H/∂θ[1,1,FromDiag] = %.4f, ∂H/∂θ[2,2,FromDiag] = %.4f\n",
			l[0], l[1], h.Value().Data().([]float64)[0], at(1, 1, 1), at(2, 2, 1))
	}
	// Output:
	// 2×2: H = 0.9753, ∂H/∂θ[1,1,FromDiag] = -0.2442, ∂H/∂θ[2,2,FromDiag] = 0.0000
	// 3×3: H = 2.4498, ∂H/∂θ[1,1,FromDiag] = -0.2474, ∂H/∂θ[2,2,FromDiag] = -0.0330
}

// KL(p‖q) and its gradient with respect to q in a graph: p is uniform over
// the 3 global paths of a 2×2 grid, q prefers the diagonal. The gradient
// with respect to q is q's marginals less p's, so a step against it moves
// q towards p.
func ExampleModel_KLNode() {
	g := gorgonia.NewGraph()
	shape := tensor.Shape{1, 2, 2, 3}
	p := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(shape...), gorgonia.WithName("p"))
	q := gorgonia.NewTensor(g, tensor.Float64, 4, gorgonia.WithShape(shape...), gorgonia.WithName("q"))
	lengths := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(1, 2), gorgonia.WithName("lengths"))
	m := align.Model{Semiring: align.Log}
	kl, err := m.KLNode(p, q, lengths)
	if err != nil {
		log.Fatal(err)
	}
	cost, err := gorgonia.Sum(kl)
	if err != nil {
		log.Fatal(err)
	}
	grads, err := gorgonia.Grad(cost, q)
	if err != nil {
		log.Fatal(err)
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()

	qv := tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float64))
	if err := qv.SetAt(2.0, 0, 1, 1, align.FromDiag); err != nil { // the diagonal move into (1, 1)
		log.Fatal(err)
	}
	lv, _ := align.Lengths([]int{2}, []int{2})
	gorgonia.Let(p, tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float64)))
	gorgonia.Let(q, qv)
	gorgonia.Let(lengths, lv)
	if err := vm.RunAll(); err != nil {
		log.Fatal(err)
	}
	d := grads[0].Value().(*tensor.Dense)
	dq, _ := d.At(0, 1, 1, 1)
	// q gives the diagonal e²/(e²+2) ≈ 0.787 against p's 1/3.
	fmt.Printf("KL = %.4f, ∂KL/∂q[1,1,FromDiag] = %.4f\n", kl.Value().Data().([]float64)[0], dq)
	// Output:
	// KL = 0.4743, ∂KL/∂q[1,1,FromDiag] = 0.4537
}
