package service

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
)

// A fanned-out run spreads its segments over invocations. The coordinator (Start)
// writes the run record and enqueues one work item per segment; the workers (Work) are
// the same function, invoked by the work queue. Without volume caps each item plans
// and sends its segment. With caps, pass-1 items sketch their segment and store the
// sketch; the store tells the one that completes the set (and any retry before the
// merge is marked done) that every segment is in, and it merges the sketches into the
// cutoffs, records them, enqueues the pass-2 items and marks the merge done, which plan their segment again with the run's clock and
// send what fits, within the segment's quota (see VolumeCut).
//
// The worker whose segment completes the run writes the run's summary and reports the
// run finished, exactly once (see RunBarrier): the sending pass's last segments can
// finish together, each having read the run while the other was pending, so a
// worker's own reading cannot tell.

// Work passes.
const (
	PassSketch = 1
	PassSend   = 2
)

// WorkItem asks a worker for one pass over one segment of a run.
type WorkItem struct {
	RunID   string `json:"runId"`
	Segment int    `json:"segment"`
	Pass    int    `json:"pass"`
}

// WorkQueue hands work items to the workers.
type WorkQueue interface {
	EnqueueWork(ctx context.Context, items []WorkItem) error
}

// SketchStore keeps the first pass's sketches of a fanned-out run.
type SketchStore interface {
	// PutSketch records a segment's sketch, kept until expiresAt, and reports whether
	// the caller must merge them: every segment is in and the merge is not marked
	// done. Merging twice is harmless (the same cutoffs, the same pass-2 items);
	// never merging would leave the run stuck.
	PutSketch(ctx context.Context, runID string, segment, segments int, sketch SketchData, expiresAt time.Time) (merge bool, err error)
	Sketches(ctx context.Context, runID string) (map[int]SketchData, error)
	// MarkMerged records that the merge is done and the sending pass enqueued.
	MarkMerged(ctx context.Context, runID string) error
}

// RunBarrier keeps, for each fanned-out run, the set of segments sent and whether the
// run was reported finished. Both are updated atomically, so that exactly one worker,
// whatever the duplicates and the races, finishes the run.
type RunBarrier interface {
	// SegmentSent adds a segment whose summary is recorded (RunStore.PutRunSegment)
	// to the run's set of sent segments, kept until expiresAt, and returns the set as
	// the atomic update left it.
	SegmentSent(ctx context.Context, runID string, segment int, expiresAt time.Time) (sent []int, err error)
	// ClaimFinish reports true to the first caller for the run and false to every
	// later one: the one caller that reports the run finished.
	ClaimFinish(ctx context.Context, runID string, expiresAt time.Time) (bool, error)
}

// Fanout spreads runs over the work queue.
type Fanout struct {
	Planner  *Planner
	Queue    WorkQueue
	Sketches SketchStore
	// Barrier tells the sending pass's workers which of them finishes the run
	// (required for that pass).
	Barrier RunBarrier
}

// Start coordinates a run: it records the run and enqueues the first pass it needs
// over the segments not yet done. It returns the run's summary so far; a complete
// run enqueues nothing. A run whose segments are all done but which has no summary
// (its last worker's retries ran out between recording its segment and finishing the
// run, or its last segments raced before the barrier existed) is finished here:
// finished then tells the caller to report it, which happens once per run.
func (f *Fanout) Start(ctx context.Context, runID string) (sum RunSummary, finished bool, err error) {
	p := f.Planner
	catalog, err := p.Catalog.Get(ctx)
	if err != nil {
		return RunSummary{}, false, fmt.Errorf("catalog: %w", err)
	}
	now := p.Now()
	rec, _, err := p.loadRun(ctx, RunRecord{RunID: runID, StartedAt: now, Segments: max(p.Segments, 1), Done: map[int]RunSummary{},
		ExpiresAt: now.Add(catalog.Settings.DecisionRetention.Std())})
	if err != nil {
		return RunSummary{}, false, err
	}
	if rec.Summary != nil {
		return *rec.Summary, false, nil
	}
	if err := p.Runs.PutRun(ctx, rec); err != nil {
		return RunSummary{}, false, fmt.Errorf("record run %s: %w", runID, err)
	}
	todo, _ := segmentsToDo(rec, true, nil)
	pass, segments := PassSend, todo
	if rec.Volume == nil && hasVolumeCaps(catalog.Settings.VolumeConstraints) {
		// Every segment's sketch is needed for the cutoffs, done or not.
		pass, segments = PassSketch, segmentRange(rec.Segments)
	}
	if len(segments) == 0 {
		return f.finish(ctx, rec, catalog.Settings.VolumeConstraints, p.Now().Sub(now))
	}
	if err := f.enqueue(ctx, runID, pass, segments); err != nil {
		return RunSummary{}, false, err
	}
	return rec.summarySoFar(catalog.Settings.VolumeConstraints, false, p.Now().Sub(now)), false, nil
}

func (f *Fanout) enqueue(ctx context.Context, runID string, pass int, segments []int) error {
	items := make([]WorkItem, len(segments))
	for i, seg := range segments {
		items[i] = WorkItem{RunID: runID, Segment: seg, Pass: pass}
	}
	if err := f.Queue.EnqueueWork(ctx, items); err != nil {
		return fmt.Errorf("enqueue pass %d of run %s: %w", pass, runID, err)
	}
	return nil
}

// Work carries out one work item. A duplicate item changes nothing: a sketch is
// stored again under the same key and a segment already done is skipped. When the
// item finished the run, Work returns the run's summary, for the caller to report:
// one item of a run does, or else Start (see send), never two.
func (f *Fanout) Work(ctx context.Context, item WorkItem) (finished *RunSummary, err error) {
	switch item.Pass {
	case PassSend:
		return f.send(ctx, item)
	case PassSketch:
		return nil, f.sketch(ctx, item)
	default:
		return nil, decision.Errorf(decision.EInvalid, "unknown pass %d", item.Pass)
	}
}

// send plans and sends one segment, records it, and finishes the run when nothing is
// left pending. The planner records the segment, then the barrier adds it to the
// run's set of sent segments. The segments the planner saw pending when it read the
// run may have finished since; once each of them is in the set, every segment is
// recorded. The worker whose update completed the set always sees that (its view's
// pending segments all finished before it), so the run is never left unfinished, and
// the finish is claimed once, so it is never reported twice. A worker that fails
// after recording its segment is retried by the queue: its segment is skipped as
// done, and it reaches the barrier again.
func (f *Fanout) send(ctx context.Context, item WorkItem) (*RunSummary, error) {
	p := f.Planner
	if f.Barrier == nil {
		return nil, fmt.Errorf("run %s: the sending pass needs a run barrier", item.RunID)
	}
	started := p.Now()
	sum, err := p.RunSegment(ctx, item.RunID, item.Segment)
	if err != nil {
		return nil, err
	}
	catalog, err := p.Catalog.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	expiresAt := sum.StartedAt.Add(catalog.Settings.DecisionRetention.Std())
	sent, err := f.Barrier.SegmentSent(ctx, item.RunID, item.Segment, expiresAt)
	if err != nil {
		return nil, fmt.Errorf("run %s: count segment %d sent: %w", item.RunID, item.Segment, err)
	}
	for _, seg := range sum.Pending {
		if !slices.Contains(sent, seg) {
			return nil, nil // that segment's worker is still to come, and finishes the run
		}
	}
	if len(sum.Pending) == 0 {
		// The planner saw every segment done and recorded the summary.
		return f.claim(ctx, sum, expiresAt)
	}
	rec, found, err := p.loadRun(ctx, RunRecord{RunID: item.RunID})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, decision.Errorf(decision.ENotFound, "run %s has no record", item.RunID)
	}
	if rec.Summary != nil {
		return f.claim(ctx, *rec.Summary, expiresAt)
	}
	sum, finished, err := f.finish(ctx, rec, catalog.Settings.VolumeConstraints, p.Now().Sub(started))
	if err != nil || !finished {
		return nil, err
	}
	return &sum, nil
}

// finish records the summary of a run whose every segment is done, then claims the
// report of its end. The summary is written first, by every caller that gets here,
// so that a caller that fails between the two leaves the summary in place, and its
// retry claims the report.
func (f *Fanout) finish(ctx context.Context, rec RunRecord, constraints []decision.VolumeConstraint, took time.Duration) (RunSummary, bool, error) {
	total := rec.summarySoFar(constraints, false, took)
	if len(total.Pending) > 0 {
		return RunSummary{}, false, fmt.Errorf("run %s: segments %v counted as sent have no recorded summary", rec.RunID, total.Pending)
	}
	rec.Summary = &total
	if err := f.Planner.Runs.PutRun(ctx, rec); err != nil {
		return RunSummary{}, false, fmt.Errorf("record run %s: %w", rec.RunID, err)
	}
	claimed, err := f.claim(ctx, total, rec.ExpiresAt)
	return total, claimed != nil, err
}

// claim returns the run's summary to the one caller that reports the run finished.
func (f *Fanout) claim(ctx context.Context, sum RunSummary, expiresAt time.Time) (*RunSummary, error) {
	if f.Barrier == nil {
		return nil, fmt.Errorf("run %s: finishing needs a run barrier", sum.RunID)
	}
	first, err := f.Barrier.ClaimFinish(ctx, sum.RunID, expiresAt)
	if err != nil {
		return nil, fmt.Errorf("run %s: claim its finish: %w", sum.RunID, err)
	}
	if !first {
		return nil, nil
	}
	return &sum, nil
}

func (f *Fanout) sketch(ctx context.Context, item WorkItem) error {
	p := f.Planner
	catalog, err := p.Catalog.Get(ctx)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	models, err := p.Models.Get(ctx)
	if err != nil {
		return fmt.Errorf("models: %w", err)
	}
	rec, found, err := p.loadRun(ctx, RunRecord{RunID: item.RunID})
	if err != nil {
		return err
	}
	if !found {
		return decision.Errorf(decision.ENotFound, "run %s has no record", item.RunID)
	}
	if _, err := segmentsToDo(rec, found, &item.Segment); err != nil {
		return err
	}
	constraints := catalog.Settings.VolumeConstraints
	sketch := NewVolumeSketch(constraints)
	err = p.scan(ctx, catalog, models, rec, item.Segment)(func(o planned) error {
		if o.silence == "" {
			sketch.Add(o.msg.ActionID, o.msg.Channel, o.rank)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sketch segment %d of run %s: %w", item.Segment, item.RunID, err)
	}
	merge, err := f.Sketches.PutSketch(ctx, item.RunID, item.Segment, rec.Segments, sketch.Data(), rec.ExpiresAt)
	if err != nil || !merge {
		return err
	}
	all, err := f.Sketches.Sketches(ctx, item.RunID)
	if err != nil {
		return err
	}
	rec.Volume = planVolume(constraints, all)
	if err := p.Runs.PutRun(ctx, rec); err != nil {
		return fmt.Errorf("record cutoffs of run %s: %w", item.RunID, err)
	}
	todo, _ := segmentsToDo(rec, true, nil)
	if err := f.enqueue(ctx, item.RunID, PassSend, todo); err != nil {
		return err
	}
	return f.Sketches.MarkMerged(ctx, item.RunID)
}

// summarySoFar merges the summaries of the segments done and lists the others.
// SummarySoFar is an incomplete run's summary: the segments that finished, added up,
// and the others listed as pending (what an operator's view shows while it runs).
func (rec RunRecord) SummarySoFar() RunSummary {
	return rec.summarySoFar(nil, false, 0)
}

func (rec RunRecord) summarySoFar(constraints []decision.VolumeConstraint, dryRun bool, took time.Duration) RunSummary {
	total := newSummary(rec.RunID, dryRun, rec.StartedAt)
	for seg := range rec.Segments {
		if sum, ok := rec.Done[seg]; ok {
			total.merge(sum)
		} else {
			total.Pending = append(total.Pending, seg)
		}
	}
	total.finishVolume(constraints, rec.Volume)
	total.DurationSec = took.Seconds()
	return total
}
