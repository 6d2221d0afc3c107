package calibrate

// This file draws the reliability diagram of --plot: one panel per
// variant (raw, recovered, and with --val the two temperature scalings),
// sized and lettered to be printed in one column of a paper.

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Panel is one reliability diagram of a figure: the equal-width
// reliability bins of one set of probabilities, its name, and the interval
// of its ECE (Low and High NaN, or both 0, without one).
type Panel struct {
	Title     string
	Rel       Reliability
	Low, High float64
}

// Size of the figure, for a paper column of about 3.3 in: two panels per
// row, each a reliability plot over a histogram, and a strip at the top
// for the legend and the note (N, bins, interval). Text is 7 pt (titles,
// labels) and 6 pt (ticks) at that size.
const (
	panelCols   = 2
	panelWidth  = 1.7 * vg.Inch
	relHeight   = 1.75 * vg.Inch
	histHeight  = 0.8 * vg.Inch
	stripHeight = 0.36 * vg.Inch
	labelSize   = 7
	tickSize    = 6
	pngDPI      = 300
)

var (
	accColor  = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff} // observed frequency
	gapColor  = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff} // |acc − conf|: hatching, the same over a bar and in the legend
	histColor = color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}
)

// WriteReliabilityDiagram draws the panels, two per row, each a
// reliability diagram over a histogram of its confidences, and writes it as
// a PNG (300 dpi) or SVG image (format "png" or "svg"), 3.4 in wide. In a
// reliability diagram each bin is a bar at the observed frequency of the
// outcome (the accuracy, for top-label bins) over the bin's confidence
// range, a box hatched in red spans the gap to the bin's mean confidence, and
// the dashed diagonal is perfect calibration; boxes above the bars are
// overconfident bins, boxes inside them underconfident ones. Each panel's
// title gives its ECE and, if the panel has one, its interval; the strip at
// the top holds the legend and a note with N, the number of bins and the
// interval's level and method (IntervalMethod, DefaultLevel). The
// histogram below each panel shows the fraction of samples per bin. The
// extra bin {1} of EdgesLeftClosed is drawn as a narrow bar at 1.
func WriteReliabilityDiagram(w io.Writer, format string, panels []Panel) error {
	if len(panels) == 0 {
		return fmt.Errorf("calibrate: no panel to draw")
	}
	cols := min(len(panels), panelCols)
	prow := (len(panels) + cols - 1) / cols
	width := vg.Length(cols) * panelWidth
	height := stripHeight + vg.Length(prow)*(relHeight+histHeight)
	var c interface {
		vg.CanvasSizer
		io.WriterTo
	}
	switch strings.ToLower(format) {
	case "png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(pngDPI))}
	case "svg":
		c = vgsvg.New(width, height)
	default:
		return fmt.Errorf("calibrate: unknown image format %q (want png or svg)", format)
	}
	dc := draw.New(c)
	if err := drawStrip(draw.Crop(dc, 0, 0, height-stripHeight, 0), panels); err != nil {
		return err
	}
	for i, pn := range panels {
		r, col := i/cols, i%cols
		rel, hist, err := panelPlots(pn)
		if err != nil {
			return err
		}
		x0 := vg.Length(col) * panelWidth
		top := stripHeight + vg.Length(r)*(relHeight+histHeight)
		pad := vg.Millimeter
		relC := draw.Crop(dc, x0+pad, -(width - x0 - panelWidth + 2*pad), height-top-relHeight, -top)
		histC := draw.Crop(dc, x0+pad, -(width - x0 - panelWidth + 2*pad), height-top-relHeight-histHeight, -(top + relHeight + pad))
		// Align the two x axes: their tick labels differ in width.
		lr := rel.DataCanvas(relC).Min.X - relC.Min.X
		lh := hist.DataCanvas(histC).Min.X - histC.Min.X
		if lr < lh {
			relC = draw.Crop(relC, lh-lr, 0, 0, 0)
		} else {
			histC = draw.Crop(histC, lr-lh, 0, 0, 0)
		}
		rr := relC.Max.X - rel.DataCanvas(relC).Max.X
		rh := histC.Max.X - hist.DataCanvas(histC).Max.X
		if rr < rh {
			relC = draw.Crop(relC, 0, rr-rh, 0, 0)
		} else {
			histC = draw.Crop(histC, 0, rh-rr, 0, 0)
		}
		rel.Draw(relC)
		hist.Draw(histC)
	}
	_, err := c.WriteTo(w)
	return err
}

// hasInterval reports whether the panel carries an ECE interval.
func (pn Panel) hasInterval() bool {
	return !math.IsNaN(pn.Low) && !math.IsNaN(pn.High) && !(pn.Low == 0 && pn.High == 0)
}

// textStyle returns the figure's text style at size points.
func textStyle(size vg.Length) font.Font { return font.From(plot.DefaultFont, size) }

// drawStrip draws the legend in one line and the note below it.
func drawStrip(c draw.Canvas, panels []Panel) error {
	bar := &plotter.Histogram{FillColor: accColor, LineStyle: draw.LineStyle{Color: color.White, Width: vg.Points(0.3)}}
	gap := gapBox{}
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return err
	}
	diag.LineStyle.Dashes = []vg.Length{vg.Points(2.5), vg.Points(1.5)}
	diag.LineStyle.Width = vg.Points(0.7)
	entries := []struct {
		name  string
		thumb plot.Thumbnailer
	}{{"observed frequency", bar}, {"gap to mean confidence", gap}, {"perfect calibration", diag}}
	sty := plot.NewLegend().TextStyle
	sty.Font = textStyle(labelSize)
	thumbW := vg.Points(10)
	lineH := sty.Rectangle("M").Max.Y
	x := c.Min.X + vg.Millimeter
	y := c.Max.Y - lineH - vg.Points(2)
	for _, e := range entries {
		icon := &draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: x, Y: y}, Max: vg.Point{X: x + thumbW, Y: y + lineH}}}
		e.thumb.Thumbnail(icon)
		x += thumbW + vg.Points(2.5)
		c.FillText(sty, vg.Point{X: x, Y: y}, e.name)
		x += sty.Width(e.name) + vg.Points(7)
	}
	rel := panels[0].Rel
	bins := len(rel.Bins)
	if bins > 0 && rel.Bins[bins-1].Lo == rel.Bins[bins-1].Hi {
		bins-- // the extra bin {1} of EdgesLeftClosed
	}
	note := fmt.Sprintf("N = %d, %d equal-width bins", rel.N, bins)
	if panels[0].hasInterval() {
		note += fmt.Sprintf("; [ ]: %g%% interval, %s", 100*DefaultLevel, IntervalMethod)
	}
	c.FillText(sty, vg.Point{X: c.Min.X + vg.Millimeter, Y: y - lineH - vg.Points(3)}, note)
	return nil
}

// setFonts sets the sizes of a plot's text for print at column width.
func setFonts(p *plot.Plot) {
	p.Title.TextStyle.Font = textStyle(labelSize)
	p.Title.Padding = vg.Points(2)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = textStyle(labelSize)
		a.Label.Padding = vg.Points(1)
		a.Tick.Label.Font = textStyle(tickSize)
		a.Tick.Length = vg.Points(3)
		a.LineStyle.Width = vg.Points(0.5)
		a.Tick.LineStyle.Width = vg.Points(0.5)
		a.Padding = vg.Points(2)
	}
}

// panelPlots returns the reliability plot and the histogram of one panel.
func panelPlots(pn Panel) (*plot.Plot, *plot.Plot, error) {
	rel := plot.New()
	setFonts(rel)
	rel.Title.Text = pn.Title + "\n" + fmt.Sprintf("ECE %.2f%%", 100*pn.Rel.ECE())
	if pn.hasInterval() {
		rel.Title.Text += fmt.Sprintf(" [%.2f, %.2f]", 100*pn.Low, 100*pn.High)
	}
	rel.Y.Label.Text = "observed frequency"
	rel.X.Min, rel.X.Max, rel.Y.Min, rel.Y.Max = 0, 1, 0, 1
	rel.X.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0"}, {Value: 0.5, Label: "0.5"}, {Value: 1, Label: "1"}})
	rel.Y.Tick.Marker = rel.X.Tick.Marker
	rel.X.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0}, {Value: 0.5}, {Value: 1}}) // labels under the histogram
	hist := plot.New()
	setFonts(hist)
	hist.X.Label.Text = "confidence"
	hist.Y.Label.Text = "fraction"
	hist.X.Min, hist.X.Max, hist.Y.Min = 0, 1, 0
	hist.X.Tick.Marker = rel.Y.Tick.Marker
	hist.Y.Tick.Marker = fractionTicks{}

	var acc, frac []plotter.HistogramBin
	var gaps []plot.Plotter
	n := float64(max(pn.Rel.N, 1))
	for _, b := range pn.Rel.Bins {
		lo, hi := b.Lo, b.Hi
		if lo == hi { // the bin {1}: a narrow bar
			lo = hi - 0.01
		}
		frac = append(frac, plotter.HistogramBin{Min: lo, Max: hi, Weight: float64(b.Count) / n})
		if b.Count == 0 {
			continue
		}
		acc = append(acc, plotter.HistogramBin{Min: lo, Max: hi, Weight: b.Acc()})
		// The gap: a hatched box between the observed frequency and the
		// mean confidence, drawn over the bar.
		gaps = append(gaps, gapBox{x0: lo, x1: hi, y0: b.Acc(), y1: b.Conf()})
	}
	ah := &plotter.Histogram{Bins: acc, FillColor: accColor, LineStyle: draw.LineStyle{Color: color.White, Width: vg.Points(0.3)}}
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return nil, nil, err
	}
	diag.LineStyle.Dashes = []vg.Length{vg.Points(2.5), vg.Points(1.5)}
	diag.LineStyle.Width = vg.Points(0.7)
	rel.Add(ah)
	rel.Add(gaps...)
	rel.Add(diag)
	fh := &plotter.Histogram{Bins: frac, FillColor: histColor, LineStyle: draw.LineStyle{Color: color.White, Width: vg.Points(0.3)}}
	hist.Add(fh)
	return rel, hist, nil
}

// gapBox is the gap of one bin, [x0, x1] × [y0, y1] in data coordinates
// (y0 > y1 allowed): a red outline hatched with red diagonals, without
// fill, so that it reads the same over a bar, over white and in the
// legend (a translucent fill mixes with the bar's colour).
type gapBox struct{ x0, x1, y0, y1 float64 }

// hatchStep is the spacing of the hatching.
const hatchStep = 2.6 // points

var gapLine = draw.LineStyle{Color: gapColor, Width: vg.Points(0.6)}

// Plot implements plot.Plotter.
func (g gapBox) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	x0, x1 := tx(g.x0), tx(g.x1)
	y0, y1 := ty(min(g.y0, g.y1)), ty(max(g.y0, g.y1))
	hatch(c, vg.Rectangle{Min: vg.Point{X: x0, Y: y0}, Max: vg.Point{X: x1, Y: y1}})
}

// Thumbnail implements plot.Thumbnailer.
func (g gapBox) Thumbnail(c *draw.Canvas) { hatch(*c, c.Rectangle) }

// hatch draws the outline of r and diagonals of slope 1 clipped to it.
func hatch(c draw.Canvas, r vg.Rectangle) {
	h := r.Max.Y - r.Min.Y
	if h <= 0 || r.Max.X <= r.Min.X {
		return
	}
	step := vg.Points(hatchStep)
	for t := r.Min.X - h; t < r.Max.X; t += step {
		xs, xe := max(t, r.Min.X), min(t+h, r.Max.X)
		if xe <= xs {
			continue
		}
		c.StrokeLine2(gapLine, xs, r.Min.Y+(xs-t), xe, r.Min.Y+(xe-t))
	}
	c.StrokeLines(gapLine, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}, r.Min})
}

// fractionTicks marks 0 and multiples of a round step (0.05, 0.1, 0.2,
// 0.25 or 0.5) up to the histogram's top, at most three labels, all
// printed with %g so that they agree in form.
type fractionTicks struct{}

// Ticks implements plot.Ticker.
func (fractionTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 0.5
	for _, s := range []float64{0.05, 0.1, 0.2, 0.25, 0.5} {
		if hi/s <= 3 {
			step = s
			break
		}
	}
	var t []plot.Tick
	for i := 0; float64(i)*step <= hi*(1+1e-9); i++ {
		v := float64(i) * step
		t = append(t, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
	}
	return t
}
