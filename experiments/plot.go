package experiments

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/focaltk/focal/outfile"
)

// Colours: one per class (matplotlib's tab10, as in the paper's figures),
// and red/green for raw/Ψ as in the paper's Fig. 4–6.
var (
	classColors = []color.Color{
		color.RGBA{0x1f, 0x77, 0xb4, 0xff}, color.RGBA{0xff, 0x7f, 0x0e, 0xff}, color.RGBA{0x2c, 0xa0, 0x2c, 0xff},
		color.RGBA{0xd6, 0x27, 0x28, 0xff}, color.RGBA{0x94, 0x67, 0xbd, 0xff}, color.RGBA{0x8c, 0x56, 0x4b, 0xff},
	}
	rawColor = color.RGBA{0xd6, 0x27, 0x28, 0xff}
	psiColor = color.RGBA{0x2c, 0xa0, 0x2c, 0xff}
)

// writeFigure lays out the plots in a grid of panels of the given size and
// writes the figure to path, as SVG if the name ends in .svg and as PNG
// otherwise, atomically (a failed write leaves no file at path).
func writeFigure(path string, rows [][]*plot.Plot, panelW, panelH vg.Length) error {
	if len(rows) == 0 || len(rows[0]) == 0 {
		return errors.New("experiments: no panel to draw")
	}
	f, err := outfile.Create(path)
	if err != nil {
		return err
	}
	w, h := vg.Length(len(rows[0]))*panelW, vg.Length(len(rows))*panelH
	var c interface {
		vg.CanvasSizer
		io.WriterTo
	}
	if strings.EqualFold(filepath.Ext(path), ".svg") {
		c = vgsvg.New(w, h)
	} else {
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(110))}
	}
	tiles := draw.Tiles{Rows: len(rows), Cols: len(rows[0]), PadX: vg.Millimeter * 5, PadY: vg.Millimeter * 5,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 3}
	canvases := plot.Align(rows, tiles, draw.New(c))
	for i := range rows {
		for j, p := range rows[i] {
			p.Draw(canvases[i][j])
		}
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// curves adds one line per class of the G×K matrix m over xs, dashed if
// dashed, and returns the lines.
func curves(p *plot.Plot, xs, m []float64, k int, dashed bool, width vg.Length) ([]*plotter.Line, error) {
	var out []*plotter.Line
	for y := range k {
		pts := make(plotter.XYs, len(xs))
		for i, x := range xs {
			pts[i] = plotter.XY{X: x, Y: m[i*k+y]}
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.Color = classColors[y%len(classColors)]
		l.Width = width
		if dashed {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l)
		out = append(out, l)
	}
	return out, nil
}

// Plot draws the synthetic experiment like the paper's Fig. 3 and writes
// it to path (PNG, or SVG for a .svg name). The top row shows (a) the
// density p(x) (black) and the joint densities p(x, y) per class, (b) the
// true posteriors p(y | x), and (c) the exact focal risk minimizer
// q^{γ,*}(η(x)) of the largest γ (solid) against η (dashed). Below, one
// column per model (CE, FL γ = 1, FL γ = 5) and one row per output (raw q,
// temperature scaling, Ψ^γ(q)): the output per class (solid) against the
// true posterior (dashed), with its test ERR, KL and ECE in the title.
func (r *SyntheticResult) Plot(path string) error {
	if len(r.Models) == 0 || len(r.grid) == 0 {
		return errors.New("experiments: empty synthetic result")
	}
	const k = synthK
	var rows [][]*plot.Plot
	newPanel := func(title string) *plot.Plot {
		p := plot.New()
		p.Title.Text = title
		p.Title.TextStyle.Font.Size = vg.Points(10)
		p.X.Label.Text = "x"
		p.X.Min, p.X.Max = r.grid[0], r.grid[len(r.grid)-1]
		p.Add(plotter.NewGrid())
		return p
	}
	probPanel := func(title string) *plot.Plot {
		p := newPanel(title)
		p.Y.Min, p.Y.Max = 0, 1
		return p
	}

	// Row 0: the problem.
	pa := newPanel("(a) density p(x) and joint densities p(x, y)")
	joint := make([]float64, len(r.eta))
	for i, d := range r.density {
		for y := range k {
			joint[i*k+y] = d * r.eta[i*k+y]
		}
	}
	ls, err := curves(pa, r.grid, joint, k, false, vg.Points(1.2))
	if err != nil {
		return err
	}
	dens, err := curves(pa, r.grid, r.density, 1, false, vg.Points(1.5))
	if err != nil {
		return err
	}
	dens[0].Color = color.Black
	pa.Legend.Add("p(x)", dens[0])
	for y, l := range ls {
		pa.Legend.Add(fmt.Sprintf("p(x, y = %d)", y), l)
	}
	pa.Legend.Top = true
	pa.Y.Min = 0
	pb := probPanel("(b) true posterior p(y | x) (dashed)")
	if _, err := curves(pb, r.grid, r.eta, k, true, vg.Points(1.2)); err != nil {
		return err
	}
	last := r.Models[len(r.Models)-1]
	pc := probPanel(fmt.Sprintf("(c) exact focal risk minimizer q*(η(x)), γ = %g", last.Gamma))
	if _, err := curves(pc, r.grid, r.eta, k, true, vg.Points(1)); err != nil {
		return err
	}
	if _, err := curves(pc, r.grid, last.qstar, k, false, vg.Points(1.5)); err != nil {
		return err
	}
	rows = append(rows, []*plot.Plot{pa, pb, pc})

	// Rows 1–3: raw, TS and Ψ outputs of each model.
	for _, out := range []string{"raw", "TS", "Ψ"} {
		var row []*plot.Plot
		for _, m := range r.Models {
			var vals []float64
			var s SyntheticScores
			title := m.Name() + ", "
			switch out {
			case "raw":
				vals, s, title = m.raw, m.Raw, title+"raw q"
			case "TS":
				vals, s, title = m.ts, m.TS, title+fmt.Sprintf("TS (T = %.3f)", m.T)
			default:
				vals, s, title = m.psi, m.Psi, title+"Ψ(q)"
			}
			p := probPanel(fmt.Sprintf("%s\nERR %.4f  KL %.4f  ECE %.4f", title, s.Error, s.KL, s.ECE))
			if _, err := curves(p, r.grid, r.eta, k, true, vg.Points(1)); err != nil {
				return err
			}
			if _, err := curves(p, r.grid, vals, k, false, vg.Points(1.5)); err != nil {
				return err
			}
			row = append(row, p)
		}
		rows = append(rows, row)
	}
	return writeFigure(path, rows, 3.6*vg.Inch, 2.7*vg.Inch)
}

// Plot draws box plots of the test ECE over the splits like the paper's
// Fig. 5, one panel per data set: for each γ, the raw outputs (red, left)
// and Ψ^γ of them (green, right). It writes PNG, or SVG for a .svg name.
func (r *RealResult) Plot(path string) error {
	if len(r.Sets) == 0 {
		return errors.New("experiments: empty real-data result")
	}
	const cols = 2
	var rows [][]*plot.Plot
	names := make([]string, len(r.Gammas))
	for g, gamma := range r.Gammas {
		names[g] = fmt.Sprintf("γ = %g", gamma)
	}
	for i, set := range r.Sets {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("%s: test ECE over %d splits", set.Name, r.Seeds)
		p.Y.Label.Text = fmt.Sprintf("ECE (%d bins)", ECEBins)
		p.Y.Min = 0
		p.Add(plotter.NewGrid())
		var ymax float64
		for g := range r.Gammas {
			for side, which := range []struct {
				name string
				col  color.Color
				get  func(RealRun) float64
			}{
				{"raw", rawColor, func(run RealRun) float64 { return run.Raw.ECE }},
				{"Ψ", psiColor, func(run RealRun) float64 { return run.Psi.ECE }},
			} {
				v := make(plotter.Values, len(set.Runs[g]))
				for s, run := range set.Runs[g] {
					v[s] = which.get(run)
					ymax = math.Max(ymax, v[s])
				}
				bp, err := plotter.NewBoxPlot(vg.Points(16), float64(g)+0.2*float64(2*side-1), v)
				if err != nil {
					return err
				}
				bp.FillColor = withAlpha(which.col, 0x70)
				bp.BoxStyle.Color = which.col
				bp.MedianStyle.Color = which.col
				bp.MedianStyle.Width = vg.Points(1.5)
				bp.WhiskerStyle.Color = which.col
				bp.GlyphStyle.Color = which.col
				p.Add(bp)
				if g == 0 {
					p.Legend.Add(which.name, boxThumb{fill: bp.FillColor, line: which.col})
				}
			}
		}
		p.NominalX(names...)
		p.X.Min, p.X.Max = -0.6, float64(len(r.Gammas))-0.4
		// Head room above the boxes for the legend (top left).
		p.Y.Max = 1.2 * ymax
		p.Legend.Top, p.Legend.Left = true, true
		p.Legend.ThumbnailWidth = vg.Points(12)
		if i%cols == 0 {
			rows = append(rows, nil)
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], p)
	}
	for len(rows[len(rows)-1]) < cols && len(rows) > 1 {
		// Pad the last row with an empty panel so that the grid is full.
		empty := plot.New()
		empty.HideAxes()
		rows[len(rows)-1] = append(rows[len(rows)-1], empty)
	}
	return writeFigure(path, rows, 4.5*vg.Inch, 3.2*vg.Inch)
}

func withAlpha(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), a}
}

// boxThumb is the legend entry of a box plot: a filled, outlined square.
type boxThumb struct{ fill, line color.Color }

func (b boxThumb) Thumbnail(c *draw.Canvas) {
	pts := []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Min.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Min.Y}}
	c.FillPolygon(b.fill, pts)
	c.StrokeLines(draw.LineStyle{Color: b.line, Width: vg.Points(1)}, append(pts, pts[0]))
}
