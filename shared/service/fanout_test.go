package service_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/service"
)

// memWork is an in-memory work queue.
type memWork struct {
	mu    sync.Mutex
	items []service.WorkItem
	// failPass fails the next enqueue of that pass's items, once.
	failPass int
}

func (q *memWork) EnqueueWork(_ context.Context, items []service.WorkItem) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(items) > 0 && items[0].Pass == q.failPass {
		q.failPass = 0
		return errors.New("queue unavailable")
	}
	q.items = append(q.items, items...)
	return nil
}

func (q *memWork) pop() (service.WorkItem, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return service.WorkItem{}, false
	}
	item := q.items[0]
	q.items = q.items[1:]
	return item, true
}

// memSketches keeps sketches in memory, with the store's merge barrier.
type memSketches struct {
	mu       sync.Mutex
	sketches map[int]service.SketchData
	merged   bool
}

func (m *memSketches) PutSketch(_ context.Context, _ string, seg, segments int, d service.SketchData, _ time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sketches[seg] = d
	return len(m.sketches) >= segments && !m.merged, nil
}

func (m *memSketches) MarkMerged(context.Context, string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.merged = true
	return nil
}

func (m *memSketches) Sketches(context.Context, string) (map[int]service.SketchData, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.sketches), nil
}

// memBarrier is the store's run barrier in memory: a set of sent segments per run
// and a finish claimed once.
type memBarrier struct {
	mu       sync.Mutex
	sent     map[string][]int
	finished map[string]bool
	// failSent fails that many SegmentSent calls, after the segment is recorded.
	failSent int
}

func newMemBarrier() *memBarrier {
	return &memBarrier{sent: map[string][]int{}, finished: map[string]bool{}}
}

func (b *memBarrier) SegmentSent(_ context.Context, runID string, seg int, _ time.Time) ([]int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failSent > 0 {
		b.failSent--
		return nil, errors.New("throttled")
	}
	if !slices.Contains(b.sent[runID], seg) {
		b.sent[runID] = append(b.sent[runID], seg)
	}
	return slices.Clone(b.sent[runID]), nil
}

func (b *memBarrier) ClaimFinish(_ context.Context, runID string, _ time.Time) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	first := !b.finished[runID]
	b.finished[runID] = true
	return first, nil
}

// gatedRuns makes workers finish together: once armed with n, the next n reads of a
// run are counted, and no segment is recorded before all n happened, so each of the n
// workers reads the run while the others' segments are pending.
type gatedRuns struct {
	*memRuns
	mu    sync.Mutex
	reads int
	read  chan struct{} // closed by the n-th read
}

func (g *gatedRuns) arm(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reads, g.read = n, make(chan struct{})
}

func (g *gatedRuns) GetRun(ctx context.Context, id string) (service.RunRecord, bool, error) {
	rec, found, err := g.memRuns.GetRun(ctx, id)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.reads > 0 {
		if g.reads--; g.reads == 0 {
			close(g.read)
		}
	}
	return rec, found, err
}

func (g *gatedRuns) PutRunSegment(ctx context.Context, id string, seg int, sum service.RunSummary) error {
	g.mu.Lock()
	read := g.read
	g.mu.Unlock()
	if read != nil {
		select {
		case <-read:
		case <-time.After(10 * time.Second):
			return errors.New("the other workers never read the run")
		}
	}
	return g.memRuns.PutRunSegment(ctx, id, seg, sum)
}

// fanoutWorld is a fanned-out run's planner, queue, runs and barrier, in memory.
type fanoutWorld struct {
	store   *memStore
	runs    *gatedRuns
	queue   *memWork
	barrier *memBarrier
	fanout  *service.Fanout
}

func newFanoutWorld(t *testing.T, customers int) *fanoutWorld {
	s := newMemStore(t, volumeBase(customers)...)
	p := newPlanner(s, &clock{t: t0})
	runs := &gatedRuns{memRuns: &memRuns{runs: map[string]service.RunRecord{}}}
	p.Runs = runs
	w := &fanoutWorld{store: s, runs: runs, queue: &memWork{}, barrier: newMemBarrier()}
	w.fanout = &service.Fanout{Planner: p, Queue: w.queue, Sketches: &memSketches{sketches: map[int]service.SketchData{}}, Barrier: w.barrier}
	return w
}

// workTogether carries out the items at the same time, each worker reading the run
// before any of them records its segment, and returns the summaries of the finishes.
func (w *fanoutWorld) workTogether(t *testing.T, items []service.WorkItem) []*service.RunSummary {
	t.Helper()
	w.runs.arm(len(items))
	var mu sync.Mutex
	var finished []*service.RunSummary
	var wg sync.WaitGroup
	for _, item := range items {
		wg.Go(func() {
			sum, err := w.fanout.Work(context.Background(), item)
			if err != nil {
				t.Errorf("Work(%+v) error: %v", item, err)
			}
			if sum != nil {
				mu.Lock()
				finished = append(finished, sum)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return finished
}

// TestFanoutLastSegmentsFinishingTogether: the sending pass's last segments finish at
// the same moment, each having read the run while the others were pending. Exactly
// one of them finishes the run: it records the whole run's summary and is the one
// whose finish is reported ("run finished" in the log), whatever the duplicates.
func TestFanoutLastSegmentsFinishingTogether(t *testing.T) {
	ctx := context.Background()
	item := func(seg int) service.WorkItem {
		return service.WorkItem{RunID: "r1", Segment: seg, Pass: service.PassSend}
	}
	tests := []struct {
		name     string
		first    []int // segments sent one after the other, first
		together []int // then these, at the same time
	}{
		{"the last two", []int{0}, []int{1, 2}},
		{"all three", nil, []int{0, 1, 2}},
		{"the last two and a duplicate", []int{0}, []int{1, 2, 2}},
		{"the last one and duplicates of done ones", []int{0, 1}, []int{2, 0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newFanoutWorld(t, 60)
			want, err := newPlanner(newMemStore(t, volumeBase(60)...), &clock{t: t0}).Run(ctx, "r1", false)
			if err != nil {
				t.Fatal(err)
			}
			if _, finished, err := w.fanout.Start(ctx, "r1"); err != nil || finished {
				t.Fatalf("Start(r1) = finished %v, %v; want the run started", finished, err)
			}
			w.queue.items = nil // the test hands the items out itself
			var finished []*service.RunSummary
			for _, seg := range tt.first {
				sum, err := w.fanout.Work(ctx, item(seg))
				if err != nil || sum != nil {
					t.Fatalf("Work(segment %d) = %+v, %v; want the segment sent and the run not finished", seg, sum, err)
				}
			}
			var items []service.WorkItem
			for _, seg := range tt.together {
				items = append(items, item(seg))
			}
			finished = append(finished, w.workTogether(t, items)...)
			if len(finished) != 1 {
				t.Fatalf("%d workers finished the run, want exactly 1", len(finished))
			}
			got := finished[0]
			if got.RunID != "r1" || got.DryRun || len(got.Pending) != 0 || got.Scanned != 60 || got.Planned != want.Planned ||
				!maps.Equal(got.ByChannel, want.ByChannel) {
				t.Errorf("finished run = %+v; want r1, not dry, nothing pending, 60 scanned and %d planned as %v like the in-process run",
					got, want.Planned, want.ByChannel)
			}
			stored := w.runs.runs["r1"].Summary
			if stored == nil || stored.Scanned != 60 || stored.Planned != want.Planned || len(stored.Pending) != 0 {
				t.Errorf("the run's recorded summary = %+v, want the whole run's", stored)
			}
			// A late duplicate, and the coordinator run again, finish nothing more.
			if sum, err := w.fanout.Work(ctx, item(2)); err != nil || sum != nil {
				t.Errorf("Work(a late duplicate) = %+v, %v; want no second finish", sum, err)
			}
			if sum, finished, err := w.fanout.Start(ctx, "r1"); err != nil || finished || sum.Planned != want.Planned || len(w.queue.items) != 0 {
				t.Errorf("Start(r1) again = %+v, finished %v, %v, %d items; want the summary, no second finish, nothing enqueued",
					sum, finished, err, len(w.queue.items))
			}
		})
	}
}

// TestFanoutFinishSurvivesAFailedWorker: the last worker records its segment, then
// fails to reach the barrier. The queue retries it: the segment is not planned again,
// and the retry finishes the run.
func TestFanoutFinishSurvivesAFailedWorker(t *testing.T) {
	ctx := context.Background()
	w := newFanoutWorld(t, 30)
	if _, _, err := w.fanout.Start(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	items := slices.Clone(w.queue.items)
	for _, item := range items[:len(items)-1] {
		if sum, err := w.fanout.Work(ctx, item); err != nil || sum != nil {
			t.Fatalf("Work(%+v) = %+v, %v", item, sum, err)
		}
	}
	last := items[len(items)-1]
	w.barrier.failSent = 1
	if sum, err := w.fanout.Work(ctx, last); err == nil || sum != nil {
		t.Fatalf("Work(last) with the barrier failing = %+v, %v; want an error for the queue to retry", sum, err)
	}
	queued := len(queuedSends(w.store))
	sum, err := w.fanout.Work(ctx, last)
	if err != nil || sum == nil || sum.Scanned != 30 || len(sum.Pending) != 0 {
		t.Fatalf("Work(last) retried = %+v, %v; want the run finished, 30 scanned", sum, err)
	}
	if len(queuedSends(w.store)) != queued || w.runs.runs["r1"].Summary == nil {
		t.Errorf("the retry sent %d more and recorded summary %v; want nothing sent again and the summary recorded",
			len(queuedSends(w.store))-queued, w.runs.runs["r1"].Summary)
	}
}

// TestFanoutStartFinishesARunLeftWithoutSummary: every segment is done but no worker
// finished the run (its last segments raced without the barrier, each seeing another
// pending). Starting the run again finishes it, once.
func TestFanoutStartFinishesARunLeftWithoutSummary(t *testing.T) {
	ctx := context.Background()
	w := newFanoutWorld(t, 30)
	if _, _, err := w.fanout.Start(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	w.queue.items = nil
	// The planner alone, without the barrier, as the last segments racing did before.
	w.runs.arm(3)
	var wg sync.WaitGroup
	for seg := range 3 {
		wg.Go(func() {
			if _, err := w.fanout.Planner.RunSegment(ctx, "r1", seg); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if rec := w.runs.runs["r1"]; rec.Summary != nil || len(rec.Done) != 3 {
		t.Fatalf("run after the racing segments: summary %v, %d done; want 3 done and no summary", rec.Summary, len(rec.Done))
	}
	sum, finished, err := w.fanout.Start(ctx, "r1")
	if err != nil || !finished || sum.Scanned != 30 || len(sum.Pending) != 0 || len(w.queue.items) != 0 {
		t.Fatalf("Start(r1) = %+v, finished %v, %v, %d items; want the run finished here, nothing enqueued", sum, finished, err, len(w.queue.items))
	}
	if w.runs.runs["r1"].Summary == nil {
		t.Error("Start finished the run without recording its summary")
	}
	if _, finished, err := w.fanout.Start(ctx, "r1"); err != nil || finished {
		t.Errorf("Start(r1) again = finished %v, %v; want no second finish", finished, err)
	}
}

// cappedFanout is a fanned-out run's world over a base of 90 customers with volume
// caps: its store, run records, work queue and coordinator.
type cappedFanout struct {
	store *memStore
	runs  *memRuns
	queue *memWork
	f     *service.Fanout
	p     *service.Planner
}

func newCappedFanout(t *testing.T, caps string, clk *clock) cappedFanout {
	t.Helper()
	s := newMemStore(t, volumeBase(90)...)
	withVolume(t, s, caps)
	p := newPlanner(s, clk)
	runs := &memRuns{runs: map[string]service.RunRecord{}}
	p.Runs = runs
	queue := &memWork{}
	return cappedFanout{store: s, runs: runs, queue: queue, p: p,
		f: &service.Fanout{Planner: p, Queue: queue, Sketches: &memSketches{sketches: map[int]service.SketchData{}}, Barrier: newMemBarrier()}}
}

// inProcessRun is what the same base and caps give when planned in one invocation.
func inProcessRun(t *testing.T, caps string) (service.RunSummary, *memStore) {
	t.Helper()
	s := newMemStore(t, volumeBase(90)...)
	withVolume(t, s, caps)
	want, err := newPlanner(s, &clock{t: t0}).Run(context.Background(), "r1", false)
	if err != nil {
		t.Fatal(err)
	}
	return want, s
}

func TestFanoutMatchesTheInProcessRun(t *testing.T) {
	ctx := context.Background()
	const caps = "[{action: fibre-upgrade, max: 10}, {channel: email, max: 7}]"
	tests := []struct {
		name string
		caps string
	}{{"with volume caps", caps}, {"without", "[]"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, inProcess := inProcessRun(t, tt.caps)
			w := newCappedFanout(t, tt.caps, &clock{t: t0})
			s, p, runs, queue, f := w.store, w.p, w.runs, w.queue, w.f
			started, _, err := f.Start(ctx, "r1")
			if err != nil || len(started.Pending) != p.Segments || len(queue.items) != p.Segments {
				t.Fatalf("Start(r1) = %+v, %v with %d items queued; want %d pending segments and items", started, err, len(queue.items), p.Segments)
			}
			// SQS delivers at least once: every item arrives twice.
			queue.items = append(queue.items, queue.items...)
			var finishes []*service.RunSummary
			for item, ok := queue.pop(); ok; item, ok = queue.pop() {
				finished, err := f.Work(ctx, item)
				if err != nil {
					t.Fatalf("Work(%+v) error: %v", item, err)
				}
				if finished != nil {
					finishes = append(finishes, finished)
				}
			}
			got := runs.runs["r1"].Summary
			if got == nil {
				t.Fatal("the fanned-out run did not complete")
			}
			if len(finishes) != 1 || finishes[0].Planned != want.Planned || len(finishes[0].Pending) != 0 {
				t.Errorf("the run was reported finished %d times (%+v), want once, with its summary", len(finishes), finishes)
			}
			if got.Planned != want.Planned || !maps.Equal(got.ByChannel, want.ByChannel) || !maps.Equal(got.Volume, want.Volume) {
				t.Errorf("fanned-out run = %d planned, %v, %v; want %d, %v, %v like the in-process run",
					got.Planned, got.ByChannel, got.Volume, want.Planned, want.ByChannel, want.Volume)
			}
			if !maps.Equal(queuedSends(s), queuedSends(inProcess)) {
				t.Errorf("fanned-out run sent %v, want %v", queuedSends(s), queuedSends(inProcess))
			}
			if again, _, err := f.Start(ctx, "r1"); err != nil || again.Planned != want.Planned || len(queue.items) != 0 {
				t.Errorf("Start(r1) again = %+v, %v, %d items; want the summary and nothing enqueued", again, err, len(queue.items))
			}
		})
	}
}

// TestFanoutMergeSurvivesAFailedMerger: the worker that completes the sketches merges
// them and records the cutoffs, then fails to enqueue the sending pass. The queue
// retries its item, which merges again: the run completes as the in-process run does,
// instead of waiting for a merge no one will make.
func TestFanoutMergeSurvivesAFailedMerger(t *testing.T) {
	ctx := context.Background()
	const caps = "[{action: fibre-upgrade, max: 10}, {channel: email, max: 7}]"
	want, inProcess := inProcessRun(t, caps)
	w := newCappedFanout(t, caps, &clock{t: t0})
	s, runs, queue, f := w.store, w.runs, w.queue, w.f
	if _, _, err := f.Start(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	queue.failPass = service.PassSend
	failures := 0
	for item, ok := queue.pop(); ok; item, ok = queue.pop() {
		if _, err := f.Work(ctx, item); err != nil {
			failures++
			queue.items = append(queue.items, item) // SQS redelivers it
		}
	}
	got := runs.runs["r1"].Summary
	if failures != 1 || got == nil || got.Planned != want.Planned || !maps.Equal(queuedSends(s), queuedSends(inProcess)) {
		t.Errorf("with the merger failing once (%d failures): run %+v, sent %v; want it complete as in process: %d planned, %v",
			failures, got, queuedSends(s), want.Planned, queuedSends(inProcess))
	}
}

// TestFanoutCapsHoldWhenPrioritiesMoveBetweenPasses changes the catalog between the
// passes, as learning models would: every fibre offer's priority rises tenfold, so
// all of them now rank above the first pass's cutoff. The segments' quotas keep the
// cap.
func TestFanoutCapsHoldWhenPrioritiesMoveBetweenPasses(t *testing.T) {
	ctx := context.Background()
	const caps = "[{action: fibre-upgrade, max: 10}]"
	clk := &clock{t: t0}
	w := newCappedFanout(t, caps, clk)
	s, p, runs, queue, f := w.store, w.p, w.runs, w.queue, w.f
	if _, _, err := f.Start(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	for range p.Segments { // the first pass
		item, _ := queue.pop()
		if _, err := f.Work(ctx, item); err != nil {
			t.Fatal(err)
		}
	}
	before := s.catalog
	s.catalog = reparse(t, strings.Replace(string(mustRead(t, "../decision/testdata/catalog.yaml")), "value: 120", "value: 1200", 1), caps)
	clk.t = t0.Add(time.Hour) // past the catalog cache's age
	for item, ok := queue.pop(); ok; item, ok = queue.pop() {
		if _, err := f.Work(ctx, item); err != nil {
			t.Fatal(err)
		}
	}
	got := runs.runs["r1"].Summary
	if got == nil || got.Volume["action=fibre-upgrade"].Sent != 10 || got.ByAction["fibre-upgrade"] != 10 || before == s.catalog {
		t.Errorf("fanned-out run after the priorities moved = %+v, want exactly 10 fibre sends", got)
	}
}
