package service_test

import (
	"context"
	"maps"
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
}

func (q *memWork) EnqueueWork(_ context.Context, items []service.WorkItem) error {
	q.mu.Lock()
	defer q.mu.Unlock()
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

// memSketches keeps sketches in memory, with the store's merge-once barrier.
type memSketches struct {
	mu       sync.Mutex
	sketches map[int]service.SketchData
	merged   bool
}

func (m *memSketches) PutSketch(_ context.Context, _ string, seg, segments int, d service.SketchData, _ time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sketches[seg] = d
	if len(m.sketches) < segments || m.merged {
		return false, nil
	}
	m.merged = true
	return true, nil
}

func (m *memSketches) Sketches(context.Context, string) (map[int]service.SketchData, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.sketches), nil
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
			inProcess := newMemStore(t, volumeBase(90)...)
			withVolume(t, inProcess, tt.caps)
			want, err := newPlanner(inProcess, &clock{t0}).Run(ctx, "r1", false)
			if err != nil {
				t.Fatal(err)
			}

			s := newMemStore(t, volumeBase(90)...)
			withVolume(t, s, tt.caps)
			p := newPlanner(s, &clock{t0})
			runs := &memRuns{runs: map[string]service.RunRecord{}}
			p.Runs = runs
			queue := &memWork{}
			f := &service.Fanout{Planner: p, Queue: queue, Sketches: &memSketches{sketches: map[int]service.SketchData{}}}
			started, err := f.Start(ctx, "r1")
			if err != nil || len(started.Pending) != p.Segments || len(queue.items) != p.Segments {
				t.Fatalf("Start(r1) = %+v, %v with %d items queued; want %d pending segments and items", started, err, len(queue.items), p.Segments)
			}
			// SQS delivers at least once: every item arrives twice.
			queue.items = append(queue.items, queue.items...)
			for item, ok := queue.pop(); ok; item, ok = queue.pop() {
				if err := f.Work(ctx, item); err != nil {
					t.Fatalf("Work(%+v) error: %v", item, err)
				}
			}
			got := runs.runs["r1"].Summary
			if got == nil {
				t.Fatal("the fanned-out run did not complete")
			}
			if got.Planned != want.Planned || !maps.Equal(got.ByChannel, want.ByChannel) || !maps.Equal(got.Volume, want.Volume) {
				t.Errorf("fanned-out run = %d planned, %v, %v; want %d, %v, %v like the in-process run",
					got.Planned, got.ByChannel, got.Volume, want.Planned, want.ByChannel, want.Volume)
			}
			if !maps.Equal(queuedSends(s), queuedSends(inProcess)) {
				t.Errorf("fanned-out run sent %v, want %v", queuedSends(s), queuedSends(inProcess))
			}
			if again, err := f.Start(ctx, "r1"); err != nil || again.Planned != want.Planned || len(queue.items) != 0 {
				t.Errorf("Start(r1) again = %+v, %v, %d items; want the summary and nothing enqueued", again, err, len(queue.items))
			}
		})
	}
}

// TestFanoutCapsHoldWhenPrioritiesMoveBetweenPasses changes the catalog between the
// passes, as learning models would: every fibre offer's priority rises tenfold, so
// all of them now rank above the first pass's cutoff. The segments' quotas keep the
// cap.
func TestFanoutCapsHoldWhenPrioritiesMoveBetweenPasses(t *testing.T) {
	ctx := context.Background()
	const caps = "[{action: fibre-upgrade, max: 10}]"
	s := newMemStore(t, volumeBase(90)...)
	withVolume(t, s, caps)
	clk := &clock{t0}
	p := newPlanner(s, clk)
	runs := &memRuns{runs: map[string]service.RunRecord{}}
	p.Runs = runs
	queue := &memWork{}
	f := &service.Fanout{Planner: p, Queue: queue, Sketches: &memSketches{sketches: map[int]service.SketchData{}}}
	if _, err := f.Start(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	for range p.Segments { // the first pass
		item, _ := queue.pop()
		if err := f.Work(ctx, item); err != nil {
			t.Fatal(err)
		}
	}
	before := s.catalog
	s.catalog = reparse(t, strings.Replace(string(mustRead(t, "../decision/testdata/catalog.yaml")), "value: 120", "value: 1200", 1), caps)
	clk.t = t0.Add(time.Hour) // past the catalog cache's age
	for item, ok := queue.pop(); ok; item, ok = queue.pop() {
		if err := f.Work(ctx, item); err != nil {
			t.Fatal(err)
		}
	}
	got := runs.runs["r1"].Summary
	if got == nil || got.Volume["action=fibre-upgrade"].Sent != 10 || got.ByAction["fibre-upgrade"] != 10 || before == s.catalog {
		t.Errorf("fanned-out run after the priorities moved = %+v, want exactly 10 fibre sends", got)
	}
}
