// This file is `verify merge`: it combines the JSON reports of a sharded
// search into the unsharded report and names the user's files in
// verify.Merge's errors.

package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/focaltk/focal/verify"
)

const mergeUsage = `Usage: verify merge [--format text|json] [--out FILE] FILE...

Combines the JSON reports of the shards of one search (verify --shard i/n
--format json, the same seed and flags, every i from 1 to n once) into the
report the unsharded search gives (byte-identical JSON apart from "timing",
which a merged report leaves out). Exit codes as for verify.

Flags:
`

func (c *CLI) merge(args []string) (int, error) {
	fs := c.flagSet("verify merge", mergeUsage)
	format := formatFlag(fs, "json")
	out := outFlag(fs, "report")
	witnesses := fs.Bool("witnesses", false, "text report: add every counterexample's eta, q*, Psi(q*), margins and reproduce line (JSON always has them)")
	if err := c.parseFormat(fs, args, true, format); err != nil {
		return 0, err
	}
	if fs.NArg() == 0 {
		return 0, usagef("no shard reports given")
	}
	var reps []*verify.Report
	for _, name := range fs.Args() {
		b, err := os.ReadFile(name)
		if err != nil {
			return 0, usagef("cannot read %s: %v", name, pathReason(name, err))
		}
		var r verify.Report
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields() // a misspelt field is not silently zero
		if err := dec.Decode(&r); err != nil {
			return 0, usagef("%s is not a verify JSON report: %s", name, jsonReason(err))
		}
		if dec.More() {
			return 0, usagef("%s is not a verify JSON report: data after the report", name)
		}
		reps = append(reps, &r)
	}
	rep, err := verify.Merge(reps)
	if err != nil {
		return 0, mergeError(err, fs.Args(), reps)
	}
	j := job{outputs: []file{{flag: "--out", path: *out}}}
	for _, name := range fs.Args() {
		j.inputs = append(j.inputs, file{flag: "FILE", path: name, once: true})
	}
	if _, err := c.start(j); err != nil {
		return 0, err
	}
	if err := c.emit(*out, *format, rep, func(w io.Writer) error {
		return verify.WriteText(w, rep, verify.TextOptions{Witnesses: *witnesses})
	}); err != nil {
		return 0, err
	}
	return exitFor(rep), nil
}

// How verify.Merge names a report ("report 2" is the second file) and a
// shard given twice.
var (
	mergeReportN = regexp.MustCompile(`\breport (\d+)\b`)
	mergeTwice   = regexp.MustCompile(`^shard (\d+)/\d+ given twice$`)
)

// mergeError turns an error of verify.Merge into a usage error that names
// the files: "verify merge: b.json has version 99, want 1" rather than
// "verify merge: verify: cannot merge: report 2 has version 99, want 1".
func mergeError(err error, files []string, reps []*verify.Report) error {
	if !errors.Is(err, verify.ErrMerge) {
		return err
	}
	msg := strings.TrimPrefix(err.Error(), verify.ErrMerge.Error()+": ")
	msg = mergeReportN.ReplaceAllStringFunc(msg, func(m string) string {
		i, err := strconv.Atoi(strings.TrimPrefix(m, "report "))
		if err != nil || i < 1 || i > len(files) {
			return m
		}
		return files[i-1]
	})
	if m := mergeTwice.FindStringSubmatch(msg); m != nil {
		var in []string
		for i, r := range reps {
			if r.Shard != nil && strconv.Itoa(r.Shard.Index) == m[1] {
				in = append(in, files[i])
			}
		}
		msg += ": " + strings.Join(in, ", ")
	}
	return usagef("%s", msg)
}

// jsonReason says what is wrong with a JSON report in the report's terms:
// encoding/json's type errors name Go's struct and types ("Go struct
// field Report.version of type int"), which the user never wrote.
func jsonReason(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := "a " + te.Type.Kind().String()
		switch te.Type.Kind() {
		case reflect.Int, reflect.Int64, reflect.Uint64, reflect.Uint, reflect.Int32:
			want = "an integer"
		case reflect.Float64, reflect.Float32:
			want = "a number"
		case reflect.String:
			want = "a string"
		case reflect.Slice:
			want = "an array"
		case reflect.Struct, reflect.Map:
			want = "an object"
		}
		field := te.Field
		if field == "" {
			field = "the report"
		} else {
			field = "field " + strconv.Quote(field)
		}
		return fmt.Sprintf("%s: %s where %s is wanted", field, te.Value, want)
	}
	return trimPackage(err)
}
