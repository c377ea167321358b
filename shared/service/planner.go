package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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

// RunStore keeps run records. GetRun reports found=false for a run never recorded.
type RunStore interface {
	GetRun(ctx context.Context, runID string) (rec RunRecord, found bool, err error)
	PutRun(ctx context.Context, rec RunRecord) error
	PutRunSegment(ctx context.Context, runID string, segment int, sum RunSummary) error
}

// RunRecord is what is kept of a run: enough to finish it after a failure exactly as
// it started, and to compare its forecast with what happened.
type RunRecord struct {
	RunID string
	// StartedAt is the clock reading every segment plans with, on every attempt, so a
	// re-planned segment makes the same decisions.
	StartedAt time.Time
	Segments  int
	// Volume is the first pass's result when the catalog has volume caps.
	Volume VolumePlan
	// Done holds the summary of every segment that finished, by segment.
	Done map[int]RunSummary
	// Summary is the whole run's summary, once every segment finished.
	Summary   *RunSummary
	ExpiresAt time.Time
}

// Planner runs the outbound batch: every customer, every outbound channel, one plan.
type Planner struct {
	Catalog   *Snapshot[*decision.Catalog]
	Models    *Snapshot[*decision.Models]
	Customers CustomerScanner
	Log       DecisionBatchWriter
	Outbox    Outbox
	// Runs keeps run records; nil plans without them (no resumption, no report).
	Runs RunStore
	// BestSendTime schedules each send at the customer's best hour on its channel
	// (decision.Catalog.SendTime): within SQS's 15 minutes by a message delay, later
	// by the message's SendAt, which send-message honours. False sends at once.
	BestSendTime bool
	// Weather caches the weather feed's stored observations; nil plans without it.
	Weather *Snapshot[decision.ContextFeed]
	// Challengers loads a challenger's catalog version; nil when none is run.
	Challengers *Challengers
	// Baseline teaches the baseline models from the silence group's decisions when the
	// catalog ranks by uplift (see baseline.go); nil teaches nothing.
	Baseline BaselineLearner
	Now      func() time.Time
	// Segments is how many parallel scan segments one run splits the base into.
	Segments int
}

// RunSummary reports what a batch run did.
type RunSummary struct {
	RunID     string                    `json:"runId"`
	DryRun    bool                      `json:"dryRun"`
	Scanned   int                       `json:"customersScanned"`
	Planned   int                       `json:"sendsPlanned"`
	ByChannel map[string]int            `json:"sendsByChannel"`
	ByAction  map[string]int            `json:"sendsByAction"`
	Silences  map[string]int            `json:"silenceReasons"`
	Forecast  map[string]ActionForecast `json:"forecast"`
	// Volume reports each volume constraint, by name.
	Volume map[string]VolumeUse `json:"volume,omitempty"`
	// Timing counts the sends by when they go out: "now", "delayed" (an SQS delay of
	// at most 15 minutes) or "later" (held until their SendAt by send-message).
	Timing    map[string]int `json:"sendTiming"`
	StartedAt time.Time      `json:"startedAt"`
	// DurationSec is how long this invocation took.
	DurationSec float64 `json:"durationSeconds"`
	// Pending lists the segments still to be planned when a run is incomplete.
	Pending []int `json:"pendingSegments,omitempty"`
}

// flushSize is how many planned sends a segment buffers before writing them, so a
// long run holds little memory and makes steady progress.
const flushSize = 500

// Run plans every customer and, unless dryRun, logs the decisions and enqueues one
// message per send. With volume caps, it plans every segment first and keeps the
// outcomes in memory while the cutoffs are merged (see volume.go), then sends what
// fits: the base is scanned and planned once.
//
// With a run store, a run is idempotent: each finished segment is recorded, and running
// the same run id again plans only the segments that did not finish (none, once the
// run is complete), with the clock and volume cutoffs of the first attempt. A segment
// that failed half-way is planned again whole; the messages it had already enqueued
// are enqueued again under the same decision ids (run id + customer id), which
// send-message delivers at most once. Dry runs neither read nor write run records.
func (p *Planner) Run(ctx context.Context, runID string, dryRun bool) (RunSummary, error) {
	return p.run(ctx, runID, dryRun, nil)
}

// RunSegment plans one segment of a recorded run, alone: the way to retry a segment
// that failed, and a fanned-out run's second pass. A segment already done is left
// as it is. It returns the run's summary so far, with the segments still pending.
func (p *Planner) RunSegment(ctx context.Context, runID string, segment int) (RunSummary, error) {
	return p.run(ctx, runID, false, &segment)
}

func (p *Planner) run(ctx context.Context, runID string, dryRun bool, only *int) (RunSummary, error) {
	started := p.Now()
	catalog, err := p.Catalog.Get(ctx)
	if err != nil {
		return RunSummary{}, fmt.Errorf("catalog: %w", err)
	}
	models, err := p.Models.Get(ctx)
	if err != nil {
		return RunSummary{}, fmt.Errorf("models: %w", err)
	}
	record := p.Runs != nil && !dryRun
	rec, found := RunRecord{RunID: runID, StartedAt: started, Segments: max(p.Segments, 1), Done: map[int]RunSummary{},
		ExpiresAt: started.Add(catalog.Settings.DecisionRetention.Std())}, false
	if record {
		if rec, found, err = p.loadRun(ctx, rec); err != nil {
			return RunSummary{}, err
		}
	}
	todo, err := segmentsToDo(rec, found, only)
	if err != nil {
		return RunSummary{}, err
	}
	if rec.Summary != nil {
		return *rec.Summary, nil // complete: a re-run changes nothing
	}
	constraints := catalog.Settings.VolumeConstraints
	held := make([][]planned, rec.Segments)
	if rec.Volume == nil && hasVolumeCaps(constraints) {
		if rec.Volume, held, err = p.volumePass(ctx, catalog, models, rec); err != nil {
			return RunSummary{}, err
		}
	}
	if record {
		// The header, with the clock and the cutoffs, is written before any segment so
		// that a retry finds them.
		if err := p.Runs.PutRun(ctx, rec); err != nil {
			return RunSummary{}, fmt.Errorf("record run %s: %w", runID, err)
		}
	}

	forecast := newForecaster(catalog, models)
	var mu sync.Mutex
	var failed []int
	var errs []error
	eachSegment(todo, func(seg int) {
		source := p.scan(ctx, catalog, models, rec, seg)
		if held[seg] != nil {
			source = replay(held[seg])
		}
		sum, err := p.runSegment(ctx, catalog, forecast, rec, seg, dryRun, source)
		if err == nil && record {
			err = p.Runs.PutRunSegment(ctx, runID, seg, sum)
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failed = append(failed, seg)
			errs = append(errs, fmt.Errorf("segment %d of %d: %w", seg, rec.Segments, err))
			return
		}
		rec.Done[seg] = sum
	})
	if len(errs) > 0 {
		slices.Sort(failed)
		return RunSummary{}, fmt.Errorf("run %s: segments %s failed; run the same run id again, or each with {\"runId\":%q,\"segment\":k}: %w",
			runID, strings.Trim(fmt.Sprint(failed), "[]"), runID, errors.Join(errs...))
	}

	total := rec.summarySoFar(constraints, dryRun, p.Now().Sub(started))
	if record && len(total.Pending) == 0 {
		rec.Summary = &total
		if err := p.Runs.PutRun(ctx, rec); err != nil {
			return RunSummary{}, fmt.Errorf("record run %s: %w", runID, err)
		}
	}
	return total, nil
}

// loadRun returns the run's record when it has one, or the fresh record given.
func (p *Planner) loadRun(ctx context.Context, fresh RunRecord) (RunRecord, bool, error) {
	rec, found, err := p.Runs.GetRun(ctx, fresh.RunID)
	if err != nil {
		return RunRecord{}, false, fmt.Errorf("read run %s: %w", fresh.RunID, err)
	}
	if !found {
		return fresh, false, nil
	}
	if rec.Done == nil {
		rec.Done = map[int]RunSummary{}
	}
	return rec, true, nil
}

// segmentsToDo lists the segments this invocation plans: the one asked for unless it
// is done (a duplicate work item), or every segment not yet done.
func segmentsToDo(rec RunRecord, found bool, only *int) ([]int, error) {
	if only != nil {
		switch {
		case !found:
			return nil, decision.Errorf(decision.ENotFound, "run %s has no record: run it whole first", rec.RunID)
		case *only < 0 || *only >= rec.Segments:
			return nil, decision.Errorf(decision.EInvalid, "run %s has segments 0 to %d, not %d", rec.RunID, rec.Segments-1, *only)
		}
		if _, done := rec.Done[*only]; done {
			return nil, nil
		}
		return []int{*only}, nil
	}
	var todo []int
	for seg := range rec.Segments {
		if _, done := rec.Done[seg]; !done {
			todo = append(todo, seg)
		}
	}
	return todo, nil
}

// eachSegment runs fn for every segment concurrently and waits for all.
func eachSegment(segments []int, fn func(seg int)) {
	var wg sync.WaitGroup
	for _, seg := range segments {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(seg)
		}()
	}
	wg.Wait()
}

// planned is one customer's outcome of planning, before volume caps: everything
// needed to send it, so that the first pass's outcomes can be sent without planning
// the customer again.
type planned struct {
	// silence is the reason nothing is sent, "" for a send.
	silence string
	// log is the decision to log: every send's, and the silence control group's.
	log    *decision.LoggedDecision
	msg    OutboundMessage
	timing string
	rank   Rank
	offer  decision.Offer
}

// plan turns a customer's outbound decision in a run into its outcome.
func (p *Planner) plan(catalog *decision.Catalog, runID string, profile *decision.Profile, d decision.Decision) planned {
	offer, ok := sendOf(d)
	if !ok {
		out := planned{silence: d.Silence.Reason}
		if d.Silence.Reason == decision.SilenceControlGroup {
			// Held-out customers are logged too: their outcomes are the baseline the
			// engine's lift is measured against.
			log := catalog.Log(d)
			log.RunID = runID
			out.log = &log
		}
		return out
	}
	log := catalog.Log(d)
	log.RunID = runID
	out := planned{log: &log, rank: RankOf(d.CustomerID, offer.Priority), offer: offer,
		msg: OutboundMessage{DecisionID: d.DecisionID, RunID: runID, CustomerID: d.CustomerID,
			ActionID: offer.ActionID, TreatmentID: offer.TreatmentID, Channel: d.Channel, PlannedAt: d.DecidedAt}}
	// The rendered content and reasons are not needed to send: send-message renders
	// from the profile as it is then.
	out.offer.Content, out.offer.Reasons = nil, nil
	out.timing = p.schedule(catalog, profile, &out.msg)
	return out
}

// source hands a segment's outcomes to fn, one customer at a time.
type source func(fn func(planned) error) error

// scan plans a segment's customers as it scans them.
func (p *Planner) scan(ctx context.Context, catalog *decision.Catalog, models *decision.Models, rec RunRecord, seg int) source {
	return func(fn func(planned) error) error {
		weather, err := weatherFor(ctx, catalog, p.Weather)
		if err != nil {
			return fmt.Errorf("weather: %w", err)
		}
		challenger, err := p.Challengers.For(ctx, catalog)
		if err != nil {
			return err
		}
		resources := decision.Resources{Models: models, Weather: weather, Challenger: challenger}
		now := rec.StartedAt
		return p.Customers.ScanCustomers(ctx, seg, rec.Segments, now.Add(-catalog.HistoryWindow()), func(profile decision.Profile) error {
			d, err := catalog.PlanOutbound(profile, resources, now, DecisionIDOf(rec.RunID, profile.CustomerID))
			if err != nil {
				return err
			}
			o := p.plan(catalog, rec.RunID, &profile, d)
			return fn(o)
		})
	}
}

// replay hands over outcomes planned earlier.
func replay(outcomes []planned) source {
	return func(fn func(planned) error) error {
		for _, o := range outcomes {
			if err := fn(o); err != nil {
				return err
			}
		}
		return nil
	}
}

// volumePass is the first pass of volume constraints: it plans every customer of
// every segment, keeps the outcomes, and merges what each segment saw into cutoffs.
// Memory grows with the base (a few hundred bytes per planned send); a base too large
// for one invocation is split over invocations (see README, "Fan-out").
func (p *Planner) volumePass(ctx context.Context, catalog *decision.Catalog, models *decision.Models, rec RunRecord) (VolumePlan, [][]planned, error) {
	constraints := catalog.Settings.VolumeConstraints
	sketches := make([]*VolumeSketch, rec.Segments)
	held := make([][]planned, rec.Segments)
	errs := make([]error, rec.Segments)
	eachSegment(segmentRange(rec.Segments), func(seg int) {
		sketch := NewVolumeSketch(constraints)
		held[seg] = []planned{}
		errs[seg] = p.scan(ctx, catalog, models, rec, seg)(func(o planned) error {
			if o.silence == "" {
				sketch.Add(o.msg.ActionID, o.msg.Channel, o.rank)
			}
			held[seg] = append(held[seg], o)
			return nil
		})
		sketches[seg] = sketch
	})
	if err := errors.Join(errs...); err != nil {
		return nil, nil, fmt.Errorf("volume pass: %w", err)
	}
	bySegment := make(map[int]SketchData, len(sketches))
	for seg, s := range sketches {
		bySegment[seg] = s.Data()
	}
	return planVolume(constraints, bySegment), held, nil
}

func segmentRange(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// DecisionIDOf names the decision of a customer in a run, so every attempt of the run
// makes the same decision ids and send-message delivers each at most once.
func DecisionIDOf(runID, customerID string) string { return runID + "-" + customerID }

// sendOf returns the offer a decision sends, if any.
func sendOf(d decision.Decision) (decision.Offer, bool) {
	if len(d.Actions) == 0 {
		return decision.Offer{}, false
	}
	return d.Actions[0], true
}

func newSummary(runID string, dryRun bool, started time.Time) RunSummary {
	return RunSummary{RunID: runID, DryRun: dryRun, StartedAt: started, ByChannel: map[string]int{},
		ByAction: map[string]int{}, Silences: map[string]int{}, Forecast: map[string]ActionForecast{},
		Volume: map[string]VolumeUse{}, Timing: map[string]int{}}
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
		f.add(v)
		s.Forecast[k] = f
	}
	for k, v := range o.Timing {
		s.Timing[k] += v
	}
	for k, v := range o.Volume {
		u := s.Volume[k]
		u.Sent += v.Sent
		s.Volume[k] = u
	}
}

// finishVolume completes the per-constraint report of a merged summary with the
// bounds and the first pass's candidates.
func (s *RunSummary) finishVolume(constraints []decision.VolumeConstraint, plan VolumePlan) {
	for _, c := range constraints {
		u := s.Volume[c.Name()]
		u.Max, u.Min = c.Max, c.Min
		u.Candidates = plan[c.Name()].Candidates
		if plan == nil {
			u.Candidates = u.Sent // without caps there is no first pass and no cut
		}
		u.BelowMin = u.Sent < c.Min
		s.Volume[c.Name()] = u
	}
}

// runSegment sends a segment's outcomes that fit the volume cutoffs: it logs their
// decisions and enqueues their messages in chunks, unless dryRun.
func (p *Planner) runSegment(ctx context.Context, catalog *decision.Catalog, forecast *forecaster, rec RunRecord, seg int, dryRun bool, outcomes source) (RunSummary, error) {
	sum := newSummary(rec.RunID, dryRun, rec.StartedAt)
	constraints := catalog.Settings.VolumeConstraints
	used := map[string]int{} // sends admitted by volume constraint
	var logs []decision.LoggedDecision
	outbox := map[string][]OutboundMessage{}
	flush := func() error {
		if dryRun {
			logs = logs[:0]
			clear(outbox)
			return nil
		}
		// Decisions are logged before their messages exist, so a message can always be
		// attributed when send-message records its impression.
		if err := p.Log.PutDecisions(ctx, logs); err != nil {
			return err
		}
		for _, l := range logs {
			if p.Baseline == nil || !catalog.TeachesBaseline(l) {
				continue
			}
			models, err := p.Models.Get(ctx)
			if err != nil {
				return fmt.Errorf("models: %w", err)
			}
			if err := teachBaseline(ctx, p.Baseline, catalog, l, false, rec.StartedAt, models); err != nil {
				return err
			}
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
	err := outcomes(func(o planned) error {
		sum.Scanned++
		if o.silence != "" {
			sum.Silences[o.silence]++
			if o.log != nil {
				logs = append(logs, *o.log)
			}
			return nil
		}
		m := o.msg
		if ok, _ := rec.Volume.Admit(constraints, seg, used, m.ActionID, m.Channel, o.rank); !ok {
			sum.Silences[SilenceVolumeCap]++
			// Logged without its offer: the engine chose, and the caps said no; a lift
			// report counts the customer among the engine's like any other.
			cut := *o.log
			cut.Offers, cut.Silence = nil, SilenceVolumeCap
			logs = append(logs, cut)
			return nil
		}
		for _, c := range constraints {
			if c.Covers(m.ActionID, m.Channel) {
				u := sum.Volume[c.Name()]
				u.Sent++
				sum.Volume[c.Name()] = u
			}
		}
		sum.Planned++
		sum.ByChannel[m.Channel]++
		sum.ByAction[m.ActionID]++
		sum.Timing[o.timing]++
		f := sum.Forecast[m.ActionID]
		rate := forecast.add(&f, o.offer, m.Channel)
		sum.Forecast[m.ActionID] = f
		// The send's forecast rate goes with its decision into the contact history,
		// where later runs read their forecast's track record.
		for i := range o.log.Offers {
			if o.log.Offers[i].ActionID == m.ActionID {
				o.log.Offers[i].ForecastRate = rate
			}
		}
		logs = append(logs, *o.log)
		outbox[m.Channel] = append(outbox[m.Channel], m)
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

// schedule sets when a message goes out and says which of RunSummary.Timing's kinds
// that is. The send time is reckoned from the run's clock, so a re-planned segment
// schedules the same; the delay from the time of planning.
func (p *Planner) schedule(catalog *decision.Catalog, profile *decision.Profile, m *OutboundMessage) string {
	if !p.BestSendTime {
		return "now"
	}
	at, learned := catalog.SendTime(*profile, m.Channel, m.PlannedAt)
	if !learned || !at.After(m.PlannedAt) {
		return "now"
	}
	m.SendAt = at
	m.DelaySeconds = delayUntil(at, p.Now())
	if at.Sub(m.PlannedAt) <= maxDelay {
		return "delayed"
	}
	return "later"
}
