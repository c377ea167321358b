package main

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/nextbest/nextbest/shared/adaptive"
)

// Settings fixed in code before any look at the rows; nothing below is tuned on them.
const (
	// testShare is the share of a half's rows, the last ones, its AUC is measured on:
	// both learners score every row before learning from it, and the first rows of a
	// half measure learning from nothing rather than ranking.
	testShare = 0.3
	// edgeSampleSize is how many first rows set a numeric predictor's fine bin edges.
	edgeSampleSize = 1000
	// maxFineBins bounds the fine bins of a numeric predictor.
	maxFineBins = 20
	// target is the largest acceptable AUC shortfall against Vowpal Wabbit.
	target = 0.005
	// calibrationGroups cuts the test rows for the expected calibration error.
	calibrationGroups = 10
)

// setting is one configuration of the engine's models tried on the tuning halves.
type setting struct {
	name string
	// apply sets the setting on a task's base configuration.
	apply func(adaptive.Config) adaptive.Config
}

// settings are the configurations tried: naive Bayes as it ships, and the logistic
// kind over a small grid of its learning rate, its blend with naive Bayes and the
// numeric value terms. The grid was written before the first tuning run and widened
// once, where its best setting sat at an edge (docs/model-quality.md tells).
func settings() []setting {
	out := []setting{{name: "naive-bayes", apply: func(c adaptive.Config) adaptive.Config { c.Kind = adaptive.NaiveBayes; return c }}}
	for _, rate := range []float64{0.02, 0.03, 0.05, 0.1, 0.2} {
		for _, blend := range []float64{10, 20, 50, 100, 200} {
			for _, linear := range []bool{false, true} {
				name := fmt.Sprintf("logistic rate %g blend %g", rate, blend)
				if linear {
					name += " value terms"
				}
				out = append(out, setting{name: name, apply: func(c adaptive.Config) adaptive.Config {
					c.Kind, c.LearningRate, c.BlendPositives, c.BinsOnly = adaptive.Logistic, rate, blend, !linear
					return c
				}})
			}
		}
	}
	return out
}

// half is a task's tuning or reporting half: its rows and its test rows' labels.
type half struct {
	rows   []example
	labels []bool
	// test is the index of the first test row.
	test int
}

func newHalf(rows []example) half {
	h := half{rows: rows, labels: make([]bool, len(rows)), test: len(rows) - int(math.Round(testShare*float64(len(rows))))}
	for i, r := range rows {
		h.labels[i] = r.y
	}
	return h
}

func (h half) testLabels() []bool { return h.labels[h.test:] }

// positives counts the test rows' positives.
func (h half) positives() int {
	n := 0
	for _, y := range h.testLabels() {
		if y {
			n++
		}
	}
	return n
}

// split returns a task's tuning half (the first) and reporting half (the second).
func split(tk task) (tune, report half) {
	mid := len(tk.rows) / 2
	return newHalf(tk.rows[:mid]), newHalf(tk.rows[mid:])
}

// scores are one learner's prequential answers on a half: log-odds for the AUC (any
// increasing score ranks alike) and probabilities for the calibration.
type scores struct {
	logOdds, probabilities []float64
}

func (s scores) test(h half) scores {
	return scores{logOdds: s.logOdds[h.test:], probabilities: s.probabilities[h.test:]}
}

func (s scores) auc(h half) float64 {
	return adaptive.AUC(s.logOdds[h.test:], h.testLabels())
}

func (s scores) ece(h half) float64 {
	_, ece := adaptive.Calibration(s.probabilities[h.test:], h.testLabels(), calibrationGroups)
	return ece
}

// baseConfig is a half's model configuration: the task's columns, numeric ones with
// fine edges from the quantiles of the half's first rows (as a live model takes them
// from its first observations), no memory (the data are stationary).
func baseConfig(tk task, h half) adaptive.Config {
	var cfg adaptive.Config
	n := min(edgeSampleSize, h.test)
	for j, c := range tk.columns {
		p := adaptive.Predictor{Name: c.name, Kind: c.kind}
		if c.kind == adaptive.Numeric {
			sample := make([]float64, n)
			for i := range sample {
				sample[i] = h.rows[i].x[j].Number
			}
			p.Bins = adaptive.QuantileEdges(sample, maxFineBins)
		}
		cfg.Predictors = append(cfg.Predictors, p)
	}
	return cfg
}

// engineScores learns the half's rows in order with one model per group, scoring each
// row before learning from it.
func engineScores(tk task, h half, s setting) (scores, error) {
	cfg := s.apply(baseConfig(tk, h))
	models := make(map[string]*adaptive.Model)
	// The data are stationary and the models have no memory, so one fixed time does.
	var at time.Time
	out := scores{logOdds: make([]float64, len(h.rows)), probabilities: make([]float64, len(h.rows))}
	for i, r := range h.rows {
		m, ok := models[r.group]
		if !ok {
			var err error
			if m, err = adaptive.New(cfg, nil); err != nil {
				return scores{}, fmt.Errorf("task %s, %s: %w", tk.name, s.name, err)
			}
			models[r.group] = m
		}
		sc := m.Snapshot(at).Score(r.x)
		out.logOdds[i], out.probabilities[i] = sc.LogOdds, sc.Propensity
		m.Apply(m.Update(r.x, r.y, at))
	}
	return out, nil
}

// tuning is one setting's figures on a dataset's tuning halves.
type tuning struct {
	setting      setting
	meanAUC      float64
	meanECE      float64
	aucs, eces   []float64
	vwAUC, vwECE []float64
}

// choose runs every setting on the tuning halves of a dataset's tasks and returns them
// best first: by mean AUC over the tasks, then by mean calibration error.
func choose(tasks []task, vw func(task, half) (scores, error)) ([]tuning, error) {
	var out []tuning
	vwAUC, vwECE := make([]float64, len(tasks)), make([]float64, len(tasks))
	for i, tk := range tasks {
		tune, _ := split(tk)
		v, err := vw(tk, tune)
		if err != nil {
			return nil, err
		}
		vwAUC[i], vwECE[i] = v.auc(tune), v.ece(tune)
	}
	for _, s := range settings() {
		t := tuning{setting: s, vwAUC: vwAUC, vwECE: vwECE}
		for _, tk := range tasks {
			tune, _ := split(tk)
			sc, err := engineScores(tk, tune, s)
			if err != nil {
				return nil, err
			}
			t.aucs, t.eces = append(t.aucs, nanAsHalf(sc.auc(tune))), append(t.eces, sc.ece(tune))
		}
		t.meanAUC, t.meanECE = mean(t.aucs), mean(t.eces)
		out = append(out, t)
	}
	slices.SortStableFunc(out, func(a, b tuning) int {
		if c := cmp.Compare(b.meanAUC, a.meanAUC); c != 0 {
			return c
		}
		return cmp.Compare(a.meanECE, b.meanECE)
	})
	return out, nil
}

// nanAsHalf reads an undefined AUC (no positive or no negative) as no ranking.
func nanAsHalf(auc float64) float64 {
	if math.IsNaN(auc) {
		return 0.5
	}
	return auc
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// result holds one task's figures on its reporting half.
type result struct {
	task, order, setting string
	rows, testRows       int
	testPositives        int
	engine, vw, diff     interval
	// engineECE and vwECE are the expected calibration errors on the test rows.
	engineECE, vwECE float64
	// naiveBayes is the AUC of naive Bayes as it ships, for reference.
	naiveBayes float64
	elapsed    time.Duration
}

// report runs the chosen setting, naive Bayes and Vowpal Wabbit on a task's reporting
// half, which no choice has seen.
func report(tk task, chosen setting, vw func(task, half) (scores, error), boot int, rng *rand.Rand) (result, error) {
	start := time.Now()
	_, h := split(tk)
	res := result{task: tk.name, order: tk.order, setting: chosen.name, rows: len(h.rows), testRows: len(h.rows) - h.test, testPositives: h.positives()}
	engine, err := engineScores(tk, h, chosen)
	if err != nil {
		return res, err
	}
	nb, err := engineScores(tk, h, settings()[0])
	if err != nil {
		return res, err
	}
	v, err := vw(tk, h)
	if err != nil {
		return res, err
	}
	res.engine, res.vw, res.diff = pairedBootstrap(engine.test(h).logOdds, v.test(h).logOdds, h.testLabels(), boot, rng)
	res.engineECE, res.vwECE = engine.ece(h), v.ece(h)
	res.naiveBayes = nanAsHalf(nb.auc(h))
	res.elapsed = time.Since(start)
	return res, nil
}

// meetsGoal says whether the engine ranks at least as well as Vowpal Wabbit less the
// allowance, and is no worse calibrated.
func (r result) meetsGoal() bool { return r.diff.value >= -target && r.engineECE <= r.vwECE }
