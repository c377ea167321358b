// Command evaluate measures the engine's models on real data, side by side with Vowpal
// Wabbit, the usual online learner, on exactly the same rows in the same order.
//
// Each task's rows, in time order, are cut in two halves. The engine's settings are
// chosen on the first halves of a dataset's tasks (naive Bayes, and the logistic kind
// over a small grid), by their mean prequential AUC; the chosen setting, naive Bayes
// as it ships and Vowpal Wabbit with its default settings are then run, from nothing,
// on the second halves, which no choice has seen. Every row is scored before it is
// learned from; the AUC and the expected calibration error are read on the last 30% of
// each half, with bootstrap intervals and the paired difference engine − VW.
//
//	make eval   # installs Vowpal Wabbit (make peers) and runs:
//	go run ./infra/evaluate -datasets ../shared/datasets -out docs/model-quality.md
//	# any log with a simulation mapping (one task per logged action):
//	go run ./infra/evaluate -mapping docs/simulate/hillstrom.mapping.yaml -log LOG.csv -out report.md
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
	python := flag.String("python", ".cache/peers/bin/python", "the Python that has Vowpal Wabbit (make peers)")
	mapping := flag.String("mapping", "", "evaluate this log's mapping `file` (infra/simulate) instead of the datasets; needs -log")
	logPath := flag.String("log", "", "the CSV `file` the mapping reads")
	flag.Parse()
	vw := vowpalWabbit{python: *python, script: "infra/peers/vw_prequential.py"}
	load := func(logf func(string, ...any)) ([]task, error) { return loadTasks(*datasets, logf) }
	source, data, command := *datasets, builtinData, commandLine("-datasets", *datasets, *seed, *boot, *out)
	switch {
	case *mapping != "" && *logPath != "":
		load = func(func(string, ...any)) ([]task, error) { return loadMapped(*mapping, *logPath) }
		source = *logPath
		data = fmt.Sprintf("`%s`, read with the mapping `%s`: one task per logged action, the mapping's attributes as predictors, in its time order.", *logPath, *mapping)
		command = commandLine("-mapping", *mapping, *seed, *boot, *out) + " -log " + *logPath
	case *mapping != "" || *logPath != "":
		fmt.Fprintln(os.Stderr, "evaluate: -mapping and -log go together")
		os.Exit(2)
	}
	info := runInfo{command: command, data: data, seed: *seed, boot: *boot}
	if err := run(source, load, info, *out, vw); err != nil {
		fmt.Fprintln(os.Stderr, "evaluate:", err)
		os.Exit(1)
	}
}

// run loads the datasets, chooses each dataset's setting on its tuning halves, reports
// on the other halves, and prints and writes the report.
func run(datasets string, load func(func(string, ...any)) ([]task, error), info runInfo, out string, vw vowpalWabbit) error {
	seed, boot := info.seed, info.boot
	if boot < 200 {
		return fmt.Errorf("-boot %d: want at least 200 resamples", boot)
	}
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	if _, err := os.Stat(datasets); err != nil {
		logf("skipping the evaluation: %s is absent (%v)", datasets, err)
		return nil
	}
	if err := vw.check(); err != nil {
		return err
	}
	started := time.Now()
	tasks, err := load(logf)
	if err != nil {
		return err
	}
	if len(tasks) == 0 {
		logf("skipping the evaluation: no dataset found under %s", datasets)
		return nil
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	var results []result
	var choices []datasetChoice
	for _, group := range byDataset(tasks) {
		logf("%s: trying %d settings on the first halves of %d tasks", group[0].dataset, len(settings()), len(group))
		tunings, err := choose(group, vw.scores)
		if err != nil {
			return err
		}
		choices = append(choices, datasetChoice{dataset: group[0].dataset, tasks: group, tunings: tunings})
		logf("  chosen: %s (mean AUC %.4f)", tunings[0].setting.name, tunings[0].meanAUC)
		for _, tk := range group {
			res, err := report(tk, tunings[0].setting, vw.scores, boot, rng)
			if err != nil {
				return err
			}
			logf("  %s: engine %.3f, Vowpal Wabbit %.3f on the second half", tk.name, res.engine.value, res.vw.value)
			results = append(results, res)
		}
	}
	info.elapsed, info.datasets = time.Since(started), datasets
	fmt.Println(resultsTable(results))
	fmt.Println(verdict(results))
	if out == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.WriteFile(out, []byte(markdownReport(results, choices, info)), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	logf("report written to %s", out)
	return nil
}

// datasetChoice is how one dataset's setting was chosen.
type datasetChoice struct {
	dataset string
	tasks   []task
	tunings []tuning
}

// byDataset groups tasks by dataset, in their order.
func byDataset(tasks []task) [][]task {
	var groups [][]task
	index := map[string]int{}
	for _, tk := range tasks {
		i, ok := index[tk.dataset]
		if !ok {
			i = len(groups)
			index[tk.dataset] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], tk)
	}
	return groups
}

// commandLine returns the command that reproduces this run.
func commandLine(flag, value string, seed uint64, boot int, out string) string {
	args := []string{"go run ./infra/evaluate", flag, value, "-seed", fmt.Sprint(seed), "-boot", fmt.Sprint(boot)}
	if out != "" {
		args = append(args, "-out", out)
	}
	return strings.Join(args, " ")
}
