package console

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestReportCache: a report is computed once however many pages wait for it, served
// as kept while it is younger than ReportMaxAge, served as kept and computed again in
// the background once older, and a failed computation is said to its waiters and not
// kept.
func TestReportCache(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	c := &reportCache[int]{clock: clock}
	var computed atomic.Int32
	release := make(chan struct{})
	compute := func(context.Context) (int, error) {
		<-release
		return int(computed.Add(1)), nil
	}
	ctx := context.Background()

	// Five pages at once with nothing kept: one computation, which all of them get.
	var wg sync.WaitGroup
	got := make([]int, 5)
	for i := range got {
		wg.Go(func() { got[i], _, _ = c.get(ctx, "k", compute) })
	}
	close(release)
	wg.Wait()
	for i, g := range got {
		if g != 1 {
			t.Errorf("page %d got report %d, want 1 (one computation)", i, g)
		}
	}
	if r, _, _ := c.get(ctx, "k", compute); r != 1 || computed.Load() != 1 {
		t.Errorf("a fresh report: got %d after %d computations, want the kept 1", r, computed.Load())
	}

	// Past its age the kept one is served while the next one is computed.
	advance(ReportMaxAge)
	if r, _, _ := c.get(ctx, "k", compute); r != 1 {
		t.Errorf("an old report: got %d, want the kept 1 at once", r)
	}
	c.mu.Lock()
	running := c.running["k"]
	c.mu.Unlock()
	if running == nil {
		t.Fatal("an old report was served without a new computation")
	}
	<-running.done
	if r, at, _ := c.get(ctx, "k", compute); r != 2 || !at.Equal(clock()) {
		t.Errorf("after the background computation: got %d computed at %v, want 2 at %v", r, at, clock())
	}

	// A failure reaches the page waiting for it and is not kept.
	fail := func(context.Context) (int, error) { return 0, errors.New("the table is unreachable") }
	if _, _, err := c.get(ctx, "bad", fail); err == nil {
		t.Error("a failed computation answered no error")
	}
	c.mu.Lock()
	_, kept := c.kept["bad"]
	c.mu.Unlock()
	if kept {
		t.Error("a failed computation was kept")
	}

	// A page that gives up does not wait for the computation.
	gaveUp, cancel := context.WithCancel(ctx)
	cancel()
	block := make(chan struct{})
	defer close(block)
	if _, _, err := c.get(gaveUp, "slow", func(context.Context) (int, error) { <-block; return 0, nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("a page that gave up got %v, want context.Canceled", err)
	}
}

// TestReportCacheBound keeps at most reportsKept reports, dropping the oldest.
func TestReportCacheBound(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	c := &reportCache[int]{clock: func() time.Time { return now }}
	c.mu.Lock()
	c.kept = map[string]cachedReport[int]{}
	for i := range reportsKept + 3 {
		c.keepLocked(string(rune('a'+i)), cachedReport[int]{i, now.Add(time.Duration(i) * time.Second)})
	}
	defer c.mu.Unlock()
	if len(c.kept) != reportsKept {
		t.Fatalf("kept %d reports, want %d", len(c.kept), reportsKept)
	}
	for i := range 3 {
		if _, ok := c.kept[string(rune('a'+i))]; ok {
			t.Errorf("report %d, among the oldest, is still kept", i)
		}
	}
}
