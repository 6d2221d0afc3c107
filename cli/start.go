// This file holds what every subcommand does between checking its flags
// and starting its work (CLI.start): it declares the files it reads and
// writes, which are checked here once for all subcommands (an output may
// not be an input or another output, an input must be a readable file, an
// output's directory must exist), and it gets the context that SIGINT,
// SIGTERM and SIGHUP cancel. Both exist so that no subcommand can forget
// them: a subcommand that writes a file and did not declare it would be
// the one a user's data is lost through.

package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/focaltk/focal/outfile"
)

// A file is one path a subcommand reads or writes, with the name the user
// knows it by in messages ("FILE", "--labels", "--out").
type file struct {
	flag, path string
	// once: an input read only once, which may be a pipe or device
	// (verify merge <(…)); other inputs are read twice and must be
	// regular files.
	once bool
}

// named is how messages name f: the path of the input FILE, else the flag
// and the path ("--val idx.txt").
func (f file) named() string {
	if f.flag == "FILE" {
		return f.path
	}
	return f.flag + " " + f.path
}

// job is what a subcommand declares to start: the files it reads and
// writes (empty paths are skipped, "-" is stdout).
type job struct {
	inputs, outputs []file
}

// errCheckOnly is returned by start in check-only mode (CLI.checkOnly),
// after every check and before any work: tests use it to see that a flag
// value is accepted without paying for the run it asks for.
var errCheckOnly = errors.New("check only: the flags and files are valid")

// interruptGrace is how long a subcommand may take to stop after a signal
// before the process removes its temporary files and exits anyway (only
// when CLI.Exit is set, as in cmd/verify): the work loops check the
// context far more often than this, but a blocked open of a FIFO does not.
const interruptGrace = time.Second

// start checks the job's files, then returns the context of the work,
// cancelled by SIGINT, SIGTERM or SIGHUP (Main turns a run so stopped into
// exit code 128 + the signal's number).
func (c *CLI) start(j job) (context.Context, error) {
	if err := checkFiles(j); err != nil {
		return nil, err
	}
	if c.checkOnly {
		return nil, errCheckOnly
	}
	return c.signalContext(), nil // installed by Main
}

// checkFiles refuses a job whose files cannot work: an input that is
// missing, a directory, or not a regular file when read twice; an output
// that is a directory or lies in a missing directory; and any two of the
// job's files that are the same file (compared as files, through links
// and relative paths: outfile.Same), except devices such as /dev/null,
// which two outputs may share.
func checkFiles(j job) error {
	var all []file
	for _, in := range j.inputs {
		if in.path == "" {
			continue
		}
		st, err := os.Stat(in.path)
		switch {
		case err != nil:
			return usagef("cannot read %s: %v", in.named(), pathReason(in.path, err))
		case st.IsDir():
			return usagef("cannot read %s: is a directory", in.named())
		case !in.once && !st.Mode().IsRegular():
			return usagef("cannot read %s: not a regular file (it is read twice, which a pipe or device cannot be; save it to a file first)", in.named())
		}
		all = append(all, in)
	}
	for _, out := range j.outputs {
		if out.path == "" || out.path == "-" {
			continue
		}
		target := outfile.Resolve(out.path)
		if st, err := os.Stat(target); err == nil && st.IsDir() {
			return &os.PathError{Op: "write", Path: out.path, Err: syscall.EISDIR}
		}
		dir := filepath.Dir(target)
		st, err := os.Stat(dir)
		switch {
		case err != nil:
			return &os.PathError{Op: "write", Path: out.path, Err: pathReason(dir, err)}
		case !st.IsDir():
			return &os.PathError{Op: "write", Path: out.path, Err: syscall.ENOTDIR}
		}
		if err := syscall.Access(dir, 2 /* W_OK */); err != nil {
			return &os.PathError{Op: "write", Path: out.path, Err: err}
		}
		for _, prev := range all {
			if outfile.Same(prev.path, out.path) && (!isOutput(prev, j) || isRegular(out.path)) {
				return usagef("%s %s is the same file as %s %s: refusing to overwrite it", out.flag, out.path, prev.flag, prev.path)
			}
		}
		all = append(all, out)
	}
	return nil
}

func isOutput(f file, j job) bool {
	for _, o := range j.outputs {
		if o == f {
			return true
		}
	}
	return false
}

// isRegular reports whether path is a regular file or does not exist yet
// (what an output becomes).
func isRegular(path string) bool {
	st, err := os.Stat(path)
	return err != nil || st.Mode().IsRegular()
}

// signalContext installs handlers for SIGINT, SIGTERM and SIGHUP (also when
// the process was started with SIGINT ignored, as a non-interactive shell
// starts background jobs: signal.Notify enables it again) and returns a
// context they cancel. The signal is kept for Main; a second signal, or a
// run not stopped within interruptGrace, removes the temporary files and
// exits at once when CLI.Exit is set.
func (c *CLI) signalContext() context.Context {
	if c.ctx != nil {
		return c.ctx
	}
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	c.ctx = ctx
	c.stopSignals = func() {
		signal.Stop(ch)
		close(done)
		cancel()
	}
	go func() {
		var s os.Signal
		select {
		case s = <-ch:
		case <-done:
			return
		}
		c.caught.Store(&s)
		cancel()
		select {
		case <-ch:
		case <-time.After(interruptGrace):
		case <-done:
			return
		}
		if c.Exit != nil {
			outfile.AbortAll()
			fmt.Fprintf(c.Stderr, "%s: stopped by %s\n", c.name, signalName(s))
			c.Exit(exitForSignal(s))
		}
	}()
	return ctx
}

// interrupted returns the signal that stopped the run, or nil.
func (c *CLI) interrupted() os.Signal {
	if p := c.caught.Load(); p != nil {
		return *p
	}
	return nil
}

// exitForSignal is the shell's exit code for a process killed by s:
// 128 + its number (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP).
func exitForSignal(s os.Signal) int {
	if n, ok := s.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return ExitFailure
}

func signalName(s os.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return s.String()
}

// caughtSignal is the type of CLI.caught.
type caughtSignal = atomic.Pointer[os.Signal]
