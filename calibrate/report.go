package calibrate

// This file holds the report of Calibrate (Report, Variant) and its two
// renderings, text and JSON (version 2).

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/focaltk/focal/jsonfloat"
)

// Report is the metrics report of Calibrate, also its JSON output (version 2).
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
	// IgnoreIndex is the label of the rows left out of the metrics and
	// the fits, and IgnoredRows counts them (they are in the output).
	IgnoreIndex int64 `json:"ignore_index"`
	IgnoredRows int   `json:"ignored_rows"`
	// LabelKind is Options.LabelKind ("class" or "soft"; with soft labels
	// every metric is its expectation under the label distributions).
	LabelKind string `json:"label_kind,omitempty"`
	// Variants are the metrics of each set of probabilities: "raw" (the
	// model's), the recovery transform ("psi", "psi_balanced" or
	// "sigmoid"), and with Val "ts" (temperature scaling, softmax(z/T)),
	// "focal_then_ts" (the recovered probabilities temperature-scaled,
	// softmax(log Ψ^γ(p)/T)) and, for the softmax loss, "ts_then_focal"
	// (Komisarenko & Kull's focal temperature scaling, Ψ^γ'(softmax(z/T))).
	Variants []Variant `json:"variants,omitempty"`
	// ValNLL compares the validation NLL of the raw and the recovered
	// probabilities (nil without Options.Val).
	ValNLL *ValNLL `json:"validation_nll,omitempty"`
	// ECEInterval says how the variants' "ece_ci" was computed (nil
	// without Options.Bootstrap).
	ECEInterval *IntervalInfo `json:"ece_interval,omitempty"`
}

// ValNLL is the mean NLL of the validation rows, raw and recovered. The
// recovery assumes that the model's outputs are near the minimizer of the
// focal risk (Thm 11); where they are not, it can make calibration worse,
// and a recovered NLL that is not lower than the raw one on held-out rows
// is the sign of that.
type ValNLL struct {
	Raw       float64
	Recovered float64
	// Lowers reports Recovered < Raw.
	Lowers bool
}

// MarshalJSON writes the NLLs as jsonfloat.Float (+Inf when a true class has
// probability 0).
func (v ValNLL) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Raw       jsonfloat.Float `json:"raw"`
		Recovered jsonfloat.Float `json:"recovered"`
		Lowers    bool            `json:"recovery_lowers_nll"`
	}{jsonfloat.Float(v.Raw), jsonfloat.Float(v.Recovered), v.Lowers})
}

// IntervalInfo describes the ECE interval of a Report: its coverage level,
// its method (IntervalMethod, see BootstrapECE) and the resamples.
type IntervalInfo struct {
	Level     float64 `json:"level"`
	Method    string  `json:"method"`
	Resamples int     `json:"resamples"`
}

// Variant is one set of probabilities in a Report.
type Variant struct {
	Name        string          `json:"name"`
	Temperature *TemperatureFit `json:"temperature,omitempty"`
	// Metrics are the class metrics (absent for multi-label targets).
	Metrics Metrics `json:"metrics,omitzero"`
	// PerLabel are the per-label binary metrics of sigmoid outputs (raw
	// and recovered variants only; nil otherwise).
	PerLabel *PerLabelMetrics `json:"per_label,omitempty"`
}

const reportVersion = 2

func numericWorkers() int { return runtime.GOMAXPROCS(0) }

// MarshalJSON writes the metrics (non-finite values as strings, see
// jsonfloat.Float), and the bootstrap interval as "ece_ci": [low, high] when
// there is one.
func (m Metrics) MarshalJSON() ([]byte, error) {
	v := struct {
		N            int                 `json:"n"`
		Error        jsonfloat.Float     `json:"error"`
		NLL          jsonfloat.Float     `json:"nll"`
		Brier        jsonfloat.Float     `json:"brier"`
		ECE          jsonfloat.Float     `json:"ece"`
		ECECI        *[2]jsonfloat.Float `json:"ece_ci,omitempty"`
		ECEMass      jsonfloat.Float     `json:"ece_equal_mass"`
		RMSCE        jsonfloat.Float     `json:"rmsce"`
		MCE          jsonfloat.Float     `json:"mce"`
		ClasswiseECE jsonfloat.Float     `json:"classwise_ece"`
	}{m.N, jsonfloat.Float(m.Error), jsonfloat.Float(m.NLL), jsonfloat.Float(m.Brier), jsonfloat.Float(m.ECE), nil,
		jsonfloat.Float(m.ECEMass), jsonfloat.Float(m.RMSCE), jsonfloat.Float(m.MCE), jsonfloat.Float(m.ClasswiseECE)}
	if !math.IsNaN(m.ECELow) {
		v.ECECI = &[2]jsonfloat.Float{jsonfloat.Float(m.ECELow), jsonfloat.Float(m.ECEHigh)}
	}
	return json.Marshal(v)
}

// WriteJSON writes the report as indented JSON (version 2), one object
// and a newline.
func (r *Report) WriteJSON(w io.Writer) error {
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
	case VariantFocalThenTS:
		return fmt.Sprintf("Ψ^γ then TS (T = %.4g)", v.Temperature.T)
	case VariantTSThenFocal:
		return fmt.Sprintf("TS then Ψ^γ' (T = %.4g, γ' = %.4g)", v.Temperature.T, *v.Temperature.Gamma)
	}
	return v.Name
}

// WriteText writes the report as text: the input and the transform, and
// with metrics a table of the variants, the validation NLL's verdict and
// the ECE interval's method.
func (r *Report) WriteText(w io.Writer) error {
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
	if r.LabelKind == LabelsSoft {
		b.WriteString(" (soft labels: each metric its expectation under the label distributions)")
	}
	if r.IgnoredRows > 0 {
		fmt.Fprintf(&b, " (%d rows with label %d ignored)", r.IgnoredRows, r.IgnoreIndex)
	}
	if r.ValRows > 0 {
		fmt.Fprintf(&b, " (%d validation rows held out for temperature scaling)", r.ValRows)
	}
	fmt.Fprintf(&b, "; %d bins, equal-width %s\n", r.Bins, r.Edges)
	ci := false
	if r.Variants[0].Metrics.N > 0 {
		ci = writeClassTable(&b, r)
	}
	writePerLabelTable(&b, r)
	if v := r.ValNLL; v != nil {
		name := variantLabel(r.Variants[1])
		if v.Lowers {
			fmt.Fprintf(&b, "validation NLL: raw %.4f, %s %.4f: the recovery lowers it\n", v.Raw, name, v.Recovered)
		} else {
			fmt.Fprintf(&b, "WARNING: %s does not lower the validation NLL (raw %.4f, %s %.4f): the model is probably not near the focal-risk minimizer the recovery assumes; prefer the raw or temperature-scaled probabilities\n",
				name, v.Raw, name, v.Recovered)
		}
	}
	if ci {
		fmt.Fprintf(&b, "ECE interval: %g%% %s, %d resamples (covers the calibration error the ECE estimates; see docs/calibrate.md)\n",
			100*r.ECEInterval.Level, r.ECEInterval.Method, r.ECEInterval.Resamples)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeClassTable writes the table of the class metrics of the variants
// and says whether it has the ECE interval column.
func writeClassTable(b *strings.Builder, r *Report) bool {
	ci := !math.IsNaN(r.Variants[0].Metrics.ECELow) && r.ECEInterval != nil
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "\terror\tNLL\tBrier\tECE\tECE (mass)\tsmECE\tRMSCE\tdebiased\tMCE\tclasswise ECE\t")
	if ci {
		fmt.Fprintf(tw, "ECE %g%% interval\t", 100*r.ECEInterval.Level)
	}
	fmt.Fprintln(tw)
	for _, v := range r.Variants {
		m := v.Metrics
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t", variantLabel(v), m.Error, m.NLL, m.Brier,
			m.ECE, m.ECEMass, m.SmoothECE, m.RMSCE, m.RMSCEDebiased, m.MCE, m.ClasswiseECE)
		if ci {
			fmt.Fprintf(tw, "[%.4f, %.4f]\t", m.ECELow, m.ECEHigh)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	b.WriteString("ECE, ECE (mass), smECE (Błasiok & Nakkiran), RMSCE, debiased RMSCE (Kumar et al.), MCE: top-label; classwise ECE: Kull et al.\n")
	return ci
}

// writePerLabelTable writes the per-label binary metrics of the variants
// that have them (sigmoid outputs), if any.
func writePerLabelTable(b *strings.Builder, r *Report) {
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', tabwriter.AlignRight)
	any := false
	for _, v := range r.Variants {
		m := v.PerLabel
		if m == nil {
			continue
		}
		if !any {
			fmt.Fprintf(b, "per-label binary metrics of the %d sigmoid outputs (each output against its own event):\n", m.Labels)
			fmt.Fprintln(tw, "\tper-label ECE\tmax label ECE\tBCE\tBrier\t")
			any = true
		}
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t%.4f\t\n", variantLabel(v), m.ECE, m.MaxECE, m.NLL, m.Brier)
	}
	tw.Flush()
}
