package experiments

import (
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Reading the real data sets of the comparison in realdata.go (scikit-learn's
// CSV layout, optionally gzipped), with the bounds that keep a malformed file
// from sizing memory: a file of its own so that realdata.go reads as the
// experiment and its tables.

// maxDatasetClasses bounds the classes of a data set (the UCI sets have at
// most 10): a label of 2e9 would size every per-class array by it.
const maxDatasetClasses = 1000

// loadDataset reads a data set in scikit-learn's CSV layout: one row per
// sample, the features, then an integer class label in [0, K) in the last
// column; an optional first line that is not all numbers (scikit-learn's
// "n, d, class names" line) is skipped. A name ending in .gz is
// gunzipped. It returns the N×D features row-major, the labels, D and K.
func loadDataset(path string) (x []float64, y []int, d, k int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	defer f.Close()
	var rd io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, nil, 0, 0, fmt.Errorf("%s: %w", path, err)
		}
		defer gz.Close()
		rd = gz
	}
	cr := csv.NewReader(rd)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) > 0 && !allNumbers(recs[0]) {
		recs = recs[1:]
	}
	if len(recs) == 0 {
		return nil, nil, 0, 0, fmt.Errorf("%s: no data rows", path)
	}
	d = len(recs[0]) - 1
	if d < 1 {
		return nil, nil, 0, 0, fmt.Errorf("%s: a row needs at least one feature and a label", path)
	}
	x = make([]float64, 0, len(recs)*d)
	y = make([]int, 0, len(recs))
	for i, rec := range recs {
		if len(rec) != d+1 {
			return nil, nil, 0, 0, fmt.Errorf("%s: data row %d has %d fields, want %d", path, i+1, len(rec), d+1)
		}
		for j, s := range rec[:d] {
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, 0, 0, fmt.Errorf("%s: data row %d column %d: bad number %q", path, i+1, j+1, s)
			}
			x = append(x, v)
		}
		c, err := strconv.Atoi(strings.TrimSpace(rec[d]))
		if err != nil || c < 0 {
			return nil, nil, 0, 0, fmt.Errorf("%s: data row %d: bad class label %q", path, i+1, rec[d])
		}
		if c >= maxDatasetClasses {
			// The model and its logits hold N×K values: K is bounded.
			return nil, nil, 0, 0, fmt.Errorf("%s: data row %d: class label %d: at most %d classes", path, i+1, c, maxDatasetClasses)
		}
		y = append(y, c)
		k = max(k, c+1)
	}
	if k < 2 {
		return nil, nil, 0, 0, errors.New(path + ": fewer than two classes")
	}
	return x, y, d, k, nil
}

func allNumbers(rec []string) bool {
	for _, s := range rec {
		if _, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil {
			return false
		}
	}
	return true
}
