package cli

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/focaltk/focal/internal/npyraw"
)

// Signal tests: the verify binary, built here, is started on work big
// enough to be stopped at several points, sent SIGINT, SIGTERM or SIGHUP,
// and must exit within stopWithin with code 128 + the signal, say so in
// one line, leave no temporary file and leave the old output as it was
// (issue 14.10, 14.13).

// stopWithin is how long a run may take to exit after a signal: the
// forced exit comes interruptGrace after it, plus the time to start up a
// loaded 2-core machine's scheduling.
const stopWithin = 3 * time.Second

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// verifyBinary builds cmd/verify once per test run.
func verifyBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "verify-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "verify")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/verify").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// signalCase is one run to interrupt: after is when to send the signal,
// or ready, when set, says when (polled).
type signalCase struct {
	name  string
	args  []string
	after time.Duration
	ready func() bool
	// ignoreInt starts the binary with SIGINT ignored, as a
	// non-interactive shell starts a background job.
	ignoreInt bool
	// cpu, when set, waits instead until the process has used that much
	// CPU time: a signal sent a fixed wall time after the start can, on a
	// loaded machine, arrive before main has installed its handlers (the
	// default action then kills the process), which no program can
	// prevent; CPU time measures how far the process has got.
	cpu time.Duration
}

// clockTick is the unit of utime and stime in /proc/PID/stat (USER_HZ,
// 100 on Linux).
const clockTick = 10 * time.Millisecond

// cpuTime returns the CPU time used by process pid (utime + stime), or
// false if /proc cannot tell.
func cpuTime(pid int) (time.Duration, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime and stime fields 14 and 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	var ut, st int64
	if _, err := fmt.Sscan(f[11], &ut); err != nil {
		return 0, false
	}
	if _, err := fmt.Sscan(f[12], &st); err != nil {
		return 0, false
	}
	return time.Duration(ut+st) * clockTick, true
}

func interrupt(t *testing.T, dir string, sc signalCase, sig syscall.Signal, watched []string) {
	t.Helper()
	old := map[string]string{}
	for _, p := range watched {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		old[p] = string(b)
	}
	bin := verifyBinary(t)
	var cmd *exec.Cmd
	if sc.ignoreInt {
		cmd = exec.Command("sh", append([]string{"-c", `trap "" INT; exec "$0" "$@"`, bin}, sc.args...)...)
	} else {
		cmd = exec.Command(bin, sc.args...)
	}
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	switch {
	case sc.ready != nil:
		for !sc.ready() && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	case sc.cpu > 0:
		for time.Now().Before(deadline) {
			if c, ok := cpuTime(cmd.Process.Pid); !ok || c >= sc.cpu {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
	default:
		time.Sleep(sc.after)
	}
	select {
	case err := <-exited:
		t.Fatalf("%s: exited before the signal (%v): %s", sc.name, err, stderr.String())
	default:
	}
	sent := time.Now()
	cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(stopWithin):
		cmd.Process.Kill()
		<-exited
		t.Errorf("%s: still running %v after %v", sc.name, stopWithin, sig)
		return
	}
	took := time.Since(sent)
	want := 128 + int(sig)
	if code := cmd.ProcessState.ExitCode(); code != want {
		t.Errorf("%s, %v: exit %d, want %d (stderr %q)", sc.name, sig, code, want, stderr.String())
	}
	if errs := dropProgress(stderr.String()); strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "stopped by") {
		t.Errorf("%s, %v: stderr %q, want one line saying it was stopped", sc.name, sig, errs)
	}
	for p, b := range old {
		if got, _ := os.ReadFile(p); string(got) != b {
			t.Errorf("%s, %v: %s changed", sc.name, sig, p)
		}
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp-") {
			t.Errorf("%s, %v: temporary file left: %s", sc.name, sig, p)
		}
		return nil
	})
	t.Logf("%s, %v: stopped in %v", sc.name, sig, took.Round(time.Millisecond))
}

// hasTemp reports whether dir holds a temporary output file.
func hasTemp(dir string) func() bool {
	return func() bool {
		es, _ := os.ReadDir(dir)
		for _, e := range es {
			if strings.Contains(e.Name(), ".tmp-") {
				return true
			}
		}
		return false
	}
}

var signals = []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// writeBigNpy writes an n×k float32 .npy of probability rows and n labels.
func writeBigNpy(t *testing.T, dir string, n, k int) (string, string) {
	t.Helper()
	data := make([]byte, 0, 4*n*k)
	labels := make([]byte, 0, 8*n)
	for i := range n {
		var s float64
		row := make([]float64, k)
		for j := range row {
			row[j] = 1 + float64((i*31+j*17)%97)
			s += row[j]
		}
		for j := range row {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(float32(row[j]/s)))
		}
		labels = binary.LittleEndian.AppendUint64(labels, uint64(i%k))
	}
	in := filepath.Join(dir, "big.npy")
	must(t, os.WriteFile(in, npyraw.File(fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", n, k), data), 0o644))
	y := filepath.Join(dir, "y.npy")
	must(t, os.WriteFile(y, npyraw.File(fmt.Sprintf("{'descr': '<i8', 'fortran_order': False, 'shape': (%d,), }", n), labels), 0o644))
	return in, y
}

func TestSignalsCalibrate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	in, y := writeBigNpy(t, dir, 400000, 10)
	out := filepath.Join(dir, "out.npy")
	plot := filepath.Join(dir, "p.png")
	must(t, os.WriteFile(out, []byte("old output"), 0o644))
	must(t, os.WriteFile(plot, []byte("old plot"), 0o644))
	args := []string{"calibrate", "--gamma", "2", "--labels", y, "--out", out, "--plot", plot, "--bootstrap", "100000", in}
	cases := []signalCase{
		{name: "calibrate, reading", args: args, cpu: startedCPU},
		{name: "calibrate, writing", args: args, ready: hasTemp(dir)},
		// The output and the plot are complete temporary files while the
		// bootstrap runs (minutes): a signal must still stop it and leave
		// the old files.
		{name: "calibrate, bootstrap", args: args, after: 4 * time.Second},
	}
	for _, sc := range cases {
		for _, sig := range signals {
			interrupt(t, dir, sc, sig, []string{out, plot})
		}
	}
}

// startedCPU is when the early cases (planning, reading) are interrupted: past the Go
// runtime's start and main's handler installation (well under 10 ms of CPU)
// and early in the work (planning a budget of 10^6 cases, reading the input).
const startedCPU = 30 * time.Millisecond

func TestSignalsSearch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "r.json")
	must(t, os.WriteFile(out, []byte("old report"), 0o644))
	args := []string{"--gamma", "1", "--K", "3", "--budget", "1000000", "--out", out}
	for _, sig := range signals {
		interrupt(t, dir, signalCase{name: "search, planning", args: args, cpu: startedCPU}, sig, []string{out})
		interrupt(t, dir, signalCase{name: "search, searching", args: args, after: time.Second}, sig, []string{out})
	}
	// Started with SIGINT ignored (a non-interactive shell's background
	// job): the handler is installed anyway.
	interrupt(t, dir, signalCase{name: "search, SIGINT ignored at start", args: args, after: time.Second, ignoreInt: true}, syscall.SIGINT, []string{out})
}

func TestSignalsBoundary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "b.json")
	must(t, os.WriteFile(out, []byte("old answer"), 0o644))
	args := []string{"boundary", "--K", "150:200", "--out", out}
	for _, sig := range signals {
		interrupt(t, dir, signalCase{name: "boundary", args: args, after: 500 * time.Millisecond}, sig, []string{out})
	}
}

// TestSignalsMerge: merge is fast on any real input; a shard that is a
// FIFO nobody writes blocks it in its read, the one place it can be
// stopped, and a signal must still end it.
func TestSignalsMerge(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "m.json")
	must(t, os.WriteFile(out, []byte("old merge"), 0o644))
	fifo := filepath.Join(dir, "shard.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	args := []string{"merge", "--out", out, fifo}
	for _, sig := range signals {
		interrupt(t, dir, signalCase{name: "merge, blocked on a FIFO", args: args, after: 200 * time.Millisecond}, sig, []string{out})
	}
}

// TestSignalsReport: verify report on a copy of docs/ (minutes of work),
// stopped early and midway; the docs are as they were.
func TestSignalsReport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	docs := filepath.Join(dir, "docs")
	if out, err := exec.Command("cp", "-r", "../docs", docs).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v: %s", err, out)
	}
	watched := []string{filepath.Join(docs, "findings.md"), filepath.Join(docs, "theory.md")}
	data, err := filepath.Abs("../experiments/data")
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"report", "--out-dir", docs, "--data-dir", data}
	for _, sig := range signals {
		interrupt(t, dir, signalCase{name: "report, early", args: args, after: 200 * time.Millisecond}, sig, watched)
		interrupt(t, dir, signalCase{name: "report, midway", args: args, after: 2 * time.Second}, sig, watched)
	}
}
