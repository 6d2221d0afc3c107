package report

import (
	"fmt"
	"strings"
)

// A generated block of a Markdown file is the text between the lines
//
//	<!-- BEGIN generated:NAME -->
//	<!-- END generated:NAME -->
//
// Everything outside the markers is hand-written and is never touched; the
// text between them is produced by one generator (see blocks) and is
// replaced whole.

func beginMarker(name string) string { return "<!-- BEGIN generated:" + name + " -->" }
func endMarker(name string) string   { return "<!-- END generated:" + name + " -->" }

// span locates the generated block name in doc: content is doc[start:end],
// the text after the BEGIN line up to the END line.
func span(doc, name string) (start, end int, err error) {
	b, e := beginMarker(name), endMarker(name)
	i := strings.Index(doc, b+"\n")
	if i < 0 {
		return 0, 0, fmt.Errorf("report: no line %q", b)
	}
	if strings.Count(doc, b) > 1 {
		return 0, 0, fmt.Errorf("report: line %q appears more than once", b)
	}
	start = i + len(b) + 1
	j := strings.Index(doc[start:], e)
	if j < 0 {
		return 0, 0, fmt.Errorf("report: no line %q after %q", e, b)
	}
	end = start + j
	if end > start && doc[end-1] != '\n' {
		return 0, 0, fmt.Errorf("report: %q must start a line", e)
	}
	return start, end, nil
}

// Block returns the content of the generated block name in doc.
func Block(doc, name string) (string, error) {
	s, e, err := span(doc, name)
	if err != nil {
		return "", err
	}
	return doc[s:e], nil
}

// ReplaceBlock returns doc with the content of the generated block name
// replaced by content (a newline is added if content does not end in one).
func ReplaceBlock(doc, name, content string) (string, error) {
	s, e, err := span(doc, name)
	if err != nil {
		return "", err
	}
	if content != "" && !strings.HasSuffix(content, "\n") {
		content += "\n"
	}
	return doc[:s] + content + doc[e:], nil
}

// MarkedBlocks returns the names of the generated blocks of doc, in order.
func MarkedBlocks(doc string) []string {
	const pre = "<!-- BEGIN generated:"
	var names []string
	for _, line := range strings.Split(doc, "\n") {
		if rest, ok := strings.CutPrefix(line, pre); ok {
			if name, ok := strings.CutSuffix(rest, " -->"); ok {
				names = append(names, name)
			}
		}
	}
	return names
}
