package service

import (
	"context"
	"fmt"

	"github.com/nextbest/nextbest/shared/decision"
)

// RunActuals is what happened to a run's sends, as recorded: deliveries by action, and
// responses by action and outcome.
type RunActuals struct {
	Delivered map[string]int
	Responses map[string]map[string]int
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
// positive outcomes (the catalog's success outcomes); ExpectedResponses assumed every
// planned send would be delivered, so compare it with Responses × Sends / Delivered
// when the last-moment check skipped some.
type ActionReport struct {
	Sends             int     `json:"sends"`
	Delivered         int     `json:"delivered"`
	ExpectedResponses float64 `json:"expectedResponses"`
	Responses         int     `json:"responses"`
	ExpectedValue     float64 `json:"expectedValue"`
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
	if !found || rec.Summary == nil {
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
	for action, sends := range rec.Summary.ByAction {
		f := rec.Summary.Forecast[action]
		r := ActionReport{Sends: sends, Delivered: actual.Delivered[action], ExpectedResponses: f.ExpectedResponses, ExpectedValue: f.ExpectedValue}
		for outcome, n := range actual.Responses[action] {
			if catalog.IsSuccess(action, outcome) {
				r.Responses += n
			}
		}
		report.Actions[action] = r
		report.Total.Sends += r.Sends
		report.Total.Delivered += r.Delivered
		report.Total.ExpectedResponses += r.ExpectedResponses
		report.Total.Responses += r.Responses
		report.Total.ExpectedValue += r.ExpectedValue
	}
	return report, nil
}
