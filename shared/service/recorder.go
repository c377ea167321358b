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

// ResponseWriter applies an attributed response at most once per claim within its
// decision (see decision.Attribution).
type ResponseWriter interface {
	RecordResponse(ctx context.Context, a decision.Attribution, claimUntil time.Time) (Applied, error)
}

// Applied is what recording a response did.
type Applied struct {
	// Duplicate: the decision already had this claim; nothing changed.
	Duplicate bool
	// Learned: the action's model counted the response.
	Learned bool
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
	// Duplicate is true when the decision already had this response (the same
	// responseId, or for an impression any impression of the action); nothing changed.
	Duplicate bool `json:"duplicate"`
	// Positive tells whether the outcome is a success for the action's model.
	Positive bool `json:"positive"`
	// Counted tells whether the action's model learned from this response: false for a
	// duplicate, for outcomes models do not learn from, and for a success when the
	// decision's action already counted one (a click then a conversion is one success).
	Counted bool `json:"counted"`
}

// Record validates a response, attributes it to its decision and applies it once.
// Responses to unknown or expired decisions are rejected (decision.ENotFound): without
// the decision there is no model to credit.
//
// A failure of the store is decision.EUnavailable: nothing was counted, or all of it
// was (a transaction that committed as the connection broke), and a retry with the
// same responseId counts once either way.
func (r *Recorder) Record(ctx context.Context, resp decision.Response) (Recorded, error) {
	rec, err := r.record(ctx, resp)
	return rec, decision.Unavailable(err, "send the same response again (same responseId) in a moment: it counts once")
}

func (r *Recorder) record(ctx context.Context, resp decision.Response) (Recorded, error) {
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
	applied, err := r.Responses.RecordResponse(ctx, a, logged.ExpiresAt)
	if err != nil {
		return Recorded{}, err
	}
	return Recorded{ResponseID: resp.ResponseID, DecisionID: resp.DecisionID, Duplicate: applied.Duplicate,
		Positive: catalog.IsSuccess(resp.ActionID, resp.Outcome), Counted: applied.Learned}, nil
}
