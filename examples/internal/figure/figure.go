// Package figure draws the examples' pictures of alignment marginals: grids
// of per-cell probabilities on a log10 colour scale, with paths drawn on
// top, rows i running down and columns j across, as the grid of potentials
// θ[b, i, j, ·] is printed.
package figure

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// A Grid is a rows×cols matrix of probabilities: At(i, j) for row i
// (the first sequence's position) and column j (the second's).
type Grid struct {
	Rows, Cols int
	At         func(i, j int) float64
}

// A Path is a line through the centres of the given cells (each {i, j}),
// drawn over a grid, or a ring on each of them.
type Path struct {
	Label  string // what it is and how it is drawn, e.g. "green: Viterbi path"; added to the panel's title
	Cells  [][2]int
	Colour color.Color
	Rings  bool // a ring on each cell instead of a line: a line drawn over a ring path shows through where both agree
}

// A Panel is one grid and the paths drawn on it.
type Panel struct {
	Title string
	Grid  Grid
	Paths []Path
	// XLabel and YLabel name the columns and rows; empty, they are an
	// alignment's (j: position in y, i: position in x).
	XLabel, YLabel string
}

// Floor is the smallest probability the colour scale tells apart: smaller
// ones, exact zeros included, take the colour of Floor.
const Floor = 1e-6

// Log10 is the colour-scale coordinate of p: log10 p clipped to
// [log10 Floor, 0].
func Log10(p float64) float64 {
	lo := math.Log10(Floor)
	if !(p > Floor) { // NaN and p ≤ Floor
		return lo
	}
	return math.Min(0, math.Log10(p))
}

// colourMap runs from black (Floor) through purple and red to white (1),
// so that brightness alone orders the probabilities, in print too.
func colourMap() palette.ColorMap {
	c := moreland.ExtendedBlackBody()
	c.SetMin(math.Log10(Floor))
	c.SetMax(0)
	return c
}

// PathColour and GoldColour are the colours for paths: neither is in the
// colour map, so a path never reads as a probability.
var (
	PathColour = color.RGBA{R: 0x00, G: 0xe6, B: 0x76, A: 0xff} // green
	GoldColour = color.RGBA{R: 0x29, G: 0xb6, B: 0xf6, A: 0xff} // light blue
)

// Write draws the panels side by side, sharing one colour bar on the right,
// and writes them to path as a PNG. Each panel is size wide and tall (plus
// room for the bar).
func Write(path string, size vg.Length, panels ...Panel) error {
	if len(panels) == 0 {
		return errors.New("figure.Write: no panels")
	}
	cmap := colourMap()
	row := make([]*plot.Plot, len(panels))
	for k, pn := range panels {
		p, err := heatmap(pn, cmap)
		if err != nil {
			return fmt.Errorf("figure.Write: panel %q: %w", pn.Title, err)
		}
		row[k] = p
	}
	const barWidth = 2.6 * vg.Centimeter
	width := size*vg.Length(len(panels)) + barWidth
	img := vgimg.New(width, size)
	dc := draw.New(img)
	left := draw.Crop(dc, 0, -barWidth, 0, 0)
	tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: 6 * vg.Millimeter,
		PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 2 * vg.Millimeter}
	canvases := plot.Align([][]*plot.Plot{row}, tiles, left)
	for k, p := range row {
		p.Draw(canvases[0][k])
	}
	// The bar spans the height of the panels' plotting areas, roughly: the
	// panels' titles and tick labels take about this much above and below.
	bar := colourBar(cmap)
	bar.Draw(draw.Crop(dc, width-barWidth, 0, 1.2*vg.Centimeter, -1.0*vg.Centimeter))
	return SavePNG(path, img)
}

// SavePNG writes img to path as a PNG file.
func SavePNG(path string, img *vgimg.Canvas) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// heatmap draws one panel: cell (i, j) is the unit square centred at
// (j, −i), so that i grows downwards, and its ticks are labelled by |value|.
func heatmap(pn Panel, cmap palette.ColorMap) (*plot.Plot, error) {
	g := pn.Grid
	if g.Rows < 1 || g.Cols < 1 {
		return nil, fmt.Errorf("grid %d×%d", g.Rows, g.Cols)
	}
	p := plot.New()
	p.Title.Text = pn.Title
	p.X.Label.Text, p.Y.Label.Text = pn.XLabel, pn.YLabel
	if p.X.Label.Text == "" {
		p.X.Label.Text = "j (column: position in y)"
	}
	if p.Y.Label.Text == "" {
		p.Y.Label.Text = "i (row: position in x)"
	}
	p.X.Tick.Marker = indexTicks{}
	p.Y.Tick.Marker = indexTicks{}
	// A little room between the axes and the grid keeps a path along its
	// first row or column clear of the axis lines.
	p.X.Padding, p.Y.Padding = vg.Points(4), vg.Points(4)
	im, err := raster(g, cmap)
	if err != nil {
		return nil, err
	}
	p.Add(plotter.NewImage(im, -0.5, -float64(g.Rows)+0.5, float64(g.Cols)-0.5, 0.5))
	var labels []string
	for _, path := range pn.Paths {
		if len(path.Cells) == 0 {
			continue
		}
		pts := make(plotter.XYs, len(path.Cells))
		for k, c := range path.Cells {
			pts[k] = plotter.XY{X: float64(c[1]), Y: -float64(c[0])}
		}
		if path.Rings {
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: path.Colour, Radius: vg.Points(4), Shape: ring{}}
			p.Add(sc)
		} else {
			l, err := plotter.NewLine(pts)
			if err != nil {
				return nil, err
			}
			l.Color = path.Colour
			l.Width = vg.Points(2)
			p.Add(l)
		}
		// A legend inside the plot would hide cells, so the title says
		// which line is which.
		if path.Label != "" {
			labels = append(labels, path.Label)
		}
	}
	if len(labels) > 0 {
		p.Title.Text += "\n" + strings.Join(labels, "; ")
	}
	return p, nil
}

// raster renders g as an image, each cell a block of k×k pixels with
// k chosen so that the image is at least 600 pixels across: the renderer
// scales images bilinearly, which would blur single-pixel cells into
// their neighbours.
func raster(g Grid, cmap palette.ColorMap) (image.Image, error) {
	k := max(1, (600+max(g.Rows, g.Cols)-1)/max(g.Rows, g.Cols))
	im := image.NewRGBA(image.Rect(0, 0, g.Cols*k, g.Rows*k))
	for i := range g.Rows {
		for j := range g.Cols {
			c, err := cmap.At(Log10(g.At(i, j)))
			if err != nil {
				return nil, err
			}
			for y := i * k; y < (i+1)*k; y++ {
				for x := j * k; x < (j+1)*k; x++ {
					im.Set(x, y, c)
				}
			}
		}
	}
	return im, nil
}

// colourBar is a vertical bar of the colour map labelled by probability.
func colourBar(cmap palette.ColorMap) *plot.Plot {
	p := plot.New()
	p.Title.Text = "probability"
	p.Title.TextStyle.Font.Size = vg.Points(10)
	p.HideX()
	p.Y.Padding = 0
	p.Y.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		var ts []plot.Tick
		for v := math.Ceil(lo); v <= hi; v++ {
			label := fmt.Sprintf("1e%d", int(v))
			switch {
			case v == 0:
				label = "1"
			case v == math.Log10(Floor):
				label = fmt.Sprintf("≤ 1e%d", int(v))
			}
			ts = append(ts, plot.Tick{Value: v, Label: label})
		}
		return ts
	})
	p.Add(&plotter.ColorBar{ColorMap: cmap, Vertical: true})
	return p
}

// indexTicks labels a panel's axis by |value|, the index i (drawn at −i)
// or j, at steps of 1, 2, 5, 10, 20, 50, … chosen for about six labels,
// and marks each whole index between them when there are few.
type indexTicks struct{}

func (indexTicks) Ticks(lo, hi float64) []plot.Tick {
	first, last := math.Ceil(lo), math.Floor(hi)
	span := last - first
	step := 1.0
	for _, s := range []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000} {
		step = s
		if span/s <= 7 {
			break
		}
	}
	var ts []plot.Tick
	for v := first; v <= last; v++ {
		if math.Mod(v, step) == 0 {
			ts = append(ts, plot.Tick{Value: v, Label: fmt.Sprint(math.Abs(v))})
		} else if span <= 60 {
			ts = append(ts, plot.Tick{Value: v})
		}
	}
	return ts
}

// ring is a circle outline thicker than draw.CircleGlyph's, to show over
// bright cells.
type ring struct{}

func (ring) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	var p vg.Path
	p.Move(vg.Point{X: pt.X + sty.Radius, Y: pt.Y})
	p.Arc(pt, sty.Radius, 0, 2*math.Pi)
	p.Close()
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: vg.Points(1.6)})
	c.Stroke(p)
}
