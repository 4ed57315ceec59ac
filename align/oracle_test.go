package align

import (
	"math"

	"github.com/genband/genband/bandop"
)

// This file holds the plain references the package is tested against: a
// brute-force enumerator of paths and a forward–backward dynamic program
// over the grid, both written without the rotated grid or banded matrices.

// item is one batch item's problem: its potentials θ[i][j][c] (N×M×3),
// lengths and allowed offsets.
type item struct {
	theta      [][][3]float64
	lenX, lenY int
	lo, hi     int // allowed j−i
}

func (it item) valid(i, j int) bool {
	return i >= 0 && j >= 0 && i < it.lenX && j < it.lenY && j-i >= it.lo && j-i <= it.hi
}

// starts reports whether a path of mode may begin at the valid cell (i, j),
// scoring θ[i][j][FromDiag] there.
func (it item) starts(mode Mode, i, j int) bool {
	switch mode {
	case Global:
		return i == 0 && j == 0
	case Local:
		return true
	}
	return i == 0 || j == 0
}

// ends reports whether a path of mode may finish at the valid cell (i, j).
func (it item) ends(mode Mode, i, j int) bool {
	switch mode {
	case Global:
		return i == it.lenX-1 && j == it.lenY-1
	case Local:
		return true
	}
	return i == it.lenX-1 || j == it.lenY-1
}

// newItem reads item b of a flat θ of shape (batch, n, mm, 3).
func newItem(m Model, th []float64, b, n, mm, lenX, lenY int) item {
	it := item{lenX: lenX, lenY: lenY, lo: -(lenX - 1), hi: lenY - 1}
	if m.Gapped {
		d := 0
		if m.Mode == Global {
			d = lenY - lenX
		}
		it.lo = max(it.lo, min(0, d)-m.MaxGap)
		it.hi = min(it.hi, max(0, d)+m.MaxGap)
	}
	it.theta = make([][][3]float64, n)
	for i := range n {
		it.theta[i] = make([][3]float64, mm)
		for j := range mm {
			for c := range 3 {
				it.theta[i][j][c] = th[((b*n+i)*mm+j)*3+c]
			}
		}
	}
	return it
}

// feature is one potential used by a path.
type feature struct{ i, j, c int }

// enumerate returns every path of it (as the potentials it uses), walking
// the grid cell by cell.
func enumerate(mode Mode, it item) [][]feature {
	var out [][]feature
	var walk func(path []feature, i, j int)
	walk = func(path []feature, i, j int) {
		if it.ends(mode, i, j) {
			out = append(out, append([]feature(nil), path...))
		}
		for _, mv := range []struct{ di, dj, c int }{{0, 1, FromLeft}, {1, 1, FromDiag}, {1, 0, FromAbove}} {
			ni, nj := i+mv.di, j+mv.dj
			if it.valid(ni, nj) {
				walk(append(path, feature{ni, nj, mv.c}), ni, nj)
			}
		}
	}
	for i := range it.lenX {
		for j := range it.lenY {
			if !it.valid(i, j) || !it.starts(mode, i, j) {
				continue
			}
			walk([]feature{{i, j, FromDiag}}, i, j)
		}
	}
	return out
}

// bruteForce returns log Z of it under s and the marginals ∂ log Z/∂θ (N×M×3)
// from the list of paths. Under Max the marginals are the best path's
// features (the first best path found; tests avoid ties).
func bruteForce(s bandop.Semiring, mode Mode, it item) (float64, [][][3]float64) {
	paths := enumerate(mode, it)
	marg := make([][][3]float64, len(it.theta))
	for i := range marg {
		marg[i] = make([][3]float64, len(it.theta[0]))
	}
	score := func(p []feature, skip int) float64 {
		v := s.One()
		for k, f := range p {
			if k != skip {
				v = s.Times(v, it.theta[f.i][f.j][f.c])
			}
		}
		return v
	}
	z := s.Zero()
	best := -1
	for k, p := range paths {
		v := score(p, -1)
		if s == Max && (best < 0 || v > z) {
			best = k
		}
		z = s.Plus(z, v)
	}
	for k, p := range paths {
		for x, f := range p {
			switch s {
			case Log:
				marg[f.i][f.j][f.c] += math.Exp(score(p, -1) - z)
			case Real:
				marg[f.i][f.j][f.c] += score(p, x)
			case Max:
				if k == best {
					marg[f.i][f.j][f.c] = 1
				}
			}
		}
	}
	return z, marg
}

// forwardBackward returns log Z of it under s (Log or Real) and the
// marginals, by the plain dynamic program over cells: α[i][j] is the ⊕ over
// path prefixes ending in (i, j), β[i][j] over suffixes leaving it.
func forwardBackward(s bandop.Semiring, mode Mode, it item) (float64, [][][3]float64) {
	n, mm := len(it.theta), len(it.theta[0])
	grid := func(v float64) [][]float64 {
		g := make([][]float64, n+1)
		for i := range g {
			g[i] = make([]float64, mm+1)
			for j := range g[i] {
				g[i][j] = v
			}
		}
		return g
	}
	zero, one := s.Zero(), s.One()
	th := func(i, j, c int) float64 { return it.theta[i][j][c] }
	alpha, beta := grid(zero), grid(zero)
	for i := range it.lenX {
		for j := range it.lenY {
			if !it.valid(i, j) {
				continue
			}
			v := zero
			if it.starts(mode, i, j) {
				v = th(i, j, FromDiag)
			}
			// Only moves from a valid cell: a potential no path uses may
			// hold NaN, and the zero ⊗ NaN is NaN.
			for _, mv := range []struct{ di, dj, c int }{{0, 1, FromLeft}, {1, 1, FromDiag}, {1, 0, FromAbove}} {
				if it.valid(i-mv.di, j-mv.dj) {
					v = s.Plus(v, s.Times(alpha[i-mv.di][j-mv.dj], th(i, j, mv.c)))
				}
			}
			alpha[i][j] = v
		}
	}
	for i := it.lenX - 1; i >= 0; i-- {
		for j := it.lenY - 1; j >= 0; j-- {
			if !it.valid(i, j) {
				continue
			}
			v := zero
			if it.ends(mode, i, j) {
				v = one
			}
			if it.valid(i, j+1) {
				v = s.Plus(v, s.Times(th(i, j+1, FromLeft), beta[i][j+1]))
			}
			if it.valid(i+1, j+1) {
				v = s.Plus(v, s.Times(th(i+1, j+1, FromDiag), beta[i+1][j+1]))
			}
			if it.valid(i+1, j) {
				v = s.Plus(v, s.Times(th(i+1, j, FromAbove), beta[i+1][j]))
			}
			beta[i][j] = v
		}
	}
	z := zero
	for i := range it.lenX {
		for j := range it.lenY {
			if it.valid(i, j) && it.ends(mode, i, j) {
				z = s.Plus(z, alpha[i][j])
			}
		}
	}
	marg := make([][][3]float64, n)
	for i := range marg {
		marg[i] = make([][3]float64, mm)
	}
	// weight is ∂ log Z/∂θ for one use of θ[i][j][c] after prefix value a.
	weight := func(a float64, i, j, c int) float64 {
		if s == Real {
			return a * beta[i][j]
		}
		v := a + th(i, j, c) + beta[i][j] - z
		if math.IsInf(a, -1) || math.IsInf(beta[i][j], -1) {
			return 0
		}
		return math.Exp(v)
	}
	for i := range it.lenX {
		for j := range it.lenY {
			if !it.valid(i, j) {
				continue
			}
			if it.starts(mode, i, j) {
				marg[i][j][FromDiag] += weight(one, i, j, FromDiag)
			}
			if it.valid(i, j-1) {
				marg[i][j][FromLeft] += weight(alpha[i][j-1], i, j, FromLeft)
			}
			if it.valid(i-1, j-1) {
				marg[i][j][FromDiag] += weight(alpha[i-1][j-1], i, j, FromDiag)
			}
			if it.valid(i-1, j) {
				marg[i][j][FromAbove] += weight(alpha[i-1][j], i, j, FromAbove)
			}
		}
	}
	return z, marg
}

// dpLogMarginals is the plain forward–backward DP of global Log alignment
// over a flat θ (batch, n, mm, 3) in T: the benchmarks' denominator. It
// writes the marginals into marg and returns log Z per item.
func dpLogMarginals[T float32 | float64](theta, marg []T, batch, n, mm int, alpha, beta []T) []T {
	ninf := T(math.Inf(-1))
	lse3 := func(a, b, c T) T {
		m := max(a, b, c)
		if math.IsInf(float64(m), -1) {
			return m
		}
		return m + T(math.Log(math.Exp(float64(a-m))+math.Exp(float64(b-m))+math.Exp(float64(c-m))))
	}
	z := make([]T, batch)
	w := mm + 1
	for b := range batch {
		th := theta[b*n*mm*3 : (b+1)*n*mm*3]
		mg := marg[b*n*mm*3 : (b+1)*n*mm*3]
		// α and β have a border row and column of −Inf at index 0.
		for x := range alpha {
			alpha[x], beta[x] = ninf, ninf
		}
		for i := 1; i <= n; i++ {
			for j := 1; j <= mm; j++ {
				t := th[((i-1)*mm+j-1)*3:]
				if i == 1 && j == 1 {
					alpha[i*w+j] = t[FromDiag]
					continue
				}
				alpha[i*w+j] = lse3(alpha[i*w+j-1]+t[FromLeft], alpha[(i-1)*w+j-1]+t[FromDiag], alpha[(i-1)*w+j]+t[FromAbove])
			}
		}
		// β is stored shifted: β(i, j) at (i, j) with a border at n+1, mm+1
		// folded into the same slice by reading −Inf past the edges.
		bt := func(i, j int) T {
			if i > n || j > mm {
				return ninf
			}
			return beta[(i-1)*w+j-1]
		}
		for i := n; i >= 1; i-- {
			for j := mm; j >= 1; j-- {
				if i == n && j == mm {
					beta[(i-1)*w+j-1] = 0
					continue
				}
				var d, md, u T = ninf, ninf, ninf
				if j < mm {
					d = th[((i-1)*mm+j)*3+FromLeft] + bt(i, j+1)
				}
				if i < n && j < mm {
					md = th[(i*mm+j)*3+FromDiag] + bt(i+1, j+1)
				}
				if i < n {
					u = th[(i*mm+j-1)*3+FromAbove] + bt(i+1, j)
				}
				beta[(i-1)*w+j-1] = lse3(d, md, u)
			}
		}
		lz := alpha[n*w+mm]
		z[b] = lz
		for i := 1; i <= n; i++ {
			for j := 1; j <= mm; j++ {
				t := th[((i-1)*mm+j-1)*3:]
				g := mg[((i-1)*mm+j-1)*3:]
				be := bt(i, j) - lz
				g[FromLeft] = T(math.Exp(float64(alpha[i*w+j-1] + t[FromLeft] + be)))
				g[FromAbove] = T(math.Exp(float64(alpha[(i-1)*w+j] + t[FromAbove] + be)))
				if i == 1 && j == 1 {
					g[FromDiag] = T(math.Exp(float64(t[FromDiag] + be)))
				} else {
					g[FromDiag] = T(math.Exp(float64(alpha[(i-1)*w+j-1] + t[FromDiag] + be)))
				}
			}
		}
	}
	return z
}
