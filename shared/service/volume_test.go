package service_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

// withVolume replaces the store's catalog with the test catalog plus the given
// volume constraints (YAML flow sequence).
func withVolume(t *testing.T, s *memStore, constraints string) {
	t.Helper()
	s.catalog = reparse(t, string(mustRead(t, "../decision/testdata/catalog.yaml")), constraints)
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// reparse parses a catalog source with the given volume constraints, versioned after
// its content.
func reparse(t *testing.T, src, constraints string) *decision.Catalog {
	t.Helper()
	src = strings.Replace(src, "settings:\n", "settings:\n  volumeConstraints: "+constraints+"\n", 1)
	c, err := decision.ParseCatalog("catalog.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c.Version = fmt.Sprintf("volume-%x", crc32.ChecksumIEEE([]byte(src)))
	return c
}

// volumeBase is n customers: a third consent to e-mail only (and get the loyalty
// bonus by e-mail), a third to SMS only, a third to both (the fibre SMS wins).
func volumeBase(n int) []decision.Profile {
	var out []decision.Profile
	for i := range n {
		consents := [][]string{{"email"}, {"sms"}, {"email", "sms"}}[i%3]
		out = append(out, profile(fmt.Sprintf("C%04d", i), consents...))
	}
	return out
}

// sent is a planned send as the queue holds it.
type sent struct{ customer, action, channel string }

func queuedSends(s *memStore) map[sent]bool {
	out := map[sent]bool{}
	for _, msgs := range s.queued {
		for _, m := range msgs {
			out[sent{m.CustomerID, m.ActionID, m.Channel}] = true
		}
	}
	return out
}

// bestOf returns, per constraint, the top max sends of an uncapped run by rank: the
// sends a capped run must make.
func bestOf(s *memStore, constraints []decision.VolumeConstraint) map[sent]bool {
	type ranked struct {
		sent
		rank service.Rank
	}
	var all []ranked
	for _, msgs := range s.queued {
		for _, m := range msgs {
			all = append(all, ranked{sent{m.CustomerID, m.ActionID, m.Channel}, service.RankOf(m.CustomerID, s.decisions[m.DecisionID].Offers[0].Priority)})
		}
	}
	slices.SortFunc(all, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(b.rank.Priority, a.rank.Priority), cmp.Compare(a.rank.Tie, b.rank.Tie))
	})
	taken := make([]int, len(constraints))
	want := map[sent]bool{}
	for _, r := range all {
		ok := true
		for i, c := range constraints {
			if c.Covers(r.action, r.channel) && c.Max > 0 && taken[i] >= c.Max {
				ok = false
			}
		}
		if !ok {
			continue
		}
		for i, c := range constraints {
			if c.Covers(r.action, r.channel) {
				taken[i]++
			}
		}
		want[r.sent] = true
	}
	return want
}

func TestVolumeCapsHoldExactlyAcrossSegments(t *testing.T) {
	const caps = "[{action: fibre-upgrade, max: 10}, {channel: email, max: 7, min: 3}, {action: loyalty-points, min: 1}]"
	base := volumeBase(90)
	uncapped := newMemStore(t, base...)
	if _, err := newPlanner(uncapped, &clock{t: t0}).Run(context.Background(), "r", false); err != nil {
		t.Fatal(err)
	}
	probe := newMemStore(t)
	withVolume(t, probe, caps)
	constraints := probe.catalog.Settings.VolumeConstraints
	want := bestOf(uncapped, constraints)

	for _, segments := range []int{1, 2, 3, 7} {
		t.Run(fmt.Sprintf("%d segments", segments), func(t *testing.T) {
			s := newMemStore(t, base...)
			withVolume(t, s, caps)
			p := newPlanner(s, &clock{t: t0})
			p.Segments = segments
			sum, err := p.Run(context.Background(), "r", false)
			if err != nil {
				t.Fatalf("Run error: %v", err)
			}
			wantVolume := map[string]service.VolumeUse{
				"action=fibre-upgrade":  {Max: 10, Candidates: 60, Sent: 10},
				"channel=email":         {Max: 7, Min: 3, Candidates: 30, Sent: 7},
				"action=loyalty-points": {Min: 1, BelowMin: true},
			}
			if !maps.Equal(sum.Volume, wantVolume) {
				t.Errorf("Run(%d segments).Volume = %+v, want %+v", segments, sum.Volume, wantVolume)
			}
			if sum.Planned != 17 || sum.Silences[service.SilenceVolumeCap] != 73 {
				t.Errorf("Run(%d segments) planned %d, cut %d by volume; want 17 and 73", segments, sum.Planned, sum.Silences[service.SilenceVolumeCap])
			}
			if got := queuedSends(s); !maps.Equal(got, want) {
				t.Errorf("Run(%d segments) sent %v, want the best-ranked %v", segments, got, want)
			}
		})
	}
}

func TestOverlappingVolumeCapsHold(t *testing.T) {
	tests := []struct {
		caps string
		want map[string]int // most sends per constraint
	}{
		{"[{action: fibre-upgrade, max: 10}, {channel: sms, max: 4}]", map[string]int{"action=fibre-upgrade": 10, "channel=sms": 4}},
		{"[{action: fibre-upgrade, channel: sms, max: 6}, {channel: sms, max: 9}]", map[string]int{"action=fibre-upgrade channel=sms": 6, "channel=sms": 9}},
		{"[{channel: email, max: 1000}]", map[string]int{"channel=email": 1000}},
	}
	for _, tt := range tests {
		s := newMemStore(t, volumeBase(60)...)
		withVolume(t, s, tt.caps)
		sum, err := newPlanner(s, &clock{t: t0}).Run(context.Background(), "r", false)
		if err != nil {
			t.Fatalf("Run(%s) error: %v", tt.caps, err)
		}
		for _, c := range s.catalog.Settings.VolumeConstraints {
			n := 0
			for snd := range queuedSends(s) {
				if c.Covers(snd.action, snd.channel) {
					n++
				}
			}
			if n > tt.want[c.Name()] || n != sum.Volume[c.Name()].Sent {
				t.Errorf("Run(%s): %s sent %d (summary %d), want at most %d", tt.caps, c.Name(), n, sum.Volume[c.Name()].Sent, tt.want[c.Name()])
			}
		}
	}
}

func TestVolumeDryRunShowsTheCapsAndSendsNothing(t *testing.T) {
	s := newMemStore(t, volumeBase(30)...)
	withVolume(t, s, "[{channel: sms, max: 5}]")
	sum, err := newPlanner(s, &clock{t: t0}).Run(context.Background(), "dry", true)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Volume["channel=sms"].Sent != 5 || sum.Planned != 15 || len(s.queued) != 0 {
		t.Errorf("Run(dry) = %d planned, sms %+v, queued %v; want 15 planned, 5 sms, nothing queued", sum.Planned, sum.Volume["channel=sms"], s.queued)
	}
}

// memRuns keeps run records in memory.
type memRuns struct {
	mu   sync.Mutex
	runs map[string]service.RunRecord
}

func (m *memRuns) GetRun(_ context.Context, id string) (service.RunRecord, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.runs[id]
	rec.Done = maps.Clone(rec.Done)
	return rec, ok, nil
}

func (m *memRuns) PutRun(_ context.Context, rec service.RunRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec.Done = m.runs[rec.RunID].Done
	m.runs[rec.RunID] = rec
	return nil
}

func (m *memRuns) PutRunSegment(_ context.Context, id string, seg int, sum service.RunSummary) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.runs[id]
	if !ok {
		return errors.New("segment before its run")
	}
	if rec.Done == nil {
		rec.Done = map[int]service.RunSummary{}
	}
	rec.Done[seg] = sum
	m.runs[id] = rec
	return nil
}

// flakyOutbox fails its first Enqueue, so one segment of a run fails.
type flakyOutbox struct {
	*memStore
	mu     sync.Mutex
	failed bool
}

func (f *flakyOutbox) Enqueue(ctx context.Context, channel string, msgs []service.OutboundMessage) error {
	f.mu.Lock()
	fail := !f.failed
	f.failed = true
	f.mu.Unlock()
	if fail {
		return errors.New("throttled")
	}
	return f.memStore.Enqueue(ctx, channel, msgs)
}

func queuedCount(s *memStore) int {
	n := 0
	for _, msgs := range s.queued {
		n += len(msgs)
	}
	return n
}

func TestRunIsIdempotentAndRetriesAFailedSegmentAlone(t *testing.T) {
	ctx := context.Background()
	s := newMemStore(t, volumeBase(60)...)
	withVolume(t, s, "[{channel: sms, max: 12}]")
	runs := &memRuns{runs: map[string]service.RunRecord{}}
	clk := &clock{t: t0}
	p := newPlanner(s, clk)
	p.Runs = runs
	p.Outbox = &flakyOutbox{memStore: s}

	if _, err := p.Run(ctx, "r1", false); err == nil || !strings.Contains(err.Error(), "failed; run the same run id again") {
		t.Fatalf("Run with a failing segment error = %v, want the failed segment named", err)
	}
	failed := -1
	for seg := range p.Segments {
		if _, done := runs.runs["r1"].Done[seg]; !done {
			failed = seg
		}
	}
	partial := queuedCount(s)
	if len(runs.runs["r1"].Done) != p.Segments-1 || failed < 0 {
		t.Fatalf("run record after a failed segment = %+v, want all segments but one done", runs.runs["r1"])
	}
	if _, err := p.RunSegment(ctx, "nope", 1); decision.ErrorCode(err) != decision.ENotFound {
		t.Errorf("RunSegment(unknown run) error = %v, want not found", err)
	}
	if _, err := p.RunSegment(ctx, "r1", 3); decision.ErrorCode(err) != decision.EInvalid {
		t.Errorf("RunSegment(segment 3 of 3) error = %v, want invalid", err)
	}
	clk.t = t0.Add(time.Hour) // the retry plans with the run's own clock
	sum, err := p.RunSegment(ctx, "r1", failed)
	if err != nil || len(sum.Pending) != 0 {
		t.Fatalf("RunSegment(r1, %d) = %+v, %v; want the run complete", failed, sum, err)
	}
	if !sum.StartedAt.Equal(t0) || sum.Volume["channel=sms"].Sent != 12 || queuedCount(s) != sum.Planned || partial >= sum.Planned {
		t.Errorf("after the retry: started %v, sms %+v, queued %d of %d planned (%d before); want t0, 12 sms, all queued once",
			sum.StartedAt, sum.Volume["channel=sms"], queuedCount(s), sum.Planned, partial)
	}
	again, err := p.Run(ctx, "r1", false)
	if err != nil || again.Planned != sum.Planned || queuedCount(s) != sum.Planned {
		t.Errorf("Run(r1) again = %d planned, %v, %d queued; want the same summary and nothing new queued", again.Planned, err, queuedCount(s))
	}
	if rec := runs.runs["r1"]; rec.Summary == nil || rec.Summary.Forecast["fibre-upgrade"].ExpectedResponses <= 0 {
		t.Errorf("run record = %+v, want the summary with its forecast", rec)
	}
}
