package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/httpapi"
	"github.com/nextbest/nextbest/shared/platform"
	"github.com/nextbest/nextbest/shared/service"
)

// recorder is what the handler needs from the service layer.
type recorder interface {
	Record(ctx context.Context, resp decision.Response) (service.Recorded, error)
}

type handler struct {
	log      *slog.Logger
	recorder recorder
}

func (h *handler) handle(ctx context.Context, event events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	log := platform.RequestLogger(ctx, h.log)
	var resp decision.Response
	if err := httpapi.DecodeJSON(event, &resp); err != nil {
		return httpapi.Error(ctx, log, err), nil
	}
	rec, err := h.recorder.Record(ctx, resp)
	if err != nil {
		return httpapi.Error(ctx, log, err), nil
	}
	log.InfoContext(ctx, "response recorded", "decisionId", rec.DecisionID, "outcome", resp.Outcome,
		"duplicate", rec.Duplicate, "positive", rec.Positive)
	return httpapi.JSON(http.StatusOK, rec), nil
}
