package focal_test

// The layering of docs/architecture.md, checked on the source: every
// package's non-test imports point down the table below (or along one of
// the listed edges inside a layer), no package below the CLI prints to the
// process's stdout or stderr, and files are created only through outfile.
// A package missing from the table fails the test: add it here and to
// docs/architecture.md together.

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Layers, as in docs/architecture.md (higher imports lower).
const (
	layerFoundation = iota
	layerLoss
	layerEngine
	layerGen
	layerDriver
	layerCLI
	layerCommand
	// layerTests: proptest (test files only) and the helpers only tests
	// import; above every other layer, so that no package's non-test code
	// can import them.
	layerTests
)

// layers maps each package (relative to the module root) to its layer.
var layers = map[string]int{
	"theory":            layerFoundation,
	"hiprec":            layerFoundation,
	"outfile":           layerFoundation,
	"jsonfloat":         layerFoundation,
	"loss":              layerLoss,
	"numeric":           layerEngine,
	"matio":             layerEngine,
	"gen":               layerGen,
	"verify":            layerDriver,
	"calibrate":         layerDriver,
	"experiments":       layerDriver,
	"report":            layerDriver,
	"certify":           layerDriver,
	"cli":               layerCLI,
	"cmd/verify":        layerCommand,
	"scripts/memcheck":  layerCommand,
	"proptest":          layerTests,
	"internal/fuzzvec":  layerTests,
	"internal/acctable": layerTests,
	"internal/npyraw":   layerTests,
}

// sameLayer lists the imports allowed inside a layer.
var sameLayer = map[[2]string]string{
	{"report", "experiments"}:    "report renders the experiments",
	{"report", "verify"}:         "report renders the searches and the boundary",
	{"experiments", "calibrate"}: "the real-data experiment calibrates",
	{"matio", "numeric"}:         "matio reports undecodable entries as numeric.RowError, the one row-error type callers handle",
}

// forbidden lists imports that the layers would allow but a package's
// purpose rules out.
var forbidden = map[[2]string]string{
	{"certify", "theory"}:  "certify checks independently of the float64 code",
	{"certify", "numeric"}: "certify checks independently of the float64 code",
	{"certify", "loss"}:    "certify checks independently of the float64 code",
	{"certify", "gen"}:     "certify checks independently of the float64 code",
}

// pkg is one package of the module: its directory, relative to the root,
// and its non-test files.
type pkg struct {
	dir   string
	files []*ast.File
	names []string // file paths, parallel to files
	fset  *token.FileSet
}

// modulePath reads the module line of go.mod.
func modulePath(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "module "); ok {
			return strings.TrimSpace(rest)
		}
	}
	t.Fatal("go.mod has no module line")
	return ""
}

// packages parses every directory of the module that holds Go files
// (skipping testdata and hidden directories); files of every build
// configuration count, so an import behind a build tag is checked too.
func packages(t *testing.T) map[string]*pkg {
	t.Helper()
	out := map[string]*pkg{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != "." && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		dir := filepath.ToSlash(filepath.Dir(p))
		if dir == "." {
			return nil // this test
		}
		pk := out[dir]
		if pk == nil {
			pk = &pkg{dir: dir, fset: fset}
			out[dir] = pk
		}
		if strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		pk.files = append(pk.files, f)
		pk.names = append(pk.names, filepath.ToSlash(p))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// importsOf returns the module-internal imports of pk, relative to the
// module root, sorted and without duplicates.
func importsOf(pk *pkg, module string) []string {
	var deps []string
	for _, f := range pk.files {
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if rel, ok := strings.CutPrefix(p, module+"/"); ok {
				deps = append(deps, rel)
			}
		}
	}
	slices.Sort(deps)
	return slices.Compact(deps)
}

// violations returns one line per import edge (from → to) that the table
// does not allow, and per package missing from it.
func violations(graph map[string][]string) []string {
	var out []string
	froms := make([]string, 0, len(graph))
	for from := range graph {
		froms = append(froms, from)
	}
	slices.Sort(froms)
	for _, from := range froms {
		lf, ok := layers[from]
		if !ok {
			out = append(out, fmt.Sprintf("package %s is in no layer: add it to arch_test.go and docs/architecture.md", from))
			continue
		}
		for _, to := range graph[from] {
			lt, ok := layers[to]
			switch {
			case !ok:
				out = append(out, fmt.Sprintf("%s imports %s, which is in no layer", from, to))
			case forbidden[[2]string{from, to}] != "":
				out = append(out, fmt.Sprintf("%s imports %s: forbidden (%s)", from, to, forbidden[[2]string{from, to}]))
			case lt > lf:
				out = append(out, fmt.Sprintf("%s (layer %d) imports %s (layer %d): an import up the layers", from, lf, to, lt))
			case lt == lf && sameLayer[[2]string{from, to}] == "":
				out = append(out, fmt.Sprintf("%s imports %s, of its own layer %d, and the edge is not listed", from, to, lf))
			}
		}
	}
	return out
}

func TestLayers(t *testing.T) {
	module := modulePath(t)
	graph := map[string][]string{}
	for dir, pk := range packages(t) {
		graph[dir] = importsOf(pk, module)
	}
	for _, v := range violations(graph) {
		t.Error(v)
	}
	// A run from elsewhere would find nothing and pass: make sure the
	// walk saw the tree.
	for _, need := range []string{"theory", "numeric", "verify", "cli", "cmd/verify"} {
		if _, ok := graph[need]; !ok {
			t.Errorf("package %s not found: is the test run from the module root?", need)
		}
	}
}

// TestViolationsReportsUpwardImports: the checker itself finds an import
// up the layers (the shape the CLI once had: verify/cli under report), an
// unlisted edge inside a layer, a forbidden edge and an unknown package.
func TestViolationsReportsUpwardImports(t *testing.T) {
	got := violations(map[string][]string{
		"theory":    {"numeric"},
		"verify":    {"report", "numeric"},
		"calibrate": {"verify"},
		"certify":   {"theory"},
		"util":      nil,
	})
	want := []string{
		"calibrate imports verify, of its own layer 4, and the edge is not listed",
		"certify imports theory: forbidden (certify checks independently of the float64 code)",
		"theory (layer 0) imports numeric (layer 2): an import up the layers",
		"package util is in no layer: add it to arch_test.go and docs/architecture.md",
		"verify imports report, of its own layer 4, and the edge is not listed",
	}
	if !slices.Equal(got, want) {
		t.Errorf("violations =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if v := violations(map[string][]string{"cli": {"report", "verify", "theory"}, "report": {"verify", "outfile"}}); len(v) != 0 {
		t.Errorf("allowed imports reported: %v", v)
	}
}

// calls returns the uses of package-level identifiers of the standard
// packages in f, as "os.Stdout", "fmt.Println", with their positions, and
// the calls of the builtins print and println.
func calls(fset *token.FileSet, f *ast.File) map[string][]token.Position {
	local := map[string]string{} // local name → import path
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		name := path.Base(p)
		if im.Name != nil {
			name = im.Name.Name
		}
		local[name] = p
	}
	out := map[string][]token.Position{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok {
				if p, ok := local[id.Name]; ok {
					k := p + "." + n.Sel.Name
					out[k] = append(out[k], fset.Position(n.Pos()))
				}
			}
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok && (id.Name == "print" || id.Name == "println") {
				out[id.Name] = append(out[id.Name], fset.Position(n.Pos()))
			}
		}
		return true
	})
	return out
}

// TestNoPrintingBelowCLI: below the CLI, output goes to the io.Writers a
// caller passes, never to the process's stdout or stderr.
func TestNoPrintingBelowCLI(t *testing.T) {
	for dir, pk := range packages(t) {
		if l, ok := layers[dir]; !ok || l >= layerCLI {
			continue
		}
		for i, f := range pk.files {
			for k, at := range calls(pk.fset, f) {
				bad := k == "os.Stdout" || k == "os.Stderr" || k == "print" || k == "println" ||
					strings.HasPrefix(k, "log.") || k == "fmt.Print" || k == "fmt.Println" || k == "fmt.Printf"
				if bad {
					t.Errorf("%s: %s below the CLI (%s, %d uses): write to a caller's io.Writer", pk.names[i], k, at[0], len(at))
				}
			}
		}
	}
}

// createsFiles are the file-creating calls of package os.
var createsFiles = []string{"os.Create", "os.WriteFile", "os.OpenFile"}

// createExceptions: files below the CLI that may call them, and why.
var createExceptions = map[string]string{
	"outfile/outfile.go": "outfile is the atomic file",
	"report/plot.go":     "writes the PNG into the temporary file drawAtomic created and renames",
}

// TestOutputsAreAtomic: below the CLI, files are created through outfile
// (or, for figures, drawAtomic), so that no partial file is left behind.
func TestOutputsAreAtomic(t *testing.T) {
	for dir, pk := range packages(t) {
		if l, ok := layers[dir]; !ok || l >= layerCLI {
			continue
		}
		for i, f := range pk.files {
			if createExceptions[pk.names[i]] != "" {
				continue
			}
			for k, at := range calls(pk.fset, f) {
				if slices.Contains(createsFiles, k) {
					t.Errorf("%s: %s at %s: create output files with outfile.Create", pk.names[i], k, at[0])
				}
			}
		}
	}
}
