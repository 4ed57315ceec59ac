package genmul

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var (
	products = []product{logProd, maxProd, sampleProd, prodMaxProd}
	dtypes   = []tensor.Dtype{tensor.Float64, tensor.Float32}
	sizes    = []int{1, 2, 3, 17}
)

func eagerFn(p product) func(a, b *tensor.Dense) (*tensor.Dense, error) {
	switch p {
	case maxProd:
		return MaxMatMul
	case sampleProd:
		return SampleMatMul
	case prodMaxProd:
		return ProdMaxMatMul
	}
	return LogMatMul
}

func gradFn(p product) func(a, b, dc *tensor.Dense) (*tensor.Dense, *tensor.Dense, error) {
	switch p {
	case maxProd:
		return MaxMatMulGrad
	case prodMaxProd:
		return ProdMaxMatMulGrad
	case sampleProd:
		return func(a, b, dc *tensor.Dense) (*tensor.Dense, *tensor.Dense, error) {
			return SampleMatMulGrad(a, b, dc, rand.NewPCG(1, 2))
		}
	}
	return LogMatMulGrad
}

// gradTol is the relative error allowed in a gradient against the float64
// reference: sums of up to 17 terms in the dtype's precision.
func gradTol(dt tensor.Dtype) float64 {
	if dt == tensor.Float32 {
		return 2e-5
	}
	return 1e-12
}

func upstream(rng *rand.Rand, dt tensor.Dtype, size int) []float64 {
	d := make([]float64, size)
	for i := range d {
		if rng.IntN(7) != 0 { // some exact zeros
			d[i] = round(dt, 2*rng.Float64()-1)
		}
	}
	return d
}

// sameBits reports whether two tensors hold the same bits.
func sameBits(x, y *tensor.Dense) bool {
	switch a := x.Data().(type) {
	case []float32:
		b := y.Data().([]float32)
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				return false
			}
		}
	case []float64:
		b := y.Data().([]float64)
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
				return false
			}
		}
	}
	return true
}

// TestProducts checks each product and its eager gradient against the
// plain-loop reference at every shape with n, k, m in {1, 2, 3, 17} and
// batch 1 and 5, both dtypes, with and without −Inf entries (one row of A
// all −Inf, so that whole outputs are −Inf), and that the inputs are left
// unchanged. Sample's gradient is random: here it only has to put each
// output's dC on one k of positive weight, the same in dA and dB (the
// chi-square test checks its distribution).
func TestProducts(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, p := range products {
		for _, dt := range dtypes {
			for _, batch := range []int{1, 5} {
				for _, n := range sizes {
					for _, k := range sizes {
						for _, m := range sizes {
							r := newRefCase(rng, p, dt, batch, n, k, m, (n+k+m+batch)%2 == 0)
							checkProduct(t, p, r, upstream(rng, dt, batch*n*m))
						}
					}
				}
			}
		}
	}
}

func checkProduct(t *testing.T, p product, r refCase, dcv []float64) {
	t.Helper()
	a, b := r.tensors()
	a0, b0 := a.Clone().(*tensor.Dense), b.Clone().(*tensor.Dense)
	c, err := eagerFn(p)(a, b)
	if err != nil {
		t.Fatalf("%v %v: %v", p, r, err)
	}
	want := r.forward(p)
	if err := compare(floats(t, c), want, tolerance(p, r.dt)); err != nil {
		t.Fatalf("%v %v: C %v", p, r, err)
	}
	dc := toDense(r.dt, []int{r.batch, r.n, r.m}, dcv)
	dc0 := dc.Clone().(*tensor.Dense)
	da, db, err := gradFn(p)(a, b, dc)
	if err != nil {
		t.Fatalf("%v %v: %v", p, r, err)
	}
	if !sameBits(a, a0) || !sameBits(b, b0) || !sameBits(dc, dc0) {
		t.Fatalf("%v %v modified its inputs", p, r)
	}
	ga, gb := floats(t, da), floats(t, db)
	for _, g := range [][]float64{ga, gb} {
		for i, v := range g {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%v %v: gradient element %d = %v", p, r, i, v)
			}
		}
	}
	if p == sampleProd {
		checkSampled(t, r, want, dcv, ga, gb)
		return
	}
	wa, wb := r.grads(p, dcv)
	if err := compare(ga, wa, gradTol(r.dt)); err != nil {
		t.Fatalf("%v %v: dA %v", p, r, err)
	}
	if err := compare(gb, wb, gradTol(r.dt)); err != nil {
		t.Fatalf("%v %v: dB %v", p, r, err)
	}
}

// checkSampled checks a sampled gradient on outputs of distinct nonzero
// dC: in every matrix, Σ dA and Σ dB are Σ dC over outputs that are not
// −Inf, and dA[i,k] ≠ 0 only where A[i,k] is finite.
func checkSampled(t *testing.T, r refCase, c, dc, ga, gb []float64) {
	t.Helper()
	for b := 0; b < r.batch; b++ {
		var sa, sb, sd float64
		for x := b * r.n * r.m; x < (b+1)*r.n*r.m; x++ {
			if !math.IsInf(c[x], -1) {
				sd += dc[x]
			}
		}
		for x := b * r.n * r.k; x < (b+1)*r.n*r.k; x++ {
			sa += ga[x]
			if ga[x] != 0 && math.IsInf(r.a[x], -1) {
				t.Fatalf("Sample %v: gradient on A[%d] = −Inf", r, x)
			}
		}
		for x := b * r.k * r.m; x < (b+1)*r.k*r.m; x++ {
			sb += gb[x]
			if gb[x] != 0 && math.IsInf(r.b[x], -1) {
				t.Fatalf("Sample %v: gradient on B[%d] = −Inf", r, x)
			}
		}
		tol := 1e-9 + gradTol(r.dt)*float64(r.n*r.m)
		if math.Abs(sa-sd) > tol || math.Abs(sb-sd) > tol {
			t.Fatalf("Sample %v: matrix %d: Σ dA = %v, Σ dB = %v, want Σ dC = %v", r, b, sa, sb, sd)
		}
	}
}

// TestMaxTies checks the first maximal k on small integer values, where
// most outputs have tied maxima.
func TestMaxTies(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for _, p := range []product{maxProd, prodMaxProd} {
		for _, dt := range dtypes {
			r := refCase{batch: 3, n: 5, k: 6, m: 7, dt: dt}
			r.a, r.b = make([]float64, 3*5*6), make([]float64, 3*6*7)
			for i := range r.a {
				r.a[i] = float64(rng.IntN(3))
			}
			for i := range r.b {
				r.b[i] = float64(rng.IntN(3))
			}
			checkProduct(t, p, r, upstream(rng, dt, 3*5*7))
		}
	}
}

// TestNegInfOnly checks outputs whose terms are all −Inf: −Inf, and a zero
// gradient whatever dC, even an infinite one.
func TestNegInfOnly(t *testing.T) {
	for _, p := range products {
		for _, dt := range dtypes {
			ninf := math.Inf(-1)
			a := toDense(dt, []int{1, 2, 3}, []float64{ninf, ninf, ninf, 1, 2, 3})
			bv := []float64{1, 2, 3, 4, 5, 6}
			b := toDense(dt, []int{1, 3, 2}, bv)
			c, err := eagerFn(p)(a, b)
			if err != nil {
				t.Fatal(err)
			}
			cv := floats(t, c)
			if !math.IsInf(cv[0], -1) || !math.IsInf(cv[1], -1) || math.IsInf(cv[2], 0) || math.IsInf(cv[3], 0) {
				t.Errorf("%v %v: C = %v, want −Inf in row 0 only", p, dt, cv)
			}
			dc := toDense(dt, []int{1, 2, 2}, []float64{math.Inf(1), 5, 1, 1})
			da, db, err := gradFn(p)(a, b, dc)
			if err != nil {
				t.Fatal(err)
			}
			ga, gb := floats(t, da), floats(t, db)
			for i, v := range append(ga, gb...) {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("%v %v: gradient element %d = %v", p, dt, i, v)
				}
			}
			if ga[0] != 0 || ga[1] != 0 || ga[2] != 0 {
				t.Errorf("%v %v: dA row 0 = %v, want 0", p, dt, ga[:3])
			}
		}
	}
}

// TestViews checks that a non-contiguous operand (a transposed view) is
// read as the matrix it shows and left unchanged.
func TestViews(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 4))
	r := newRefCase(rng, logProd, tensor.Float64, 2, 3, 4, 5, false)
	a, b := r.tensors()
	// bt holds B's matrices transposed; its transposed view is B again.
	bt := tensor.New(tensor.WithShape(2, 5, 4), tensor.Of(tensor.Float64))
	for x := 0; x < 2; x++ {
		for k := 0; k < 4; k++ {
			for j := 0; j < 5; j++ {
				bt.SetAt(r.b[(x*4+k)*5+j], x, j, k)
			}
		}
	}
	bt0 := bt.Clone().(*tensor.Dense)
	if err := bt.T(0, 2, 1); err != nil {
		t.Fatal(err)
	}
	got, err := LogMatMul(a, bt)
	if err != nil {
		t.Fatal(err)
	}
	want, err := LogMatMul(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if !sameBits(got, want) {
		t.Errorf("product of a view differs")
	}
	bt.UT()
	if !sameBits(bt, bt0) {
		t.Errorf("the view's data changed")
	}
}

// TestErrors checks that bad inputs give an *Error naming the operation and
// the problem.
func TestErrors(t *testing.T) {
	f32 := func(s ...int) *tensor.Dense { return tensor.New(tensor.WithShape(s...), tensor.Of(tensor.Float32)) }
	f64 := func(s ...int) *tensor.Dense { return tensor.New(tensor.WithShape(s...), tensor.Of(tensor.Float64)) }
	i32 := tensor.New(tensor.WithShape(1, 2, 3), tensor.Of(tensor.Int32))
	for _, c := range []struct {
		name string
		a, b *tensor.Dense
		want string
	}{
		{"nil A", nil, f64(1, 2, 3), "A is nil"},
		{"nil B", f64(1, 2, 3), nil, "B is nil"},
		{"rank 2", f64(2, 3), f64(1, 3, 4), "rank 3"},
		{"rank 4", f64(1, 2, 3), f64(1, 1, 3, 4), "rank 3"},
		{"batch", f64(2, 2, 3), f64(3, 3, 4), "batch mismatch"},
		{"inner", f64(1, 2, 3), f64(1, 4, 4), "inner size mismatch"},
		{"dtype mismatch", f32(1, 2, 3), f64(1, 3, 4), "dtype mismatch"},
		{"int dtype", i32, f64(1, 3, 4), "want float32 or float64"},
		{"zero size", f64(1, 0, 3), f64(1, 3, 4), "at least 1"},
	} {
		for _, p := range products {
			_, err := eagerFn(p)(c.a, c.b)
			checkErr(t, c.name, p.String(), err, c.want)
			_, _, err = gradFn(p)(c.a, c.b, f64(1, 2, 4))
			checkErr(t, c.name, p.String()+"Grad", err, c.want)
		}
	}
	a, b := f64(2, 3, 4), f64(2, 4, 5)
	for _, c := range []struct {
		name string
		dc   *tensor.Dense
		want string
	}{
		{"nil dC", nil, "dC is nil"},
		{"dC shape", f64(2, 3, 4), "want the product's shape"},
		{"dC dtype", f32(2, 3, 5), "dtype mismatch"},
	} {
		for _, p := range products {
			_, _, err := gradFn(p)(a, b, c.dc)
			checkErr(t, c.name, p.String()+"Grad", err, c.want)
		}
	}
	_, _, err := SampleMatMulGrad(a, b, f64(2, 3, 5), nil)
	checkErr(t, "nil source", "SampleMatMulGrad", err, "source is nil")

	// Graph functions.
	g := gorgonia.NewGraph()
	na := gorgonia.NewTensor(g, tensor.Float64, 3, gorgonia.WithShape(2, 3, 4), gorgonia.WithName("A"))
	nb := gorgonia.NewTensor(g, tensor.Float64, 3, gorgonia.WithShape(2, 5, 4), gorgonia.WithName("B"))
	nb32 := gorgonia.NewTensor(g, tensor.Float32, 3, gorgonia.WithShape(2, 4, 5), gorgonia.WithName("B32"))
	nm := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(4, 5), gorgonia.WithName("M"))
	g2 := gorgonia.NewGraph()
	other := gorgonia.NewTensor(g2, tensor.Float64, 3, gorgonia.WithShape(2, 4, 5), gorgonia.WithName("B"))
	good := gorgonia.NewTensor(g, tensor.Float64, 3, gorgonia.WithShape(2, 4, 5), gorgonia.WithName("B2"))
	nodeFns := map[string]func(a, b *gorgonia.Node) (*gorgonia.Node, error){
		"LogMatMulNode":     LogMatMulNode,
		"MaxMatMulNode":     MaxMatMulNode,
		"ProdMaxMatMulNode": ProdMaxMatMulNode,
		"SampleMatMulNode": func(a, b *gorgonia.Node) (*gorgonia.Node, error) {
			return SampleMatMulNode(a, b, rand.NewPCG(1, 1))
		},
	}
	for name, f := range nodeFns {
		for _, c := range []struct {
			name string
			a, b *gorgonia.Node
			want string
		}{
			{"nil A", nil, nb, "A is nil"},
			{"nil B", na, nil, "B is nil"},
			{"inner", na, nb, "inner size mismatch"},
			{"dtype", na, nb32, "dtype mismatch"},
			{"rank", na, nm, "rank 3"},
			{"graphs", na, other, "different graphs"},
		} {
			_, err := f(c.a, c.b)
			checkErr(t, c.name, name, err, c.want)
		}
	}
	_, err = SampleMatMulNode(na, good, nil)
	checkErr(t, "nil source", "SampleMatMulNode", err, "source is nil")
	ndc := gorgonia.NewTensor(g, tensor.Float64, 3, gorgonia.WithShape(2, 3, 4), gorgonia.WithName("dC"))
	_, _, err = LogMatMulGradNode(na, good, ndc)
	checkErr(t, "dC shape", "LogMatMulGradNode", err, "want the product's shape")
	_, _, err = LogMatMulGradNode(na, good, nil)
	checkErr(t, "nil dC", "LogMatMulGradNode", err, "dC is nil")
}

// errKinds is the kind of error each expected message stands for.
var errKinds = map[string]error{
	"A is nil": ErrNil, "B is nil": ErrNil, "dC is nil": ErrNil, "source is nil": ErrNil,
	"rank 3": ErrShape, "batch mismatch": ErrShape, "inner size mismatch": ErrShape,
	"at least 1": ErrShape, "want the product's shape": ErrShape, "different graphs": ErrShape,
	"dtype mismatch": ErrDtype, "want float32 or float64": ErrDtype,
	"more than 2^31 elements": ErrSize, "the product overflows": ErrSize,
}

// checkErr checks that err is a *genmul.Error of op whose message holds
// want and whose kind (errors.Is) is want's in errKinds.
func checkErr(t *testing.T, name, op string, err error, want string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("%s: %s gave %v, want a *genmul.Error", name, op, err)
		return
	}
	if e.Op != op || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "genmul."+op+": ") {
		t.Errorf("%s: error %q (op %q), want op %s and %q", name, err, e.Op, op, want)
	}
	if k, ok := errKinds[want]; !ok || !errors.Is(err, k) {
		t.Errorf("%s: error %q: errors.Is(err, %v) is false", name, err, k)
	}
}

// TestErrorUnwrap checks that a wrapped cause is visible through an *Error
// beside its kind.
func TestErrorUnwrap(t *testing.T) {
	cause := errors.New("cause")
	err := errorf(ErrGraph, "LogMatMul", "building: %w", cause)
	if !errors.Is(err, cause) || !errors.Is(err, ErrGraph) || errors.Is(err, ErrShape) {
		t.Errorf("errors.Is does not see the cause and only the kind through %v", err)
	}
}

// TestErrorSize: a product whose result C would be too large, or whose
// sizes overflow, is an error of kind ErrSize, eager and in a graph (the
// nodes have no values, so nothing of their size is allocated).
func TestErrorSize(t *testing.T) {
	a := tensor.New(tensor.WithShape(1, 1<<16, 1), tensor.WithBacking(make([]float32, 1<<16)))
	b := tensor.New(tensor.WithShape(1, 1, 1<<16), tensor.WithBacking(make([]float32, 1<<16)))
	_, err := LogMatMul(a, b)
	checkErr(t, "C of 2^32", "LogMatMul", err, "more than 2^31 elements")
	g := gorgonia.NewGraph()
	na := gorgonia.NewTensor(g, tensor.Float64, 3, gorgonia.WithShape(1<<20, 1<<20, 1<<20), gorgonia.WithName("A"))
	nb := gorgonia.NewTensor(g, tensor.Float64, 3, gorgonia.WithShape(1<<20, 1<<20, 1<<20), gorgonia.WithName("B"))
	_, err = MaxMatMulNode(na, nb)
	checkErr(t, "overflow", "MaxMatMulNode", err, "the product overflows")
}

// TestLogGradStripes checks LogMatMul's joint gradient kernel where it
// splits matrices into stripes of rows with partial sums of dB, reduced in
// groups of matrices (a small partialBytes forces one matrix a group), and
// where it hands over to the separate kernels (batch 1, few stripes).
func TestLogGradStripes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	defer func(v int) { partialBytes = v }(partialBytes)
	for _, pb := range []int{32 << 20, 1} {
		partialBytes = pb
		for _, dt := range dtypes {
			for _, c := range []struct{ batch, n, k, m int }{{3, 40, 9, 11}, {3, 70, 5, 13}, {1, 33, 40, 30}} {
				r := newRefCase(rng, logProd, dt, c.batch, c.n, c.k, c.m, true)
				checkProduct(t, logProd, r, upstream(rng, dt, c.batch*c.n*c.m))
			}
		}
	}
}
