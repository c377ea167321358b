package service

import (
	"context"
	"fmt"
	"time"

	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
)

// A catalog that ranks by uplift subtracts from each action's propensity the
// customer's chance of the same outcome without any action, from baseline models (see
// decision/uplift.go). They learn from the silence control group, the customers the
// engine scored and then held out: each such decision counts an impression when it is
// logged (by decide or by the batch), and a positive outcome event of the customer
// within BaselineWindow after it counts a success, each once per decision.

// BaselineLearner adds a model's counters once per claim id.
type BaselineLearner interface {
	LearnOnce(ctx context.Context, customerID, claimID string, key decision.ModelKey, delta adaptive.Delta, claimUntil time.Time) (duplicate bool, err error)
}

// HeldOutDecisionReader reads a customer's decisions of the silence control group made
// in a time range, newest first.
type HeldOutDecisionReader interface {
	HeldOutDecisions(ctx context.Context, customerID string, from, to time.Time) ([]decision.LoggedDecision, error)
}

// BaselineWindow is how long after a held-out decision an outcome counts as what the
// customer did without any action: the lift report's default attribution window.
const BaselineWindow = 7 * 24 * time.Hour

// teachBaseline counts a logged decision in its channel's baseline model, once, if it
// teaches the baseline: an impression, or (positive) a success.
func teachBaseline(ctx context.Context, learner BaselineLearner, catalog *decision.Catalog, d decision.LoggedDecision, positive bool, at time.Time, models *decision.Models) error {
	if learner == nil || !catalog.TeachesBaseline(d) {
		return nil
	}
	key, delta := catalog.ObserveWithout(d, positive, at, models)
	if _, err := learner.LearnOnce(ctx, d.CustomerID, decision.BaselineClaim(d.DecisionID, positive), key, delta, d.ExpiresAt); err != nil {
		return fmt.Errorf("teach the baseline from decision %s: %w", d.DecisionID, err)
	}
	return nil
}

// heldOutBefore is the customer's latest decision that teaches the baseline among
// those made within BaselineWindow before an outcome, if any.
func heldOutBefore(ctx context.Context, reader HeldOutDecisionReader, catalog *decision.Catalog, customerID string, at time.Time) (decision.LoggedDecision, bool, error) {
	ds, err := reader.HeldOutDecisions(ctx, customerID, at.Add(-BaselineWindow), at)
	if err != nil {
		return decision.LoggedDecision{}, false, err
	}
	for _, d := range ds { // newest first
		if catalog.TeachesBaseline(d) {
			return d, true, nil
		}
	}
	return decision.LoggedDecision{}, false, nil
}
