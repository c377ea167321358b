package service

import (
	"context"
	"fmt"

	"github.com/nextbest/nextbest/shared/decision"
)

// RunActuals is what happened to a run's sends, as recorded: deliveries by action, and
// responses and the value they reported by action and outcome.
type RunActuals struct {
	Delivered map[string]int
	Responses map[string]map[string]int
	Value     map[string]map[string]float64
}

// RunResponseCounter counts the recorded outcomes of a run's decisions.
type RunResponseCounter interface {
	RunResponses(ctx context.Context, runID string) (RunActuals, error)
}

// RunReport compares a run's forecast with its actual responses, per action.
type RunReport struct {
	RunID   string                  `json:"runId"`
	Actions map[string]ActionReport `json:"actions"`
	Total   ActionReport            `json:"total"`
}

// ActionReport is one action's forecast against what happened. Responses counts the
// positive outcomes (the catalog's success outcomes) and Value the revenue they
// reported; ExpectedResponses assumed every planned send would be delivered, so
// compare it with Responses × Sends / Delivered when the last-moment check skipped
// some. The intervals are 95%; FromPriors is the share of the forecast that rests on
// the catalog's prior rather than on evidence.
type ActionReport struct {
	Sends             int        `json:"sends"`
	Delivered         int        `json:"delivered"`
	ExpectedResponses float64    `json:"expectedResponses"`
	ResponsesInterval [2]float64 `json:"responsesInterval95"`
	Responses         int        `json:"responses"`
	ExpectedValue     float64    `json:"expectedValue"`
	ValueInterval     [2]float64 `json:"valueInterval95"`
	Value             float64    `json:"value"`
	FromPriors        float64    `json:"fromPriors"`
}

// Error is how far the forecast was from what happened, relative to what happened.
func (r ActionReport) Error() (responses, value float64) {
	return relativeError(r.ExpectedResponses, float64(r.Responses)), relativeError(r.ExpectedValue, r.Value)
}

func relativeError(forecast, actual float64) float64 {
	if actual == 0 {
		return 0
	}
	return (forecast - actual) / actual
}

// Report compares a complete run's forecast with the responses recorded so far.
func (p *Planner) Report(ctx context.Context, runID string, counter RunResponseCounter) (RunReport, error) {
	if p.Runs == nil {
		return RunReport{}, fmt.Errorf("report: no run store")
	}
	rec, found, err := p.Runs.GetRun(ctx, runID)
	if err != nil {
		return RunReport{}, fmt.Errorf("read run %s: %w", runID, err)
	}
	if !found {
		return RunReport{}, decision.Errorf(decision.ENotFound, "run %s has no complete record", runID)
	}
	rec.RunID = runID
	return p.ReportOf(ctx, rec, counter)
}

// ReportOf is Report for a run record its caller has read already.
func (p *Planner) ReportOf(ctx context.Context, rec RunRecord, counter RunResponseCounter) (RunReport, error) {
	runID := rec.RunID
	if rec.Summary == nil {
		return RunReport{}, decision.Errorf(decision.ENotFound, "run %s has no complete record", runID)
	}
	catalog, err := p.Catalog.Get(ctx)
	if err != nil {
		return RunReport{}, fmt.Errorf("catalog: %w", err)
	}
	actual, err := counter.RunResponses(ctx, runID)
	if err != nil {
		return RunReport{}, err
	}
	report := RunReport{RunID: runID, Actions: map[string]ActionReport{}}
	// Actions' errors are independent: the total's variances are their sums.
	var responsesVar, valueVar, fromPriors float64
	for action, sends := range rec.Summary.ByAction {
		f := rec.Summary.Forecast[action]
		r := ActionReport{Sends: sends, Delivered: actual.Delivered[action], ExpectedResponses: f.ExpectedResponses, ExpectedValue: f.ExpectedValue}
		r.ResponsesInterval, r.ValueInterval = f.ResponsesInterval(), f.ValueInterval()
		r.FromPriors = share(f.FromPriors, f.ExpectedResponses)
		for outcome, n := range actual.Responses[action] {
			if catalog.IsSuccess(action, outcome) {
				r.Responses += n
				r.Value += actual.Value[action][outcome]
			}
		}
		report.Actions[action] = r
		report.Total.Sends += r.Sends
		report.Total.Delivered += r.Delivered
		report.Total.Responses += r.Responses
		report.Total.Value += r.Value
		report.Total.ExpectedResponses += f.ExpectedResponses
		report.Total.ExpectedValue += f.ExpectedValue
		v := f.responsesVariance()
		responsesVar += v
		valueVar += f.Value * f.Value * v
		fromPriors += f.FromPriors
	}
	t := &report.Total
	t.ResponsesInterval = interval95(t.ExpectedResponses, responsesVar)
	t.ValueInterval = interval95(t.ExpectedValue, valueVar)
	t.FromPriors = share(fromPriors, t.ExpectedResponses)
	return report, nil
}

func share(part, whole float64) float64 {
	if whole == 0 {
		return 0
	}
	return part / whole
}
