package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/focaltk/focal/outfile"
)

// DefaultSeed is the seed the committed docs are generated with (the
// staleness test recomputes the blocks with it).
const DefaultSeed = 1

// The files the report writes, relative to Options.OutDir.
const (
	FindingsFile = "findings.md"
	TheoryFile   = "theory.md"
	FiguresDir   = "figures"
)

// DocFiles are the files with generated blocks, in the order Run writes
// them (LossesFile is in losses.go).
var DocFiles = []string{FindingsFile, TheoryFile, LossesFile}

// Options configures Run. The zero value regenerates ./findings.md,
// ./theory.md and ./figures/ with seed 0; the command passes DefaultSeed and
// docs/.
type Options struct {
	// Seed seeds every random choice: the searches, the boundary
	// optimizer and the experiments. The committed docs use DefaultSeed.
	Seed uint64
	// OutDir holds findings.md, theory.md and figures/ ("" means ".").
	OutDir string
	// DataDir is where experiments.RealData reads the UCI data sets.
	DataDir string
	// Only restricts the run to the named blocks and figures (nil: all).
	Only []string
	// NoFigures skips the figures.
	NoFigures bool
	// Check compares the generated blocks with the files instead of
	// writing them, and writes no figure: Run then returns the names of
	// the stale blocks in Result.Stale.
	Check bool
	// Log receives one line per step (progress); nil discards it.
	Log io.Writer
}

// Result says what Run did.
type Result struct {
	// Blocks and Figures are the names of the blocks and figures
	// generated (Figures: file names under figures/).
	Blocks, Figures []string
	// Stale lists the blocks whose committed text differs from the
	// generated one (Check only).
	Stale []string
	// Timings is the wall time of each step, in order.
	Timings []Timing
}

// CheckSummary is the line that says what a Check run compared and what it
// found, e.g. "compared 11 generated blocks of docs/findings.md and 1 of
// docs/theory.md with a fresh computation (seed 1): all up to date;
// figures are not compared (--check draws none)"; opt is the Options of
// the run.
func (res *Result) CheckSummary(opt Options) string {
	dir := opt.OutDir
	if dir == "" {
		dir = "."
	}
	var parts []string
	for _, file := range DocFiles {
		n := 0
		for _, b := range blocks {
			if b.file == file && slices.Contains(res.Blocks, b.name) {
				n++
			}
		}
		if n == 0 {
			continue
		}
		path := filepath.Join(dir, file)
		switch {
		case len(parts) > 0:
			parts = append(parts, fmt.Sprintf("%d of %s", n, path))
		case n == 1:
			parts = append(parts, fmt.Sprintf("1 generated block of %s", path))
		default:
			parts = append(parts, fmt.Sprintf("%d generated blocks of %s", n, path))
		}
	}
	what := "no generated block"
	if len(parts) > 0 {
		what = strings.Join(parts, " and ")
	}
	verdict := "all up to date"
	if len(res.Stale) > 0 {
		verdict = fmt.Sprintf("%d stale: %s", len(res.Stale), strings.Join(res.Stale, ", "))
	}
	return fmt.Sprintf("compared %s with a fresh computation (seed %d): %s; figures are not compared (--check draws none)", what, opt.Seed, verdict)
}

// Timing is the wall time of one step of Run.
type Timing struct {
	Name    string
	Seconds float64
}

// block is one generated block: its file, its marker name, whether it is
// cheap enough for the staleness test (a few seconds, also under -race),
// and its generator.
type block struct {
	file  string
	name  string
	cheap bool
	gen   func(ctx context.Context, r *run) (string, error)
}

// figure is one PNG under figures/.
type figure struct {
	name string // file name, e.g. "phi.png"
	draw func(ctx context.Context, r *run, path string) error
}

// blocks is the registry of generated blocks, in the order of the files.
var blocks = []block{
	{FindingsFile, "tau-table", true, genTauTable},
	{FindingsFile, "tau-limits", true, genTauLimits},
	{FindingsFile, "tau-asymptotics", true, genTauAsymptotics},
	{FindingsFile, "confidence-crossover", true, genCrossover},
	{FindingsFile, "theorem-table", true, genTheoremTable},
	{FindingsFile, "conjecture-table", true, genConjectureTable},
	{FindingsFile, "boundary-table", false, genBoundaryTable},
	{FindingsFile, "boundary-k1000", true, genBoundaryK1000},
	{FindingsFile, "synthetic", false, genSynthetic},
	{FindingsFile, "realdata", false, genRealData},
	{FindingsFile, "nitorch", true, genNitorch},
	{TheoryFile, "claims-table", true, genClaimsTable},
	{LossesFile, "loss-table", true, genLossTable},
	{LossesFile, "loss-witnesses", true, genLossWitnesses},
	{LossesFile, "flsd53-k2", true, genFLSD},
}

// figures is the registry of figures.
var figures = []figure{
	{"phi.png", drawPhi},
	{"tau.png", drawTau},
	{"confidence.png", drawConfidence},
	{"boundary.png", drawBoundary},
	{"synthetic.png", drawSynthetic},
	{"realdata.png", drawRealData},
	{"losses-h.png", drawLossesH},
}

// BlockNames lists the generated blocks of file (one of DocFiles) in order; cheap selects the blocks the staleness test
// recomputes (true), the others (false), or all (nil).
func BlockNames(file string, cheap *bool) []string {
	var names []string
	for _, b := range blocks {
		if b.file == file && (cheap == nil || *cheap == b.cheap) {
			names = append(names, b.name)
		}
	}
	return names
}

// FigureNames lists the figure files Run draws under figures/.
func FigureNames() []string {
	var names []string
	for _, f := range figures {
		names = append(names, f.name)
	}
	return names
}

// Generate returns the text of one generated block, computed now with
// opt.Seed (and opt.DataDir for the real-data block).
func Generate(ctx context.Context, name string, opt Options) (string, error) {
	for _, b := range blocks {
		if b.name == name {
			return b.gen(ctx, newRun(opt))
		}
	}
	return "", fmt.Errorf("report: no generated block %q", name)
}

// run carries the options and the results shared by several blocks and
// figures, computed once on first use.
type run struct {
	opt Options
	log io.Writer

	boundary  []boundaryRow
	synthetic syntheticResult
	realData  realResult
}

func newRun(opt Options) *run {
	r := &run{opt: opt, log: opt.Log}
	if r.log == nil {
		r.log = io.Discard
	}
	return r
}

func (r *run) logf(format string, args ...any) {
	fmt.Fprintf(r.log, "report: "+format+"\n", args...)
}

// Run regenerates the generated blocks of findings.md, theory.md and losses.md under
// opt.OutDir (hand-written text outside the markers is kept) and draws the
// figures under OutDir/figures. Files are written atomically. With
// opt.Check it writes nothing and reports the stale blocks instead.
func Run(ctx context.Context, opt Options) (*Result, error) {
	dir := opt.OutDir
	if dir == "" {
		dir = "."
	}
	want := func(name string) bool { return len(opt.Only) == 0 || slices.Contains(opt.Only, name) }
	for _, n := range opt.Only {
		if !slices.ContainsFunc(blocks, func(b block) bool { return b.name == n }) &&
			!slices.ContainsFunc(figures, func(f figure) bool { return f.name == n }) {
			return nil, fmt.Errorf("report: no block or figure %q", n)
		}
	}
	r := newRun(opt)
	res := &Result{}
	step := func(name string, fn func() error) error {
		r.logf("%s ...", name)
		t0 := time.Now()
		if err := fn(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		s := time.Since(t0).Seconds()
		res.Timings = append(res.Timings, Timing{name, s})
		r.logf("%s done (%.1f s)", name, s)
		return nil
	}

	for _, file := range DocFiles {
		if !slices.ContainsFunc(blocks, func(b block) bool { return b.file == file && want(b.name) }) {
			continue
		}
		path := filepath.Join(dir, file)
		old, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) && !opt.Check {
			old, err = skeleton(file), nil
		}
		if err != nil {
			return nil, err
		}
		doc := string(old)
		for _, b := range blocks {
			if b.file != file || !want(b.name) {
				continue
			}
			var text string
			if err := step(b.name, func() (err error) { text, err = b.gen(ctx, r); return err }); err != nil {
				return nil, err
			}
			res.Blocks = append(res.Blocks, b.name)
			if opt.Check {
				committed, err := Block(doc, b.name)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", path, err)
				}
				if committed != withNewline(text) {
					res.Stale = append(res.Stale, b.name)
				}
				continue
			}
			if doc, err = ReplaceBlock(doc, b.name, text); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		}
		if !opt.Check && doc != string(old) {
			if err := writeAtomic(path, []byte(doc)); err != nil {
				return nil, err
			}
			r.logf("wrote %s", path)
		}
	}
	if opt.Check || opt.NoFigures {
		return res, nil
	}
	figDir := filepath.Join(dir, FiguresDir)
	if err := os.MkdirAll(figDir, 0o755); err != nil {
		return nil, err
	}
	for _, f := range figures {
		if !want(f.name) {
			continue
		}
		path := filepath.Join(figDir, f.name)
		if err := step(f.name, func() error { return drawAtomic(ctx, r, f, path) }); err != nil {
			return nil, err
		}
		res.Figures = append(res.Figures, f.name)
	}
	return res, nil
}

// drawAtomic draws f into a temporary file and renames it to path.
func drawAtomic(ctx context.Context, r *run, f figure, path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return &os.PathError{Op: "write", Path: path, Err: syscall.EISDIR}
	}
	// A unique temporary name (concurrent runs do not collide) that keeps
	// the extension, from which the plot's format is chosen.
	tf, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*"+filepath.Ext(path))
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := tf.Name()
	tf.Close()
	if err := f.draw(ctx, r, tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		var le *os.LinkError
		if errors.As(err, &le) {
			err = le.Err
		}
		return &os.PathError{Op: "write", Path: path, Err: err}
	}
	return nil
}

func writeAtomic(path string, b []byte) error {
	f, err := outfile.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, bytes.NewReader(b)); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

func withNewline(s string) string {
	if s != "" && !strings.HasSuffix(s, "\n") {
		return s + "\n"
	}
	return s
}

// skeleton is the file Run starts from when OutDir has none: a title and
// the markers of every block, without the hand-written text of the
// committed docs.
func skeleton(file string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s (generated by verify report; the committed docs/%s has the text around the tables)\n\n", strings.TrimSuffix(file, ".md"), file)
	for _, bl := range blocks {
		if bl.file == file {
			fmt.Fprintf(&b, "%s\n%s\n\n", beginMarker(bl.name), endMarker(bl.name))
		}
	}
	return []byte(b.String())
}
