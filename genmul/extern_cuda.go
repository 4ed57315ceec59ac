//go:build cuda

package genmul

import (
	"github.com/genband/genband/cudaops"
	"github.com/genband/genband/internal/cudado"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// callsExtern is true under the cuda build tag: every Op is a
// gorgonia.CUDADoer, so Gorgonia places it on device 0 and preallocates its
// output there.
const callsExtern = true

// cudaDo is the body of every CUDADo: cudado.Do, the launch path of every
// genband Op (importing it registers the PTX module with Gorgonia), with
// its errors naming op. out is the output's dtype and shape, want the
// inputs' (device memory cannot be read here, so values are never
// checked).
func cudaDo(op string, extern gorgonia.External, dev gorgonia.Device, prealloc gorgonia.Value, dt tensor.Dtype, out tensor.Shape, l cudaops.Launch, want []cudado.Arg, inputs []gorgonia.Value) (gorgonia.Value, error) {
	v, err := cudado.Do(extern, dev, prealloc, dt, out, l, want, inputs)
	if err != nil {
		return nil, errorf(ErrDevice, op, "%w", err)
	}
	return v, nil
}

// args returns the cudado.Args of inputs of dtype dt and the given shapes.
func args(dt tensor.Dtype, shapes ...tensor.Shape) []cudado.Arg {
	a := make([]cudado.Arg, len(shapes))
	for i, s := range shapes {
		a[i] = cudado.Arg{Dtype: dt, Shape: s}
	}
	return a
}

// cudaDtype is the cudaops dtype of dt (its zero value, which names no
// kernel, for any other).
func cudaDtype(dt tensor.Dtype) cudaops.Dtype {
	switch dt {
	case tensor.Float32:
		return cudaops.Float32
	case tensor.Float64:
		return cudaops.Float64
	}
	return 0
}

// cudaProduct is the kernel family of product p: Sample's forward is Log's
// and its routes are Max's.
func cudaProduct(p product) cudaops.GenmulProduct {
	switch p {
	case maxProd:
		return cudaops.MaxMatMul
	case prodMaxProd:
		return cudaops.ProdMaxMatMul
	case sampleProd:
		return cudaops.LogMatMul
	}
	return cudaops.LogMatMul
}
