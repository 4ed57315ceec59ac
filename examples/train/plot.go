package main

import (
	"image/color"
	"math"
	"strconv"

	"github.com/genband/genband/examples/internal/figure"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

var (
	trainColour   = color.RGBA{R: 0x90, G: 0x90, B: 0x90, A: 0xff}
	heldColour    = color.RGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff}
	entropyColour = color.RGBA{R: 0x15, G: 0x65, B: 0xc0, A: 0xff}
)

// plotCurves writes the loss of every training batch and of the held-out
// batch and the entropy of the held-out path distributions (left, log
// scale), and the held-out Viterbi F1 (right), against the step.
func plotCurves(path string, rep *Report) error {
	lossPlot := plot.New()
	lossPlot.Title.Text = "loss −log P(gold path) and entropy of P(path)"
	lossPlot.X.Label.Text = "step"
	lossPlot.Y.Label.Text = "nats per pair (log scale)"
	lossPlot.Y.Scale = plot.LogScale{}
	lossPlot.Y.Tick.Marker = plot.TickerFunc(logTicks1235)
	train := make(plotter.XYs, len(rep.TrainLoss))
	for s, l := range rep.TrainLoss {
		train[s] = plotter.XY{X: float64(s), Y: l}
	}
	held := make(plotter.XYs, len(rep.Steps))
	entropy := make(plotter.XYs, len(rep.Steps))
	f1 := make(plotter.XYs, len(rep.Steps))
	for k, s := range rep.Steps {
		held[k] = plotter.XY{X: float64(s), Y: rep.HeldLoss[k]}
		entropy[k] = plotter.XY{X: float64(s), Y: rep.HeldH[k]}
		f1[k] = plotter.XY{X: float64(s), Y: rep.HeldF1[k]}
	}
	tl, err := plotter.NewLine(train)
	if err != nil {
		return err
	}
	tl.Color = trainColour
	hl, hp, err := plotter.NewLinePoints(held)
	if err != nil {
		return err
	}
	hl.Color, hp.Color = heldColour, heldColour
	hl.Width = vg.Points(2)
	el, err := plotter.NewLine(entropy)
	if err != nil {
		return err
	}
	el.Color, el.Width = entropyColour, vg.Points(2)
	el.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	lossPlot.Add(plotter.NewGrid(), tl, hl, hp, el)
	lossPlot.Legend.Add("loss, training batch", tl)
	lossPlot.Legend.Add("loss, held-out batch", hl, hp)
	lossPlot.Legend.Add("entropy of P(path), held-out", el)
	lossPlot.Legend.Top = true

	f1Plot := plot.New()
	f1Plot.Title.Text = "held-out Viterbi F1 of the aligned pairs"
	f1Plot.X.Label.Text = "step"
	f1Plot.Y.Label.Text = "F1"
	f1Plot.Y.Min, f1Plot.Y.Max = 0, 1
	fl, fp, err := plotter.NewLinePoints(f1)
	if err != nil {
		return err
	}
	fl.Color, fp.Color = heldColour, heldColour
	fl.Width = vg.Points(2)
	f1Plot.Add(plotter.NewGrid(), fl, fp)

	const w, h = 26 * vg.Centimeter, 11 * vg.Centimeter
	img := vgimg.New(w, h)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Centimeter, PadTop: 2 * vg.Millimeter,
		PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 4 * vg.Millimeter}
	row := []*plot.Plot{lossPlot, f1Plot}
	canvases := plot.Align([][]*plot.Plot{row}, tiles, draw.New(img))
	for k, p := range row {
		p.Draw(canvases[0][k])
	}
	return figure.SavePNG(path, img)
}

// logTicks1235 labels 1, 2, 3 and 5 times each power of ten in [lo, hi]:
// a log axis over less than two decades gets only one or two labels from
// plot.LogTicks.
func logTicks1235(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for p := math.Pow(10, math.Floor(math.Log10(lo))); p <= hi; p *= 10 {
		for _, m := range []float64{1, 2, 3, 5} {
			if v := m * p; v >= lo && v <= hi {
				ts = append(ts, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
			}
		}
	}
	return ts
}
