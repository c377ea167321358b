package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/dynamo"
	"github.com/nextbest/nextbest/shared/monitor"
	"github.com/nextbest/nextbest/shared/platform"
	"github.com/nextbest/nextbest/shared/service"
)

// planner is what the handler needs from the service layer.
type planner interface {
	Run(ctx context.Context, runID string, dryRun bool) (service.RunSummary, error)
	RunSegment(ctx context.Context, runID string, segment int) (service.RunSummary, error)
	Report(ctx context.Context, runID string, counter service.RunResponseCounter) (service.RunReport, error)
}

// fanout is what the handler needs to spread a run over the work queue. Each reports,
// once per run, the call that finished it.
type fanout interface {
	Start(ctx context.Context, runID string) (sum service.RunSummary, finished bool, err error)
	Work(ctx context.Context, item service.WorkItem) (finished *service.RunSummary, err error)
}

var _ fanout = (*service.Fanout)(nil)

type handler struct {
	log     *slog.Logger
	planner planner
	// responses counts the recorded outcomes of a run for its report.
	responses service.RunResponseCounter
	// fanout is nil when no work queue is configured.
	fanout fanout
	// fanOutScheduled spreads scheduled runs over the work queue.
	fanOutScheduled bool
	// catalog and models are read to publish the models' metrics; metricsOut receives
	// them as CloudWatch Embedded Metric Format lines (the function's log).
	catalog    *service.Snapshot[*decision.Catalog]
	models     *service.Snapshot[*decision.Models]
	metricsOut io.Writer
	// now names manual runs and dates the metrics.
	now func() time.Time
	// feeds refreshes the context feeds (the weather) on their schedule.
	feeds feedRefresher
	// compactor folds or deletes old model buckets on its schedule.
	compactor modelCompactor
}

// modelCompactor is what the handler needs to compact the models' counters.
type modelCompactor interface {
	CompactModels(ctx context.Context, at time.Time, m adaptive.Memory) (dynamo.Compaction, error)
}

var _ modelCompactor = (*dynamo.Store)(nil)

// feedRefresher is what the handler needs to refresh the context feeds.
type feedRefresher interface {
	Refresh(ctx context.Context) (service.FeedsRefreshed, error)
}

// runRequest is the payload of a manual invocation: a run (for example a dry run from
// the console or `sam local invoke`), the retry of one failed segment of a run, or the
// report of a finished run's forecast against its actual responses.
type runRequest struct {
	RunID   string `json:"runId"`
	DryRun  bool   `json:"dryRun"`
	Segment *int   `json:"segment"`
	Report  bool   `json:"report"`
	// FanOut spreads the run's segments over the work queue instead of planning them
	// in this invocation.
	FanOut bool `json:"fanOut"`
	// Metrics publishes every model's evidence, success rate and AUC instead of
	// running; a frequent schedule sends it (template.yaml).
	Metrics bool `json:"metrics"`
	// Feeds refreshes the context feeds (the weather of the catalog's places) instead
	// of running; a schedule sends it every 30 minutes (template.yaml).
	Feeds bool `json:"feeds"`
	// CompactModels folds the models' old buckets, or deletes the expired ones, so that
	// every refresh reads a bounded amount; a weekly schedule sends it (template.yaml).
	CompactModels bool `json:"compactModels"`

	scheduled bool
}

var validRunID = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

// handle accepts either EventBridge's scheduled event, whose run id is derived from
// the scheduled time so that a retried invocation repeats the same run, or a manual
// request. It answers a service.RunSummary, or a service.RunReport for a report.
//
// The work queue invokes it too, with SQS events of service.WorkItem: it then answers
// which items failed, so that SQS retries those alone.
func (h *handler) handle(ctx context.Context, payload json.RawMessage) (any, error) {
	log := platform.RequestLogger(ctx, h.log)
	if isSQSEvent(payload) {
		return h.handleWork(ctx, log, payload)
	}
	req, err := parseRun(payload, h.now())
	if err != nil {
		log.WarnContext(ctx, "rejected run request", "error", err)
		return nil, err
	}
	if req.Feeds {
		refreshed, err := h.feeds.Refresh(ctx)
		if err != nil {
			log.ErrorContext(ctx, "context feeds failed", "error", err)
			return nil, fmt.Errorf("context feeds failed")
		}
		log.InfoContext(ctx, "context feeds refreshed", "places", refreshed.Places, "failedPlaces", len(refreshed.Failed))
		return refreshed, nil
	}
	if req.CompactModels {
		c, err := h.compactModels(ctx)
		if err != nil {
			log.ErrorContext(ctx, "model compaction failed", "error", err)
			return nil, fmt.Errorf("model compaction failed")
		}
		log.InfoContext(ctx, "models compacted", "items", c.Items, "folded", c.Folded, "deleted", c.Deleted, "skipped", c.Skipped)
		return c, nil
	}
	if req.Metrics {
		n, err := h.publishMetrics(ctx)
		if err != nil {
			log.ErrorContext(ctx, "model metrics failed", "error", err)
			return nil, fmt.Errorf("model metrics failed")
		}
		log.InfoContext(ctx, "model metrics published", "models", n)
		return map[string]int{"models": n}, nil
	}
	if req.FanOut || (req.scheduled && h.fanOutScheduled) {
		if h.fanout == nil {
			return nil, fmt.Errorf("run %s: no work queue to fan out on (WORK_QUEUE_URL)", req.RunID)
		}
		summary, finished, err := h.fanout.Start(ctx, req.RunID)
		if err != nil {
			log.ErrorContext(ctx, "fan-out failed", "runId", req.RunID, "error", err)
			return nil, fmt.Errorf("run %s failed", req.RunID)
		}
		log.InfoContext(ctx, "run fanned out", "runId", req.RunID, "pendingSegments", len(summary.Pending))
		if finished {
			logRunFinished(ctx, log, summary)
		}
		return summary, nil
	}
	if req.Report {
		report, err := h.planner.Report(ctx, req.RunID, h.responses)
		if err != nil {
			log.ErrorContext(ctx, "report failed", "runId", req.RunID, "error", err)
			return nil, fmt.Errorf("report of run %s failed", req.RunID)
		}
		log.InfoContext(ctx, "run report", "runId", req.RunID, "sends", report.Total.Sends, "delivered", report.Total.Delivered,
			"expectedResponses", report.Total.ExpectedResponses, "responses", report.Total.Responses)
		return report, nil
	}
	var summary service.RunSummary
	if req.Segment != nil {
		summary, err = h.planner.RunSegment(ctx, req.RunID, *req.Segment)
	} else {
		summary, err = h.planner.Run(ctx, req.RunID, req.DryRun)
	}
	if err != nil {
		log.ErrorContext(ctx, "run failed", "runId", req.RunID, "error", err)
		return nil, fmt.Errorf("run %s failed", req.RunID)
	}
	logRunFinished(ctx, log, summary)
	return summary, nil
}

// logRunFinished logs what a run did. A run with every segment planned logs "run
// finished", the line template.yaml's BatchRunsFinishedMetricFilter counts (those with
// dryRun false) and BatchRunMissingAlarm waits for: the whole run in one invocation,
// and a fanned-out run by its one finishing call. A segment retried alone while others
// are still pending logs "segment finished", so that it does not count as a run.
func logRunFinished(ctx context.Context, log *slog.Logger, summary service.RunSummary) {
	msg := "run finished"
	if len(summary.Pending) > 0 {
		msg = "segment finished"
	}
	log.InfoContext(ctx, msg, "runId", summary.RunID, "dryRun", summary.DryRun,
		"scanned", summary.Scanned, "planned", summary.Planned, "byChannel", summary.ByChannel,
		"silences", summary.Silences, "volume", summary.Volume, "pendingSegments", summary.Pending,
		"durationSeconds", summary.DurationSec)
}

// compactModels compacts the models as the live catalog's memory allows.
func (h *handler) compactModels(ctx context.Context) (dynamo.Compaction, error) {
	catalog, err := h.catalog.Get(ctx)
	if err != nil {
		return dynamo.Compaction{}, err
	}
	return h.compactor.CompactModels(ctx, h.now(), catalog.ModelMemory())
}

// publishMetrics writes one Embedded Metric Format line per model with counters, so
// that CloudWatch charts and alarms on every model's evidence, success rate and AUC.
func (h *handler) publishMetrics(ctx context.Context) (int, error) {
	catalog, err := h.catalog.Get(ctx)
	if err != nil {
		return 0, fmt.Errorf("catalog: %w", err)
	}
	models, err := h.models.Get(ctx)
	if err != nil {
		return 0, fmt.Errorf("models: %w", err)
	}
	reports := monitor.Reports(catalog, models)
	return len(reports), monitor.WriteEMF(h.metricsOut, reports, h.now())
}

// isSQSEvent tells an invocation by the work queue from a run request.
func isSQSEvent(payload json.RawMessage) bool {
	var probe struct {
		Records []struct {
			EventSource string `json:"eventSource"`
		} `json:"Records"`
	}
	return json.Unmarshal(payload, &probe) == nil && len(probe.Records) > 0 && probe.Records[0].EventSource == "aws:sqs"
}

// handleWork carries out each work item of the batch on its own and reports the ones
// that failed.
func (h *handler) handleWork(ctx context.Context, log *slog.Logger, payload json.RawMessage) (events.SQSEventResponse, error) {
	var event events.SQSEvent
	var resp events.SQSEventResponse
	if err := json.Unmarshal(payload, &event); err != nil {
		return resp, fmt.Errorf("invalid SQS event: %v", err)
	}
	for _, record := range event.Records {
		item, err := parseWork(record.Body)
		var finished *service.RunSummary
		if err == nil {
			if h.fanout == nil {
				err = fmt.Errorf("no work queue configured")
			} else {
				finished, err = h.fanout.Work(ctx, item)
			}
		}
		if err != nil {
			log.WarnContext(ctx, "work item failed", "messageId", record.MessageId, "error", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: record.MessageId})
			continue
		}
		log.InfoContext(ctx, "work item done", "runId", item.RunID, "segment", item.Segment, "pass", item.Pass)
		if finished != nil {
			logRunFinished(ctx, log, *finished)
		}
	}
	return resp, nil
}

func parseWork(body string) (service.WorkItem, error) {
	var item service.WorkItem
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&item); err != nil {
		return service.WorkItem{}, fmt.Errorf("invalid work item: %v", err)
	}
	if !validRunID.MatchString(item.RunID) || item.Segment < 0 {
		return service.WorkItem{}, fmt.Errorf("invalid work item %+v", item)
	}
	return item, nil
}

// parseRun reads a run request; a manual run without an id is named after now.
func parseRun(payload json.RawMessage, now time.Time) (runRequest, error) {
	var scheduled events.EventBridgeEvent
	if err := json.Unmarshal(payload, &scheduled); err == nil && scheduled.DetailType == "Scheduled Event" {
		if scheduled.Time.IsZero() {
			return runRequest{}, fmt.Errorf("scheduled event without a time")
		}
		return runRequest{RunID: "run-" + scheduled.Time.UTC().Format("20060102T1504Z"), scheduled: true}, nil
	}
	var req runRequest
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return runRequest{}, fmt.Errorf("invalid run request: %v", err)
	}
	if req.RunID == "" {
		if req.Segment != nil || req.Report {
			return runRequest{}, fmt.Errorf("invalid run request: a segment retry or a report needs the runId")
		}
		req.RunID = "manual-" + now.UTC().Format("20060102T150405Z")
	}
	if !validRunID.MatchString(req.RunID) {
		return runRequest{}, fmt.Errorf("invalid runId %q: use 1-64 letters, digits and _.:-", req.RunID)
	}
	if req.DryRun && (req.Segment != nil || req.Report || req.FanOut) {
		return runRequest{}, fmt.Errorf("invalid run request: a dry run plans the whole base here; it takes no segment, report or fanOut")
	}
	chores := req.Metrics || req.Feeds || req.CompactModels
	if n := btoi(req.Segment != nil) + btoi(req.Report) + btoi(req.FanOut) + btoi(req.Metrics) + btoi(req.Feeds) + btoi(req.CompactModels); n > 1 || (chores && req.DryRun) {
		return runRequest{}, fmt.Errorf("invalid run request: ask for one of segment, report, fanOut, metrics, feeds and compactModels")
	}
	return req, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
