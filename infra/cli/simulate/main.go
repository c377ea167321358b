// Package simulate is `nextbest simulate`: it replays a log of past interactions
// through the engine's own decision and learning code and values the engine's policy
// on it, offline (see docs/results.md and infra/simulate).
package simulate

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/nextbest/nextbest/infra/cli"
	"github.com/nextbest/nextbest/infra/simulate"
)

// NewCommand returns `nextbest simulate`.
func NewCommand(env *cli.Env) *cobra.Command {
	var mappingPath, catalogPath, jsonPath, htmlPath string
	var quiet bool
	var rankings rankingFlags
	var logs logFlags
	o := simulate.Options{}
	cmd := &cobra.Command{
		Use:   "simulate --mapping FILE --catalog FILE [flags] LOG.csv",
		Short: "Replay a logged CSV through the engine and value its policy offline",
		Long: `simulate replays a log of past interactions through the engine's own decision and
learning code. The engine learns from the first part of the log (the mapping's train
share) and is valued on the rest, where it keeps learning row after row as it would
live. It prints the value per row of the engine's policy by inverse propensity weighting
(ipw), self-normalised IPW (snips) and doubly robust estimation (dr), each with a
bootstrap 95% interval, beside the logging policy's own value, everyone-one-action, no
one and random; the prequential AUC; and the share of silence. It reads no table.

--json-out FILE also writes the result as JSON; --html FILE a self-contained report with
charts. With --json the result (infra/simulate.Result) is printed as JSON on stdout
instead of the text. A progress bar on stderr follows the replay (--quiet hides it).`,
		Example: `  nextbest simulate --mapping docs/simulate/hillstrom.mapping.yaml \
      --catalog docs/simulate/hillstrom.catalog.yaml ../shared/datasets/hillstrom/hillstrom-dev.csv`,
		Args: cli.Args(1),
		RunE: cli.Run(func(_ *cobra.Command, args []string) error {
			if mappingPath == "" || catalogPath == "" {
				return cli.Usagef("simulate needs --mapping and --catalog")
			}
			o.Rankings = rankings
			result, err := simulateFile(mappingPath, catalogPath, args[0], logs, o, !quiet, env.Stderr)
			if err != nil {
				return err
			}
			if env.JSON {
				err = env.PrintJSON(result)
			} else {
				printResult(env.Stdout, result)
			}
			if err != nil {
				return err
			}
			if jsonPath != "" {
				data, err := json.MarshalIndent(result, "", "  ")
				if err == nil {
					err = os.WriteFile(jsonPath, append(data, '\n'), 0o644)
				}
				if err != nil {
					return fmt.Errorf("write the JSON result: %w", err)
				}
			}
			if htmlPath != "" {
				if err := writeReport(htmlPath, result); err != nil {
					return fmt.Errorf("write the HTML report: %w", err)
				}
			}
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&mappingPath, "mapping", "", "the mapping `file` from the log's columns to the engine's terms")
	f.StringVar(&catalogPath, "catalog", "", "the catalog `file` whose policy is valued")
	f.IntVar(&o.Bootstrap, "bootstrap", 1000, "bootstrap resamples for the intervals")
	f.Uint64Var(&o.Seed, "seed", 1, "seed of the bootstrap")
	f.StringVar(&jsonPath, "json-out", "", "also write the result as JSON to `file`")
	f.StringVar(&htmlPath, "html", "", "also write a self-contained HTML report with charts to `file`")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	f.Var(&rankings, "ranking", "value an outside model's targeting beside the engine's: `NAME=FILE`, a CSV of row,action,uplift (repeatable)")
	f.Var(&logs, "logged", "value another policy on its own log, read with the same mapping, over the valued period: `NAME=FILE` (repeatable)")
	return cmd
}

func writeReport(path string, result simulate.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := simulate.WriteReport(f, result); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// rankingFlags reads each -ranking NAME=FILE as it is given.
type rankingFlags []simulate.Ranking

func (r *rankingFlags) String() string { return fmt.Sprint(len(*r), " rankings") }

func (r *rankingFlags) Type() string { return "NAME=FILE" }

func (r *rankingFlags) Set(v string) error {
	name, path, err := namedFile(v)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	ranking, err := simulate.ReadRanking(name, f)
	if err != nil {
		return err
	}
	*r = append(*r, ranking)
	return nil
}

// logFlags keeps each -logged NAME=FILE; the files are read once the mapping is known.
type logFlags []struct{ name, path string }

func (l *logFlags) String() string { return fmt.Sprint(len(*l), " logs") }

func (l *logFlags) Type() string { return "NAME=FILE" }

func (l *logFlags) Set(v string) error {
	name, path, err := namedFile(v)
	if err == nil {
		*l = append(*l, struct{ name, path string }{name, path})
	}
	return err
}

func namedFile(v string) (name, path string, err error) {
	name, path, ok := strings.Cut(v, "=")
	if !ok || name == "" || path == "" {
		return "", "", fmt.Errorf("want NAME=FILE, got %q", v)
	}
	return name, path, nil
}

func readRows(m simulate.Mapping, path string) ([]simulate.Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return m.ReadRows(f, path)
}

func simulateFile(mappingPath, catalogPath, logPath string, logs logFlags, o simulate.Options, progress bool, stderr io.Writer) (simulate.Result, error) {
	m, err := simulate.ReadMapping(mappingPath)
	if err != nil {
		return simulate.Result{}, err
	}
	for _, l := range logs {
		rows, err := readRows(m, l.path)
		if err != nil {
			return simulate.Result{}, err
		}
		o.Logs = append(o.Logs, simulate.Log{Name: l.name, Rows: rows})
	}
	source, err := os.ReadFile(catalogPath)
	if err != nil {
		return simulate.Result{}, err
	}
	rows, err := readRows(m, logPath)
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
	metric, fixed, width := "", 0, len("policy")
	for _, p := range r.Policies {
		if strings.HasPrefix(p.Name, everyone) {
			fixed++
		}
		width = max(width, len(p.Name))
	}
	for _, p := range r.Policies {
		if strings.HasPrefix(p.Name, everyone) && fixed > maxFixedShown {
			continue // in the JSON document only
		}
		if p.Metric != metric {
			metric = p.Metric
			fmt.Fprintf(w, "\nvalue per row (%s)\n  %-*s %-9s %10s  %s\n", metric, width, "policy", "estimator", "value", "95% interval")
		}
		fmt.Fprintf(w, "  %-*s %-9s %10.4f  [%.4f, %.4f]\n", width, p.Name, p.Estimator, p.Value, p.CI[0], p.CI[1])
	}
	if len(r.Uplift) > 0 {
		printCurve(w, "uplift curve: the top of the rows by uplift sent their best action, the rest nothing (outcome, dr)", r.Uplift)
	}
	for _, peer := range r.Peers {
		printCurve(w, "uplift curve of "+peer.Name+", on the same rows by the same estimator", peer.Uplift)
		a := peer.EngineAheadAtHalf
		fmt.Fprintf(w, "  the engine's half budget brings %+.4f [%+.4f, %+.4f] outcomes per row more than %s's\n", a.Value, a.CI[0], a.CI[1], peer.Name)
	}
	if f := r.Forecast; f != nil {
		fmt.Fprintf(w, "\nforecast at half the budget: %.4f per row predicted, %.4f [%.4f, %.4f] in the log (%+.1f%%)\n",
			f.Predicted, f.Actual, f.ActualCI[0], f.ActualCI[1], 100*(f.Predicted-f.Actual)/f.Actual)
	}
}

func printCurve(w io.Writer, title string, curve []simulate.UpliftPoint) {
	fmt.Fprintf(w, "\n%s\n  %6s  %12s  %-20s  %s\n", title, "budget", "added/row", "95% interval", "share of the best everyone-one-action")
	for _, u := range curve {
		fmt.Fprintf(w, "  %5.0f%%  %12.4f  [%.4f, %.4f]  %5.1f%%\n", 100*u.Budget, u.Incremental, u.CI[0], u.CI[1], 100*u.Share)
	}
}
