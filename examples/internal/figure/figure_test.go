package figure

import (
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot/vg"
)

func TestLog10(t *testing.T) {
	tests := []struct{ p, want float64 }{
		{1, 0},
		{0.01, -2},
		{Floor, -6},
		{Floor / 10, -6}, // clipped
		{0, -6},
		{math.NaN(), -6},
		{1 + 1e-12, 0}, // rounding above 1 stays on the scale
	}
	for _, tt := range tests {
		if got := Log10(tt.p); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("Log10(%v) = %v, want %v", tt.p, got, tt.want)
		}
	}
}

// TestRasterRowsDown checks that row i of a grid is row i of the image
// (drawn top down) and column j its column, each cell a block of pixels of
// its probability's colour.
func TestRasterRowsDown(t *testing.T) {
	g := Grid{Rows: 3, Cols: 5, At: func(i, j int) float64 { return math.Pow(10, -float64(i*5+j)/3) }}
	cmap := colourMap()
	im, err := raster(g, cmap)
	if err != nil {
		t.Fatal(err)
	}
	k := im.Bounds().Dx() / g.Cols
	if k < 1 || im.Bounds().Dy() != g.Rows*k || im.Bounds().Dx() < 600 {
		t.Fatalf("image %v for a 3×5 grid", im.Bounds())
	}
	for i := range g.Rows {
		for j := range g.Cols {
			want, err := cmap.At(Log10(g.At(i, j)))
			if err != nil {
				t.Fatal(err)
			}
			// The image holds 8 bits a channel.
			wr, wg, wb, _ := color.RGBAModel.Convert(want).RGBA()
			for _, pt := range [][2]int{{j * k, i * k}, {(j+1)*k - 1, (i+1)*k - 1}} {
				r, gg, b, _ := im.At(pt[0], pt[1]).RGBA()
				if r != wr || gg != wg || b != wb {
					t.Errorf("pixel %v of cell (%d,%d) is not the cell's colour", pt, i, j)
				}
			}
		}
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	g := Grid{Rows: 4, Cols: 6, At: func(i, j int) float64 { return float64(i+j) / 8 }}
	path := filepath.Join(dir, "two.png")
	cells := [][2]int{{0, 0}, {1, 1}, {1, 2}, {3, 5}}
	line := Path{Label: "green: a path", Cells: cells, Colour: PathColour}
	rings := Path{Label: "blue rings: a path", Cells: cells, Colour: GoldColour, Rings: true}
	if err := Write(path, 10*vg.Centimeter, Panel{Title: "a", Grid: g, Paths: []Path{line, rings}}, Panel{Title: "b", Grid: g}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// Two 10 cm panels and the bar: wider than twice its height.
	if b := img.Bounds(); b.Dx() < 2*b.Dy() {
		t.Errorf("two panels drawn %v", b.Size())
	}

	bad := []struct {
		name   string
		panels []Panel
	}{
		{"no panels", nil},
		{"empty grid", []Panel{{Grid: Grid{Rows: 0, Cols: 3, At: g.At}}}},
	}
	for _, tt := range bad {
		if err := Write(filepath.Join(dir, "bad.png"), 10*vg.Centimeter, tt.panels...); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if err := Write(filepath.Join(dir, "missing", "x.png"), 10*vg.Centimeter, Panel{Grid: g}); err == nil {
		t.Error("into a missing folder: no error")
	}
}
