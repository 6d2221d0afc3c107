// Package outfile writes output files atomically: a file appears at its
// path only when it is complete, and a failed run leaves nothing behind.
package outfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// File is an output file that appears at its path only when it is
// complete: it is written as a temporary file in the same directory (so the
// final rename stays on one file system and is atomic) and renamed over the
// path by Commit. Abort, or a failed Commit, removes the temporary file, so
// a failed run leaves nothing behind and never a half-written file at path.
type File struct {
	*os.File
	path string
	done bool
}

// Create creates the temporary file for path. Its errors, and those
// of Commit, are *os.PathError naming path (not the temporary file, which
// the user never named), e.g. "write out/x.npy: no such file or directory".
func Create(path string) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, &os.PathError{Op: "write", Path: path, Err: syscall.EISDIR}
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, targetError(path, err)
	}
	return &File{File: f, path: path}, nil
}

// targetError reports err, an error on the temporary file, as an error
// writing path.
func targetError(path string, err error) error {
	var pe *os.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		err = pe.Err
	case errors.As(err, &le):
		err = le.Err
	}
	return &os.PathError{Op: "write", Path: path, Err: err}
}

// Commit flushes the file to disk, closes it, sets its mode to 0644 (a
// temporary file is created 0600) and renames it to its path. On failure it
// removes the temporary file and returns the error.
func (f *File) Commit() error {
	if f.done {
		return errors.New("numeric: File already committed or aborted")
	}
	f.done = true
	err := f.File.Sync()
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.File.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.File.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.File.Name())
		return targetError(f.path, err)
	}
	return nil
}

// Abort closes and removes the temporary file; it does nothing after Commit
// or a previous Abort.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	os.Remove(f.File.Name())
}
