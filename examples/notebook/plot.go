package main

import (
	"fmt"
	"image/color"
	"math"

	"github.com/genband/genband/bandop"
	"github.com/genband/genband/examples/internal/figure"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The colour scale is the same in every picture so that pictures can be
// compared with each other: values are clipped to [scaleMin, scaleMax].
const scaleMin, scaleMax = 0.0, 1.0

// padding is the colour of band slots that lie outside the matrix. It is not
// a colour of the palette, so padding cannot be mistaken for a value.
var padding = color.RGBA{R: 0xa8, G: 0xd8, B: 0xa8, A: 0xff}

// grid presents rows×cols values as a plotter.GridXYZ with column c at
// abscissa c and row r at height rows−1−r, so that row 0 is at the top, as a
// matrix is printed.
type grid struct {
	rows, cols int
	at         func(r, c int) float64
}

func (g grid) Dims() (c, r int) { return g.cols, g.rows }
func (g grid) X(c int) float64  { return float64(c) }
func (g grid) Y(r int) float64  { return float64(g.rows - 1 - r) }
func (g grid) Z(c, r int) float64 {
	v := g.at(r, c)
	if math.IsNaN(v) {
		return v
	}
	return math.Max(scaleMin, math.Min(scaleMax, v))
}

// writePicture writes a PNG with matrix 0 of m as a dense heat map on the
// left and its band storage (rows n, columns Lower+Upper+1) on the right,
// above a colour bar.
func writePicture(path, title string, m *bandop.Banded) error {
	n, w := m.N(), m.Width()
	d, err := m.ToDense()
	if err != nil {
		return err
	}
	dense := d.Data().([]float64)
	band := m.Data().Data().([]float64)
	left := heatmap(fmt.Sprintf("%s: dense %d×%d", title, n, n), "column j", "row i",
		grid{rows: n, cols: n, at: func(i, j int) float64 { return dense[i*n+j] }})
	right := heatmap(fmt.Sprintf("band storage, lower %d, upper %d", m.Lower(), m.Upper()), "slot k (column j = i+k−lower)", "row i",
		grid{rows: n, cols: w, at: func(i, k int) float64 {
			if j := i + k - m.Lower(); j < 0 || j >= n {
				return math.NaN() // drawn in the padding colour
			}
			return band[i*w+k]
		}})
	bar := plot.New()
	bar.Title.Text = fmt.Sprintf("colour scale %g..%g (values above %g drawn as %g); padding slots pale green", scaleMin, scaleMax, scaleMax, scaleMax)
	bar.HideY()
	bar.X.Padding = 0
	cmap := colourMap()
	bar.Add(&plotter.ColorBar{ColorMap: cmap})

	const width, height, barHeight = 26 * vg.Centimeter, 13 * vg.Centimeter, 2 * vg.Centimeter
	img := vgimg.New(width, height)
	dc := draw.New(img)
	top := draw.Crop(dc, 0, 0, barHeight, 0)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Centimeter, PadTop: vg.Millimeter, PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: vg.Millimeter}
	panels := [][]*plot.Plot{{left, right}}
	canvases := plot.Align(panels, tiles, top)
	left.Draw(canvases[0][0])
	right.Draw(canvases[0][1])
	bar.Draw(draw.Crop(dc, 2*vg.Centimeter, -2*vg.Centimeter, 0, barHeight-height))

	return figure.SavePNG(path, img)
}

func colourMap() palette.ColorMap {
	c := moreland.ExtendedBlackBody()
	c.SetMin(scaleMin)
	c.SetMax(scaleMax)
	return c
}

// heatmap returns a plot of g with row 0 at the top and one cell per value.
func heatmap(title, xLabel, yLabel string, g grid) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.X.Tick.Marker = plot.TickerFunc(func(min, max float64) []plot.Tick { return integerTicks(min, max, 0) })
	p.Y.Tick.Marker = plot.TickerFunc(func(min, max float64) []plot.Tick { return integerTicks(min, max, g.rows-1) })
	h := plotter.NewHeatMap(g, colourMap().Palette(256))
	h.Min, h.Max = scaleMin, scaleMax
	h.NaN = padding
	p.Add(h)
	return p
}

// integerTicks marks every integer v in [lo, hi] and labels every fifth
// (every one on a short axis) by |v − origin|, the row or column index.
func integerTicks(lo, hi float64, origin int) []plot.Tick {
	step := 5
	if hi-lo <= 10 {
		step = 1
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo); v <= hi; v++ {
		t := plot.Tick{Value: v}
		if idx := int(v) - origin; idx%step == 0 {
			t.Label = fmt.Sprint(max(idx, -idx))
		}
		ticks = append(ticks, t)
	}
	return ticks
}
