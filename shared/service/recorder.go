package service

import (
	"context"
	"fmt"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
)

// DecisionReader finds logged decisions; a missing or expired one is
// decision.ENotFound.
type DecisionReader interface {
	GetDecision(ctx context.Context, id string, now time.Time) (decision.LoggedDecision, error)
}

// ResponseWriter applies an attributed response exactly once per response id.
type ResponseWriter interface {
	RecordResponse(ctx context.Context, customerID, responseID string, a decision.Attribution, claimUntil time.Time) (duplicate bool, err error)
}

// Recorder records responses to decisions.
type Recorder struct {
	Catalog *Snapshot[*decision.Catalog]
	// Models turn a response into counter increments; the calibration counter uses the
	// score logged with the decision, so the models' age does not matter.
	Models    *Snapshot[*decision.Models]
	Decisions DecisionReader
	Responses ResponseWriter
	Now       func() time.Time
}

// Recorded is the result of recording a response.
type Recorded struct {
	ResponseID string `json:"responseId"`
	DecisionID string `json:"decisionId"`
	// Duplicate is true when the response id was already recorded; nothing changed.
	Duplicate bool `json:"duplicate"`
	// Positive tells whether the outcome counted as a success for the action's model.
	Positive bool `json:"positive"`
}

// Record validates a response, attributes it to its decision and applies it once.
// Responses to unknown or expired decisions are rejected (decision.ENotFound): without
// the decision there is no model to credit.
func (r *Recorder) Record(ctx context.Context, resp decision.Response) (Recorded, error) {
	now := r.Now()
	if err := decision.ValidateResponse(&resp, now); err != nil {
		return Recorded{}, err
	}
	catalog, err := r.Catalog.Get(ctx)
	if err != nil {
		return Recorded{}, fmt.Errorf("catalog: %w", err)
	}
	logged, err := r.Decisions.GetDecision(ctx, resp.DecisionID, now)
	if err != nil {
		return Recorded{}, err
	}
	models, err := r.Models.Get(ctx)
	if err != nil {
		models = nil // Priors still tell where the response falls; the counts stay exact.
	}
	a, err := catalog.Attribute(logged, resp, models)
	if err != nil {
		return Recorded{}, err
	}
	a.ProfileExpiresAt = expiry(now, catalog.ProfileRetention())
	// The claim must outlive every chance of a retry: it lives as long as the decision.
	duplicate, err := r.Responses.RecordResponse(ctx, resp.CustomerID, resp.ResponseID, a, logged.ExpiresAt)
	if err != nil {
		return Recorded{}, err
	}
	return Recorded{ResponseID: resp.ResponseID, DecisionID: resp.DecisionID, Duplicate: duplicate, Positive: catalog.IsSuccess(resp.ActionID, resp.Outcome)}, nil
}
