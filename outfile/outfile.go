// Package outfile writes output files atomically: a file appears at its
// path only when it is complete, and a failed run leaves nothing behind.
//
// What a path names decides how it is written:
//   - a regular file, or nothing yet: a temporary file in the same
//     directory, renamed over the path by Commit; an existing file keeps
//     its mode, a new one gets 0666 less the umask;
//   - a symbolic link: the same, at the link's final target, so the link
//     stays a link;
//   - a device, FIFO or socket (/dev/null, /dev/stdout, a named pipe):
//     written directly, without a temporary file or rename (a device
//     cannot be replaced atomically, and replacing it would destroy it);
//   - a directory: refused (EISDIR).
//
// A Set holds several outputs of one run: each is written in full before
// any is committed, so a failure in the second leaves the first untouched.
package outfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// File is an output file that appears at its path only when it is
// complete: it is written as a temporary file in the same directory as its
// target (so the final rename stays on one file system and is atomic) and
// renamed over the target by Commit. Abort, or a failed Commit, removes
// the temporary file, so a failed run leaves nothing behind and never a
// half-written file at path. A device or FIFO is written directly (see the
// package doc).
//
// Errors of Create, Write, WriteString, Commit are *fs.PathError naming
// the user's path (not the temporary file, which the user never named),
// e.g. "write out/x.npy: no space left on device".
type File struct {
	*os.File
	path   string // as the user named it
	target string // the file the rename replaces (path with symlinks resolved)
	direct bool   // a device or FIFO: written in place
	mode   fs.FileMode
	keep   bool // an existing file: set its mode on the temporary file
	done   bool
}

// maxLinks bounds the symbolic links Create follows (as Linux's 40).
const maxLinks = 40

// Resolve returns the file path denotes once symbolic links are followed,
// also when the final target does not exist yet (a dangling link names the
// file it would create). The parent directory is resolved too, so two
// paths name the same file exactly when their Resolve results are equal.
// Paths that cannot be resolved (a missing directory) are returned cleaned
// and absolute.
func Resolve(path string) string {
	p, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	for range maxLinks {
		dir, base := filepath.Split(p)
		if d, err := filepath.EvalSymlinks(dir); err == nil {
			dir = d
		}
		p = filepath.Join(dir, base)
		st, err := os.Lstat(p)
		if err != nil || st.Mode()&fs.ModeSymlink == 0 {
			return p
		}
		link, err := os.Readlink(p)
		if err != nil {
			return p
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(dir, link)
		}
		p = filepath.Clean(link)
	}
	return p
}

// Same reports whether paths a and b name the same file: the same inode
// when both exist (hard links, symbolic links, relative paths), else the
// same resolved path (Resolve).
func Same(a, b string) bool {
	sa, ea := os.Stat(a)
	sb, eb := os.Stat(b)
	if ea == nil && eb == nil {
		return os.SameFile(sa, sb)
	}
	return Resolve(a) == Resolve(b)
}

// Create starts writing path. Its errors are *fs.PathError naming path,
// with Op "write".
func Create(path string) (*File, error) {
	target := Resolve(path)
	f := &File{path: path, target: target, mode: 0o666}
	st, err := os.Stat(target)
	switch {
	case err == nil && st.IsDir():
		return nil, &fs.PathError{Op: "write", Path: path, Err: syscall.EISDIR}
	case err == nil && !st.Mode().IsRegular():
		// A device, FIFO or socket: write in place. O_TRUNC is ignored by
		// devices and FIFOs.
		w, err := os.OpenFile(target, os.O_WRONLY, 0)
		if err != nil {
			return nil, targetError(path, err)
		}
		f.File, f.direct = w, true
		return f, nil
	case err == nil:
		f.mode, f.keep = st.Mode().Perm(), true
	}
	dir, base := filepath.Split(target)
	tmp, err := createTemp(dir, "."+base+".tmp-")
	if err != nil {
		return nil, targetError(path, err)
	}
	f.File = tmp
	track(f)
	if f.keep {
		if err := tmp.Chmod(f.mode); err != nil {
			f.Abort()
			return nil, targetError(path, err)
		}
	}
	return f, nil
}

// createTemp is os.CreateTemp with mode 0666 instead of 0600, so that the
// kernel applies the umask to a new output as it does to any new file
// (reading the umask would need syscall.Umask, which sets it too and races
// with other goroutines creating files).
func createTemp(dir, prefix string) (*os.File, error) {
	if dir == "" {
		dir = "."
	}
	var err error
	for range 10000 {
		name := filepath.Join(dir, fmt.Sprintf("%s%d", prefix, rand.Uint32()))
		var f *os.File
		f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, err
}

// Path returns the path the file was created for, as the caller named it.
func (f *File) Path() string { return f.path }

// Write writes b; its errors name the user's path.
func (f *File) Write(b []byte) (int, error) {
	n, err := f.File.Write(b)
	if err != nil {
		err = targetError(f.path, err)
	}
	return n, err
}

// WriteString writes s; its errors name the user's path.
func (f *File) WriteString(s string) (int, error) {
	n, err := f.File.WriteString(s)
	if err != nil {
		err = targetError(f.path, err)
	}
	return n, err
}

// targetError reports err, an error on the temporary file, as an error
// writing path.
func targetError(path string, err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		err = pe.Err
	case errors.As(err, &le):
		err = le.Err
	}
	return &fs.PathError{Op: "write", Path: path, Err: err}
}

// Commit flushes the file to disk, closes it and renames it over its
// target (a direct file is only closed). On failure it removes the
// temporary file and returns the error.
func (f *File) Commit() error {
	if err := f.finish(); err != nil {
		return err
	}
	return f.rename()
}

// finish is Commit up to the rename: flush and close.
func (f *File) finish() error {
	if f.done {
		return errors.New("outfile: File already committed or aborted")
	}
	if f.direct {
		f.done = true
		if err := f.File.Close(); err != nil {
			return targetError(f.path, err)
		}
		return nil
	}
	err := f.File.Sync()
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		f.done = true
		untrack(f)
		os.Remove(f.File.Name())
		return targetError(f.path, err)
	}
	return nil
}

// rename moves a finished file into place.
func (f *File) rename() error {
	if f.done {
		return nil // direct
	}
	f.done = true
	defer untrack(f)
	if err := os.Rename(f.File.Name(), f.target); err != nil {
		os.Remove(f.File.Name())
		return targetError(f.path, err)
	}
	return nil
}

// Abort closes and removes the temporary file; it does nothing after Commit
// or a previous Abort. A direct file (a device) is only closed: what was
// written to it is gone.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	if !f.direct {
		untrack(f)
		os.Remove(f.File.Name())
	}
}

// Set is the outputs of one run, committed together: Commit finishes
// (flushes and closes) every file before it renames any, so a failure
// while writing or flushing any of them leaves all their paths untouched.
// The zero Set is ready to use.
type Set struct {
	files []*File
}

// Create creates path (as Create) as a member of the set.
func (s *Set) Create(path string) (*File, error) {
	f, err := Create(path)
	if err != nil {
		return nil, err
	}
	s.files = append(s.files, f)
	return f, nil
}

// Commit finishes every file, then renames them into place in the order
// they were created. If a file fails to finish, every file is aborted and
// nothing is renamed. A rename can still fail after earlier ones succeeded
// (the disk is full for none of them then, but a directory may have
// vanished): the error then says which files were written.
func (s *Set) Commit() error {
	for _, f := range s.files {
		if err := f.finish(); err != nil {
			s.Abort()
			return err
		}
	}
	var written []string
	for _, f := range s.files {
		if err := f.rename(); err != nil {
			s.Abort()
			if len(written) > 0 {
				return fmt.Errorf("%w (already written: %s)", err, strings.Join(written, ", "))
			}
			return err
		}
		written = append(written, f.path)
	}
	return nil
}

// Abort aborts every file of the set not yet committed.
func (s *Set) Abort() {
	for _, f := range s.files {
		f.Abort()
	}
}

// live holds the temporary files not yet committed or aborted, for
// AbortAll.
var live = struct {
	sync.Mutex
	m map[*File]bool
}{m: map[*File]bool{}}

func track(f *File) {
	live.Lock()
	live.m[f] = true
	live.Unlock()
}

func untrack(f *File) {
	live.Lock()
	delete(live.m, f)
	live.Unlock()
}

// AbortAll removes every temporary file of this process not yet committed
// or aborted. It is for a program that must exit at once (a second signal,
// a run that does not stop in time): the goroutines writing those files
// may still be running, and their next write fails.
func AbortAll() {
	live.Lock()
	defer live.Unlock()
	for f := range live.m {
		if !f.direct {
			os.Remove(f.File.Name())
		}
		delete(live.m, f)
	}
}
