package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// runInfo describes the run, for the report.
type runInfo struct {
	command, datasets string
	seed              uint64
	boot              int
	elapsed           time.Duration
}

// formatInterval writes an AUC with its 95% interval.
func formatInterval(iv interval) string {
	return fmt.Sprintf("%.3f [%.3f, %.3f]", iv.value, iv.lo, iv.hi)
}

// formatDiff writes a signed difference with its 95% interval.
func formatDiff(iv interval) string {
	return fmt.Sprintf("%+.3f [%+.3f, %+.3f]", iv.value, iv.lo, iv.hi)
}

// meetsTarget says whether the online model's AUC is at most target below the offline one's.
func meetsTarget(d interval) bool { return d.value >= -target }

// targetCell says whether the target is met, and whether the whole interval of the difference
// is, so that a pass on too few positives is not read as evidence.
func targetCell(d interval) string {
	switch {
	case d.lo >= -target:
		return "yes"
	case meetsTarget(d):
		return "yes on the estimate; the interval reaches below −0.02"
	default:
		return fmt.Sprintf("no (%.3f beyond the allowance)", -d.value-target)
	}
}

// resultsTable returns the headline table in markdown, readable as plain text too.
func resultsTable(results []result) string {
	var b strings.Builder
	b.WriteString("| task | rows (train / test, test positives) | online, prequential, test 30% | offline LR, test 30% | online − offline (paired) | within 0.02? |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %d / %d, %d | %s | %s | %s | %s |\n", r.task, r.trainRows, r.testRows, r.testPositives,
			formatInterval(r.online), formatInterval(r.offline), formatDiff(r.diff), targetCell(r.diff))
	}
	return b.String()
}

// detailTable returns the secondary figures: the prequential AUC over all rows and the online
// models frozen at the split.
func detailTable(results []result) string {
	var b strings.Builder
	b.WriteString("| task | models | positives / rows | online, prequential, all rows | online frozen at 70%, test 30% | frozen − offline (paired) | time, bootstrap included |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %d | %d / %d | %s | %s | %s | %v |\n", r.task, r.groups, r.positives, r.rows,
			formatInterval(r.onlineAll), formatInterval(r.frozen), formatDiff(r.frozenDiff), r.elapsed.Round(time.Millisecond))
	}
	return b.String()
}

// verdict sums up the results against the target.
func verdict(results []result) string {
	var met, missed []string
	for _, r := range results {
		if meetsTarget(r.diff) {
			met = append(met, fmt.Sprintf("%s (%+.3f)", r.task, r.diff.value))
		} else {
			missed = append(missed, fmt.Sprintf("%s (%+.3f, %.3f beyond the 0.02 allowance; 95%% interval of the difference [%+.3f, %+.3f])",
				r.task, r.diff.value, -r.diff.value-target, r.diff.lo, r.diff.hi))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Target (online prequential AUC within %.2f of the offline baseline on the same test rows): met on %d of %d tasks.\n",
		target, len(met), len(results))
	if len(met) > 0 {
		fmt.Fprintf(&b, "Met: %s.\n", strings.Join(met, "; "))
	}
	if len(missed) > 0 {
		fmt.Fprintf(&b, "Missed: %s.\n", strings.Join(missed, "; "))
	}
	var chance []string
	for _, r := range results {
		if r.online.lo <= 0.5 && r.online.hi >= 0.5 && r.offline.lo <= 0.5 && r.offline.hi >= 0.5 {
			chance = append(chance, r.task)
		}
	}
	if len(chance) > 0 {
		fmt.Fprintf(&b, "Uninformative: on %s neither model ranks measurably better than chance (both intervals hold 0.5), "+
			"so meeting the target there shows only that the online model is no worse than a baseline that learns nothing either.\n",
			strings.Join(chance, "; "))
	}
	return b.String()
}

// reading separates the two sources of any shortfall: learning online (prequential against
// frozen at the split) and the model class (frozen naive Bayes against logistic regression).
func reading(results []result) string {
	var b strings.Builder
	b.WriteString("Where a gap comes from, per task: *online learning* is prequential − frozen (what scoring " +
		"while learning costs or gains against the same model frozen at the split); *model class* is frozen − offline " +
		"(naive Bayes over bins against logistic regression, both trained on the same 70%).\n\n")
	b.WriteString("| task | online learning | model class |\n|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %+.3f | %s |\n", r.task, r.online.value-r.frozen.value, formatDiff(r.frozenDiff))
	}
	return b.String()
}

// history records what was run before this report, so its figures can be judged fairly.
const history = `## How the settings were fixed

The first full run used the package defaults as first written (numeric bins merged only to a
minimum evidence of 50 responses) and gave, online − offline on the test rows: Hillstrom Mens
−0.017, Womens −0.032, No E-Mail −0.010; OBD per item +0.059, single model +0.024 (200 resamples).
Having seen those figures, no setting was changed by looking at the test rows again. One change
was then made and checked only on the training part (a prequential run on the first 70% of each
Hillstrom arm, split again 70/30 in file order): merging adjacent numeric bins whose rates do not
differ at the 5% level (ChiMerge, chi-square 3.84, a conventional level, not searched). On that
inner split it narrowed the mean Hillstrom gap from −0.030 to −0.028. Other variants tried on the
same inner split were not adopted: bin shrinkage 5 or 100, bin evidence 20 or 200 and no
inactivation moved the gap by at most 0.003; dropping history (keeping history_segment) narrowed
it by 0.002 to 0.006 and dropping history_segment widened it by 0.007 to 0.011, but picking
predictors by hand for one dataset is not what the product's automatic model should rely on.
The remaining gap is the model class, as the table above shows (online learning itself costs
almost nothing): naive Bayes adds the predictors' evidence as if they were independent, and the
Hillstrom profile columns are not (history and history_segment carry the same information,
recency, newbie and history overlap), which a logistic regression corrects for. A counts-based
model that corrects for it (tree-augmented naive Bayes, or a linear discriminant over one-hot
bins) needs a counter per pair of predictors: about 435 counter increments per response at 30
predictors instead of 32, too many for one atomic DynamoDB update, so it was not adopted here.
`

// markdownReport returns docs/model-quality.md.
func markdownReport(results []result, run runInfo) string {
	var b strings.Builder
	b.WriteString(`# Adaptive model quality on real data

*Generated by ` + "`infra/evaluate`" + `; do not edit by hand, re-run the command below.*

## What is measured

Does the online adaptive model (package ` + "`shared/adaptive`" + `: naive Bayes over adaptively
binned predictors, counts as state, calibrated, one model per arm or item) rank customers as
well as an offline model trained on the same data?

- **Online, prequential**: every row, in time order, is first scored by the current model and
  then learned from (test-then-train). Its AUC is reported over all rows and, for the headline,
  over the last 30% of the rows, the offline model's test rows.
- **Offline baseline**: a logistic regression per arm or item (one-hot symbolic predictors,
  standardized numeric ones, L2 penalty 1 on the log-likelihood sum, 1e-4 on the intercept,
  fitted by Newton/IRLS to a step below 1e-8) trained on the first 70% of the rows in time
  order and scored on the last 30%.
- **Online frozen at 70%**: the online models as they were at the split, scoring the test rows
  without learning from them: the like-for-like comparison with the offline model.
- **Confidence intervals**: 95% percentile bootstrap over the test rows (all rows for the
  all-rows AUC); the difference online − offline is a paired bootstrap (both models scored on
  the same resample).
- **No tuning on the test rows**: the online models use the package defaults
  (prior rate 0.05 worth 10 responses, bins shrunk with 20 responses, bin groups of at least 50
  responses, adjacent numeric groups merged unless their rates differ at chi-square 3.84,
  predictors inactivated below AUC 0.52 after 200 responses, calibration weight
  n/(n+200), no memory because the data are stationary); numeric fine bins are the quantile
  edges (at most 20 bins) of the first 1,000 rows, all in the training part. The baseline's
  penalty was fixed in code before the first run. Nothing was tuned on the test rows; the one
  change made after the first run is told under "How the settings were fixed" below.

## Data

- **Hillstrom** (` + "`hillstrom/hillstrom-dev.csv`" + `), outcome ` + "`visit`" + `, one model per e-mail
  arm (Mens E-Mail, Womens E-Mail, and No E-Mail as a baseline arm); predictors recency,
  history_segment, history, mens, womens, zip_code, newbie, channel. The file has no timestamp:
  rows are taken in file order, which is a fixed random split, so "time order" is a random order
  here.
- **Open Bandit Dataset, men campaign, random log** (` + "`obd-men/random.csv`" + `), outcome
  ` + "`click`" + `, rows in timestamp order; predictors user_feature_0..3, position and the user's
  affinity with the item shown. As the issue asks, one model per item (34 models); also one model
  with the item as a predictor. The whole log has only 46 clicks, 18 of them in the test rows, so
  its intervals are wide.

## Results

`)
	b.WriteString(resultsTable(results))
	b.WriteString("\nAUC with 95% bootstrap interval in brackets.\n\n")
	b.WriteString(detailTable(results))
	b.WriteString("\n## Verdict\n\n")
	b.WriteString(verdict(results))
	b.WriteString("\n" + reading(results))
	b.WriteString("\n" + history)
	b.WriteString("\n## Reproduce\n\n```sh\n" + run.command + "\n```\n\n")
	fmt.Fprintf(&b, "Run on %s, %d CPUs (%s), %s, %d bootstrap resamples, seed %d, in %v.\n",
		osName(), runtime.NumCPU(), cpuName(), runtime.Version(), run.boot, run.seed, run.elapsed.Round(time.Second))
	return b.String()
}

// osName returns the PRETTY_NAME of /etc/os-release, or GOOS/GOARCH when unreadable.
func osName() string {
	if v := firstValue("/etc/os-release", "PRETTY_NAME="); v != "" {
		return strings.Trim(v, `"`) + " " + runtime.GOARCH
	}
	return runtime.GOOS + "/" + runtime.GOARCH
}

// cpuName returns the CPU model from /proc/cpuinfo, or "unknown CPU".
func cpuName() string {
	if v := firstValue("/proc/cpuinfo", "model name"); v != "" {
		return strings.TrimSpace(strings.TrimPrefix(v, ":"))
	}
	return "unknown CPU"
}

// firstValue returns the rest of the first line of a file starting with prefix.
func firstValue(path, prefix string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}
