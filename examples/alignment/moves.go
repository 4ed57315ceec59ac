package main

import (
	"image/color"
	"math"

	"github.com/genband/genband/align"
	"github.com/genband/genband/examples/internal/figure"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// A move is one channel of θ's last dimension as drawn in moves.png.
type move struct {
	channel int
	name    string // the constant's name in package align
	from    string // the neighbour it comes from
	di, dj  int    // the neighbour's offset from (i, j)
	note    string
}

var moves = []move{
	{align.FromLeft, "align.FromLeft", "(i, j−1), the left", 0, -1, "a gap in x: y[j] is unmatched"},
	{align.FromDiag, "align.FromDiag", "(i−1, j−1), the diagonal", -1, -1, "x[i] aligned with y[j]; also a path's first cell"},
	{align.FromAbove, "align.FromAbove", "(i−1, j), above", -1, 0, "a gap in y: x[i] is unmatched"},
}

// drawMoves writes moves.png: for each channel c, the 2×2 block of cells
// ending at (i, j) (i down, j across, as in marginals.png) with an arrow
// from the neighbour that a move of channel c leaves into (i, j).
func drawMoves(path string) error {
	const panelW, height = 8 * vg.Centimeter, 9 * vg.Centimeter
	img := vgimg.New(panelW*vg.Length(len(moves)), height)
	dc := draw.New(img)
	for k, mv := range moves {
		drawMove(draw.Crop(dc, panelW*vg.Length(k), panelW*vg.Length(k+1-len(moves)), 0, 0), mv)
	}
	return figure.SavePNG(path, img)
}

var (
	cellFill   = color.RGBA{R: 0xee, G: 0xee, B: 0xee, A: 0xff}
	targetFill = color.RGBA{R: 0xff, G: 0xd5, B: 0x80, A: 0xff} // (i, j)
	sourceFill = color.RGBA{R: 0xb9, G: 0xe6, B: 0xc9, A: 0xff} // where the move comes from
	arrowClr   = color.RGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff}
)

func textStyle(size vg.Length, clr color.Color) draw.TextStyle {
	return draw.TextStyle{
		Color:   clr,
		Font:    font.From(plot.DefaultFont, size),
		Handler: plot.DefaultTextHandler,
		XAlign:  draw.XCenter,
		YAlign:  draw.YCenter,
	}
}

func drawMove(c draw.Canvas, mv move) {
	const cell = 2.4 * vg.Centimeter
	midX := (c.Min.X + c.Max.X) / 2
	title := textStyle(vg.Points(14), color.Black)
	small := textStyle(vg.Points(10), color.Black)
	c.FillText(title, vg.Point{X: midX, Y: c.Max.Y - 0.6*vg.Centimeter}, mv.name+"  (channel "+string(rune('0'+mv.channel))+")")
	c.FillText(small, vg.Point{X: midX, Y: c.Max.Y - 1.25*vg.Centimeter}, "enters (i, j) from "+mv.from)

	// The block's top-left corner; row r (0: i−1, 1: i) runs down, column
	// q (0: j−1, 1: j) across.
	x0 := midX - cell
	y0 := c.Max.Y - 1.9*vg.Centimeter
	corner := func(r, q int) (vg.Length, vg.Length) { return x0 + vg.Length(q)*cell, y0 - vg.Length(r)*cell }
	centre := func(r, q int) vg.Point {
		x, y := corner(r, q)
		return vg.Point{X: x + cell/2, Y: y - cell/2}
	}
	labels := [2][2]string{{"(i−1, j−1)", "(i−1, j)"}, {"(i, j−1)", "(i, j)"}}
	edge := draw.LineStyle{Color: color.Gray{Y: 0x80}, Width: vg.Points(1)}
	for r := range 2 {
		for q := range 2 {
			fill := cellFill
			switch {
			case r == 1 && q == 1:
				fill = targetFill
			case r-1 == mv.di && q-1 == mv.dj:
				fill = sourceFill
			}
			x, y := corner(r, q)
			box := []vg.Point{{X: x, Y: y}, {X: x + cell, Y: y}, {X: x + cell, Y: y - cell}, {X: x, Y: y - cell}}
			c.FillPolygon(fill, box)
			c.StrokeLines(edge, append(box, box[0]))
			// Labels sit at the top of the upper row and the bottom of the
			// lower one, clear of every arrow, which runs between centres.
			at := 0.2 * cell
			if r == 1 {
				at = 0.8 * cell
			}
			c.FillText(small, vg.Point{X: x + cell/2, Y: y - at}, labels[r][q])
		}
	}
	// Axis hints: i grows down the rows, j across the columns.
	hint := textStyle(vg.Points(10), color.Gray{Y: 0x50})
	xl, yt := corner(0, 0)
	_, yb := corner(2, 0)
	c.StrokeLines(edge, []vg.Point{{X: xl - 0.45*vg.Centimeter, Y: yt}, {X: xl - 0.45*vg.Centimeter, Y: yb}})
	arrowHead(c, vg.Point{X: xl - 0.45*vg.Centimeter, Y: yb}, -math.Pi/2, edge.Color, 0.25*vg.Centimeter)
	c.FillText(hint, vg.Point{X: xl - 0.8*vg.Centimeter, Y: (yt + yb) / 2}, "i")
	xr, _ := corner(0, 2)
	c.StrokeLines(edge, []vg.Point{{X: xl, Y: yb - 0.45*vg.Centimeter}, {X: xr, Y: yb - 0.45*vg.Centimeter}})
	arrowHead(c, vg.Point{X: xr, Y: yb - 0.45*vg.Centimeter}, 0, edge.Color, 0.25*vg.Centimeter)
	c.FillText(hint, vg.Point{X: (xl + xr) / 2, Y: yb - 0.8*vg.Centimeter}, "j")

	// The move: from the source's centre to just short of (i, j)'s.
	from, to := centre(1+mv.di, 1+mv.dj), centre(1, 1)
	dx, dy := float64(to.X-from.X), float64(to.Y-from.Y)
	d := math.Hypot(dx, dy)
	stop := 0.22 * cell
	tip := vg.Point{X: to.X - vg.Length(dx/d)*stop, Y: to.Y - vg.Length(dy/d)*stop}
	c.StrokeLines(draw.LineStyle{Color: arrowClr, Width: vg.Points(3)}, []vg.Point{from, tip})
	c.FillPolygon(arrowClr, disc(from, vg.Points(4)))
	arrowHead(c, tip, math.Atan2(dy, dx), arrowClr, 0.45*vg.Centimeter)

	c.FillText(small, vg.Point{X: midX, Y: c.Min.Y + 0.6*vg.Centimeter}, mv.note)
}

// arrowHead fills a triangle with its tip at tip, pointing at angle a.
func arrowHead(c draw.Canvas, tip vg.Point, a float64, clr color.Color, size vg.Length) {
	pt := func(r vg.Length, t float64) vg.Point {
		return vg.Point{X: tip.X + r*vg.Length(math.Cos(t)), Y: tip.Y + r*vg.Length(math.Sin(t))}
	}
	c.FillPolygon(clr, []vg.Point{tip, pt(size, a+math.Pi-0.4), pt(size, a+math.Pi+0.4)})
}

// disc is a circle of radius r around p as a polygon.
func disc(p vg.Point, r vg.Length) []vg.Point {
	pts := make([]vg.Point, 24)
	for k := range pts {
		t := 2 * math.Pi * float64(k) / float64(len(pts))
		pts[k] = vg.Point{X: p.X + r*vg.Length(math.Cos(t)), Y: p.Y + r*vg.Length(math.Sin(t))}
	}
	return pts
}
