package report

import (
	"context"
	"image/color"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
)

func TestParseScripts(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []piece
	}{
		{"τ_{oc}^{γ} and x", []piece{{"τ", 0}, {"oc", -1}, {"γ", 1}, {" and x", 0}}},
		{"max_{y} q^{*}_{y}", []piece{{"max", 0}, {"y", -1}, {" q", 0}, {"*", 1}, {"y", -1}}},
		{"x_{a{b}c}", []piece{{"x", 0}, {"a{b}c", -1}}},
		// Not markup: printed as written.
		{"gamma_max", []piece{{"gamma_max", 0}}},
		{"τ_uc^γ", []piece{{"τ_uc^γ", 0}}},
		{"a_{b", []piece{{"a_{b", 0}}},
		{"x^", []piece{{"x^", 0}}},
		{"", nil},
	} {
		if got := parseScripts(c.in); !slices.Equal(got, c.want) {
			t.Errorf("parseScripts(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

// drawn returns the strings figureText draws for txt, with their
// positions and sizes, recorded on a canvas.
func drawn(txt string, size vg.Length) []*recorder.FillString {
	rec := &recorder.Canvas{}
	sty := text.Style{Color: color.Black, Font: font.From(plot.DefaultFont, size), Handler: figureText}
	figureText.Draw(rec, txt, sty, vg.Point{})
	var out []*recorder.FillString
	for _, a := range rec.Actions {
		if fs, ok := a.(*recorder.FillString); ok {
			out = append(out, fs)
		}
	}
	return out
}

func TestScriptTextDraw(t *testing.T) {
	const size = vg.Length(10)
	got := drawn("τ_{oc}^{γ}(v)", size)
	var strs []string
	for _, fs := range got {
		strs = append(strs, fs.String)
	}
	if want := []string{"τ", "oc", "γ", "(v)"}; !slices.Equal(strs, want) {
		t.Fatalf("drew %q, want %q", strs, want)
	}
	tau, sub, sup, rest := got[0], got[1], got[2], got[3]
	if sub.Size != size*scriptScale || sup.Size != size*scriptScale || tau.Size != size || rest.Size != size {
		t.Errorf("sizes τ %v, oc %v, γ %v, (v) %v: want scripts at %v of %v", tau.Size, sub.Size, sup.Size, rest.Size, scriptScale, size)
	}
	if !(sub.Point.Y < tau.Point.Y && sup.Point.Y > tau.Point.Y && rest.Point.Y == tau.Point.Y) {
		t.Errorf("baselines τ %v, oc %v, γ %v, (v) %v: want oc below, γ above, (v) on τ's", tau.Point.Y, sub.Point.Y, sup.Point.Y, rest.Point.Y)
	}
	if sub.Point.X != sup.Point.X || sub.Point.X <= tau.Point.X {
		t.Errorf("oc at x = %v and γ at x = %v after τ at %v: want both stacked after τ", sub.Point.X, sup.Point.X, tau.Point.X)
	}
	if rest.Point.X <= sub.Point.X {
		t.Errorf("(v) at x = %v, not after the scripts at %v", rest.Point.X, sub.Point.X)
	}
	// Text without markup is drawn as text.Plain draws it: one string,
	// same width.
	plain := text.Plain{Fonts: font.DefaultCache}
	for _, s := range []string{"gamma_max (search)", "γ = 0.5"} {
		if got := drawn(s, size); len(got) != 1 || got[0].String != s {
			t.Errorf("%q drawn as %v pieces", s, len(got))
		}
		w1, h1, d1 := figureText.Box(s, font.From(plot.DefaultFont, size))
		w2, h2, d2 := plain.Box(s, font.From(plot.DefaultFont, size))
		if w1 != w2 || h1 != h2 || d1 != d2 {
			t.Errorf("Box(%q) = %v, %v, %v; text.Plain's: %v, %v, %v", s, w1, h1, d1, w2, h2, d2)
		}
	}
}

// TestFigureTextHasNoRawMarkup draws phi.png, tau.png and confidence.png
// on a recording canvas and fails if any string drawn still carries
// markup (an _ or ^ printed literally, as "τ_oc^γ" once was).
func TestFigureTextHasNoRawMarkup(t *testing.T) {
	for _, f := range []struct {
		name string
		fig  func(context.Context, *run) (*grid, error)
		w, h float64
	}{
		{"phi.png", phiFigure, phiW, phiH},
		{"tau.png", tauFigure, tauW, tauH},
		{"confidence.png", confidenceFigure, confidenceW, confidenceH},
	} {
		g, err := f.fig(context.Background(), newRun(Options{Seed: DefaultSeed}))
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		rec := &recorder.Canvas{}
		g.draw(draw.NewCanvas(rec, vg.Length(f.w)*vg.Inch, vg.Length(f.h)*vg.Inch))
		n := 0
		for _, a := range rec.Actions {
			fs, ok := a.(*recorder.FillString)
			if !ok {
				continue
			}
			n++
			if strings.ContainsAny(fs.String, "_^{}$") {
				t.Errorf("%s: drew %q with raw markup", f.name, fs.String)
			}
		}
		if n == 0 {
			t.Errorf("%s: no text drawn", f.name)
		}
	}
}
