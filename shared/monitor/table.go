package monitor

import (
	"cmp"
	"fmt"
	"io"
	"slices"

	"github.com/nextbest/nextbest/shared/adaptive"
)

// WriteTable writes a report for operators: a summary line per model, by evidence
// descending, then per model its calibration table and its predictors by AUC.
func WriteTable(w io.Writer, reports []ModelReport) {
	if len(reports) == 0 {
		fmt.Fprintln(w, "no model has counters yet")
		return
	}
	sorted := slices.Clone(reports)
	slices.SortStableFunc(sorted, func(a, b ModelReport) int { return cmp.Compare(b.Evidence, a.Evidence) })
	width := len("model")
	for _, r := range sorted {
		width = max(width, len(r.Name()))
	}
	fmt.Fprintf(w, "%-*s  %10s  %10s  %8s  %6s  %s\n", width, "model", "evidence", "positives", "success", "AUC", "active predictors")
	for _, r := range sorted {
		fmt.Fprintf(w, "%-*s  %10.0f  %10.0f  %7.2f%%  %6s  %d of %d\n", width, r.Name(), r.Evidence, r.Positives,
			100*r.SuccessRate, aucText(r), activePredictors(r.Predictors), len(r.Predictors))
	}
	for _, r := range sorted {
		fmt.Fprintf(w, "\n%s: %.0f responses, %.0f positive (%.2f%%), base rate %.2f%%, AUC %s\n",
			r.Name(), r.Evidence, r.Positives, 100*r.SuccessRate, 100*r.BaseRate, aucText(r))
		writeCalibration(w, r.Calibration)
		writePredictors(w, r.Predictors)
	}
}

// aucText shows the AUC, or "-" while it is undefined.
func aucText(r ModelReport) string {
	if !r.AUCDefined() {
		return "-"
	}
	return fmt.Sprintf("%.3f", r.AUC)
}

func activePredictors(ps []adaptive.PredictorStats) int {
	n := 0
	for _, p := range ps {
		if p.Active {
			n++
		}
	}
	return n
}

// writeCalibration lists predicted against observed rates, lowest scores first; a well
// calibrated model has them close in every row, and a model that ranks well has the
// observed rate rising down the table.
func writeCalibration(w io.Writer, groups []adaptive.CalibrationGroup) {
	if len(groups) == 0 {
		return
	}
	fmt.Fprintf(w, "  calibration, responses in order of score in groups of about 1/%d (a score bin is never split):\n", adaptive.CalibrationGroups)
	fmt.Fprintf(w, "    %10s  %10s  %9s  %9s\n", "responses", "positives", "predicted", "observed")
	for _, g := range groups {
		fmt.Fprintf(w, "    %10.0f  %10.0f  %8.2f%%  %8.2f%%\n", g.Responses, g.Positives, 100*g.Predicted, 100*g.Observed)
	}
}

// writePredictors lists the predictors, the most discriminating first.
func writePredictors(w io.Writer, ps []adaptive.PredictorStats) {
	if len(ps) == 0 {
		return
	}
	sorted := slices.Clone(ps)
	slices.SortStableFunc(sorted, func(a, b adaptive.PredictorStats) int { return cmp.Compare(b.AUC, a.AUC) })
	width := len("predictor")
	for _, p := range sorted {
		width = max(width, len(p.Name))
	}
	fmt.Fprintln(w, "  predictors by AUC:")
	fmt.Fprintf(w, "    %-*s  %-8s  %-8s  %6s  %10s  %6s\n", width, "predictor", "kind", "status", "AUC", "evidence", "groups")
	for _, p := range sorted {
		status := "inactive"
		if p.Active {
			status = "active"
		}
		fmt.Fprintf(w, "    %-*s  %-8s  %-8s  %6.3f  %10.0f  %6d\n", width, p.Name, p.Kind, status, p.AUC, p.Evidence, p.Groups)
	}
}
