// Package cudado is the one launch path of genband's Ops on a Gorgonia CUDA
// machine: the body of every CUDADo, of package bandop's Ops and of package
// align's alike (Do, under the build tag cuda), and the registration of
// the PTX module of package cudaops with Gorgonia. Without the tag it is
// empty.
//
// It is internal, and separate from cudaops, because it imports Gorgonia
// (whose cuda build links cuBLAS 11), while cudaops' own cuda files need
// only gorgonia.org/cu's root package (libcuda.so.1), so that its kernel
// tests run on a machine with nothing but a driver.
package cudado
