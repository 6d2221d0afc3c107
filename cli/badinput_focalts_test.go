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
