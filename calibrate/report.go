package calibrate

// This file holds the report of Run (Report, Variant) and its two
// renderings, text and JSON (version 1).

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Report is the metrics report of Run, also its JSON output (version 1).
type Report struct {
	Version   int       `json:"version"`
	Input     string    `json:"input"`
	Output    string    `json:"output,omitempty"`
	Rows      int       `json:"rows"`
	Classes   int       `json:"classes"`
	Loss      string    `json:"loss"`
	InputKind string    `json:"input_kind"`
	Gamma     float64   `json:"gamma"`
	Alpha     []float64 `json:"alpha,omitempty"`
	Transform string    `json:"transform"`
	Bins      int       `json:"bins"`
	Edges     string    `json:"bin_edges"`
	// ValRows and TestRows count the validation rows (temperature
	// scaling) and the rows the metrics are computed on.
	ValRows  int `json:"val_rows"`
	TestRows int `json:"test_rows"`
	// Variants are the metrics of each set of probabilities: "raw" (the
	// model's), the recovery transform ("psi", "psi_balanced" or
	// "sigmoid"), and with Val "ts" (temperature scaling) and "focal_ts"
	// (temperature scaling of the recovered probabilities).
	Variants []Variant `json:"variants,omitempty"`
}

// Variant is one set of probabilities in a Report.
type Variant struct {
	Name        string          `json:"name"`
	Temperature *TemperatureFit `json:"temperature,omitempty"`
	Metrics     Metrics         `json:"metrics"`
}

const reportVersion = 1

func numericWorkers() int { return runtime.GOMAXPROCS(0) }

// jsonFloat marshals a float64 as a JSON number in the shortest form that
// round-trips, and NaN, +Inf and −Inf, which JSON lacks, as the strings
// "NaN", "+Inf" and "-Inf", as the verify reports do (an infinite NLL means
// that a true class had probability 0).
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	x := float64(f)
	switch {
	case math.IsNaN(x):
		return []byte(`"NaN"`), nil
	case math.IsInf(x, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(x, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, x, 'g', -1, 64), nil
}

// MarshalJSON writes the metrics (non-finite values as strings, see
// jsonFloat), and the bootstrap interval as "ece_ci": [low, high] when
// there is one.
func (m Metrics) MarshalJSON() ([]byte, error) {
	v := struct {
		N            int           `json:"n"`
		Error        jsonFloat     `json:"error"`
		NLL          jsonFloat     `json:"nll"`
		Brier        jsonFloat     `json:"brier"`
		ECE          jsonFloat     `json:"ece"`
		ECECI        *[2]jsonFloat `json:"ece_ci,omitempty"`
		ECEMass      jsonFloat     `json:"ece_equal_mass"`
		RMSCE        jsonFloat     `json:"rmsce"`
		MCE          jsonFloat     `json:"mce"`
		ClasswiseECE jsonFloat     `json:"classwise_ece"`
	}{m.N, jsonFloat(m.Error), jsonFloat(m.NLL), jsonFloat(m.Brier), jsonFloat(m.ECE), nil,
		jsonFloat(m.ECEMass), jsonFloat(m.RMSCE), jsonFloat(m.MCE), jsonFloat(m.ClasswiseECE)}
	if !math.IsNaN(m.ECELow) {
		v.ECECI = &[2]jsonFloat{jsonFloat(m.ECELow), jsonFloat(m.ECEHigh)}
	}
	return json.Marshal(v)
}

func writeJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// variantLabel is the row label of a variant in the text report.
func variantLabel(v Variant) string {
	switch v.Name {
	case "raw":
		return "raw"
	case "psi":
		return "Ψ^γ"
	case "psi_balanced":
		return "α-balanced Ψ^γ"
	case "sigmoid":
		return "sigmoid recovery"
	case "ts":
		return fmt.Sprintf("TS (T = %.4g)", v.Temperature.T)
	case "focal_ts":
		return fmt.Sprintf("focal TS (T = %.4g)", v.Temperature.T)
	}
	return v.Name
}

func writeText(w io.Writer, r Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "calibrate: %s: %d rows × %d columns, %s focal loss, γ = %g", r.Input, r.Rows, r.Classes, r.Loss, r.Gamma)
	if r.Alpha != nil {
		fmt.Fprintf(&b, ", α = %v", r.Alpha)
	}
	fmt.Fprintf(&b, ", input %s\n", r.InputKind)
	if r.Output != "" && r.Output != "-" {
		fmt.Fprintf(&b, "output: %s (%s)\n", r.Output, r.Transform)
	}
	if len(r.Variants) == 0 {
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "metrics on %d rows", r.TestRows)
	if r.ValRows > 0 {
		fmt.Fprintf(&b, " (%d validation rows held out for temperature scaling)", r.ValRows)
	}
	fmt.Fprintf(&b, "; %d bins, equal-width %s\n", r.Bins, r.Edges)
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', tabwriter.AlignRight)
	ci := !math.IsNaN(r.Variants[0].Metrics.ECELow)
	fmt.Fprint(tw, "\terror\tNLL\tBrier\tECE\tECE (mass)\tRMSCE\tMCE\tclasswise ECE\t")
	if ci {
		fmt.Fprint(tw, "ECE interval\t")
	}
	fmt.Fprintln(tw)
	for _, v := range r.Variants {
		m := v.Metrics
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t", variantLabel(v), m.Error, m.NLL, m.Brier, m.ECE, m.ECEMass, m.RMSCE, m.MCE, m.ClasswiseECE)
		if ci {
			fmt.Fprintf(tw, "[%.4f, %.4f]\t", m.ECELow, m.ECEHigh)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	_, err := io.WriteString(w, b.String())
	return err
}
