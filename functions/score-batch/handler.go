package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nextbest/nextbest/shared/platform"
	"github.com/nextbest/nextbest/shared/service"
)

// planner is what the handler needs from the service layer.
type planner interface {
	Run(ctx context.Context, runID string, dryRun bool) (service.RunSummary, error)
}

type handler struct {
	log     *slog.Logger
	planner planner
}

// runRequest is the payload of a manual run (for example a dry run from the console
// or `sam local invoke`).
type runRequest struct {
	RunID  string `json:"runId"`
	DryRun bool   `json:"dryRun"`
}

var validRunID = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

// handle accepts either EventBridge's scheduled event, whose run id is derived from
// the scheduled time so that a retried invocation repeats the same run, or a manual
// run request.
func (h *handler) handle(ctx context.Context, payload json.RawMessage) (service.RunSummary, error) {
	log := platform.RequestLogger(ctx, h.log)
	req, err := parseRun(payload)
	if err != nil {
		log.WarnContext(ctx, "rejected run request", "error", err)
		return service.RunSummary{}, err
	}
	summary, err := h.planner.Run(ctx, req.RunID, req.DryRun)
	if err != nil {
		log.ErrorContext(ctx, "run failed", "runId", req.RunID, "error", err)
		return service.RunSummary{}, fmt.Errorf("run %s failed", req.RunID)
	}
	log.InfoContext(ctx, "run finished", "runId", summary.RunID, "dryRun", summary.DryRun,
		"scanned", summary.Scanned, "planned", summary.Planned, "byChannel", summary.ByChannel,
		"silences", summary.Silences, "durationSeconds", summary.DurationSec)
	return summary, nil
}

func parseRun(payload json.RawMessage) (runRequest, error) {
	var scheduled events.EventBridgeEvent
	if err := json.Unmarshal(payload, &scheduled); err == nil && scheduled.DetailType == "Scheduled Event" {
		if scheduled.Time.IsZero() {
			return runRequest{}, fmt.Errorf("scheduled event without a time")
		}
		return runRequest{RunID: "run-" + scheduled.Time.UTC().Format("20060102T1504Z")}, nil
	}
	var req runRequest
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return runRequest{}, fmt.Errorf("invalid run request: %v", err)
	}
	if req.RunID == "" {
		req.RunID = "manual-" + time.Now().UTC().Format("20060102T150405Z")
	}
	if !validRunID.MatchString(req.RunID) {
		return runRequest{}, fmt.Errorf("invalid runId %q: use 1-64 letters, digits and _.:-", req.RunID)
	}
	return req, nil
}
