package service

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
)

// CustomerScanner walks one segment of the customer base, calling fn with each
// customer's profile and contact history since the given time.
type CustomerScanner interface {
	ScanCustomers(ctx context.Context, segment, totalSegments int, since time.Time, fn func(decision.Profile) error) error
}

// DecisionBatchWriter logs many decisions at once.
type DecisionBatchWriter interface {
	PutDecisions(ctx context.Context, ds []decision.LoggedDecision) error
}

// Outbox puts messages on a channel's queue.
type Outbox interface {
	Enqueue(ctx context.Context, channel string, messages []OutboundMessage) error
}

// Planner runs the outbound batch: every customer, every outbound channel, one plan.
type Planner struct {
	Catalog   *Snapshot[*decision.Catalog]
	Models    *Snapshot[*decision.Models]
	Customers CustomerScanner
	Log       DecisionBatchWriter
	Outbox    Outbox
	Now       func() time.Time
	// Segments is how many parallel scan segments one run splits the base into.
	Segments int
}

// RunSummary reports what a batch run did.
type RunSummary struct {
	RunID       string                    `json:"runId"`
	DryRun      bool                      `json:"dryRun"`
	Scanned     int                       `json:"customersScanned"`
	Planned     int                       `json:"sendsPlanned"`
	ByChannel   map[string]int            `json:"sendsByChannel"`
	ByAction    map[string]int            `json:"sendsByAction"`
	Silences    map[string]int            `json:"silenceReasons"`
	Forecast    map[string]ActionForecast `json:"forecast"`
	StartedAt   time.Time                 `json:"startedAt"`
	DurationSec float64                   `json:"durationSeconds"`
}

// ActionForecast is the expected result of one action's sends: the sum of their
// propensities (expected responses) and of propensity × value (expected value).
type ActionForecast struct {
	ExpectedResponses float64 `json:"expectedResponses"`
	ExpectedValue     float64 `json:"expectedValue"`
}

// flushSize is how many planned sends a segment buffers before writing them, so a
// long run holds little memory and makes steady progress.
const flushSize = 500

// Run plans every customer and, unless dryRun, logs the decisions and enqueues one
// message per send. Decision ids are derived from the run id and the customer id, so
// running the same run id again re-plans the same decisions, and send-message, which
// is idempotent by decision id, never delivers one twice.
func (p *Planner) Run(ctx context.Context, runID string, dryRun bool) (RunSummary, error) {
	started := p.Now()
	catalog, err := p.Catalog.Get(ctx)
	if err != nil {
		return RunSummary{}, fmt.Errorf("catalog: %w", err)
	}
	models, err := p.Models.Get(ctx)
	if err != nil {
		return RunSummary{}, fmt.Errorf("models: %w", err)
	}
	segments := max(p.Segments, 1)
	results := make([]RunSummary, segments)
	errs := make([]error, segments)
	var wg sync.WaitGroup
	for seg := range segments {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[seg], errs[seg] = p.runSegment(ctx, catalog, models, runID, seg, segments, started, dryRun)
		}()
	}
	wg.Wait()
	total := newSummary(runID, dryRun, started)
	for seg := range segments {
		if errs[seg] != nil {
			return RunSummary{}, fmt.Errorf("segment %d of %d: %w", seg, segments, errs[seg])
		}
		total.merge(results[seg])
	}
	total.DurationSec = p.Now().Sub(started).Seconds()
	return total, nil
}

func newSummary(runID string, dryRun bool, started time.Time) RunSummary {
	return RunSummary{RunID: runID, DryRun: dryRun, StartedAt: started, ByChannel: map[string]int{},
		ByAction: map[string]int{}, Silences: map[string]int{}, Forecast: map[string]ActionForecast{}}
}

func (s *RunSummary) merge(o RunSummary) {
	s.Scanned += o.Scanned
	s.Planned += o.Planned
	for k, v := range o.ByChannel {
		s.ByChannel[k] += v
	}
	for k, v := range o.ByAction {
		s.ByAction[k] += v
	}
	for k, v := range o.Silences {
		s.Silences[k] += v
	}
	for k, v := range o.Forecast {
		f := s.Forecast[k]
		f.ExpectedResponses += v.ExpectedResponses
		f.ExpectedValue += v.ExpectedValue
		s.Forecast[k] = f
	}
}

func (p *Planner) runSegment(ctx context.Context, catalog *decision.Catalog, models *decision.Models, runID string, seg, segments int, now time.Time, dryRun bool) (RunSummary, error) {
	sum := newSummary(runID, dryRun, now)
	var logs []decision.LoggedDecision
	outbox := map[string][]OutboundMessage{}
	flush := func() error {
		if dryRun {
			logs = logs[:0]
			return nil
		}
		// Decisions are logged before their messages exist, so a message can always be
		// attributed when send-message records its impression.
		if err := p.Log.PutDecisions(ctx, logs); err != nil {
			return err
		}
		logs = logs[:0]
		for channel, msgs := range outbox {
			if err := p.Outbox.Enqueue(ctx, channel, msgs); err != nil {
				return err
			}
			delete(outbox, channel)
		}
		return nil
	}
	err := p.Customers.ScanCustomers(ctx, seg, segments, now.Add(-catalog.HistoryWindow()), func(profile decision.Profile) error {
		sum.Scanned++
		d, err := catalog.PlanOutbound(profile, models, now, runID+"-"+profile.CustomerID)
		if err != nil {
			return err
		}
		if d.Silence != nil {
			sum.Silences[d.Silence.Reason]++
			if d.Silence.Reason == decision.SilenceControlGroup {
				// Held-out customers are logged too: their outcomes are the baseline the
				// engine's lift is measured against.
				logs = append(logs, catalog.Log(d))
			}
			return nil
		}
		offer := d.Actions[0]
		sum.Planned++
		sum.ByChannel[d.Channel]++
		sum.ByAction[offer.ActionID]++
		f := sum.Forecast[offer.ActionID]
		f.ExpectedResponses += offer.Propensity
		f.ExpectedValue += offer.Propensity * offer.Value
		sum.Forecast[offer.ActionID] = f
		logs = append(logs, catalog.Log(d))
		outbox[d.Channel] = append(outbox[d.Channel], OutboundMessage{
			DecisionID: d.DecisionID, RunID: runID, CustomerID: d.CustomerID, ActionID: offer.ActionID,
			TreatmentID: offer.TreatmentID, Channel: d.Channel, PlannedAt: now,
		})
		if len(logs) >= flushSize {
			return flush()
		}
		return nil
	})
	if err != nil {
		return RunSummary{}, err
	}
	return sum, flush()
}
