package lattice

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genband/genband/bandop"
	"github.com/genband/genband/internal/fastexp"
)

// A poison says which potentials of a LogForward test hold what.
type poison int

const (
	clean      poison = iota // normal values everywhere a path may read
	negInf                   // about a third of the potentials −Inf
	unusedBad                // NaN and +Inf wherever no option reads, −Inf in a third of the rest
	usedNaN                  // one NaN where an option reads
	usedPosInf               // one +Inf where an option reads
)

func (p poison) String() string {
	return [...]string{"clean", "−Inf", "unused NaN/+Inf", "used NaN", "used +Inf"}[p]
}

// poisonTheta fills th for l's item under pattern p; the grid is wider and
// taller than the item, and what lies past the lengths or outside the band
// is NaN or +Inf.
func poisonTheta[T Float](r *rand.Rand, l *Lattice, th Theta[T], n int, p poison) {
	top := l.Top
	var used [][3]int
	for i := range n {
		for j := range th.Width {
			for c := range top.Channels {
				v := r.NormFloat64() * 2
				u := l.Used(i, j, c)
				switch {
				case !u && p != clean && p != negInf:
					v = math.NaN()
					if r.IntN(2) == 0 {
						v = math.Inf(1)
					}
				case (p != clean) && r.IntN(3) == 0:
					v = math.Inf(-1)
				}
				if u {
					used = append(used, [3]int{i, j, c})
				}
				th.D[(i*th.Width+j)*th.Channels+c] = T(v)
			}
		}
	}
	if (p == usedNaN || p == usedPosInf) && len(used) > 0 {
		u := used[r.IntN(len(used))]
		v := math.NaN()
		if p == usedPosInf {
			v = math.Inf(1)
		}
		th.D[(u[0]*th.Width+u[1])*th.Channels+u[2]] = T(v)
	}
}

// sameValue reports whether got is want within ulps units of the last
// place of max(1, |want|), NaN for NaN and ±Inf for ±Inf.
func sameValue(got, want float64, ulps float64) bool {
	if math.IsNaN(want) || math.IsNaN(got) {
		return math.IsNaN(want) && math.IsNaN(got)
	}
	if math.IsInf(want, 0) || math.IsInf(got, 0) {
		return got == want
	}
	return math.Abs(got-want) <= ulps*0x1p-52*max(1, math.Abs(want))
}

// TestLogForward checks LogForward against Forward (Log) for every
// topology, mode and band, ragged lengths in a larger grid, both dtypes
// and every poison pattern: every state's value, log Z and the sampling
// tables, which must give every option its probability under Forward's
// values and put the sentinel 2 where the later options weigh nothing.
func TestLogForward(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var w LogWork // shared by every case, as a batch's items share it
	for _, top := range []*Topology{Linear, Affine(false), Affine(true)} {
		for _, mode := range []Mode{Global, Local, SemiGlobal} {
			for _, gap := range []int{-1, 0, 1, 3} {
				for _, lens := range [][2]int{{1, 1}, {1, 6}, {6, 1}, {2, 3}, {5, 5}, {7, 12}, {13, 9}, {17, 17}} {
					for _, p := range []poison{clean, negInf, unusedBad, usedNaN, usedPosInf} {
						for _, f32 := range []bool{false, true} {
							name := fmt.Sprintf("%s %v gap %d %d×%d %v f32 %v", top.Name, mode, gap, lens[0], lens[1], p, f32)
							l := &Lattice{Item: NewItem(mode, lens[0], lens[1], gap >= 0, max(gap, 0)), Top: top}
							n, m := lens[0]+2, lens[1]+3
							if f32 {
								th := Theta[float32]{D: make([]float32, n*m*top.Channels), Width: m, Channels: top.Channels}
								poisonTheta(r, l, th, n, p)
								checkLogForward(t, name, &w, l, th)
							} else {
								th := Theta[float64]{D: make([]float64, n*m*top.Channels), Width: m, Channels: top.Channels}
								poisonTheta(r, l, th, n, p)
								checkLogForward(t, name, &w, l, th)
							}
						}
					}
				}
			}
		}
	}
}

func checkLogForward[T Float](t *testing.T, name string, w *LogWork, l *Lattice, th Theta[T]) {
	t.Helper()
	want := make([]float64, l.Size())
	Forward(l, bandop.Log, th, want)
	wantZ := Total(l, bandop.Log, want)
	width := l.Top.CumWidth()
	got := make([]float64, l.Size())
	cum := make([]float64, l.Size()*width)
	for k := range got {
		got[k] = 12345 // LogForward writes every state
	}
	gotZ := LogForward(w, l, th, got, cum)
	if !sameValue(gotZ, wantZ, 16) {
		t.Fatalf("%s: log Z %v, Forward's %v", name, gotZ, wantZ)
	}
	// Without a or the tables (LSE3 where a state has three options or
	// fewer), log Z alone.
	if z := LogForward(w, l, th, nil, nil); !sameValue(z, wantZ, 16) {
		t.Fatalf("%s: log Z %v alone, Forward's %v", name, z, wantZ)
	}
	terms := make([]float64, l.Top.MaxOptions())
	for s, in := range l.Top.In {
		for i := range l.LenX {
			for j := range l.LenY {
				v := l.Index(s, i, j)
				if !sameValue(got[v], want[v], 16) {
					t.Fatalf("%s: state %d of (%d, %d) is %v, Forward's %v", name, s, i, j, got[v], want[v])
				}
				if !l.Valid(i, j) {
					continue
				}
				tab := cum[l.CumIndex(s, i, j):][:width]
				if math.IsInf(want[v], 0) || math.IsNaN(want[v]) {
					for _, c := range tab {
						if c != 2 {
							t.Fatalf("%s: state %d of (%d, %d), value %v, has table %v, want all 2", name, s, i, j, want[v], tab)
						}
					}
					continue
				}
				var total float64
				for o := range in {
					terms[o] = fastexp.Exp64(Term(l, bandop.Log, th, want, s, o, i, j) - want[v])
					total += terms[o]
				}
				var acc float64
				for o := range width {
					if o < len(in) {
						acc += terms[o]
					}
					// 2 where the later options weigh nothing (to
					// rounding), the cumulative probability elsewhere.
					rest := total - acc
					if tab[o] == 2 {
						if rest > 1e-14*total {
							t.Fatalf("%s: state %d of (%d, %d): table %v has 2 at %d, but the options after it weigh %v of %v", name, s, i, j, tab, o, rest, total)
						}
						continue
					}
					if rest <= 0 || math.Abs(tab[o]-acc/total) > 1e-12 {
						t.Fatalf("%s: state %d of (%d, %d): table %v, option %d's cumulative probability %v (%v after it)", name, s, i, j, tab, o, acc/total, rest)
					}
				}
			}
		}
	}
}

// TestLogForwardAllocs: with its scratch grown, LogForward allocates
// nothing.
func TestLogForwardAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	l := &Lattice{Item: NewItem(Local, 40, 30, true, 5), Top: Affine(false)}
	th := randTheta(r, 40, 30, l.Top.Channels)
	a := make([]float64, l.Size())
	cum := make([]float64, l.Size()*l.Top.CumWidth())
	var w LogWork
	LogForward(&w, l, th, a, cum)
	if n := testing.AllocsPerRun(10, func() { LogForward(&w, l, th, a, cum) }); n != 0 {
		t.Errorf("%v allocations a call, want 0", n)
	}
}
