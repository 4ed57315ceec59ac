package genmul

import (
	"math/rand/v2"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LogMatMul returns the log-semiring product of each pair of matrices,
//
//	C[b,i,j] = log Σ_k exp(A[b,i,k] + B[b,k,j]),
//
// for A of shape (batch, n, k) and B of shape (batch, k, m), both float32
// or both float64; C has shape (batch, n, m). A and B may be views or
// have a pending transpose (t.T()): each is read as its materialized value,
// and neither is modified. An output whose terms are all −Inf is −Inf; a
// NaN term makes its output NaN. genbmm's logbmm.
func LogMatMul(a, b *tensor.Dense) (*tensor.Dense, error) {
	return eagerForward("LogMatMul", logProd, a, b)
}

// MaxMatMul returns the max-plus product C[b,i,j] = max_k (A[b,i,k] +
// B[b,k,j]) of A (batch, n, k) and B (batch, k, m) (see LogMatMul for the
// shapes, dtypes, views and pending transposes; A and B are not modified).
// genbmm's maxbmm.
func MaxMatMul(a, b *tensor.Dense) (*tensor.Dense, error) {
	return eagerForward("MaxMatMul", maxProd, a, b)
}

// SampleMatMul returns the same product as LogMatMul, of the same operands
// (views and pending transposes read as materialized, neither modified):
// what sets it apart is its gradient (SampleMatMulGrad, SampleMatMulNode).
// genbmm's samplebmm.
func SampleMatMul(a, b *tensor.Dense) (*tensor.Dense, error) {
	return eagerForward("SampleMatMul", sampleProd, a, b)
}

// ProdMaxMatMul returns C[b,i,j] = max_k A[b,i,k]·B[b,k,j], with ordinary
// products (Viterbi in probability space), of A (batch, n, k) and B
// (batch, k, m) (see LogMatMul for the shapes, dtypes, views and pending
// transposes; A and B are not modified). genbmm's prodmaxbmm.
func ProdMaxMatMul(a, b *tensor.Dense) (*tensor.Dense, error) {
	return eagerForward("ProdMaxMatMul", prodMaxProd, a, b)
}

// LogMatMulGrad returns the gradients of Σ dC ⊙ LogMatMul(A, B) with
// respect to A and B: dA[b,i,k] = Σ_j dC[b,i,j]·P[b,i,k,j] and
// dB[b,k,j] = Σ_i dC[b,i,j]·P[b,i,k,j], with the softmax weights
// P[b,i,k,j] = exp(A[b,i,k] + B[b,k,j] − C[b,i,j]). An output of only −Inf
// terms passes no gradient (0, never NaN), whatever its dC. dC has C's
// shape and dtype. A, B and dC may be views or have a pending transpose
// (t.T()), read as their materialized values; no input is modified.
func LogMatMulGrad(a, b, dc *tensor.Dense) (da, db *tensor.Dense, err error) {
	return eagerGrad("LogMatMulGrad", logProd, a, b, dc, nil)
}

// MaxMatMulGrad returns the gradients of Σ dC ⊙ MaxMatMul(A, B) with respect
// to A and B: each output's dC goes to the first k (the smallest) whose
// term is maximal, none where the output is −Inf. Operands as in
// LogMatMulGrad: views and pending transposes are read as materialized, and
// no input is modified.
func MaxMatMulGrad(a, b, dc *tensor.Dense) (da, db *tensor.Dense, err error) {
	return eagerGrad("MaxMatMulGrad", maxProd, a, b, dc, nil)
}

// ProdMaxMatMulGrad returns the gradients of Σ dC ⊙ ProdMaxMatMul(A, B)
// with respect to A and B: for the first maximal k of each output,
// dA[i,k] gets dC[i,j]·B[k,j] and dB[k,j] gets dC[i,j]·A[i,k]; none where
// the output is −Inf. Operands as in LogMatMulGrad: views and pending
// transposes are read as materialized, and no input is modified.
func ProdMaxMatMulGrad(a, b, dc *tensor.Dense) (da, db *tensor.Dense, err error) {
	return eagerGrad("ProdMaxMatMulGrad", prodMaxProd, a, b, dc, nil)
}

// SampleMatMulGrad returns a sampled gradient of Σ dC ⊙ SampleMatMul(A, B):
// each output's dC goes, in both dA and dB, to one k drawn from the softmax
// over k of A[b,i,k] + B[b,k,j] (so its expectation is LogMatMulGrad's).
// The draws come from one 64-bit seed taken from src (src.Uint64()), so a
// seeded source gives reproducible draws; src is used by this call only.
// Operands as in LogMatMulGrad: views and pending transposes are read as
// materialized, and no input is modified. src is a math/rand/v2 Source (go doc shows only rand.Source), such as
// rand.NewPCG(1, 2); math/rand's Source does not fit.
func SampleMatMulGrad(a, b, dc *tensor.Dense, src rand.Source) (da, db *tensor.Dense, err error) {
	if src == nil {
		return nil, nil, errorf(ErrNil, "SampleMatMulGrad", "the random source is nil")
	}
	return eagerGrad("SampleMatMulGrad", sampleProd, a, b, dc, src)
}

func eagerForward(op string, p product, a, b *tensor.Dense) (*tensor.Dense, error) {
	d, err := checkPair(op, tensorOperand("A", a), tensorOperand("B", b))
	if err != nil {
		return nil, err
	}
	a, b = contiguous(a), contiguous(b)
	c := newDense(d.dt, d.cShape())
	switch d.dt {
	case tensor.Float32:
		forward(p, c.Data().([]float32), a.Data().([]float32), b.Data().([]float32), d)
	default:
		forward(p, c.Data().([]float64), a.Data().([]float64), b.Data().([]float64), d)
	}
	return c, nil
}

func eagerGrad(op string, p product, a, b, dc *tensor.Dense, src rand.Source) (da, db *tensor.Dense, err error) {
	d, err := checkPair(op, tensorOperand("A", a), tensorOperand("B", b))
	if err != nil {
		return nil, nil, err
	}
	if err := checkGrad(op, d, tensorOperand("dC", dc)); err != nil {
		return nil, nil, err
	}
	a, b, dc = contiguous(a), contiguous(b), contiguous(dc)
	da, db = newDense(d.dt, d.aShape()), newDense(d.dt, d.bShape())
	var seed uint64
	if src != nil {
		seed = src.Uint64()
	}
	switch d.dt {
	case tensor.Float32:
		grads(p, da.Data().([]float32), db.Data().([]float32), a.Data().([]float32), b.Data().([]float32), dc.Data().([]float32), seed, d)
	default:
		grads(p, da.Data().([]float64), db.Data().([]float64), a.Data().([]float64), b.Data().([]float64), dc.Data().([]float64), seed, d)
	}
	return da, db, nil
}

// grads computes both gradients of product p, as the graph's Ops do.
func grads[T float](p product, da, db, a, b, dc []T, seed uint64, d dims) {
	c := make([]T, d.batch*d.n*d.m)
	forward(p, c, a, b, d)
	if p == logProd {
		cm, dm := logMasked(c, dc)
		logGradBoth(da, db, a, b, cm, dm, d)
		return
	}
	sel := make([]int32, len(c))
	if p == sampleProd {
		draw(sel, a, b, c, seed, d)
	} else {
		selectMax(p, sel, a, b, c, d)
	}
	routeA(p, da, a, b, sel, dc, d)
	routeB(p, db, a, b, sel, dc, d)
}

// LogMatMulNode adds LogMatMul(a, b) to a's graph: a is (batch, n, k), b
// (batch, k, m), both float32 or both float64, in the same graph. Its
// gradient, with respect to both operands, is LogMatMulGrad's, and is
// itself differentiable (see LogMatMulGradNode).
func LogMatMulNode(a, b *gorgonia.Node) (*gorgonia.Node, error) {
	return nodeForward("LogMatMulNode", logProd, a, b, nil)
}

// MaxMatMulNode adds MaxMatMul(a, b) to a's graph (see LogMatMulNode for
// the operands). Its gradient is MaxMatMulGrad's.
func MaxMatMulNode(a, b *gorgonia.Node) (*gorgonia.Node, error) {
	return nodeForward("MaxMatMulNode", maxProd, a, b, nil)
}

// ProdMaxMatMulNode adds ProdMaxMatMul(a, b) to a's graph (see
// LogMatMulNode for the operands). Its gradient is ProdMaxMatMulGrad's.
func ProdMaxMatMulNode(a, b *gorgonia.Node) (*gorgonia.Node, error) {
	return nodeForward("ProdMaxMatMulNode", prodMaxProd, a, b, nil)
}

// SampleMatMulNode adds SampleMatMul(a, b) to a's graph (see LogMatMulNode
// for the operands). Its gradient sends each output's gradient to one k
// drawn from the softmax over k, the same k for a and b: every run of the
// graph's gradient takes one seed from src (src.Uint64(), under a lock
// held by the node, so src is safe to share with other nodes but not with
// other goroutines) and draws anew. The node's hash includes the identity
// of src and of the call: two SampleMatMul nodes are never merged. src is
// a math/rand/v2 Source (go doc shows only rand.Source).
func SampleMatMulNode(a, b *gorgonia.Node, src rand.Source) (*gorgonia.Node, error) {
	if src == nil {
		return nil, errorf(ErrNil, "SampleMatMulNode", "the random source is nil")
	}
	return nodeForward("SampleMatMulNode", sampleProd, a, b, newSampler(src))
}

// LogMatMulGradNode adds the gradients of Σ dc ⊙ LogMatMul(a, b) with
// respect to a and b to a's graph (LogMatMulGrad as nodes), for a dc node
// of the product's shape and dtype. They are differentiable with respect to
// a, b and dc, so one gorgonia.Grad of a cost built from them gives second
// derivatives of LogMatMul (Hessian-vector products). (Gorgonia's Grad
// cannot be applied twice to one graph: it reuses the first derivatives it
// finds. Build the first gradient with this function instead.)
func LogMatMulGradNode(a, b, dc *gorgonia.Node) (da, db *gorgonia.Node, err error) {
	const op = "LogMatMulGradNode"
	d, err := checkNodes(op, a, b)
	if err != nil {
		return nil, nil, err
	}
	if err := checkGrad(op, d, nodeOperand("dC", dc)); err != nil {
		return nil, nil, err
	}
	if dc.Graph() != a.Graph() {
		return nil, nil, errorf(ErrShape, op, "dC is in another graph than A")
	}
	c, err := gorgonia.ApplyOp(&fwdOp{p: logProd, d: d}, a, b)
	if err != nil {
		return nil, nil, errorf(ErrGraph, op, "%w", err)
	}
	g, err := logGrads(d, a, b, c, dc)
	if err != nil {
		return nil, nil, errorf(ErrGraph, op, "%w", err)
	}
	return g[0], g[1], nil
}

func checkNodes(op string, a, b *gorgonia.Node) (dims, error) {
	d, err := checkPair(op, nodeOperand("A", a), nodeOperand("B", b))
	if err != nil {
		return dims{}, err
	}
	if a.Graph() != b.Graph() {
		return dims{}, errorf(ErrShape, op, "A and B are in different graphs")
	}
	return d, nil
}

func nodeForward(op string, p product, a, b *gorgonia.Node, s *sampler) (*gorgonia.Node, error) {
	d, err := checkNodes(op, a, b)
	if err != nil {
		return nil, err
	}
	c, err := gorgonia.ApplyOp(&fwdOp{p: p, d: d, sample: s}, a, b)
	if err != nil {
		return nil, errorf(ErrGraph, op, "%w", err)
	}
	return c, nil
}
