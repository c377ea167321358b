// Command simulate replays a log of past interactions through the engine's own decision
// and learning code and values the engine's policy on it, offline:
//
//	go run ./infra/cmd/simulate -mapping docs/simulate/hillstrom.mapping.yaml \
//	    -catalog docs/simulate/hillstrom.catalog.yaml ../shared/datasets/hillstrom/hillstrom-dev.csv
//
// The engine learns from the first part of the log (the mapping's train share) and is
// valued on the rest, where it keeps learning row after row as it would live. It prints
// the value per row of the engine's policy by inverse propensity weighting (ipw),
// self-normalised IPW (snips) and doubly robust estimation (dr), each with a bootstrap
// 95% interval, beside the logging policy's own value, everyone-one-action, no one and
// random; the prequential AUC; and the share of silence. -json FILE writes the same as
// a JSON document (see infra/simulate.Result).
//
// Exit status: 0 done, 1 an error, 2 bad usage.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/schollz/progressbar/v3"

	"github.com/nextbest/nextbest/infra/simulate"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

const usage = `usage: simulate -mapping FILE -catalog FILE [flags] LOG.csv

Replays a logged CSV through the engine's decision and learning code and values the
engine's policy on it with off-policy estimators.

flags:
`

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	mappingPath := fs.String("mapping", "", "the mapping `file` from the log's columns to the engine's terms")
	catalogPath := fs.String("catalog", "", "the catalog `file` whose policy is valued")
	bootstrap := fs.Int("bootstrap", 1000, "bootstrap resamples for the intervals")
	seed := fs.Uint64("seed", 1, "seed of the bootstrap")
	jsonPath := fs.String("json", "", "also write the result as JSON to `file`")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *mappingPath == "" || *catalogPath == "" || fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	result, err := simulateFile(*mappingPath, *catalogPath, fs.Arg(0), simulate.Options{Bootstrap: *bootstrap, Seed: *seed}, !*quiet, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "simulate:", err)
		return 1
	}
	printResult(stdout, result)
	if *jsonPath != "" {
		data, err := json.MarshalIndent(result, "", "  ")
		if err == nil {
			err = os.WriteFile(*jsonPath, append(data, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintln(stderr, "simulate: write the JSON result:", err)
			return 1
		}
	}
	return 0
}

func simulateFile(mappingPath, catalogPath, logPath string, o simulate.Options, progress bool, stderr io.Writer) (simulate.Result, error) {
	m, err := simulate.ReadMapping(mappingPath)
	if err != nil {
		return simulate.Result{}, err
	}
	source, err := os.ReadFile(catalogPath)
	if err != nil {
		return simulate.Result{}, err
	}
	f, err := os.Open(logPath)
	if err != nil {
		return simulate.Result{}, err
	}
	defer f.Close()
	rows, err := m.ReadRows(f, logPath)
	if err != nil {
		return simulate.Result{}, err
	}
	if progress {
		// A well-kept progress bar (the import's): a replay of a large log takes minutes.
		bar := progressbar.NewOptions(len(rows), progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("replaying"), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
		o.Progress = func(done, _ int) { _ = bar.Set(done) }
		defer func() { _ = bar.Finish() }()
	}
	return simulate.Replay(catalogPath, source, m, rows, o)
}

// everyone prefixes the fixed policies' names; beyond maxFixedShown lines of them (a
// log of 34 items), the text report leaves them to the JSON document.
const (
	everyone      = "everyone: "
	maxFixedShown = 30
)

func printResult(w io.Writer, r simulate.Result) {
	fmt.Fprintf(w, "%s: %d rows; the engine learned from the first %d and is valued on the last %d\n", r.Dataset, r.Rows, r.Learned, r.Valued)
	fmt.Fprintf(w, "prequential AUC %.3f; silence %.1f%%; choices:", r.AUC, 100*r.Silence)
	for _, a := range slices.Sorted(maps.Keys(r.Choices)) {
		name := a
		if name == "" {
			name = "nothing"
		}
		fmt.Fprintf(w, " %s %d", name, r.Choices[a])
	}
	fmt.Fprintln(w)
	metric, fixed := "", 0
	for _, p := range r.Policies {
		if strings.HasPrefix(p.Name, everyone) {
			fixed++
		}
	}
	for _, p := range r.Policies {
		if strings.HasPrefix(p.Name, everyone) && fixed > maxFixedShown {
			continue // in the JSON document only
		}
		if p.Metric != metric {
			metric = p.Metric
			fmt.Fprintf(w, "\nvalue per row (%s)\n  %-28s %-9s %10s  %s\n", metric, "policy", "estimator", "value", "95% interval")
		}
		fmt.Fprintf(w, "  %-28s %-9s %10.4f  [%.4f, %.4f]\n", p.Name, p.Estimator, p.Value, p.CI[0], p.CI[1])
	}
	if len(r.Uplift) > 0 {
		fmt.Fprintf(w, "\nuplift curve: the top of the rows by uplift sent their best action, the rest nothing (outcome, dr)\n")
		fmt.Fprintf(w, "  %6s  %12s  %-20s  %s\n", "budget", "added/row", "95% interval", "share of the best everyone-one-action")
		for _, u := range r.Uplift {
			fmt.Fprintf(w, "  %5.0f%%  %12.4f  [%.4f, %.4f]  %5.1f%%\n", 100*u.Budget, u.Incremental, u.CI[0], u.CI[1], 100*u.Share)
		}
	}
	if f := r.Forecast; f != nil {
		fmt.Fprintf(w, "\nforecast at half the budget: %.4f per row predicted, %.4f [%.4f, %.4f] in the log (%+.1f%%)\n",
			f.Predicted, f.Actual, f.ActualCI[0], f.ActualCI[1], 100*(f.Predicted-f.Actual)/f.Actual)
	}
}
