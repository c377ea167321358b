// Command evaluate measures the adaptive propensity model on real data: the prequential
// (test-then-train) AUC of the online models against an offline logistic regression trained on
// the first 70% of the rows in time order, with bootstrap confidence intervals. It prints a
// table and writes a markdown report.
//
//	go run ./infra/evaluate -datasets ../shared/datasets -out docs/model-quality.md
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	datasets := flag.String("datasets", "../shared/datasets", "directory holding hillstrom/ and obd-men/")
	seed := flag.Uint64("seed", 1, "seed of the bootstrap resampling")
	boot := flag.Int("boot", 1000, "bootstrap resamples per confidence interval (at least 200)")
	out := flag.String("out", "", "also write the markdown report to this file")
	flag.Parse()
	if err := run(*datasets, *seed, *boot, *out); err != nil {
		fmt.Fprintln(os.Stderr, "evaluate:", err)
		os.Exit(1)
	}
}

// run loads the datasets, evaluates every task and prints and writes the report.
func run(datasets string, seed uint64, boot int, out string) error {
	if boot < 200 {
		return fmt.Errorf("-boot %d: want at least 200 resamples", boot)
	}
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	if _, err := os.Stat(datasets); err != nil {
		logf("skipping the evaluation: datasets directory %s is absent (%v); pass -datasets", datasets, err)
		return nil
	}
	started := time.Now()
	tasks, err := loadTasks(datasets, logf)
	if err != nil {
		return err
	}
	if len(tasks) == 0 {
		logf("skipping the evaluation: no dataset found under %s", datasets)
		return nil
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	var results []result
	for i, tk := range tasks {
		logf("[%d/%d] %s: %d rows", i+1, len(tasks), tk.name, len(tk.rows))
		res, err := runTask(tk, boot, rng, logf)
		if err != nil {
			return err
		}
		results = append(results, res)
	}
	run := runInfo{
		command:  commandLine(datasets, seed, boot, out),
		seed:     seed,
		boot:     boot,
		elapsed:  time.Since(started),
		datasets: datasets,
	}
	fmt.Println(resultsTable(results))
	fmt.Println(verdict(results))
	if out == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.WriteFile(out, []byte(markdownReport(results, run)), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	logf("report written to %s", out)
	return nil
}

// commandLine returns the command that reproduces this run.
func commandLine(datasets string, seed uint64, boot int, out string) string {
	args := []string{"go run ./infra/evaluate", "-datasets", datasets, "-seed", fmt.Sprint(seed), "-boot", fmt.Sprint(boot)}
	if out != "" {
		args = append(args, "-out", out)
	}
	return strings.Join(args, " ")
}
