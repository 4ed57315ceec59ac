package lattice

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/genband/genband/bandop"
	"github.com/genband/genband/internal/fastexp"
)

// BenchmarkLogForward times LogForward (with the sampling tables, as
// Sample runs it, and without, as LogProbs does) on one Local item with
// normal potentials, and in the same loop its peers on the same input:
// Forward (Log), the reference, and for the linear model the cell-by-cell
// pass LogProbs and Sample ran before (scalarLogForward). Each iteration
// runs each once; ×Forward and ×cells are the ratios of the medians, peer
// over LogForward, so above 1 is a speed-up.
//
//	go test -run '^$' -bench LogForward -benchtime 10x ./align/internal/lattice
func BenchmarkLogForward(b *testing.B) {
	for _, top := range []*Topology{Linear, Affine(false)} {
		for _, size := range []int{200, 512} {
			for _, f32 := range []bool{false, true} {
				for _, tables := range []bool{false, true} {
					dt := "float64"
					if f32 {
						dt = "float32"
					}
					name := fmt.Sprintf("%s/%d/%s/tables=%v", top.Name, size, dt, tables)
					b.Run(name, func(b *testing.B) {
						l := &Lattice{Item: NewItem(Local, size, size, false, 0), Top: top}
						th64 := randTheta(rand.New(rand.NewPCG(1, 2)), size, size, top.Channels)
						if f32 {
							th := Theta[float32]{D: make([]float32, len(th64.D)), Width: size, Channels: top.Channels}
							for k, v := range th64.D {
								th.D[k] = float32(v)
							}
							benchLogForward(b, l, th, tables)
						} else {
							benchLogForward(b, l, th64, tables)
						}
					})
				}
			}
		}
	}
}

func benchLogForward[T Float](b *testing.B, l *Lattice, th Theta[T], tables bool) {
	a := make([]float64, l.Size())
	var cum []float64
	if tables {
		cum = make([]float64, l.Size()*l.Top.CumWidth())
	}
	var w LogWork
	peers := map[string]func(){
		"Forward": func() { Forward(l, bandop.Log, th, a) },
	}
	if l.Top == Linear {
		peers["cells"] = func() { scalarLogForward(l, th, a, cum) }
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range peers {
			if !yield(k) {
				return
			}
		}
	})
	subject := func() { LogForward(&w, l, th, a, cum) }
	subject()
	times := map[string][]time.Duration{}
	var own []time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		subject()
		own = append(own, time.Since(t0))
		b.StopTimer()
		for _, k := range names {
			t0 := time.Now()
			peers[k]()
			times[k] = append(times[k], time.Since(t0))
		}
		b.StartTimer()
	}
	b.StopTimer()
	mo := medianTime(own)
	for _, k := range names {
		b.ReportMetric(float64(medianTime(times[k]))/float64(mo), "×"+k)
	}
}

func medianTime(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// scalarLogForward is the linear model's Log forward pass as package
// align ran it before LogForward: cell by cell in row-major order, one
// scalar exp per option, the sampling tables from the same weights. It is
// BenchmarkLogForward's peer, nothing else.
func scalarLogForward[T Float](l *Lattice, th Theta[T], alpha, cum []float64) float64 {
	ninf := math.Inf(-1)
	for k := range alpha {
		alpha[k] = ninf
	}
	ly := l.LenY
	var w, e [4]float64
	for i := range l.LenX {
		jlo, jhi := l.Cols(i)
		for j := jlo; j <= jhi; j++ {
			v := i*ly + j
			t := th.D[(i*th.Width+j)*3:][:3]
			w = [4]float64{ninf, ninf, ninf, ninf}
			if j > jlo {
				w[0] = alpha[v-1] + float64(t[LinLeft])
			}
			if l.Start(i, j) {
				w[1] = float64(t[LinDiag])
			}
			if i > 0 && j > 0 {
				w[2] = alpha[v-ly-1] + float64(t[LinDiag])
			}
			if i > 0 && j-i < l.Hi {
				w[3] = alpha[v-ly] + float64(t[LinAbove])
			}
			m := max(w[0], w[1], w[2], w[3])
			if m == ninf {
				continue
			}
			var s float64
			for o := range 4 {
				e[o] = 0
				if w[o] != ninf {
					e[o] = fastexp.Exp64(w[o] - m)
				}
				s += e[o]
			}
			alpha[v] = m + math.Log(s)
			if cum != nil {
				c := cum[3*v : 3*v+3]
				last := 0
				for o := range 4 {
					if e[o] > 0 {
						last = o
					}
				}
				var acc float64
				for o := range 3 {
					acc += e[o]
					c[o] = acc / s
					if o >= last {
						c[o] = 2
					}
				}
			}
		}
	}
	return Total(l, bandop.Log, alpha)
}
