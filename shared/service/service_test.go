package service_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

func newDecider(s *memStore, c *clock) *service.Decider {
	n := 0
	return &service.Decider{
		Catalog: service.NewCatalogSnapshot(s, service.DefaultCatalogMaxAge, c.now), Models: service.NewModelsSnapshot(s, service.DefaultModelsMaxAge, c.now),
		Customers: s, Log: s, Now: c.now,
		NewID: func() string { n++; return fmt.Sprintf("d%d", n) },
	}
}

func newRecorder(s *memStore, c *clock) *service.Recorder {
	return &service.Recorder{Catalog: service.NewCatalogSnapshot(s, service.DefaultCatalogMaxAge, c.now),
		Models: service.NewModelsSnapshot(s, service.DefaultModelsMaxAge, c.now), Decisions: s, Responses: s, Now: c.now}
}

// newSender delivers through the given providers, by channel.
func newSender(s *memStore, c *clock, providers map[string]service.Provider) *service.Sender {
	return &service.Sender{Catalog: service.NewCatalogSnapshot(s, service.DefaultCatalogMaxAge, c.now), Customers: s, Seen: s,
		Recorder: newRecorder(s, c), Providers: providers, Now: c.now}
}

func TestDecideLogsTheDecision(t *testing.T) {
	s := newMemStore(t, profile("C1"))
	d, err := newDecider(s, &clock{t: t0}).Decide(context.Background(), decision.Request{CustomerID: "C1", Channel: "web"})
	if err != nil {
		t.Fatalf("Decide error: %v", err)
	}
	logged, ok := s.decisions[d.DecisionID]
	if !ok || logged.CustomerID != "C1" || len(logged.Offers) != len(d.Actions) {
		t.Errorf("logged decision = %+v, want the decision %s with %d offers", logged, d.DecisionID, len(d.Actions))
	}
}

func TestDecideRejectsInvalidRequestWithoutReading(t *testing.T) {
	s := newMemStore(t)
	_, err := newDecider(s, &clock{t: t0}).Decide(context.Background(), decision.Request{CustomerID: "C1", Channel: "fax"})
	if decision.ErrorCode(err) != decision.EInvalid {
		t.Fatalf("Decide(fax) error = %v, want invalid", err)
	}
	if len(s.decisions) != 0 {
		t.Errorf("Decide(fax) logged %d decisions, want none", len(s.decisions))
	}
}

func TestRecordResponse(t *testing.T) {
	ctx := context.Background()
	s := newMemStore(t, profile("C1"))
	clk := &clock{t: t0}
	d, err := newDecider(s, clk).Decide(ctx, decision.Request{CustomerID: "C1", Channel: "web"})
	if err != nil || len(d.Actions) == 0 {
		t.Fatalf("Decide = %+v, %v; want an action", d, err)
	}
	action := d.Actions[0].ActionID
	key := decision.ModelKey{ActionID: action, Channel: "web"}
	resp := func(outcome, id string) decision.Response {
		return decision.Response{DecisionID: d.DecisionID, CustomerID: "C1", ActionID: action, Channel: "web", Outcome: outcome, ResponseID: id}
	}
	rec := newRecorder(s, clk)
	// The attacks of issue 13 on one offer: more impressions and successes under new
	// ids, and another customer reusing the decision's ids. Whatever is sent, the
	// offer counts one impression and one success.
	steps := []struct {
		name        string
		resp        decision.Response
		wantCode    string
		wantDup     bool
		wantCounted bool
		wantCount   [2]int64 // impressions, successes
	}{
		{"impression", resp("impression", "r1"), "", false, true, [2]int64{1, 0}},
		{"second impression, new id", resp("impression", "r1b"), "", true, false, [2]int64{1, 0}},
		{"click", resp("click", "r2"), "", false, true, [2]int64{1, 1}},
		{"duplicate click", resp("click", "r2"), "", true, false, [2]int64{1, 1}},
		{"five more clicks, new ids", resp("click", "r2b"), "", false, false, [2]int64{1, 1}},
		{"conversion after the click", resp("convert", "r2c"), "", false, false, [2]int64{1, 1}},
		{"accept after the click, default id", resp("accept", ""), "", false, false, [2]int64{1, 1}},
		{"reject counts no positive", resp("reject", "r3"), "", false, false, [2]int64{1, 1}},
		{"unknown decision", decision.Response{DecisionID: "nope", CustomerID: "C1", ActionID: action, Channel: "web", Outcome: "click"}, decision.ENotFound, false, false, [2]int64{1, 1}},
		{"other customer, said as unknown", decision.Response{DecisionID: d.DecisionID, CustomerID: "C2", ActionID: action, Channel: "web", Outcome: "click", ResponseID: "r9"}, decision.ENotFound, false, false, [2]int64{1, 1}},
		{"action not offered", decision.Response{DecisionID: d.DecisionID, CustomerID: "C1", ActionID: "tv-pack", Channel: "web", Outcome: "click"}, decision.EConflict, false, false, [2]int64{1, 1}},
		{"unknown outcome", resp("love", "r4"), decision.EInvalid, false, false, [2]int64{1, 1}},
	}
	for _, st := range steps {
		got, err := rec.Record(ctx, st.resp)
		if decision.ErrorCode(err) != st.wantCode && !(err == nil && st.wantCode == "") {
			t.Errorf("%s: Record error = %v, want code %q", st.name, err, st.wantCode)
		}
		if err == nil && (got.Duplicate != st.wantDup || got.Counted != st.wantCounted) {
			t.Errorf("%s: Record = %+v, want duplicate %v, counted %v", st.name, got, st.wantDup, st.wantCounted)
		}
		if imp, succ := s.totals(key); [2]int64{imp, succ} != st.wantCount {
			t.Errorf("%s: impressions, successes = %d, %d; want %v", st.name, imp, succ, st.wantCount)
		}
	}
	// Every response but the repeated impression and the duplicate stays in the
	// contact history, for reports: one impression, six responses.
	history := s.profiles["C1"].History
	impressions := 0
	for _, e := range history {
		if e.Kind == decision.KindImpression {
			impressions++
		}
	}
	if impressions != 1 || len(history) != 6 {
		t.Errorf("contact history holds %d entries, %d impressions; want 6 and 1", len(history), impressions)
	}
}

func TestLateResponses(t *testing.T) {
	ctx := context.Background()
	s := newMemStore(t, profile("C1"))
	clk := &clock{t: t0}
	d, _ := newDecider(s, clk).Decide(ctx, decision.Request{CustomerID: "C1", Channel: "web"})
	resp := decision.Response{DecisionID: d.DecisionID, CustomerID: "C1", ActionID: d.Actions[0].ActionID, Channel: "web", Outcome: "click"}
	clk.t = t0.Add(29 * 24 * time.Hour)
	if _, err := newRecorder(s, clk).Record(ctx, resp); err != nil {
		t.Errorf("Record 29 days later error = %v, want accepted within the 30-day window", err)
	}
	clk.t = t0.Add(31 * 24 * time.Hour)
	resp.ResponseID = "late"
	if _, err := newRecorder(s, clk).Record(ctx, resp); decision.ErrorCode(err) != decision.ENotFound {
		t.Errorf("Record 31 days later error = %v, want not found", err)
	}
}

func TestSnapshotServesStaleValueWhenReloadFails(t *testing.T) {
	s := newMemStore(t)
	clk := &clock{t: t0}
	snap := service.NewModelsSnapshot(s, service.DefaultModelsMaxAge, clk.now)
	s.counters[decision.ModelKey{ActionID: "a", Channel: "web"}] = map[adaptive.Key]int64{{Predictor: "*"}: 1}
	first, err := snap.Get(context.Background())
	if err != nil || first.Len() != 1 {
		t.Fatalf("Get = %v, %v; want 1 model", first.Len(), err)
	}
	s.counters[decision.ModelKey{ActionID: "b", Channel: "web"}] = map[adaptive.Key]int64{{Predictor: "*"}: 1}
	if got, _ := snap.Get(context.Background()); got.Len() != 1 {
		t.Errorf("Get within max age = %d models, want the cached 1", got.Len())
	}
	clk.t = clk.t.Add(service.DefaultModelsMaxAge)
	if got, _ := snap.Get(context.Background()); got.Len() != 2 {
		t.Errorf("Get after max age = %d models, want the reloaded 2", got.Len())
	}
	s.failLoad = errors.New("throttled")
	clk.t = clk.t.Add(service.DefaultModelsMaxAge)
	got, err := snap.Get(context.Background())
	if err != nil || got.Len() != 2 || snap.Stale() == nil {
		t.Errorf("Get with failing store = %d models, %v, stale %v; want the last good 2 and a stale error", got.Len(), err, snap.Stale())
	}
	// The store recovers: the failed reload is tried again after about a second, not
	// a whole max age, so answers stop being degraded soon after.
	s.failLoad = nil
	s.counters[decision.ModelKey{ActionID: "c", Channel: "web"}] = map[adaptive.Key]int64{{Predictor: "*"}: 1}
	clk.t = clk.t.Add(500 * time.Millisecond)
	if got, _ := snap.Get(context.Background()); got.Len() != 2 || snap.Stale() == nil {
		t.Errorf("Get half a second after a failure = %d models, stale %v; want the cached 2, still stale", got.Len(), snap.Stale())
	}
	clk.t = clk.t.Add(600 * time.Millisecond)
	if got, _ := snap.Get(context.Background()); got.Len() != 3 || snap.Stale() != nil {
		t.Errorf("Get a second after a failure, the store back = %d models, stale %v; want the reloaded 3", got.Len(), snap.Stale())
	}
}

func TestSnapshotFailsWhenNeverLoaded(t *testing.T) {
	s := newMemStore(t)
	s.failLoad = errors.New("no table")
	if _, err := service.NewCatalogSnapshot(s, service.DefaultCatalogMaxAge, (&clock{t: t0}).now).Get(context.Background()); err == nil {
		t.Error("Get with a failing store and nothing cached = nil error, want the load error")
	}
}

func TestUnsubscribeWithdrawsConsentForLaterDecisions(t *testing.T) {
	ctx := context.Background()
	s := newMemStore(t, profile("C1", "email", "sms"))
	clk := &clock{t: t0}
	d, err := newDecider(s, clk).Decide(ctx, decision.Request{CustomerID: "C1", Channel: "email"})
	if err != nil || len(d.Actions) == 0 {
		t.Fatalf("Decide(email) = %+v, %v; want an e-mail", d, err)
	}
	if _, err := newRecorder(s, clk).Record(ctx, decision.Response{DecisionID: d.DecisionID, CustomerID: "C1",
		ActionID: d.Actions[0].ActionID, Channel: "email", Outcome: "unsubscribe"}); err != nil {
		t.Fatal(err)
	}
	again, _ := newDecider(s, clk).Decide(ctx, decision.Request{CustomerID: "C1", Channel: "email"})
	if again.Silence == nil || again.Silence.Reason != decision.SilenceNoConsent {
		t.Errorf("Decide(email) after an unsubscribe = %+v, want silence for no consent", again)
	}
}
