//go:build cuda

package genmul

import (
	"github.com/genband/genband/cudaops"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Every Op of the package runs on the GPU through the kernels of
// cudaops/kernels/genmul.cu; embedded Ops have none to inherit.
var (
	_ gorgonia.CUDADoer = (*fwdOp)(nil)
	_ gorgonia.CUDADoer = (*logGradBothOp)(nil)
	_ gorgonia.CUDADoer = (*partOp)(nil)
	_ gorgonia.CUDADoer = (*logGradOp)(nil)
	_ gorgonia.CUDADoer = (*logGrad2Op)(nil)
	_ gorgonia.CUDADoer = (*logExpectOp)(nil)
	_ gorgonia.CUDADoer = (*selectOp)(nil)
	_ gorgonia.CUDADoer = (*drawOp)(nil)
	_ gorgonia.CUDADoer = (*routeOp)(nil)
)

// CUDADo runs the product on the GPU (logmatmul_fwd, maxmatmul_fwd or
// prodmaxmatmul_fwd; SampleMatMul's is LogMatMul's).
func (op *fwdOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	d := op.d
	l := cudaops.GenmulForward(cudaDtype(d.dt), cudaProduct(op.p), d.batch, d.n, d.k, d.m)
	return cudaDo(op.p.String(), extern, dev, prealloc, d.dt, d.cShape(), l, args(d.dt, d.aShape(), d.bShape()), inputs)
}

// CUDADo runs logmatmul_bwd: both gradients into one buffer.
func (op *logGradBothOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	d := op.d
	out, _ := op.InferShape()
	l := cudaops.LogMatMulBackward(cudaDtype(d.dt), d.batch, d.n, d.k, d.m)
	return cudaDo("LogMatMulGradBoth", extern, dev, prealloc, d.dt, out, l, args(d.dt, d.aShape(), d.bShape(), d.cShape(), d.cShape()), inputs)
}

// CUDADo runs logmatmul_bwd_part: dA or dB out of the buffer.
func (op *partOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	d := op.d
	out, _ := op.InferShape()
	whole, _ := (&logGradBothOp{d: d}).InferShape()
	l := cudaops.LogMatMulPart(cudaDtype(d.dt), op.wrt, d.batch, d.n, d.k, d.m)
	return cudaDo("LogMatMulGradPart", extern, dev, prealloc, d.dt, out, l, args(d.dt, whole), inputs)
}

// CUDADo runs logmatmul_bwd_a or logmatmul_bwd_b.
func (op *logGradOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	d := op.d
	out, _ := op.InferShape()
	l := cudaops.LogMatMulGrad(cudaDtype(d.dt), op.wrt, false, d.batch, d.n, d.k, d.m)
	return cudaDo("LogMatMulGrad", extern, dev, prealloc, d.dt, out, l, args(d.dt, d.aShape(), d.bShape(), d.cShape(), d.cShape()), inputs)
}

// CUDADo runs logmatmul_bwd2_a or logmatmul_bwd2_b.
func (op *logGrad2Op) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	d := op.d
	out, hs := op.shapes()
	l := cudaops.LogMatMulGrad(cudaDtype(d.dt), op.wrt, true, d.batch, d.n, d.k, d.m)
	return cudaDo("LogMatMulGrad2", extern, dev, prealloc, d.dt, out, l, args(d.dt, d.aShape(), d.bShape(), d.cShape(), d.cShape(), hs), inputs)
}

// CUDADo runs logmatmul_bwd2_expect_a or logmatmul_bwd2_expect_b.
func (op *logExpectOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	d := op.d
	hs := d.aShape()
	if op.wrt == 1 {
		hs = d.bShape()
	}
	l := cudaops.LogMatMulExpect(cudaDtype(d.dt), op.wrt, d.batch, d.n, d.k, d.m)
	return cudaDo("LogMatMulExpect", extern, dev, prealloc, d.dt, d.cShape(), l, args(d.dt, d.aShape(), d.bShape(), d.cShape(), hs), inputs)
}

// CUDADo runs maxmatmul_bwd_select or prodmaxmatmul_bwd_select.
func (op *selectOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	d := op.d
	l := cudaops.GenmulSelect(cudaDtype(d.dt), cudaProduct(op.p), d.batch, d.n, d.k, d.m)
	return cudaDo(op.p.String()+"Select", extern, dev, prealloc, tensor.Int32, d.cShape(), l, args(d.dt, d.aShape(), d.bShape(), d.cShape()), inputs)
}

// CUDADo runs samplematmul_bwd_draw with a fresh seed from the node's
// source: the GPU draws the numbers the CPU would for that seed.
func (op *drawOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	d := op.d
	l := cudaops.SampleMatMulDraw(cudaDtype(d.dt), op.sample.seed(), d.batch, d.n, d.k, d.m)
	return cudaDo("SampleMatMulDraw", extern, dev, prealloc, tensor.Int32, d.cShape(), l, args(d.dt, d.aShape(), d.bShape(), d.cShape()), inputs)
}

// CUDADo runs maxmatmul_bwd_a or _b (Max and Sample) or prodmaxmatmul_bwd_a
// or _b.
func (op *routeOp) CUDADo(extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, inputs ...gorgonia.Value) (gorgonia.Value, error) {
	d := op.d
	out, _ := op.InferShape()
	p := cudaops.MaxMatMul
	if op.p == prodMaxProd {
		p = cudaops.ProdMaxMatMul
	}
	l := cudaops.GenmulRoute(cudaDtype(d.dt), p, op.wrt, d.batch, d.n, d.k, d.m)
	want := args(d.dt, d.aShape(), d.bShape(), d.cShape(), d.cShape())
	want[2].Dtype = tensor.Int32
	return cudaDo(op.p.String()+"Grad", extern, dev, prealloc, d.dt, out, l, want, inputs)
}
