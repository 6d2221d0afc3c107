package report

import (
	"math"
	"strings"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
)

// scriptText is the text handler of the figures' titles, axis labels and
// legends: plain text in which _{…} sets … as a subscript and ^{…} as a
// superscript, as in TeX, so that τ_{oc}^{γ} prints as τ with "oc" below
// and "γ" above. A subscript directly followed by a superscript (or the
// reverse) is stacked at the same position. Everything else, including an
// _ or ^ not followed by {, is printed as written (gamma_max stays
// gamma_max).
//
// gonum/plot's own text.Latex does not serve here: the mtex parser behind
// it (go-latex v0.2.0) has no sub- or superscripts (it panics on ast.Sub)
// and rejects symbols such as ≤, − and → outside its macros.
type scriptText struct {
	text.Plain
}

// Script sizes and shifts, in units of the base font size: TeX's
// \scriptstyle is 0.7 of the text size; the shifts put a superscript's
// baseline near the x-height and a subscript just below the baseline.
const (
	scriptScale = 0.7
	supRaise    = 0.4
	subDrop     = 0.2
)

var _ text.Handler = scriptText{}

// piece is a run of text drawn with one face at one baseline shift.
type piece struct {
	s     string
	shift int // −1 subscript, 0 base, +1 superscript
}

// parseScripts splits one line into base text and scripts.
func parseScripts(line string) []piece {
	var out []piece
	var base strings.Builder
	flush := func() {
		if base.Len() > 0 {
			out = append(out, piece{base.String(), 0})
			base.Reset()
		}
	}
	for i := 0; i < len(line); {
		c := line[i]
		if (c == '_' || c == '^') && i+1 < len(line) && line[i+1] == '{' {
			if end := matchingBrace(line, i+1); end > 0 {
				flush()
				shift := 1
				if c == '_' {
					shift = -1
				}
				out = append(out, piece{line[i+2 : end], shift})
				i = end + 1
				continue
			}
		}
		base.WriteByte(c)
		i++
	}
	flush()
	return out
}

// matchingBrace returns the index of the } closing the { at open, or −1.
func matchingBrace(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// placed is a piece with its face and its offset from the line's origin
// on the baseline.
type placed struct {
	s    string
	face font.Face
	x    vg.Length
	dy   vg.Length
}

// layout places the pieces of one line; it returns them and the line's
// width.
func (h scriptText) layout(line string, fnt font.Font) (ps []placed, width vg.Length) {
	base := h.Fonts.Lookup(fnt, fnt.Size)
	small := h.Fonts.Lookup(fnt, fnt.Size*scriptScale)
	var x vg.Length
	prev := 0                  // shift of the previous piece
	var prevX, prevW vg.Length // its start and width
	for _, p := range parseScripts(line) {
		face := base
		var dy vg.Length
		switch p.shift {
		case 1:
			face, dy = small, supRaise*fnt.Size
		case -1:
			face, dy = small, -subDrop*fnt.Size
		}
		w := face.Width(p.s)
		start := x
		if p.shift != 0 && prev == -p.shift {
			// stack on the script before: same start, the wider one
			// sets the advance
			start = prevX
			x = prevX + max(prevW, w)
		} else {
			x += w
		}
		ps = append(ps, placed{p.s, face, start, dy})
		prev, prevX, prevW = p.shift, start, w
	}
	return ps, x
}

// Box returns the width of one line with its scripts, and the height and
// depth of the base font: like TeX's \smash, the scripts do not count
// (they reach about 0.13 em above and 0.14 em below it, for Liberation's extents, into the padding
// around titles, labels and legend rows), so that a line's height does not
// depend on its scripts and the titles of a row of panels stay aligned.
func (h scriptText) Box(txt string, fnt font.Font) (width, height, depth vg.Length) {
	_, width = h.layout(txt, fnt)
	face := h.Fonts.Lookup(fnt, fnt.Size)
	e := face.Extents()
	return width, e.Ascent, e.Descent
}

// Draw renders txt as text.Plain does (same alignment, rotation and line
// spacing), with the scripts of each line in place.
func (h scriptText) Draw(c vg.Canvas, txt string, sty text.Style, pt vg.Point) {
	txt = strings.TrimRight(txt, "\n")
	if txt == "" {
		return
	}
	base := h.Fonts.Lookup(sty.Font, sty.Font.Size)
	c.SetColor(sty.Color)
	if sty.Rotation != 0 {
		c.Push()
		c.Rotate(sty.Rotation)
		defer c.Pop()
	}
	sin64, cos64 := math.Sincos(sty.Rotation)
	sin, cos := vg.Length(sin64), vg.Length(cos64)
	pt.X, pt.Y = pt.Y*sin+pt.X*cos, pt.Y*cos-pt.X*sin

	lines := h.Lines(txt)
	pt.Y += sty.Height(txt)*vg.Length(sty.YAlign) - base.Extents().Ascent
	for i, line := range lines {
		ps, w := h.layout(line, sty.Font)
		o := pt.Add(vg.Point{X: vg.Length(sty.XAlign) * w, Y: vg.Length(len(lines)-i) * sty.Font.Size})
		for _, p := range ps {
			c.FillString(p.face, o.Add(vg.Point{X: p.x, Y: p.dy}), p.s)
		}
	}
}
