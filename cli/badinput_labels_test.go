package cli

import "testing"

// TestBadInputFitGamma: --fit-gamma needs the validation rows it fits on,
// and the softmax loss's focal map.
func TestBadInputFitGamma(t *testing.T) {
	runMatrix(t, []badCase{
		{[]string{"calibrate", "--gamma", "2", "--fit-gamma", "--labels", "$D/y.csv", "$D/good.csv"}, usage, "--fit-gamma fits the focal map's γ on the validation rows: it needs --val"},
		{[]string{"calibrate", "--gamma", "2", "--fit-gamma", "$D/good.csv"}, usage, "needs --val"},
		{[]string{"calibrate", "--gamma", "2", "--fit-gamma", "--loss", "sigmoid", "--alpha", "0.25", "--labels", "$D/y.csv", "--val", "0.5", "$D/good.csv"}, usage, "--fit-gamma applies to the softmax loss only"},
	})
}

// TestBadInputIgnoreIndex: the ignore index is an integer; a negative
// label that is not it is out of range, and labels that are all it leave
// nothing to measure.
func TestBadInputIgnoreIndex(t *testing.T) {
	c := func(args ...string) []string { return append([]string{"calibrate", "--gamma", "2"}, args...) }
	runMatrix(t, []badCase{
		{c("--ignore-index", "x", "--labels", "$D/y.csv", "$D/good.csv"), usage, `bad --ignore-index "x": want an integer`},
		{c("--ignore-index", "1.5", "--labels", "$D/y.csv", "$D/good.csv"), usage, `bad --ignore-index "1.5"`},
		{c("--labels", "$D/yneg.csv", "$D/good.csv"), usage, "$D/yneg.csv: row 1: label -5 out of range [0, 3) and not the ignore index -100"},
		{c("--ignore-index", "-5", "--labels", "$D/ybad.csv", "$D/good.csv"), usage, "label 7 out of range [0, 3) and not the ignore index -5"},
		{c("--labels", "$D/yignored.csv", "$D/good.csv"), usage, "$D/yignored.csv: every label is the ignore index -100: no row is left for the metrics"},
		{c("--labels", "$D/yneg.csv", "--ignore-index", "-5", "--val", "0.99999", "--seed", "3", "$D/good.csv"), usage, "whose label is not the ignore index -5"},
	})
}

// TestBadInputSoftLabels: soft labels are probability rows, one column per
// class, one row per input row.
func TestBadInputSoftLabels(t *testing.T) {
	c := func(args ...string) []string { return append([]string{"calibrate", "--gamma", "2"}, args...) }
	runMatrix(t, []badCase{
		{c("--label-kind", "hard", "--labels", "$D/y.csv", "$D/good.csv"), usage, `--label-kind must be class, soft or multi, not "hard"`},
		{c("--label-kind", "soft", "--label-col", "1", "--labels", "$D/ysoft.csv", "$D/good.csv"), usage, "--label-col picks one column of class labels"},
		{c("--label-kind", "soft", "--labels", "$D/ysoft2.csv", "$D/good.csv"), usage, "$D/ysoft2.csv: soft labels have 2 columns: want one per class, 3"},
		{c("--label-kind", "soft", "--labels", "$D/ysoftsum.csv", "$D/good.csv"), usage, "$D/ysoftsum.csv: row 0"},
		{c("--label-kind", "soft", "--labels", "$D/ysoftneg.csv", "$D/good.csv"), usage, "$D/ysoftneg.csv: row 1, column 0"},
		{c("--label-kind", "soft", "--labels", "$D/ysoft3.csv", "$D/good.csv"), usage, "$D/ysoft3.csv: row 1: no label for this row"},
		{c("--label-kind", "soft", "--labels", "$D/ysoft.csv", "$D/onecol.csv"), usage, "softmax loss needs K >= 2"},
	})
}

// TestBadInputMultiLabel: multi-label targets are for sigmoid outputs, one
// column per output, entries in [0, 1], and have per-label metrics only.
func TestBadInputMultiLabel(t *testing.T) {
	s := func(args ...string) []string {
		return append([]string{"calibrate", "--gamma", "2", "--loss", "sigmoid", "--alpha", "-1", "--label-kind", "multi"}, args...)
	}
	runMatrix(t, []badCase{
		{[]string{"calibrate", "--gamma", "2", "--label-kind", "multi", "--labels", "$D/ymulti.csv", "$D/good.csv"}, usage, "--label-kind multi (multi-label targets) needs --loss sigmoid"},
		{s("--labels", "$D/ymulti.csv", "--val", "0.5", "$D/good.csv"), usage, "--val (temperature scaling of class probabilities) and --plot (the top-label diagram) do not apply"},
		{s("--labels", "$D/ymulti.csv", "--plot", "$D/p.png", "$D/good.csv"), usage, "do not apply"},
		{s("--labels", "$D/ysoft2.csv", "$D/good.csv"), usage, "$D/ysoft2.csv: multi-label targets have 2 columns: want one per output, 3"},
		{s("--labels", "$D/ymultibad.csv", "$D/good.csv"), usage, "$D/ymultibad.csv: row 0, column 2"},
		{s("--labels", "$D/ymulti.csv", "--label-col", "0", "$D/good.csv"), usage, "--label-col picks one column of class labels"},
	})
}
