package simulate

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/offpolicy"
)

// Options tune a replay.
type Options struct {
	// Bootstrap resamples for the intervals (default 1000); Seed seeds them; Level is
	// their coverage (default 0.95).
	Bootstrap int
	Seed      uint64
	Level     float64
	// RefreshEvery is how many rows pass between two loads of the models' counters,
	// as a warm function reloads them every 30 seconds (default 100).
	RefreshEvery int
	// Progress, when set, is called as rows are replayed.
	Progress func(done, total int)
	// Rankings are outside models' targeting of the same rows, valued on the uplift
	// curve beside the engine's with the same estimator.
	Rankings []Ranking
	// Logs are other policies' own logs (read with the same mapping): each is valued
	// on-policy, by the mean of its rows in the period of the valued rows, beside the
	// engine, as "NAME (own log)".
	Logs []Log
}

// Log is a named log of another policy.
type Log struct {
	Name string
	Rows []Row
}

// Result is what a replay measured. Its JSON form is the --json document.
type Result struct {
	Dataset string `json:"dataset"`
	Rows    int    `json:"rows"`
	// Learned is how many rows the engine learned from before the valuation began;
	// Valued how many it was valued on.
	Learned int `json:"learned"`
	Valued  int `json:"valued"`
	// Policies are the values per row of the engine's policy, of the logging policy and
	// of fixed policies, each by estimator, on the outcome and, when the log has one,
	// on the value.
	Policies []Policy `json:"policies"`
	// AUC is the prequential AUC on the valued rows: the logged action's propensity,
	// scored before the row was learned from, against its outcome.
	AUC float64 `json:"auc"`
	// AUCOverTime is the prequential AUC so far at checkpoints through the valued rows,
	// from the first checkpoint with both outcomes seen: how the ranking held up.
	AUCOverTime []AUCPoint `json:"aucOverTime,omitempty"`
	// Calibration sets the logged action's propensity, in deciles of it, beside the
	// outcome rate observed; ECE is their expected calibration error.
	Calibration []adaptive.CalibrationGroup `json:"calibration,omitempty"`
	ECE         float64                     `json:"ece"`
	// Silence is the share of the valued rows for which the engine chose nothing;
	// Choices counts its choices by action ("" is nothing).
	Silence float64        `json:"silenceShare"`
	Choices map[string]int `json:"choices"`
	// Uplift is the uplift (Qini) curve by budget, on a log that has "nothing": the
	// valued rows ranked by the uplift of their best action, the top share of them
	// sent it and the rest nothing; what each budget adds over sending nothing.
	Uplift []UpliftPoint `json:"uplift,omitempty"`
	// Peers are the uplift curves of Options.Rankings, in their order.
	Peers []PeerCurve `json:"peers,omitempty"`
	// Forecast is, for the half budget, the outcomes per row the engine's models
	// predict against what the log shows (doubly robust).
	Forecast *Forecast `json:"forecast,omitempty"`
}

// AUCPoint is the prequential AUC over the first Rows valued rows.
type AUCPoint struct {
	Rows int     `json:"rows"`
	AUC  float64 `json:"auc"`
}

// aucCheckpoints is how many points AUCOverTime aims for.
const aucCheckpoints = 20

// UpliftPoint is one budget of the uplift curve: the outcomes per row it adds over
// sending nothing, with its paired 95% interval, and that as a share of what the best
// everyone-one-action policy adds (Share; 1 is as much).
type UpliftPoint struct {
	Budget      float64    `json:"budget"`
	Incremental float64    `json:"incremental"`
	CI          [2]float64 `json:"ci"`
	Share       float64    `json:"share"`
}

// Forecast sets the engine's predicted outcomes per row against the log's.
type Forecast struct {
	Predicted float64    `json:"predicted"`
	Actual    float64    `json:"actual"`
	ActualCI  [2]float64 `json:"actualCi"`
}

// Policy is one policy's value with one estimator.
type Policy struct {
	Name      string     `json:"name"`
	Metric    string     `json:"metric"`
	Estimator string     `json:"estimator"`
	Value     float64    `json:"value"`
	CI        [2]float64 `json:"ci"`
}

// Metrics a policy is valued on.
const (
	MetricOutcome = "outcome"
	MetricValue   = "value"
)

// Replay replays rows through the catalog's decision and learning code: every row is
// first scored by every action's model (the logged action's score is the prequential
// AUC's), then, past the training share, decided by the engine as the catalog says
// (its choice valued against the log), then learned from as record-response would
// learn: an impression, and a success when the outcome was positive, for the logged
// action.
func Replay(name string, catalogSource []byte, m Mapping, rows []Row, o Options) (Result, error) {
	if o.RefreshEvery <= 0 {
		o.RefreshEvery = 100
	}
	engine, scoring, err := catalogs(name, catalogSource, len(m.Actions()))
	if err != nil {
		return Result{}, err
	}
	r := &replay{m: m, actions: m.Actions(), engine: engine, scoring: scoring,
		counters: map[decision.ModelKey]map[adaptive.Key]int64{}, observed: map[int]*mean{}, values: map[int]*mean{}}
	for _, a := range r.actions {
		if a == "" {
			continue
		}
		if _, _, _, ok := engine.Action(a); !ok {
			return Result{}, fmt.Errorf("the mapping's action %q is not in catalog %s", a, name)
		}
	}
	split := int(m.Train * float64(len(rows)))
	res := Result{Dataset: m.Dataset, Rows: len(rows), Learned: split, Valued: len(rows) - split, Choices: map[string]int{}}
	var outcomes, values []offpolicy.Round
	var scores []float64
	var labels []bool
	var ranks []ranking
	var valuedRows []int // Row.Index of each valued row, for the rankings
	for i, row := range rows {
		if i%o.RefreshEvery == 0 {
			r.refresh(row.At)
		}
		id := fmt.Sprintf("R%08d", i)
		scored, err := r.score(id, row)
		if err != nil {
			return res, fmt.Errorf("row %d: %w", i+1, err)
		}
		if i >= split {
			choice, err := r.choose(id, row, scored)
			if err != nil {
				return res, fmt.Errorf("row %d: %w", i+1, err)
			}
			res.Choices[r.actions[choice]]++
			outcome, value := r.rounds(row, scored, choice)
			outcomes, values = append(outcomes, outcome), append(values, value)
			if p, ok := propensityOf(scored, r.actions[row.Logged]); ok {
				scores, labels = append(scores, p), append(labels, row.Outcome)
			}
			ranks = append(ranks, r.rank(scored))
			valuedRows = append(valuedRows, row.Index)
		}
		if err := r.learn(id, row, scored); err != nil {
			return res, fmt.Errorf("row %d: %w", i+1, err)
		}
		if o.Progress != nil && (i%1000 == 999 || i == len(rows)-1) {
			o.Progress(i+1, len(rows))
		}
	}
	if res.Valued == 0 {
		return res, fmt.Errorf("no rows left to value after the training share %.2f", m.Train)
	}
	res.Silence = float64(res.Choices[""]) / float64(res.Valued)
	if res.AUC = adaptive.AUC(scores, labels); math.IsNaN(res.AUC) {
		res.AUC = 0.5 // no positive or no negative outcome: no ranking to measure
	}
	res.AUCOverTime = aucOverTime(scores, labels)
	res.Calibration, res.ECE = adaptive.Calibration(scores, labels, adaptive.CalibrationGroups)
	eo := offpolicy.Options{Bootstrap: o.Bootstrap, Seed: o.Seed, Level: o.Level}
	if res.Policies, err = r.policies(MetricOutcome, outcomes, eo); err != nil {
		return res, err
	}
	if m.Value != "" {
		more, err := r.policies(MetricValue, values, eo)
		if err != nil {
			return res, err
		}
		res.Policies = append(res.Policies, more...)
	}
	for _, l := range o.Logs {
		own, err := ownLogValue(l, rows[split].At, rows[len(rows)-1].At, m.Value != "", eo)
		if err != nil {
			return res, err
		}
		res.Policies = append(res.Policies, own...)
	}
	if !slices.Contains(r.actions, "") {
		if len(o.Rankings) > 0 {
			return res, fmt.Errorf("rankings need a log with \"nothing\" to measure uplift against")
		}
		return res, nil
	}
	var half []bool
	if res.Uplift, half, err = r.upliftCurve(outcomes, ranks, eo); err != nil {
		return res, err
	}
	if res.Forecast, err = r.forecast(outcomes, ranks, half, eo); err != nil {
		return res, err
	}
	for _, ranking := range o.Rankings {
		peer, err := r.peerRanks(ranking, valuedRows)
		if err != nil {
			return res, err
		}
		curve, peerHalf, err := r.upliftCurve(outcomes, peer, eo)
		if err != nil {
			return res, fmt.Errorf("ranking %s: %w", ranking.Name, err)
		}
		ahead, err := offpolicy.Difference(r.sendingTo(outcomes, ranks, half), r.sendingTo(outcomes, peer, peerHalf), eo)
		if err != nil {
			return res, fmt.Errorf("ranking %s: %w", ranking.Name, err)
		}
		res.Peers = append(res.Peers, PeerCurve{Name: ranking.Name, Uplift: curve, EngineAheadAtHalf: Gain{Value: ahead.Value, CI: ahead.CI}})
	}
	return res, nil
}

// aucOverTime is the AUC of the first n scores at evenly spaced n, where it is defined.
func aucOverTime(scores []float64, labels []bool) []AUCPoint {
	var out []AUCPoint
	for c := 1; c <= aucCheckpoints; c++ {
		n := c * len(scores) / aucCheckpoints
		if auc := adaptive.AUC(scores[:n], labels[:n]); n > 0 && !math.IsNaN(auc) {
			out = append(out, AUCPoint{Rows: n, AUC: auc})
		}
	}
	return out
}

// ranking is a valued row's best action by uplift, for the uplift curve: its index,
// its uplift priority, its propensity and the customer's baseline. ok is false when
// no action is eligible.
type ranking struct {
	best                         int
	uplift, propensity, baseline float64
	ok                           bool
}

func (r *replay) rank(scored decision.Decision) ranking {
	for _, o := range scored.Actions { // ranked by uplift: the first known one is the best
		if i := slices.Index(r.actions, o.ActionID); i >= 0 {
			return ranking{best: i, uplift: o.Priority, propensity: o.Propensity, baseline: o.Baseline, ok: true}
		}
	}
	return ranking{}
}

// budgets of the uplift curve: shares of the valued rows sent their best action.
var budgets = []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1}

// upliftCurve values, for each budget, the policy that sends the top share of the rows
// (by the uplift of their best action) that action and the rest nothing, against
// sending nothing. half says which rows the half budget sends.
func (r *replay) upliftCurve(rounds []offpolicy.Round, ranks []ranking, o offpolicy.Options) (curve []UpliftPoint, half []bool, err error) {
	nothing := slices.Index(r.actions, "")
	noOne := r.sending(rounds, func(int) int { return nothing })
	// The reference: what the best everyone-one-action policy adds.
	reference := 0.0
	for a := range r.actions {
		if a == nothing {
			continue
		}
		d, err := offpolicy.Difference(r.sending(rounds, func(int) int { return a }), noOne, o)
		if err != nil {
			return nil, nil, err
		}
		reference = max(reference, d.Value)
	}
	order := make([]int, len(ranks))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if ranks[a].ok != ranks[b].ok {
			if ranks[a].ok {
				return -1
			}
			return 1
		}
		return cmp.Compare(ranks[b].uplift, ranks[a].uplift)
	})
	for _, budget := range budgets {
		sent := make([]bool, len(ranks))
		for _, i := range order[:int(budget*float64(len(order))+0.5)] {
			sent[i] = ranks[i].ok
		}
		d, err := offpolicy.Difference(r.sendingTo(rounds, ranks, sent), noOne, o)
		if err != nil {
			return nil, nil, err
		}
		p := UpliftPoint{Budget: budget, Incremental: d.Value, CI: d.CI}
		if reference > 0 {
			p.Share = d.Value / reference
		}
		curve = append(curve, p)
		if budget == 0.5 {
			half = sent
		}
	}
	return curve, half, nil
}

// sending values the policy that sends row i the action choose(i).
func (r *replay) sending(rounds []offpolicy.Round, choose func(i int) int) []offpolicy.Round {
	return retarget(rounds, func(i int) []float64 { return oneHot(len(r.actions), choose(i)) })
}

// sendingTo values the policy that sends the rows marked sent their best action and
// the others nothing.
func (r *replay) sendingTo(rounds []offpolicy.Round, ranks []ranking, sent []bool) []offpolicy.Round {
	nothing := slices.Index(r.actions, "")
	return r.sending(rounds, func(i int) int {
		if sent[i] {
			return ranks[i].best
		}
		return nothing
	})
}

// forecast is the engine's predicted outcomes per row for the rows marked sent sent
// their best action and the others nothing, against what the log shows (doubly robust).
func (r *replay) forecast(rounds []offpolicy.Round, ranks []ranking, sent []bool, o offpolicy.Options) (*Forecast, error) {
	est, err := offpolicy.Evaluate(r.sendingTo(rounds, ranks, sent), o)
	if err != nil {
		return nil, err
	}
	predicted := 0.0
	for i, rk := range ranks {
		if sent[i] {
			predicted += rk.propensity
		} else {
			predicted += rk.baseline
		}
	}
	dr := est[slices.IndexFunc(est, func(e offpolicy.Estimate) bool { return e.Estimator == offpolicy.DR })]
	return &Forecast{Predicted: predicted / float64(len(ranks)), Actual: dr.Value, ActualCI: dr.CI}, nil
}

// catalogs returns the catalog to value and its scoring twin: the same actions, rules
// and models, ranking by uplift with no silence threshold, no exploration and room
// for every action in every group, so that one decision scores every eligible action.
// Control groups and challengers are measurement, not policy: both leave them out.
func catalogs(name string, source []byte, actions int) (engine, scoring *decision.Catalog, err error) {
	var doc map[string]any
	if err := yaml.Unmarshal(source, &doc); err != nil {
		return nil, nil, fmt.Errorf("catalog %s: %w", name, err)
	}
	settings, _ := doc["settings"].(map[string]any)
	if settings == nil {
		settings = map[string]any{}
		doc["settings"] = settings
	}
	delete(settings, "controlGroups")
	delete(settings, "challenger")
	parse := func(label string) (*decision.Catalog, error) {
		out, err := yaml.Marshal(doc)
		if err != nil {
			return nil, err
		}
		return decision.ParseCatalog(label, out)
	}
	if engine, err = parse(name); err != nil {
		return nil, nil, err
	}
	// By uplift, so that every offer carries the customer's baseline and the actions
	// come ranked by the difference they make (the uplift curve's order), with no
	// threshold: every eligible action is scored.
	settings["silenceThreshold"] = -1e9
	settings["arbitration"] = decision.ArbitrationUplift
	settings["maxLimit"] = max(actions, 1)
	issues, _ := doc["issues"].([]any)
	for _, issue := range issues {
		groups, _ := issue.(map[string]any)["groups"].([]any)
		for _, g := range groups {
			if group, ok := g.(map[string]any); ok {
				group["maxActions"] = max(actions, 1)
			}
		}
	}
	if model, ok := settings["model"].(map[string]any); ok {
		model["explore"] = false
	}
	if scoring, err = parse(name + " (scoring)"); err != nil {
		return nil, nil, err
	}
	return engine, scoring, nil
}

type replay struct {
	m               Mapping
	actions         []string
	engine, scoring *decision.Catalog
	// counters are the models' impressions and successes, as the Models table keeps
	// them; models is their last load.
	counters map[decision.ModelKey]map[adaptive.Key]int64
	models   *decision.Models
	// observed and values are the running means of each logged action's outcome and
	// value: the reward model of the doubly robust estimator where the engine has no
	// score (nothing, or an action its rules exclude).
	observed, values map[int]*mean
}

type mean struct{ n, sum float64 }

func (m *mean) add(x float64) { m.n++; m.sum += x }
func (m *mean) value() float64 {
	if m == nil || m.n == 0 {
		return 0
	}
	return m.sum / m.n
}

// refresh loads the models from the counters, as a warm function does.
func (r *replay) refresh(at time.Time) {
	states := make(map[decision.ModelKey]*adaptive.State, len(r.counters))
	for k, c := range r.counters {
		states[k] = adaptive.StateFromImpressions(maps.Clone(c))
	}
	r.models = decision.NewModels(states, at)
}

func (r *replay) input(id string, row Row, c *decision.Catalog, limit int) decision.Input {
	return decision.Input{
		Request:    decision.Request{CustomerID: id, Channel: r.m.Channel, Limit: limit},
		Profile:    decision.Profile{CustomerID: id, Known: true, Attributes: row.Attributes, Consents: map[string]bool{r.m.Channel: true}},
		Models:     r.models,
		Now:        row.At,
		DecisionID: id,
	}
}

func (r *replay) score(id string, row Row) (decision.Decision, error) {
	return r.scoring.Decide(r.input(id, row, r.scoring, len(r.actions)))
}

// choose is the engine's decision for the row, as an index into the actions. A silent
// engine chooses nothing; on a log without "nothing" (every row got some action), its
// best-scored action stands in for silence.
func (r *replay) choose(id string, row Row, scored decision.Decision) (int, error) {
	d, err := r.engine.Decide(r.input(id, row, r.engine, 1))
	if err != nil {
		return 0, err
	}
	if len(d.Actions) > 0 {
		if i := slices.Index(r.actions, d.Actions[0].ActionID); i >= 0 {
			return i, nil
		}
		return 0, fmt.Errorf("the engine chose %q, which the log never took", d.Actions[0].ActionID)
	}
	if i := slices.Index(r.actions, ""); i >= 0 {
		return i, nil
	}
	for _, o := range scored.Actions {
		if i := slices.Index(r.actions, o.ActionID); i >= 0 {
			return i, nil
		}
	}
	return 0, fmt.Errorf("the engine found no action for the row and the log has no \"nothing\"")
}

// rounds are the row's off-policy rounds on the outcome and on the value, for an
// evaluated policy that chose choice.
func (r *replay) rounds(row Row, scored decision.Decision, choice int) (outcome, value offpolicy.Round) {
	target := oneHot(len(r.actions), choice)
	predicted, predictedValue := make([]float64, len(r.actions)), make([]float64, len(r.actions))
	for a, id := range r.actions {
		predicted[a], predictedValue[a] = r.observed[a].value(), r.values[a].value()
		if p, ok := propensityOf(scored, id); ok {
			predicted[a] = p
			if positive := r.observed[a].value(); positive > 0 {
				// The engine's propensity times the value a positive outcome brought.
				predictedValue[a] = p * r.values[a].value() / positive
			}
		}
	}
	outcome = offpolicy.Round{Logged: row.Logged, Propensity: row.Propensity, Reward: row.reward(), Target: target, Predicted: predicted}
	value = offpolicy.Round{Logged: row.Logged, Propensity: row.Propensity, Reward: row.Value, Target: target, Predicted: predictedValue}
	return outcome, value
}

// learn teaches the logged action's model what followed, through the same Attribute
// record-response calls: an impression, then a success if the outcome was positive.
func (r *replay) learn(id string, row Row, scored decision.Decision) error {
	if r.observed[row.Logged] == nil {
		r.observed[row.Logged], r.values[row.Logged] = &mean{}, &mean{}
	}
	r.observed[row.Logged].add(row.reward())
	r.values[row.Logged].add(row.Value)
	action := r.actions[row.Logged]
	logged := r.scoring.Log(scored)
	if action == "" {
		// Nothing was sent: the baseline model learns what the customer did anyway.
		r.add(r.scoring.ObserveWithout(logged, false, row.At, r.models))
		if row.Outcome {
			r.add(r.scoring.ObserveWithout(logged, true, row.At, r.models))
		}
		return nil
	}
	if _, ok := propensityOf(scored, action); !ok {
		return nil // the rules exclude the action: no model learns
	}
	outcomes := []string{decision.KindImpression}
	if row.Outcome {
		outcomes = append(outcomes, "convert")
	}
	at := row.At
	for _, outcome := range outcomes {
		a, err := r.scoring.Attribute(logged, decision.Response{DecisionID: id, CustomerID: id, ActionID: action,
			Channel: r.m.Channel, Outcome: outcome, OccurredAt: &at}, r.models)
		if err != nil {
			return err
		}
		r.add(a.Model, a.Learn)
	}
	return nil
}

// add adds a model's counters, as the store's atomic ADDs do.
func (r *replay) add(key decision.ModelKey, delta adaptive.Delta) {
	c := r.counters[key]
	if c == nil {
		c = map[adaptive.Key]int64{}
		r.counters[key] = c
	}
	for _, inc := range delta {
		c[inc.Key] += inc.N
	}
}

// policies values the engine, the logging policy (the mean of the logged rewards), each
// fixed action and the uniform random policy on the rounds.
func (r *replay) policies(metric string, rounds []offpolicy.Round, o offpolicy.Options) ([]Policy, error) {
	var out []Policy
	add := func(name string, rounds []offpolicy.Round) error {
		est, err := offpolicy.Evaluate(rounds, o)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for _, e := range est {
			out = append(out, Policy{Name: name, Metric: metric, Estimator: e.Estimator, Value: e.Value, CI: e.CI})
		}
		return nil
	}
	if err := add("engine", rounds); err != nil {
		return nil, err
	}
	logged := make([]float64, len(rounds))
	for i, rd := range rounds {
		logged[i] = rd.Reward
	}
	l, err := offpolicy.Mean(logged, o)
	if err != nil {
		return nil, err
	}
	out = append(out, Policy{Name: "logging", Metric: metric, Estimator: l.Estimator, Value: l.Value, CI: l.CI})
	fixed := func(target []float64) []offpolicy.Round {
		return retarget(rounds, func(int) []float64 { return target })
	}
	for a, id := range r.actions {
		name := "everyone: " + id
		if id == "" {
			name = "no one"
		}
		if err := add(name, fixed(oneHot(len(r.actions), a))); err != nil {
			return nil, err
		}
	}
	uniform := make([]float64, len(r.actions))
	for a := range uniform {
		uniform[a] = 1 / float64(len(uniform))
	}
	if err := add("random", fixed(uniform)); err != nil {
		return nil, err
	}
	return out, nil
}

// ownLogValue is a policy's value on its own log (the mean of its rows' outcomes and
// values) between from and to, the period of the valued rows.
func ownLogValue(l Log, from, to time.Time, withValue bool, o offpolicy.Options) ([]Policy, error) {
	var outcomes, values []float64
	for _, row := range l.Rows {
		if !row.At.Before(from) && !row.At.After(to) {
			outcomes, values = append(outcomes, row.reward()), append(values, row.Value)
		}
	}
	if len(outcomes) == 0 {
		return nil, fmt.Errorf("log %s has no rows between %s and %s, the period valued", l.Name, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	var out []Policy
	for _, metric := range []struct {
		name string
		xs   []float64
		use  bool
	}{{MetricOutcome, outcomes, true}, {MetricValue, values, withValue}} {
		if !metric.use {
			continue
		}
		e, err := offpolicy.Mean(metric.xs, o)
		if err != nil {
			return nil, fmt.Errorf("log %s: %w", l.Name, err)
		}
		out = append(out, Policy{Name: l.Name + " (own log)", Metric: metric.name, Estimator: e.Estimator, Value: e.Value, CI: e.CI})
	}
	return out, nil
}

// retarget returns a copy of the rounds valuing another policy: target(i) is its
// probability of each action in round i.
func retarget(rounds []offpolicy.Round, target func(i int) []float64) []offpolicy.Round {
	rs := slices.Clone(rounds)
	for i := range rs {
		rs[i].Target = target(i)
	}
	return rs
}

// oneHot is the target of a policy that takes action a of n.
func oneHot(n, a int) []float64 {
	t := make([]float64, n)
	t[a] = 1
	return t
}

func propensityOf(d decision.Decision, actionID string) (float64, bool) {
	if actionID == "" {
		return 0, false
	}
	for _, o := range d.Actions {
		if o.ActionID == actionID {
			return o.Propensity, true
		}
	}
	return 0, false
}
