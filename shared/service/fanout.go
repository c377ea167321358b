package service

import (
	"context"
	"fmt"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
)

// A fanned-out run spreads its segments over invocations. The coordinator (Start)
// writes the run record and enqueues one work item per segment; the workers (Work) are
// the same function, invoked by the work queue. Without volume caps each item plans
// and sends its segment. With caps, pass-1 items sketch their segment and store the
// sketch; the store tells exactly one of them, whatever the duplicates, that every
// segment is in, and that one merges the sketches into the cutoffs, records them, and
// enqueues the pass-2 items, which plan their segment again with the run's clock and
// send what fits, within the segment's quota (see VolumeCut).

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
	// the caller is the one that must merge them: every segment is in and no one was
	// told so before.
	PutSketch(ctx context.Context, runID string, segment, segments int, sketch SketchData, expiresAt time.Time) (merge bool, err error)
	Sketches(ctx context.Context, runID string) (map[int]SketchData, error)
}

// Fanout spreads runs over the work queue.
type Fanout struct {
	Planner  *Planner
	Queue    WorkQueue
	Sketches SketchStore
}

// Start coordinates a run: it records the run and enqueues the first pass it needs
// over the segments not yet done. It returns the run's summary so far; a complete
// run enqueues nothing.
func (f *Fanout) Start(ctx context.Context, runID string) (RunSummary, error) {
	p := f.Planner
	catalog, err := p.Catalog.Get(ctx)
	if err != nil {
		return RunSummary{}, fmt.Errorf("catalog: %w", err)
	}
	now := p.Now()
	rec, _, err := p.loadRun(ctx, RunRecord{RunID: runID, StartedAt: now, Segments: max(p.Segments, 1), Done: map[int]RunSummary{},
		ExpiresAt: now.Add(catalog.Settings.DecisionRetention.Std())})
	if err != nil {
		return RunSummary{}, err
	}
	if rec.Summary != nil {
		return *rec.Summary, nil
	}
	if err := p.Runs.PutRun(ctx, rec); err != nil {
		return RunSummary{}, fmt.Errorf("record run %s: %w", runID, err)
	}
	todo, _ := segmentsToDo(rec, true, nil)
	pass, segments := PassSend, todo
	if rec.Volume == nil && hasVolumeCaps(catalog.Settings.VolumeConstraints) {
		// Every segment's sketch is needed for the cutoffs, done or not.
		pass, segments = PassSketch, segmentRange(rec.Segments)
	}
	if err := f.enqueue(ctx, runID, pass, segments); err != nil {
		return RunSummary{}, err
	}
	return rec.summarySoFar(catalog.Settings.VolumeConstraints, false, p.Now().Sub(now)), nil
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
// stored again under the same key and a segment already done is skipped.
func (f *Fanout) Work(ctx context.Context, item WorkItem) error {
	switch item.Pass {
	case PassSend:
		_, err := f.Planner.RunSegment(ctx, item.RunID, item.Segment)
		return err
	case PassSketch:
		return f.sketch(ctx, item)
	default:
		return decision.Errorf(decision.EInvalid, "unknown pass %d", item.Pass)
	}
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
	return f.enqueue(ctx, item.RunID, PassSend, todo)
}

// summarySoFar merges the summaries of the segments done and lists the others.
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
