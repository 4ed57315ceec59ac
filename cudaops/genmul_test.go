package cudaops

import "testing"

// genmulConstructors returns a launch of every kernel of genmul.cu, for
// everyConstructor.
func genmulConstructors(dt Dtype) []constructorLaunch {
	const batch, n, k, m = 2, 5, 4, 6
	ls := []constructorLaunch{
		{GenmulForward(dt, LogMatMul, batch, n, k, m), 3},
		{GenmulForward(dt, MaxMatMul, batch, n, k, m), 3},
		{GenmulForward(dt, ProdMaxMatMul, batch, n, k, m), 3},
		{LogMatMulBackward(dt, batch, n, k, m), 5},
		{GenmulSelect(dt, MaxMatMul, batch, n, k, m), 4},
		{GenmulSelect(dt, ProdMaxMatMul, batch, n, k, m), 4},
		{SampleMatMulDraw(dt, 1<<63+5, batch, n, k, m), 4},
	}
	for wrt := 0; wrt < 2; wrt++ {
		ls = append(ls,
			constructorLaunch{LogMatMulPart(dt, wrt, batch, n, k, m), 2},
			constructorLaunch{LogMatMulGrad(dt, wrt, false, batch, n, k, m), 5},
			constructorLaunch{LogMatMulGrad(dt, wrt, true, batch, n, k, m), 6},
			constructorLaunch{LogMatMulExpect(dt, wrt, batch, n, k, m), 5},
			constructorLaunch{GenmulRoute(dt, MaxMatMul, wrt, batch, n, k, m), 5},
			constructorLaunch{GenmulRoute(dt, ProdMaxMatMul, wrt, batch, n, k, m), 5},
		)
	}
	return ls
}

// TestGenmulGeometry checks the tiles of genmul's launches: one block per
// 64 × 64 tile of a product, dB's 32 × 32 tiles after dA's in
// logmatmul_bwd, a thread per output, row or column elsewhere; a wrt other
// than 0 and 1, or LogMatMul's selection, names no kernel.
func TestGenmulGeometry(t *testing.T) {
	const batch, n, k, m = 3, 130, 33, 65
	if g := GenmulForward(Float32, LogMatMul, batch, n, k, m).Grid[0]; g != batch*3*2 {
		t.Errorf("GenmulForward: %d blocks, want %d", g, batch*3*2)
	}
	if g := LogMatMulBackward(Float64, batch, n, k, m).Grid[0]; g != batch*5*2+batch*2*3 {
		t.Errorf("LogMatMulBackward: %d blocks, want %d", g, batch*5*2+batch*2*3)
	}
	if g := LogMatMulGrad(Float32, 1, true, batch, n, k, m).Grid[0]; g != batch*2*3 {
		t.Errorf("LogMatMulGrad wrt B: %d blocks, want %d", g, batch*2*3)
	}
	if l := GenmulRoute(Float32, MaxMatMul, 1, batch, n, k, m); l.Grid[0]*l.Block[0] < batch*m {
		t.Errorf("GenmulRoute wrt B: %d threads for %d columns", l.Grid[0]*l.Block[0], batch*m)
	}
	if l := LogMatMulPart(Float32, 1, batch, n, k, m); l.Args[0] != int64(batch*n*k) || l.Args[1] != int64(batch*k*m) {
		t.Errorf("LogMatMulPart wrt B: offset and size %v", l.Args)
	}
	if l := SampleMatMulDraw(Float32, 1<<63+5, batch, n, k, m); l.Args[4] != int64(-1<<63+5) {
		t.Errorf("SampleMatMulDraw passes the seed as %v", l.Args[4])
	}
	have := map[string]bool{}
	for _, name := range Kernels() {
		have[name] = true
	}
	for _, wrt := range []int{-1, 2} {
		for _, l := range []Launch{
			LogMatMulGrad(Float32, wrt, false, 1, 2, 3, 4),
			LogMatMulGrad(Float32, wrt, true, 1, 2, 3, 4),
			LogMatMulExpect(Float32, wrt, 1, 2, 3, 4),
			GenmulRoute(Float64, MaxMatMul, wrt, 1, 2, 3, 4),
		} {
			if have[l.Kernel] {
				t.Errorf("wrt %d: names kernel %s, which exists", wrt, l.Kernel)
			}
		}
	}
	if l := GenmulSelect(Float32, LogMatMul, 1, 2, 3, 4); have[l.Kernel] {
		t.Errorf("LogMatMul's selection names kernel %s, which exists", l.Kernel)
	}
}
