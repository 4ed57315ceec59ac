package bandop

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// refVecMul is r[b][j] = ⊕_i v[b][i] ⊗ A[b][i][j] over the dense matrices.
func refVecMul(s Semiring, v [][]float64, a dense) [][]float64 {
	r := make([][]float64, len(a))
	for b := range a {
		n := len(a[b])
		r[b] = make([]float64, n)
		for j := 0; j < n; j++ {
			acc := s.Zero()
			for i := 0; i < n; i++ {
				acc = refPlus(s, acc, refTimes(s, v[b][i], a[b][i][j]))
			}
			r[b][j] = acc
		}
	}
	return r
}

// refMulVec is r[b][i] = ⊕_j A[b][i][j] ⊗ v[b][j].
func refMulVec(s Semiring, a dense, v [][]float64) [][]float64 {
	r := make([][]float64, len(a))
	for b := range a {
		n := len(a[b])
		r[b] = make([]float64, n)
		for i := 0; i < n; i++ {
			acc := s.Zero()
			for j := 0; j < n; j++ {
				acc = refPlus(s, acc, refTimes(s, a[b][i][j], v[b][j]))
			}
			r[b][i] = acc
		}
	}
	return r
}

// randomVec returns a (batch, n) tensor with entries suited to s, as
// randomFor draws them.
func randomVec(rng *rand.Rand, s Semiring, dt tensor.Dtype, batch, n int) *tensor.Dense {
	x := make([]float64, batch*n)
	for i := range x {
		x[i] = rng.Float64()
		if s != Real {
			x[i] = 6*x[i] - 3
		}
	}
	return vecFrom(dt, batch, n, x)
}

func vecFrom(dt tensor.Dtype, batch, n int, x []float64) *tensor.Dense {
	if dt == tensor.Float32 {
		f := make([]float32, len(x))
		for i := range x {
			f[i] = float32(x[i])
		}
		return tensor.New(tensor.WithShape(batch, n), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(batch, n), tensor.WithBacking(append([]float64(nil), x...)))
}

// floats returns t's elements as float64s.
func floats(t *tensor.Dense) []float64 {
	switch d := t.Data().(type) {
	case []float32:
		x := make([]float64, len(d))
		for i := range d {
			x[i] = float64(d[i])
		}
		return x
	case []float64:
		return append([]float64(nil), d...)
	}
	return nil
}

func rows2(x []float64, batch, n int) [][]float64 {
	r := make([][]float64, batch)
	for b := range r {
		r[b] = x[b*n : (b+1)*n]
	}
	return r
}

func vecProd(a *Banded, v *tensor.Dense, s Semiring, side vecSide) (*tensor.Dense, error) {
	if side == vecLeft {
		return a.VecMul(v, s)
	}
	return a.MulVec(v, s)
}

func TestVecMulMulVecDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, side := range []vecSide{vecLeft, vecRight} {
		for _, c := range bandCases {
			for _, dt := range dtypes {
				for _, s := range semirings {
					t.Run(fmt.Sprintf("%s/%v/%v/b%d_n%d_(%d,%d)", side.String(), s, dt, c.batch, c.n, c.l1, c.u1), func(t *testing.T) {
						a := randomFor(t, rng, s, dt, c.batch, c.n, c.l1, c.u1)
						v := randomVec(rng, s, dt, c.batch, c.n)
						ac, vc := a.Clone(), v.Clone().(*tensor.Dense)
						got, err := vecProd(a, v, s, side)
						if err != nil {
							t.Fatal(err)
						}
						vr := rows2(floats(v), c.batch, c.n)
						want := refMulVec(s, denseOf(a), vr)
						if side == vecLeft {
							want = refVecMul(s, vr, denseOf(a))
						}
						checkVec(t, got, want, tolFor(dt))
						if !sameBits(a, ac) || !sameFloats(floats(v), floats(vc)) {
							t.Error("an operand was modified")
						}
					})
				}
			}
		}
	}
}

// TestVecMulView feeds a view as v: the product must read it as the
// materialized tensor.
func TestVecMulView(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	a := randomFor(t, rng, Log, tensor.Float64, 2, 4, 1, 1)
	big := randomVec(rng, Log, tensor.Float64, 2, 8)
	view, err := big.Slice(nil, gorgonia.S(2, 6))
	if err != nil {
		t.Fatal(err)
	}
	vd := view.(*tensor.Dense)
	got, err := a.VecMul(vd, Log)
	if err != nil {
		t.Fatal(err)
	}
	mat := vd.Materialize().(*tensor.Dense)
	checkVec(t, got, refVecMul(Log, rows2(floats(mat), 2, 4), denseOf(a)), 1e-12)
}

// vecGrads runs the backward kernel in float64 with the given dr, returning
// the gradients with respect to v and to A's storage.
func vecGrads(s Semiring, side vecSide, v []float64, a *Banded, r, dr []float64) (gv, ga []float64) {
	l := a.layout()
	gv = make([]float64, len(v))
	ga = make([]float64, len(storage[float64](a)))
	vecBackward(s, side, gradV, gv, v, storage[float64](a), r, dr, l)
	vecBackward(s, side, gradA, ga, v, storage[float64](a), r, dr, l)
	return gv, ga
}

// fdCheck compares grad with central differences of cost at x, for every
// index in idx; x is restored afterwards.
func fdCheck(t *testing.T, what string, x []float64, idx []int, cost func() float64, grad []float64) {
	t.Helper()
	const h = 1e-6
	bad := 0
	for _, i := range idx {
		x0 := x[i]
		x[i] = x0 + h
		up := cost()
		x[i] = x0 - h
		down := cost()
		x[i] = x0
		fd := (up - down) / (2 * h)
		if math.Abs(fd-grad[i]) > 1e-6*math.Max(1, math.Abs(fd)) {
			if bad++; bad <= 5 {
				t.Errorf("%s[%d]: gradient %v, finite difference %v", what, i, grad[i], fd)
			}
		}
	}
}

// validIndices returns the storage indices of a's in-band, in-range slots.
func validIndices(a *Banded) []int {
	var idx []int
	n, w := a.N(), a.Width()
	for r := 0; r < a.Batch()*n; r++ {
		lo, hi := validSlots(r%n, n, a.lower, w)
		for k := lo; k < hi; k++ {
			idx = append(idx, r*w+k)
		}
	}
	return idx
}

func TestVecMulBackwardFiniteDiff(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, side := range []vecSide{vecLeft, vecRight} {
		for _, c := range bandCases {
			for _, s := range semirings {
				t.Run(fmt.Sprintf("%s/%v/b%d_n%d_(%d,%d)", side.String(), s, c.batch, c.n, c.l1, c.u1), func(t *testing.T) {
					a := randomFor(t, rng, s, tensor.Float64, c.batch, c.n, c.l1, c.u1)
					v := floats(randomVec(rng, s, tensor.Float64, c.batch, c.n))
					dr := floats(randomVec(rng, Log, tensor.Float64, c.batch, c.n))
					l := a.layout()
					ad := storage[float64](a)
					r := make([]float64, len(v))
					cost := func() float64 {
						vecForward(s, side, r, v, ad, l)
						sum := 0.0
						for i := range r {
							if !math.IsInf(r[i], -1) {
								sum += dr[i] * r[i]
							}
						}
						return sum
					}
					cost()
					gv, ga := vecGrads(s, side, v, a, r, dr)
					all := make([]int, len(v))
					for i := range all {
						all[i] = i
					}
					fdCheck(t, "dv", v, all, cost, gv)
					fdCheck(t, "dA", ad, validIndices(a), cost, ga)
					checkGradPadding(t, a, ga)

					// float32 agrees with float64.
					a32 := toF32(a)
					v32, r32, dr32 := f32s(v), make([]float32, len(v)), f32s(dr)
					vecForward(s, side, r32, v32, storage[float32](a32), l)
					gv32 := make([]float32, len(v))
					ga32 := make([]float32, len(ga))
					vecBackward(s, side, gradV, gv32, v32, storage[float32](a32), r32, dr32, l)
					vecBackward(s, side, gradA, ga32, v32, storage[float32](a32), r32, dr32, l)
					for i := range gv {
						if !closeTo(float64(gv32[i]), gv[i], 1e-4) {
							t.Errorf("float32 dv[%d] = %v, float64 %v", i, gv32[i], gv[i])
						}
					}
					for i := range ga {
						if !closeTo(float64(ga32[i]), ga[i], 1e-4) {
							t.Errorf("float32 dA[%d] = %v, float64 %v", i, ga32[i], ga[i])
						}
					}
				})
			}
		}
	}
}

func f32s(x []float64) []float32 {
	f := make([]float32, len(x))
	for i := range x {
		f[i] = float32(x[i])
	}
	return f
}

// toF32 returns a float64 Banded rounded to float32 (padding included).
func toF32(a *Banded) *Banded {
	d := tensor.New(tensor.WithShape(a.data.Shape()...), tensor.WithBacking(f32s(storage[float64](a))))
	return &Banded{lower: a.lower, upper: a.upper, fill: a.fill, data: d}
}

// checkGradPadding fails when a gradient in a's storage layout is not 0 in
// a padding slot.
func checkGradPadding(t *testing.T, a *Banded, g []float64) {
	t.Helper()
	n, w := a.N(), a.Width()
	for r := 0; r < a.Batch()*n; r++ {
		lo, hi := validSlots(r%n, n, a.lower, w)
		for k := 0; k < w; k++ {
			if (k < lo || k >= hi) && g[r*w+k] != 0 {
				t.Fatalf("gradient padding slot (row %d, slot %d) = %v, want 0", r, k, g[r*w+k])
			}
		}
	}
}

// TestVecMulLogEmpty: sums whose terms are all −Inf are −Inf with gradient 0,
// also for an infinite dr.
func TestVecMulLogEmpty(t *testing.T) {
	for _, side := range []vecSide{vecLeft, vecRight} {
		for _, s := range []Semiring{Log, Max} {
			a, _ := Filled(tensor.Float64, 1, 4, 1, 1, math.Inf(-1))
			ad := storage[float64](a)
			for i := range ad {
				ad[i] = 0.5
			}
			poison(a)
			v := []float64{math.Inf(-1), math.Inf(-1), math.Inf(-1), math.Inf(-1)}
			vt := vecFrom(tensor.Float64, 1, 4, v)
			r, err := vecProd(a, vt, s, side)
			if err != nil {
				t.Fatal(err)
			}
			rv := floats(r)
			for j, x := range rv {
				if !math.IsInf(x, -1) {
					t.Errorf("%s %v: r[%d] = %v, want -Inf", side.String(), s, j, x)
				}
			}
			dr := []float64{1, math.Inf(1), -2, 3}
			gv, ga := vecGrads(s, side, v, a, rv, dr)
			for i, x := range append(gv, ga...) {
				if x != 0 {
					t.Errorf("%s %v: gradient %d = %v, want 0", side.String(), s, i, x)
				}
			}
		}
	}
}

// TestVecMulMaxTies: with all terms equal, the first term gets the gradient.
func TestVecMulMaxTies(t *testing.T) {
	for _, side := range []vecSide{vecLeft, vecRight} {
		for _, dt := range dtypes {
			n := 5
			a, _ := Filled(dt, 1, n, 2, 1, math.Inf(-1))
			// In-band entries 0, v 0: every term of an output ties at 0.
			switch d := a.data.Data().(type) {
			case []float64:
				clear(d)
			case []float32:
				clear(d)
			}
			poison(a)
			vt := vecFrom(dt, 1, n, make([]float64, n))
			in := a.Clone()
			r, err := vecProd(a, vt, Max, side)
			if err != nil {
				t.Fatal(err)
			}
			a64 := in
			if dt == tensor.Float32 {
				a64 = &Banded{lower: in.lower, upper: in.upper, fill: in.fill, data: tensor.New(tensor.WithShape(in.data.Shape()...), tensor.WithBacking(floats(in.data)))}
			}
			dr := []float64{1, 2, 3, 4, 5}
			gv, ga := vecGrads(Max, side, make([]float64, n), a64, floats(r), dr)
			wantV := make([]float64, n)
			wantA := newDenseRef(1, n, 0)
			for o := 0; o < n; o++ {
				// The first maximal term: smallest i for VecMul (column o),
				// smallest j for MulVec (row o).
				for x := 0; x < n; x++ {
					i, j := x, o
					if side == vecRight {
						i, j = o, x
					}
					if a.InBand(i, j) {
						wantV[x] += dr[o]
						wantA[0][i][j] += dr[o]
						break
					}
				}
			}
			for i := range wantV {
				if gv[i] != wantV[i] {
					t.Errorf("%s %v: dv[%d] = %v, want %v", side.String(), dt, i, gv[i], wantV[i])
				}
			}
			gab, _ := New(tensor.New(tensor.WithShape(1, n, a.Width()), tensor.WithBacking(ga)), a.lower, a.upper, 0)
			checkDense(t, gab, wantA, 0)
		}
	}
}

func TestVecMulGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, side := range []vecSide{vecLeft, vecRight} {
		for _, dt := range dtypes {
			for _, s := range semirings {
				g := gorgonia.NewGraph()
				av := randomFor(t, rng, s, dt, 2, 6, 2, 1)
				vv := randomVec(rng, s, dt, 2, 6)
				a, _ := NewNode(g, av, "A")
				v := gorgonia.NewTensor(g, dt, 2, gorgonia.WithShape(2, 6), gorgonia.WithName("v"), gorgonia.WithValue(vv.Clone()))
				var r *gorgonia.Node
				var err error
				if side == vecLeft {
					r, err = VecMul(v, a, s)
				} else {
					r, err = MulVec(a, v, s)
				}
				if err != nil {
					t.Fatal(err)
				}
				cost := gorgonia.Must(gorgonia.Sum(r))
				grads, err := gorgonia.Grad(cost, v, a.Node)
				if err != nil {
					t.Fatal(err)
				}
				m := gorgonia.NewTapeMachine(g)
				if err := m.RunAll(); err != nil {
					t.Fatal(err)
				}
				m.Close()
				want, _ := vecProd(av, vv, s, side)
				checkVec(t, r.Value().(*tensor.Dense), rows2(floats(want), 2, 6), tolFor(dt))
				a64 := av
				if dt == tensor.Float32 {
					a64 = &Banded{lower: av.lower, upper: av.upper, fill: av.fill, data: tensor.New(tensor.WithShape(av.data.Shape()...), tensor.WithBacking(floats(av.data)))}
				}
				ones := []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
				r64 := make([]float64, 12)
				vecForward(s, side, r64, floats(vv), storage[float64](a64), a64.layout())
				gv, ga := vecGrads(s, side, floats(vv), a64, r64, ones)
				for i, x := range floats(grads[0].Value().(*tensor.Dense)) {
					if !closeTo(x, gv[i], tolFor(dt)*10) {
						t.Errorf("%s %v %v: dv[%d] = %v, want %v", side.String(), s, dt, i, x, gv[i])
					}
				}
				for _, i := range validIndices(av) {
					if x := floats(grads[1].Value().(*tensor.Dense))[i]; !closeTo(x, ga[i], tolFor(dt)*10) {
						t.Errorf("%s %v %v: dA slot %d = %v, want %v", side.String(), s, dt, i, x, ga[i])
					}
				}
			}
		}
	}
}

func TestVecMulErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	a := randomFor(t, rng, Log, tensor.Float64, 2, 4, 1, 1)
	cases := []struct {
		name string
		v    *tensor.Dense
		s    Semiring
		a    *Banded
	}{
		{"nil v", nil, Log, a},
		{"wrong n", randomVec(rng, Log, tensor.Float64, 2, 5), Log, a},
		{"wrong batch", randomVec(rng, Log, tensor.Float64, 1, 4), Log, a},
		{"wrong dtype", randomVec(rng, Log, tensor.Float32, 2, 4), Log, a},
		{"wrong fill", randomVec(rng, Log, tensor.Float64, 2, 4), Real, a},
		{"unknown semiring", randomVec(rng, Log, tensor.Float64, 2, 4), Semiring(7), a},
		{"nil A", randomVec(rng, Log, tensor.Float64, 2, 4), Log, nil},
	}
	for _, c := range cases {
		for _, side := range []vecSide{vecLeft, vecRight} {
			_, err := vecProd(c.a, c.v, c.s, side)
			if e, ok := err.(*Error); !ok || e.Op != side.String() {
				t.Errorf("%s %s: error %v, want a *Error of %s", side.String(), c.name, err, side.String())
			}
		}
	}
}

// sameFloats reports whether x and y hold identical bits.
func sameFloats(x, y []float64) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
			return false
		}
	}
	return true
}
