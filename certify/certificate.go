package certify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// Format and Version identify the certificate format of
// docs/certificates/README.md. A checker refuses any other version.
const (
	Format  = "focal-certificate"
	Version = 1
)

// A Certificate is a computer-assisted proof of one statement: the claimed
// results (enclosures of the quantities the statement is about), and
// boxes that together cover every region the statement's checker derives
// from those claims, each settled by an enclosure of a function of a known
// sign or by a lemma of docs/proofs.md.
//
// The checker never trusts the file's account of what must be covered:
// the regions are derived from the statement and its claims (Check), and
// every box's enclosure is recomputed.
type Certificate struct {
	Format    string `json:"format"`
	Version   int    `json:"version"`
	Statement string `json:"statement"` // a key of the statements table: "tau", "gamma-nu"
	// Text states the theorem in words (informational; the checker
	// derives what it checks from Statement and Claims).
	Text string `json:"text"`
	// Command is how the certificate was produced (informational).
	Command string `json:"command,omitempty"`
	// Variables names the coordinates of every box, in order.
	Variables []string `json:"variables"`
	Claims    []Claim  `json:"claims"`
	Boxes     []Box    `json:"boxes"`
}

// A Claim is an enclosure [Lo, Hi] of a named quantity at parameters At
// (for example tau_oc at γ = At[0]).
type Claim struct {
	Name string    `json:"name"`
	At   []float64 `json:"at"`
	Lo   float64   `json:"lo"`
	Hi   float64   `json:"hi"`
}

// A Box is one piece of the proof: the product of the intervals
// [Lo[i], Hi[i]] over the certificate's Variables, the Check that holds on
// it (a function with a required sign, see the checks table), and either
// the Enclosure [lo, hi] of that function over the box (the checker
// recomputes it and requires the recomputed one inside the recorded one,
// and the recorded one of the required sign) or the Lemma that settles it
// (the checker evaluates the lemma's hypothesis, whose enclosure is
// recorded in Enclosure likewise).
type Box struct {
	Check     string    `json:"check"`
	Lo        []float64 `json:"lo"`
	Hi        []float64 `json:"hi"`
	Lemma     string    `json:"lemma,omitempty"`
	Enclosure []float64 `json:"enclosure"`
}

// ErrFormat is wrapped by the errors of Read for a file that is not a
// certificate of this format and version.
var ErrFormat = errors.New("not a certificate of this format")

// An UnsettledError says that a certificate does not prove its
// statement: a box that fails (Box ≥ 0), or a part of a region that no box
// covers, or a claim that is too wide or inconsistent (Box = −1).
type UnsettledError struct {
	Box    int // index into Certificate.Boxes, or −1
	Reason string
}

func (e *UnsettledError) Error() string {
	if e.Box >= 0 {
		return fmt.Sprintf("certify: box %d is not settled: %s", e.Box, e.Reason)
	}
	return "certify: " + e.Reason
}

func unsettled(box int, format string, args ...any) error {
	return &UnsettledError{Box: box, Reason: fmt.Sprintf(format, args...)}
}

// Read decodes a certificate, refusing unknown fields, another format or
// version, and trailing data.
func Read(r io.Reader) (*Certificate, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var c Certificate
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("certify: %w: %v", ErrFormat, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("certify: %w: data after the certificate", ErrFormat)
	}
	if c.Format != Format || c.Version != Version {
		return nil, fmt.Errorf("certify: %w: format %q version %d, want %q version %d", ErrFormat, c.Format, c.Version, Format, Version)
	}
	return &c, nil
}

// Write encodes c as JSON, one claim and one box per line.
func (c *Certificate) Write(w io.Writer) error {
	var b bytes.Buffer
	val := func(v any) error {
		var e bytes.Buffer
		enc := json.NewEncoder(&e)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return err
		}
		b.Write(bytes.TrimSuffix(e.Bytes(), []byte("\n")))
		return nil
	}
	b.WriteString("{\n")
	for _, f := range []struct {
		name string
		v    any
	}{{"format", c.Format}, {"version", c.Version}, {"statement", c.Statement}, {"text", c.Text}, {"command", c.Command}, {"variables", c.Variables}} {
		fmt.Fprintf(&b, "  %q: ", f.name)
		if err := val(f.v); err != nil {
			return err
		}
		b.WriteString(",\n")
	}
	list := func(name string, n int, item func(i int) any) error {
		fmt.Fprintf(&b, "  %q: [", name)
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n    ")
			if err := val(item(i)); err != nil {
				return err
			}
		}
		b.WriteString("\n  ]")
		return nil
	}
	if err := list("claims", len(c.Claims), func(i int) any { return c.Claims[i] }); err != nil {
		return err
	}
	b.WriteString(",\n")
	if err := list("boxes", len(c.Boxes), func(i int) any { return c.Boxes[i] }); err != nil {
		return err
	}
	b.WriteString("\n}\n")
	_, err := w.Write(b.Bytes())
	return err
}

// A Summary is what Check verified.
type Summary struct {
	Statement string
	Boxes     int
	Lemmas    int // boxes settled by a lemma
	Claims    []Claim
}

// A statement is a kind of certificate: its variables and the function
// that checks a certificate of it (coverage of the regions derived from
// the claims, and every box).
type statement struct {
	variables []string
	check     func(ctx context.Context, c *Certificate) error
}

var statements = map[string]statement{
	"tau":       {[]string{"gamma", "v"}, checkTau},
	"gamma-nu":  {[]string{"K", "gamma"}, checkGammaNu},
	"gamma-max": {[]string{"K", "gamma", "eps"}, checkGammaMax},
	"mukhoti":   {[]string{"p"}, checkMukhoti},
	"no-oc":     {[]string{"K", "gamma", "t"}, checkNoOC},
}

// Check verifies c from scratch and returns nil only if every box is
// settled and the boxes cover every region the statement requires; the
// error is an *UnsettledError naming the first box (in the checker's
// order) that fails, or the first uncovered part, or a wrapped ErrFormat
// for a malformed certificate. It stops early when ctx is done.
func Check(ctx context.Context, c *Certificate) (*Summary, error) {
	st, ok := statements[c.Statement]
	if !ok {
		return nil, fmt.Errorf("certify: %w: unknown statement %q", ErrFormat, c.Statement)
	}
	if !slices.Equal(c.Variables, st.variables) {
		return nil, fmt.Errorf("certify: %w: statement %q has variables %v, the file says %v", ErrFormat, c.Statement, st.variables, c.Variables)
	}
	for i, b := range c.Boxes {
		if len(b.Lo) != len(c.Variables) || len(b.Hi) != len(c.Variables) || len(b.Enclosure) != 2 {
			return nil, fmt.Errorf("certify: %w: box %d needs %d lo, %d hi and 2 enclosure values", ErrFormat, i, len(c.Variables), len(c.Variables))
		}
		for j := range b.Lo {
			if !(b.Lo[j] <= b.Hi[j]) || math.IsInf(b.Lo[j], 0) || math.IsInf(b.Hi[j], 0) {
				return nil, fmt.Errorf("certify: %w: box %d has an empty or infinite side %d", ErrFormat, i, j)
			}
		}
	}
	if err := st.check(ctx, c); err != nil {
		return nil, err
	}
	s := &Summary{Statement: c.Statement, Boxes: len(c.Boxes), Claims: c.Claims}
	for _, b := range c.Boxes {
		if b.Lemma != "" {
			s.Lemmas++
		}
	}
	return s, nil
}

// sign is the sign a check requires of its function on a box.
type sign int

const (
	positive sign = 1
	negative sign = -1
)

func (s sign) String() string {
	if s == positive {
		return "> 0"
	}
	return "< 0"
}

// settle verifies box i of c: the recomputed enclosure e of its function
// lies inside the recorded one, and the recorded one has sign s.
func settle(c *Certificate, i int, e Interval, s sign) error {
	b := c.Boxes[i]
	r0, r1 := b.Enclosure[0], b.Enclosure[1]
	if !e.Valid() {
		return unsettled(i, "%s: the enclosure cannot be computed on %s", b.Check, boxText(c, b))
	}
	if !(r0 <= e.Lo() && e.Hi() <= r1) {
		return unsettled(i, "%s on %s: recomputed enclosure [%s, %s] is not inside the recorded [%s, %s]", b.Check, boxText(c, b), g17(e.Lo()), g17(e.Hi()), g17(r0), g17(r1))
	}
	if (s == positive && !(r0 > 0)) || (s == negative && !(r1 < 0)) {
		return unsettled(i, "%s on %s: enclosure [%s, %s] is not %s", b.Check, boxText(c, b), g17(r0), g17(r1), s)
	}
	return nil
}

func boxText(c *Certificate, b Box) string {
	var s []byte
	for j, name := range c.Variables {
		if j > 0 {
			s = append(s, ", "...)
		}
		if b.Lo[j] == b.Hi[j] {
			s = fmt.Appendf(s, "%s = %s", name, g17(b.Lo[j]))
		} else {
			s = fmt.Appendf(s, "%s ∈ [%s, %s]", name, g17(b.Lo[j]), g17(b.Hi[j]))
		}
	}
	return string(s)
}

func g17(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// tiling checks that the boxes idx (indices into c.Boxes, all of one
// check and one value of the fixed coordinates) tile [lo, hi] in
// coordinate j: sorted by their lower end, the first starts at lo, each
// starts where the previous ends, the last ends at hi.
func tiling(c *Certificate, idx []int, j int, lo, hi float64, what string) error {
	slices.SortStableFunc(idx, func(a, b int) int {
		x, y := c.Boxes[a].Lo[j], c.Boxes[b].Lo[j]
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	at := lo
	for _, i := range idx {
		b := c.Boxes[i]
		if b.Lo[j] != at {
			if b.Lo[j] > at {
				return unsettled(-1, "%s: no box covers %s ∈ [%s, %s]", what, c.Variables[j], g17(at), g17(b.Lo[j]))
			}
			return unsettled(i, "%s: box overlaps the previous one at %s = %s", what, c.Variables[j], g17(b.Lo[j]))
		}
		at = b.Hi[j]
	}
	if at != hi {
		return unsettled(-1, "%s: no box covers %s ∈ [%s, %s]", what, c.Variables[j], g17(at), g17(hi))
	}
	return nil
}
