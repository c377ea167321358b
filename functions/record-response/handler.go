package main

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/httpapi"
	"github.com/nextbest/nextbest/shared/platform"
	"github.com/nextbest/nextbest/shared/service"
)

// recorder is what the handler needs to record responses to decisions.
type recorder interface {
	Record(ctx context.Context, resp decision.Response) (service.Recorded, error)
}

// ingest is what the handler needs to take in profile changes and outcome events.
type ingest interface {
	UpdateProfile(ctx context.Context, customerID string, u decision.ProfileUpdate) (service.ProfileUpdated, error)
	RecordOutcome(ctx context.Context, e decision.OutcomeEvent) (service.OutcomeRecorded, error)
}

// Routes this function serves (template.yaml's RecordResponseFunction events): every
// write about a customer that does not ask for a decision.
const (
	routeResponses = "POST /v1/responses"
	routeOutcomes  = "POST /v1/outcomes"
	routeCustomer  = "PATCH /v1/customers/{customerId}"
)

// DefaultBudget bounds the store calls of one request, well inside the function's
// 5-second timeout: past it the caller gets a 503 with Retry-After rather than a
// gateway error, and retrying with the same id is safe (see service.Recorder).
// RECORD_BUDGET overrides it.
const DefaultBudget = 2 * time.Second

type handler struct {
	log      *slog.Logger
	recorder recorder
	ingest   ingest
	budget   time.Duration
}

// handle serves the HTTP API's routes that write about customers; API Gateway names
// the route in the event.
func (h *handler) handle(ctx context.Context, event events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	log := httpapi.WithCaller(platform.RequestLogger(ctx, h.log), event)
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(h.budget, DefaultBudget))
	defer cancel()
	var answer any
	var err error
	switch event.RouteKey {
	case routeResponses:
		answer, err = h.recordResponse(ctx, log, event)
	case routeOutcomes:
		answer, err = h.recordOutcome(ctx, log, event)
	case routeCustomer:
		answer, err = h.updateCustomer(ctx, log, event)
	default:
		err = decision.Errorf(decision.ENotFound, "no route %q", event.RouteKey)
	}
	if err != nil {
		return httpapi.Error(ctx, log, err), nil
	}
	return httpapi.JSON(http.StatusOK, answer), nil
}

func (h *handler) recordResponse(ctx context.Context, log *slog.Logger, event events.APIGatewayV2HTTPRequest) (any, error) {
	var resp decision.Response
	if err := httpapi.DecodeJSON(event, &resp); err != nil {
		return nil, err
	}
	rec, err := h.recorder.Record(ctx, resp)
	if err != nil {
		return nil, err
	}
	log.InfoContext(ctx, "response recorded", "decisionId", rec.DecisionID, "outcome", resp.Outcome,
		"duplicate", rec.Duplicate, "positive", rec.Positive, "counted", rec.Counted)
	return rec, nil
}

func (h *handler) recordOutcome(ctx context.Context, log *slog.Logger, event events.APIGatewayV2HTTPRequest) (any, error) {
	var e decision.OutcomeEvent
	if err := httpapi.DecodeJSON(event, &e); err != nil {
		return nil, err
	}
	rec, err := h.ingest.RecordOutcome(ctx, e)
	if err != nil {
		return nil, err
	}
	log.InfoContext(ctx, "outcome recorded", "type", e.Type, "duplicate", rec.Duplicate, "positive", rec.Positive)
	return rec, nil
}

func (h *handler) updateCustomer(ctx context.Context, log *slog.Logger, event events.APIGatewayV2HTTPRequest) (any, error) {
	var u decision.ProfileUpdate
	if err := httpapi.DecodeJSON(event, &u); err != nil {
		return nil, err
	}
	// Only the attribute names are logged: values may be personal data.
	updated, err := h.ingest.UpdateProfile(ctx, event.PathParameters["customerId"], u)
	if err != nil {
		return nil, err
	}
	log.InfoContext(ctx, "profile updated", "created", updated.Created, "changed", updated.Changed,
		"attributes", len(u.Attributes), "consents", len(u.Consents))
	return updated, nil
}
