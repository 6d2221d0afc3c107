package report

import (
	"image/color"
	"math"
	"os"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Drawing helpers shared by the figures (gonum/plot). Every figure is a
// grid of panels with one legend in a strip on its right, outside the
// data, so that no legend hides a curve. Titles, axis labels and legend
// entries take _{…} and ^{…} for sub- and superscripts (scriptText).

// dpi of the PNGs, but for the figures drawn at print size (forPrint).
const dpi = 110

// Figures drawn at the size a paper prints them (forPrint): the text width
// of a two-column paper is about 7 in, and text below about 7 pt is hard
// to read in print. The resolution is high enough for print and for a
// browser that scales the image down to its page.
const (
	printDPI      = 200
	printTitlePt  = 9
	printLabelPt  = 9
	printTickPt   = 7.5
	printLegendPt = 8
)

var (
	// palette: matplotlib's tab10, distinguishable in print.
	palette = []color.RGBA{
		{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff},
		{0xd6, 0x27, 0x28, 0xff}, {0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff},
		{0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
	}
	ocColor     = color.NRGBA{0xd6, 0x27, 0x28, 0x30} // ηOC region, translucent red
	ocDarkColor = color.NRGBA{0xd6, 0x27, 0x28, 0x70}
	ucColor     = color.NRGBA{0x1f, 0x77, 0xb4, 0x30} // ηUC region, translucent blue
	ambColor    = color.NRGBA{0x7f, 0x7f, 0x7f, 0x30} // ambiguous region
	gridColor   = color.RGBA{0x55, 0x55, 0x55, 0xff}
	black       = color.RGBA{0, 0, 0, 0xff}
)

// figureText is the text handler of titles, axis labels and legends.
var figureText = scriptText{text.Plain{Fonts: font.DefaultCache}}

func lineColor(i int) color.RGBA { return palette[i%len(palette)] }

func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	for _, st := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle} {
		st.Handler = figureText
	}
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	return p
}

func setLog(p *plot.Plot, x, y bool) {
	if x {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = logTicks{}
	}
	if y {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
}

// logTicks labels powers of ten (every step-th decade, step chosen for at
// most about 7 labels) as 0.01, 0.1, 1, 10, 100 or 1e-5, 1e6, with unlabeled
// minor ticks at 2…9 times each power when the range spans few decades.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	k0, k1 := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	step := (k1-k0)/7 + 1
	var ts []plot.Tick
	for k := k0; k <= k1; k++ {
		v := math.Pow10(k)
		label := ""
		if k%step == 0 {
			if k >= -3 && k <= 4 {
				label = strconv.FormatFloat(v, 'f', -1, 64)
			} else {
				label = "1e" + strconv.Itoa(k)
			}
		}
		if v >= lo*(1-1e-12) && v <= hi*(1+1e-12) {
			ts = append(ts, plot.Tick{Value: v, Label: label})
		}
		if k1-k0 <= 6 {
			for i := 2; i < 10; i++ {
				if m := v * float64(i); m >= lo && m <= hi {
					ts = append(ts, plot.Tick{Value: m})
				}
			}
		}
	}
	return ts
}

// linTicks returns ticks every step from lo to hi, labeled every label-th.
func linTicks(lo, hi, step float64, label int) plot.ConstantTicks {
	var ts plot.ConstantTicks
	n := int(math.Round((hi - lo) / step))
	for i := 0; i <= n; i++ {
		v := lo + float64(i)*step
		t := plot.Tick{Value: v}
		if i%label == 0 {
			// enough decimals for the step, then no trailing zeros
			d := max(0, 1-int(math.Floor(math.Log10(step))))
			t.Label = strings.TrimRight(strings.TrimRight(strconv.FormatFloat(v, 'f', d, 64), "0"), ".")
			if t.Label == "" || t.Label == "-" {
				t.Label = "0"
			}
		}
		ts = append(ts, t)
	}
	return ts
}

func xys(xs, ys []float64) plotter.XYs {
	pts := make(plotter.XYs, 0, len(xs))
	for i := range xs {
		if math.IsNaN(ys[i]) || math.IsInf(ys[i], 0) {
			continue
		}
		pts = append(pts, plotter.XY{X: xs[i], Y: ys[i]})
	}
	return pts
}

// curve returns a solid (dashes == nil) or dashed line through the points.
func curve(xs, ys []float64, c color.Color, width float64, dashes ...float64) *plotter.Line {
	l, err := plotter.NewLine(xys(xs, ys))
	if err != nil {
		panic("report: " + err.Error()) // only NaN-free, non-empty data reach here
	}
	l.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(width)}
	for _, d := range dashes {
		l.LineStyle.Dashes = append(l.LineStyle.Dashes, vg.Points(d))
	}
	return l
}

// band returns a filled rectangle [x0, x1] × [y0, y1] without outline.
func band(x0, x1, y0, y1 float64, c color.Color) *plotter.Polygon {
	pg, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
	if err != nil {
		panic("report: " + err.Error())
	}
	pg.Color = c
	pg.LineStyle.Width = 0
	return pg
}

// area returns the region between the curve (xs, ys) and the level y0.
func area(xs, ys []float64, y0 float64, c color.Color) *plotter.Polygon {
	px := append(append([]float64{xs[0]}, xs...), xs[len(xs)-1])
	py := append(append([]float64{y0}, ys...), y0)
	pg, err := plotter.NewPolygon(xys(px, py))
	if err != nil {
		panic("report: " + err.Error())
	}
	pg.Color = c
	pg.LineStyle.Width = 0
	return pg
}

// areaBetween returns the region between the curves (xs, hi) and (xs, lo).
func areaBetween(xs, hi, lo []float64, c color.Color) *plotter.Polygon {
	px := append([]float64{}, xs...)
	py := append([]float64{}, hi...)
	for i := len(xs) - 1; i >= 0; i-- {
		px = append(px, xs[i])
		py = append(py, lo[i])
	}
	pg, err := plotter.NewPolygon(xys(px, py))
	if err != nil {
		panic("report: " + err.Error())
	}
	pg.Color = c
	pg.LineStyle.Width = 0
	return pg
}

// marks returns a scatter of glyphs.
func marks(xs, ys []float64, c color.Color, shape draw.GlyphDrawer, radius float64) *plotter.Scatter {
	s, err := plotter.NewScatter(xys(xs, ys))
	if err != nil {
		panic("report: " + err.Error())
	}
	s.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(radius), Shape: shape}
	return s
}

func linspace(a, b float64, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = a + (b-a)*float64(i)/float64(n-1)
	}
	x[n-1] = b
	return x
}

// logspace returns n points from 10^a to 10^b, evenly spaced in log.
func logspace(a, b float64, n int) []float64 {
	x := linspace(a, b, n)
	for i := range x {
		x[i] = math.Pow(10, x[i])
	}
	return x
}

// grid is a figure: panels in rows and columns and one legend on the right.
type grid struct {
	panels      [][]*plot.Plot
	legend      plot.Legend
	legendWidth vg.Length
	dpi         float64 // 0: dpi
}

func newGrid(panels [][]*plot.Plot, legendWidthInch float64) *grid {
	g := &grid{panels: panels, legend: plot.NewLegend(), legendWidth: vg.Length(legendWidthInch) * vg.Inch}
	g.legend.Top = true
	g.legend.Left = true
	g.legend.ThumbnailWidth = vg.Points(22)
	g.legend.Padding = vg.Points(4)
	g.legend.TextStyle.Font.Size = vg.Points(10)
	g.legend.TextStyle.Handler = figureText
	return g
}

// forPrint sets the fonts of every panel and of the legend to the sizes
// above and the resolution to printDPI: the figure is then meant to be
// saved at the size it is printed (about 7 in wide).
func (g *grid) forPrint() {
	for _, row := range g.panels {
		for _, p := range row {
			if p == nil {
				continue
			}
			p.Title.TextStyle.Font.Size = vg.Points(printTitlePt)
			for _, ax := range []*plot.Axis{&p.X, &p.Y} {
				ax.Label.TextStyle.Font.Size = vg.Points(printLabelPt)
				ax.Tick.Label.Font.Size = vg.Points(printTickPt)
			}
		}
	}
	g.legend.TextStyle.Font.Size = vg.Points(printLegendPt)
	g.legend.ThumbnailWidth = vg.Points(18)
	g.dpi = printDPI
}

// save draws the figure, w × h inches, as a PNG at path.
func (g *grid) save(path string, w, h float64) error {
	width, height := vg.Length(w)*vg.Inch, vg.Length(h)*vg.Inch
	res := float64(dpi)
	if g.dpi > 0 {
		res = g.dpi
	}
	img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(int(res)))
	g.draw(draw.New(img))
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

// draw draws the panels and the legend on c, on a white background.
func (g *grid) draw(c draw.Canvas) {
	width := c.Rectangle.Max.X - c.Rectangle.Min.X
	// white background (vgimg starts transparent)
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	plotArea := draw.Crop(c, 0, -g.legendWidth, 0, 0)
	rows, cols := len(g.panels), len(g.panels[0])
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 6, PadY: vg.Millimeter * 6,
		PadTop: vg.Millimeter * 3, PadBottom: vg.Millimeter * 3, PadLeft: vg.Millimeter * 3, PadRight: vg.Millimeter * 3}
	canvases := plot.Align(g.panels, tiles, plotArea)
	for i := range g.panels {
		for j, p := range g.panels[i] {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
	if g.legendWidth > 0 {
		legArea := draw.Crop(c, width-g.legendWidth+vg.Millimeter*2, 0, 0, -vg.Millimeter*12)
		g.legend.Draw(legArea)
	}
}
