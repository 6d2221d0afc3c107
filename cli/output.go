// This file holds how a subcommand's result reaches the user: as text or
// JSON, on stdout or atomically in an --out file (outfile), with error
// messages that name the user's path once.

package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/focaltk/focal/outfile"
	"github.com/focaltk/focal/verify"
)

// emit writes v as JSON, or with text, to stdout or atomically to out.
func (c *CLI) emit(out, format string, v any, text func(io.Writer) error) error {
	write := func(w io.Writer) error {
		if format == "json" {
			return verify.WriteJSON(w, v)
		}
		return text(w)
	}
	if out == "" {
		return write(c.Stdout)
	}
	return c.writeAtomic(out, write)
}

// writeAtomic writes a file through outfile.File (a temporary file
// in the same directory and a rename), so that path is either untouched
// or complete; its errors name path ("write out.json: is a directory").
// A run stopped by a signal before the commit leaves path untouched.
func (c *CLI) writeAtomic(path string, write func(io.Writer) error) error {
	f, err := outfile.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %v", path, pathReason(path, err))
	}
	if c.ctx != nil && c.ctx.Err() != nil {
		f.Abort()
		return c.ctx.Err()
	}
	return f.Commit()
}

// pathReason returns the reason of an error about path without the path,
// which the message names already ("cannot read x.json: no such file or
// directory", not "cannot read x.json: open x.json: no such file or
// directory"); other errors are returned as they are.
func pathReason(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		return pe.Err
	}
	return err
}
