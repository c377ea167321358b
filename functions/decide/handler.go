package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/httpapi"
	"github.com/nextbest/nextbest/shared/platform"
)

// decider is what the handler needs from the service layer.
type decider interface {
	Decide(ctx context.Context, req decision.Request) (decision.Decision, error)
}

type handler struct {
	log     *slog.Logger
	decider decider
}

func (h *handler) handle(ctx context.Context, event events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	log := httpapi.WithCaller(platform.RequestLogger(ctx, h.log), event)
	var req decision.Request
	if err := httpapi.DecodeJSON(event, &req); err != nil {
		return httpapi.Error(ctx, log, err), nil
	}
	d, err := h.decider.Decide(ctx, req)
	if err != nil {
		return httpapi.Error(ctx, log, err), nil
	}
	silence := ""
	if d.Silence != nil {
		silence = d.Silence.Reason
	}
	log.InfoContext(ctx, "decided", "decisionId", d.DecisionID, "channel", d.Channel,
		"actions", len(d.Actions), "silence", silence, "knownCustomer", d.KnownCustomer)
	return httpapi.JSON(http.StatusOK, d), nil
}
