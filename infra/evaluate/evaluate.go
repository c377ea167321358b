package main

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nextbest/nextbest/shared/adaptive"
)

// Settings fixed in code before any look at the test rows; nothing below is tuned on them.
const (
	// trainShare is the share of rows, in time order, the offline model trains on.
	trainShare = 0.7
	// edgeSampleSize is how many first rows set a numeric predictor's fine bin edges.
	edgeSampleSize = 1000
	// maxFineBins bounds the fine bins of a numeric predictor.
	maxFineBins = 20
	// ridge is the L2 penalty of the offline logistic regression (on the log-likelihood sum).
	ridge = 1.0
	// interceptRidge keeps the intercept finite for groups whose training rows never respond.
	interceptRidge = 1e-4
	// target is the largest acceptable AUC shortfall of the online model.
	target = 0.02
)

// result holds one task's figures.
type result struct {
	task, order                      string
	rows, trainRows, testRows        int
	positives, testPositives, groups int
	// onlineAll is the prequential AUC over all rows; online over the test rows only.
	onlineAll, online interval
	// frozen scores the test rows with the online models as they were at the split.
	frozen  interval
	offline interval
	// diff is online − offline and frozenDiff frozen − offline, both paired on the test rows.
	diff, frozenDiff interval
	elapsed          time.Duration
}

// adaptiveConfig builds the online models' config: the task's columns, numeric ones with fine
// edges from the quantiles of their first observations, every tuning value at its default, and
// no memory (the data are stationary).
func adaptiveConfig(tk task) adaptive.Config {
	var cfg adaptive.Config
	n := min(edgeSampleSize, int(trainShare*float64(len(tk.rows))))
	for j, c := range tk.columns {
		p := adaptive.Predictor{Name: c.name, Kind: c.kind}
		if c.kind == adaptive.Numeric {
			sample := make([]float64, n)
			for i := range sample {
				sample[i] = tk.rows[i].x[j].Number
			}
			p.Bins = adaptive.QuantileEdges(sample, maxFineBins)
		}
		cfg.Predictors = append(cfg.Predictors, p)
	}
	return cfg
}

// runTask evaluates the online models prequentially and the offline regression on the split.
func runTask(tk task, boot int, rng *rand.Rand, logf func(string, ...any)) (result, error) {
	start := time.Now()
	split := int(trainShare * float64(len(tk.rows)))
	res := result{task: tk.name, order: tk.order, rows: len(tk.rows), trainRows: split, testRows: len(tk.rows) - split}

	prequential, frozen, groups, err := runOnline(tk, split)
	if err != nil {
		return res, err
	}
	res.groups = groups
	logf("  online models: %d rows learned test-then-train in %v", len(tk.rows), time.Since(start).Round(time.Millisecond))

	offline, err := runOffline(tk, split)
	if err != nil {
		return res, err
	}
	logf("  offline logistic regressions trained on %d rows", split)

	labels := make([]bool, len(tk.rows))
	for i, r := range tk.rows {
		labels[i] = r.y
		if r.y {
			res.positives++
			if i >= split {
				res.testPositives++
			}
		}
	}
	testLabels := labels[split:]
	res.onlineAll = bootstrapAUC(prequential, labels, boot, rng)
	res.online, res.offline, res.diff = pairedBootstrap(prequential[split:], offline, testLabels, boot, rng)
	res.frozen, _, res.frozenDiff = pairedBootstrap(frozen, offline, testLabels, boot, rng)
	res.elapsed = time.Since(start)
	logf("  %d bootstrap resamples done in %v", boot, res.elapsed.Round(time.Millisecond))
	return res, nil
}

// runOnline learns every row in order with one adaptive model per group, scoring each row
// before learning from it. It returns those prequential scores, the scores of the test rows by
// the models frozen at the split, and the number of groups.
func runOnline(tk task, split int) (prequential, frozen []float64, groups int, err error) {
	cfg := adaptiveConfig(tk)
	models := make(map[string]*adaptive.Model)
	model := func(group string) (*adaptive.Model, error) {
		if m, ok := models[group]; ok {
			return m, nil
		}
		m, err := adaptive.New(cfg, nil)
		if err != nil {
			return nil, fmt.Errorf("task %s: new model for %s: %w", tk.name, group, err)
		}
		models[group] = m
		return m, nil
	}
	// The data are stationary and the models have no memory, so one fixed time does.
	var at time.Time
	prequential = make([]float64, len(tk.rows))
	atSplit := make(map[string]*adaptive.Snapshot)
	for i, r := range tk.rows {
		if i == split {
			for g, m := range models {
				atSplit[g] = m.Snapshot(at)
			}
		}
		m, err := model(r.group)
		if err != nil {
			return nil, nil, 0, err
		}
		prequential[i] = m.Snapshot(at).Score(r.x).LogOdds
		m.Apply(m.Update(r.x, r.y, at))
	}
	empty, err := adaptive.New(cfg, nil)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("task %s: %w", tk.name, err)
	}
	for _, r := range tk.rows[split:] {
		s, ok := atSplit[r.group]
		if !ok {
			s = empty.Snapshot(at) // A group first seen after the split: its model was empty.
		}
		frozen = append(frozen, s.Score(r.x).LogOdds)
	}
	return prequential, frozen, len(models), nil
}

// runOffline fits one logistic regression per group on the training rows and returns its
// log-odds for the test rows; a group without training rows scores 0.
func runOffline(tk task, split int) ([]float64, error) {
	byGroup := make(map[string][]example)
	for _, r := range tk.rows[:split] {
		byGroup[r.group] = append(byGroup[r.group], r)
	}
	fits := make(map[string]*logistic, len(byGroup))
	for g, rows := range byGroup {
		m, err := fitLogistic(tk.columns, rows, ridge, interceptRidge)
		if err != nil {
			return nil, fmt.Errorf("task %s, group %s: %w", tk.name, g, err)
		}
		fits[g] = m
	}
	scores := make([]float64, 0, len(tk.rows)-split)
	for _, r := range tk.rows[split:] {
		m, ok := fits[r.group]
		if !ok {
			scores = append(scores, 0)
			continue
		}
		scores = append(scores, m.score(r.x, make([]float64, m.enc.width)))
	}
	return scores, nil
}
