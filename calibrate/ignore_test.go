package calibrate_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/focaltk/focal/calibrate"
)

// Rows whose label is the ignore index are left out of the metrics and of
// the temperature fits, and kept in the output: the report equals that of
// the same rows with the ignored ones deleted, and the output equals that
// of a run without labels.
func TestIgnoreIndex(t *testing.T) {
	const n, k, g = 3000, 3, 2.0
	eta := posteriors(n, k, 1e-3, 21)
	y := sample(eta, k, 22)
	rng := rand.New(rand.NewPCG(23, 0))
	for _, c := range []struct {
		name   string
		ignore *int64
		mark   int // the label written for ignored rows
	}{{"default -100", nil, calibrate.DefaultIgnoreIndex}, {"in range: class 2", ptr(int64(2)), 2}, {"custom 255", ptr(int64(255)), 255}} {
		t.Run(c.name, func(t *testing.T) {
			yy := slices.Clone(y)
			var keepEta []float64
			var keepY []int
			for i := range yy {
				if c.mark == 2 && yy[i] == 2 || c.mark != 2 && rng.IntN(4) == 0 {
					yy[i] = c.mark
					continue
				}
				keepEta = append(keepEta, eta[i*k:(i+1)*k]...)
				keepY = append(keepY, yy[i])
			}
			dir := t.TempDir()
			in, lab := writeNpy(t, dir, "p.npy", eta, k, false), writeLabels(t, dir, "y.npy", yy)
			kin, klab := writeNpy(t, dir, "pk.npy", keepEta, k, false), writeLabels(t, dir, "yk.npy", keepY)
			out, kout, bare := dir+"/o.npy", dir+"/ok.npy", dir+"/ob.npy"
			// The index file of validation rows: the same rows in both
			// (by position among the kept ones, every third).
			var all, kept bytes.Buffer
			j := 0
			for i := range yy {
				if yy[i] == c.mark {
					continue
				}
				if j%3 == 0 {
					all.WriteString(strconv.Itoa(i) + "\n")
					kept.WriteString(strconv.Itoa(j) + "\n")
				}
				j++
			}
			// Ignored rows inside the validation set change nothing
			// either: add one.
			for i := range yy {
				if yy[i] == c.mark {
					all.WriteString(strconv.Itoa(i) + "\n")
					break
				}
			}
			va, vk := dir+"/va.txt", dir+"/vk.txt"
			if os.WriteFile(va, all.Bytes(), 0o644) != nil || os.WriteFile(vk, kept.Bytes(), 0o644) != nil {
				t.Fatal("cannot write the index files")
			}
			a, _, err := runJSON(t, calibrate.Options{Input: in, Output: out, Labels: lab, Gamma: g, Val: va, IgnoreIndex: c.ignore})
			if err != nil {
				t.Fatal(err)
			}
			b, _, err := runJSON(t, calibrate.Options{Input: kin, Output: kout, Labels: klab, Gamma: g, Val: vk})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := runJSON(t, calibrate.Options{Input: in, Output: bare, Gamma: g}); err != nil {
				t.Fatal(err)
			}
			var ra, rb struct {
				ValRows     int `json:"val_rows"`
				TestRows    int `json:"test_rows"`
				IgnoredRows int `json:"ignored_rows"`
				IgnoreIndex int `json:"ignore_index"`
				Variants    json.RawMessage
			}
			if err := json.Unmarshal([]byte(a), &ra); err != nil {
				t.Fatalf("%v\n%s", err, a)
			}
			if err := json.Unmarshal([]byte(b), &rb); err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			if ra.IgnoredRows != n-len(keepY) || ra.IgnoreIndex != c.mark || ra.TestRows != rb.TestRows || ra.ValRows != rb.ValRows {
				t.Errorf("rows: with ignored %+v, without %+v (ignored %d)", ra, rb, n-len(keepY))
			}
			if !bytes.Equal(ra.Variants, rb.Variants) {
				t.Errorf("variants differ:\n%s\n%s", ra.Variants, rb.Variants)
			}
			o, _ := readNpy(t, out)
			ob, _ := readNpy(t, bare)
			if !slices.Equal(o, ob) {
				t.Errorf("output with labels differs from the output without")
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
