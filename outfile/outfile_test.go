package outfile_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/focaltk/focal/outfile"
)

func TestAtomicFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Abort leaves the old file and no temporary file.
	f, err := outfile.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("half")
	f.Abort()
	f.Abort()
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("after Abort: %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("after Abort the directory holds %d files", len(ents))
	}
	// Commit replaces it, with mode 0644.
	f, err = outfile.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("new")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort() // no effect after Commit
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("after Commit: %q", b)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", st.Mode())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("after Commit the directory holds %d files", len(ents))
	}
	if err := f.Commit(); err == nil {
		t.Error("second Commit succeeded")
	}
	if _, err := outfile.Create(filepath.Join(dir, "missing", "x")); err == nil {
		t.Error("CreateAtomic in a missing directory succeeded")
	}
}

// TestSymlinkWritesThrough: --out naming a symbolic link replaces the
// link's target and leaves the link a link (issue 14.4); a dangling link
// creates its target.
func TestSymlinkWritesThrough(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.csv")
	link := filepath.Join(dir, "link.csv")
	os.WriteFile(target, []byte("old"), 0o644)
	if err := os.Symlink("real.csv", link); err != nil {
		t.Fatal(err)
	}
	commit(t, link, "new")
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link is no longer a link: %v %v", st.Mode(), err)
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Errorf("target holds %q, want new", b)
	}
	dangling := filepath.Join(dir, "dangling.csv")
	os.Symlink(filepath.Join(dir, "sub", "..", "made.csv"), dangling)
	commit(t, dangling, "made")
	if b, _ := os.ReadFile(filepath.Join(dir, "made.csv")); string(b) != "made" {
		t.Errorf("dangling link's target holds %q", b)
	}
	if st, _ := os.Lstat(dangling); st.Mode()&os.ModeSymlink == 0 {
		t.Error("the dangling link was replaced")
	}
	if n := len(entries(t, dir)); n != 4 {
		t.Errorf("directory holds %d entries, want 4: %v", n, entries(t, dir))
	}
}

// TestDeviceWrittenDirectly: a device stays a device (as root the old
// rename replaced --out /dev/null by a regular file for the whole machine;
// issue 14.4), and a FIFO receives the data instead of being replaced by a
// regular file. The device is a null device made with mknod in a temporary
// directory, so that a regression cannot break the machine's /dev/null;
// without root the test uses /dev/null itself, which it then cannot
// replace.
func TestDeviceWrittenDirectly(t *testing.T) {
	dev := filepath.Join(t.TempDir(), "null")
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		dev = "/dev/null"
	}
	f, err := outfile.Create(dev)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("discarded")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dev); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("%s is no longer a character device: %v %v", dev, st.Mode(), err)
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	got := make(chan string)
	go func() {
		r, err := os.Open(fifo)
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(r)
		r.Close()
		got <- string(b)
	}()
	commit(t, fifo, "through the pipe")
	if s := <-got; s != "through the pipe" {
		t.Errorf("reader got %q", s)
	}
	if st, _ := os.Lstat(fifo); st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO became %v", st.Mode())
	}
	if n := len(entries(t, dir)); n != 1 {
		t.Errorf("directory holds %v", entries(t, dir))
	}
}

// TestDirectoryRefused: a directory (also through a link) is refused
// before anything is created in it or beside it.
func TestDirectoryRefused(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	os.Symlink("sub", filepath.Join(dir, "lsub"))
	for _, p := range []string{sub, filepath.Join(dir, "lsub")} {
		_, err := outfile.Create(p)
		if !errors.Is(err, syscall.EISDIR) || !strings.Contains(err.Error(), p) {
			t.Errorf("Create(%s): %v, want EISDIR naming it", p, err)
		}
	}
	if n := len(entries(t, dir)); n != 2 {
		t.Errorf("directory holds %v", entries(t, dir))
	}
}

// TestModes: a new file honours the umask (the old code made every output
// 0644; issue 14.5), an existing file keeps its mode.
func TestModes(t *testing.T) {
	dir := t.TempDir()
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	p := filepath.Join(dir, "new.csv")
	commit(t, p, "x")
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Errorf("new file under umask 077: mode %v, want 0600", st.Mode().Perm())
	}
	syscall.Umask(0o022)
	p = filepath.Join(dir, "secret.csv")
	os.WriteFile(p, []byte("old"), 0o600)
	os.Chmod(p, 0o600)
	commit(t, p, "x")
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Errorf("existing 0600 file: mode %v after Commit", st.Mode().Perm())
	}
	p = filepath.Join(dir, "wide.csv")
	os.WriteFile(p, []byte("old"), 0o664)
	os.Chmod(p, 0o664)
	commit(t, p, "x")
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o664 {
		t.Errorf("existing 0664 file: mode %v after Commit", st.Mode().Perm())
	}
}

// TestSetCommitsTogether: a Set renames nothing until every member is
// written and flushed; a rename failing after others succeeded names the
// files written (issue 14.6).
func TestSetCommitsTogether(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.png")
	os.WriteFile(a, []byte("old a"), 0o644)
	os.WriteFile(b, []byte("old b"), 0o644)
	var s outfile.Set
	fa, err := s.Create(a)
	if err != nil {
		t.Fatal(err)
	}
	fa.WriteString("new a")
	fb, err := s.Create(b)
	if err != nil {
		t.Fatal(err)
	}
	fb.WriteString("half of b")
	s.Abort() // writing b failed
	for p, want := range map[string]string{a: "old a", b: "old b"} {
		if got, _ := os.ReadFile(p); string(got) != want {
			t.Errorf("after Abort %s holds %q", p, got)
		}
	}
	if n := len(entries(t, dir)); n != 2 {
		t.Errorf("after Abort: %v", entries(t, dir))
	}
	// The second rename fails: its directory vanished after Create.
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	var s2 outfile.Set
	fa, _ = s2.Create(a)
	fa.WriteString("new a")
	fc, err := s2.Create(filepath.Join(sub, "c.png"))
	if err != nil {
		t.Fatal(err)
	}
	fc.WriteString("c")
	os.Rename(sub, filepath.Join(dir, "moved"))
	err = s2.Commit()
	if err == nil || !strings.Contains(err.Error(), "already written: "+a) {
		t.Errorf("Commit: %v, want an error naming %s as written", err, a)
	}
}

// TestFullDisk: on a full file system the error names the user's path,
// not the temporary file (issue 14.12), and nothing is left behind. Needs
// a 64 KiB tmpfs (root); skipped where it cannot be mounted.
func TestFullDisk(t *testing.T) {
	dir := mountTiny(t)
	p := filepath.Join(dir, "out.csv")
	f, err := outfile.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Write(make([]byte, 1<<20))
	if err == nil {
		err = f.Commit()
	} else {
		f.Abort()
	}
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), p) || strings.Contains(err.Error(), ".tmp-") {
		t.Errorf("error %v, want ENOSPC naming %s only", err, p)
	}
	if n := len(entries(t, dir)); n != 0 {
		t.Errorf("left behind: %v", entries(t, dir))
	}
}

// mountTiny mounts a 64 KiB tmpfs on a temporary directory, or skips.
func mountTiny(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("cannot mount a tmpfs (%v): the full-disk case needs root", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, 0) })
	return dir
}

func commit(t *testing.T, path, content string) {
	t.Helper()
	f, err := outfile.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}
