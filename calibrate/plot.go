package calibrate

import (
	"fmt"
	"image/color"
	"io"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Panel is one column of a reliability diagram: the equal-width
// reliability bins of one set of probabilities and its title (the caller
// puts the ECE in it).
type Panel struct {
	Title string
	Rel   Reliability
}

// Size of one panel column.
const (
	panelWidth  = 4.5 * vg.Inch
	panelHeight = 6 * vg.Inch
)

var (
	accColor  = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}  // observed frequency
	gapColor  = color.NRGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0x90} // |acc − conf|
	histColor = color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}
)

// WriteReliabilityDiagram draws the panels side by side, each a
// reliability diagram over a histogram of its confidences, and writes it as
// a PNG or SVG image (format "png" or "svg"). In a reliability diagram each
// bin is a bar at the observed frequency of the outcome (the accuracy, for
// top-label bins) over the bin's confidence range, a translucent red box
// spans the gap to the bin's mean confidence, and the dashed diagonal is
// perfect calibration; bars above the diagonal are underconfident bins. The
// histogram below shows the fraction of samples per bin. The extra bin {1}
// of EdgesLeftClosed is drawn as a narrow bar at 1.
func WriteReliabilityDiagram(w io.Writer, format string, panels []Panel) error {
	if len(panels) == 0 {
		return fmt.Errorf("calibrate: no panel to draw")
	}
	rows := make([][]*plot.Plot, 2)
	for _, p := range panels {
		rel, hist, err := panelPlots(p)
		if err != nil {
			return err
		}
		rows[0] = append(rows[0], rel)
		rows[1] = append(rows[1], hist)
	}
	width := vg.Length(len(panels)) * panelWidth
	var c interface {
		vg.CanvasSizer
		io.WriterTo
	}
	switch strings.ToLower(format) {
	case "png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, panelHeight), vgimg.UseDPI(120))}
	case "svg":
		c = vgsvg.New(width, panelHeight)
	default:
		return fmt.Errorf("calibrate: unknown image format %q (want png or svg)", format)
	}
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 2, Cols: len(panels), PadX: vg.Millimeter * 6, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
	canvases := plot.Align(rows, tiles, dc)
	for i := range rows {
		for j, p := range rows[i] {
			p.Draw(canvases[i][j])
		}
	}
	_, err := c.WriteTo(w)
	return err
}

// panelPlots returns the reliability plot and the histogram of one panel.
func panelPlots(pn Panel) (*plot.Plot, *plot.Plot, error) {
	rel := plot.New()
	rel.Title.Text = pn.Title
	rel.X.Label.Text = "confidence"
	rel.Y.Label.Text = "observed frequency"
	rel.X.Min, rel.X.Max, rel.Y.Min, rel.Y.Max = 0, 1, 0, 1
	hist := plot.New()
	hist.X.Label.Text = "confidence"
	hist.Y.Label.Text = "fraction of samples"
	hist.X.Min, hist.X.Max, hist.Y.Min = 0, 1, 0

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
		// The gap: a translucent red box between the observed frequency
		// and the mean confidence.
		a, c := b.Acc(), b.Conf()
		g, err := plotter.NewPolygon(plotter.XYs{{X: lo, Y: a}, {X: hi, Y: a}, {X: hi, Y: c}, {X: lo, Y: c}})
		if err != nil {
			return nil, nil, err
		}
		g.Color = gapColor
		g.LineStyle = draw.LineStyle{Color: gapColor, Width: vg.Points(0.5)}
		gaps = append(gaps, g)
	}
	ah := &plotter.Histogram{Bins: acc, FillColor: accColor, LineStyle: draw.LineStyle{Color: color.White, Width: vg.Points(0.5)}}
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return nil, nil, err
	}
	diag.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	rel.Add(ah)
	rel.Add(gaps...)
	rel.Add(diag)
	rel.Legend.Add("observed frequency", ah)
	if len(gaps) > 0 {
		rel.Legend.Add("gap to mean confidence", gaps[0].(plot.Thumbnailer))
	}
	rel.Legend.Top = true
	rel.Legend.Left = true
	fh := &plotter.Histogram{Bins: frac, FillColor: histColor, LineStyle: draw.LineStyle{Color: color.White, Width: vg.Points(0.5)}}
	hist.Add(fh)
	return rel, hist, nil
}
