package service_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

func newPlanner(s *memStore, c *clock) *service.Planner {
	return &service.Planner{Catalog: service.NewCatalogSnapshot(s, service.DefaultCatalogMaxAge, c.now), Models: service.NewModelsSnapshot(s, service.DefaultModelsMaxAge, c.now),
		Customers: s, Log: s, Outbox: s, Now: c.now, Segments: 3}
}

func batchBase() []decision.Profile {
	capped := profile("C3", "email", "sms")
	capped.History = []decision.ContactEvent{
		{At: t0.Add(-time.Hour), Kind: decision.KindImpression, ActionID: "loyalty-bonus", Channel: "email"},
		{At: t0.Add(-2 * time.Hour), Kind: decision.KindImpression, ActionID: "fibre-upgrade", Channel: "sms"},
	}
	return []decision.Profile{profile("C1", "email"), profile("C2", "sms"), capped, profile("C4")}
}

func TestPlannerRun(t *testing.T) {
	s := newMemStore(t, batchBase()...)
	sum, err := newPlanner(s, &clock{t: t0}).Run(context.Background(), "run-1", false)
	if err != nil {
		t.Fatalf("Run error: %v", err)
	}
	if sum.Scanned != 4 || sum.Planned != 2 {
		t.Errorf("Run scanned %d planned %d, want 4 and 2", sum.Scanned, sum.Planned)
	}
	if sum.Silences[decision.SilenceNoConsent] != 1 || sum.Silences[decision.SilenceContactCap] != 1 {
		t.Errorf("Run silences = %v, want one no_consent and one contact_cap", sum.Silences)
	}
	if len(s.queued["email"]) != 1 || len(s.queued["sms"]) != 1 {
		t.Errorf("Run queued %v, want one email and one sms", s.queued)
	}
	for _, msgs := range s.queued {
		for _, m := range msgs {
			if _, ok := s.decisions[m.DecisionID]; !ok {
				t.Errorf("message %s has no logged decision", m.DecisionID)
			}
		}
	}
	var forecast float64
	for _, f := range sum.Forecast {
		forecast += f.ExpectedResponses
	}
	if forecast <= 0 || forecast > 2 {
		t.Errorf("Run forecast %.3f expected responses, want in (0, 2]", forecast)
	}
}

func TestPlannerDryRunEnqueuesNothing(t *testing.T) {
	s := newMemStore(t, batchBase()...)
	sum, err := newPlanner(s, &clock{t: t0}).Run(context.Background(), "dry", true)
	if err != nil || sum.Planned != 2 {
		t.Fatalf("Run(dry) = %+v, %v; want 2 planned", sum, err)
	}
	if len(s.queued) != 0 || len(s.decisions) != 0 {
		t.Errorf("Run(dry) queued %v and logged %d decisions, want nothing", s.queued, len(s.decisions))
	}
}

// plannedEmail runs the batch over batchBase and returns the first e-mail it queued.
func plannedEmail(t *testing.T) (*memStore, *clock, service.OutboundMessage) {
	t.Helper()
	s := newMemStore(t, batchBase()...)
	clk := &clock{t: t0}
	if _, err := newPlanner(s, clk).Run(context.Background(), "run-1", false); err != nil {
		t.Fatal(err)
	}
	return s, clk, s.queued["email"][0]
}

type failingProvider struct{ err error }

func (p *failingProvider) Deliver(context.Context, service.Delivery) error { return p.err }

type recordingProvider struct{ got []service.Delivery }

func (p *recordingProvider) Deliver(_ context.Context, d service.Delivery) error {
	p.got = append(p.got, d)
	return nil
}

func TestSenderSendsOnceAndRecordsTheImpression(t *testing.T) {
	ctx := context.Background()
	s, clk, msg := plannedEmail(t)
	provider := &recordingProvider{}
	sender := newSender(s, clk, map[string]service.Provider{"email": provider})

	for i, want := range []string{service.Delivered, service.Duplicate} {
		got, err := sender.Send(ctx, msg)
		if err != nil || got.Status != want {
			t.Errorf("Send #%d = %+v, %v; want %s", i+1, got, err, want)
		}
	}
	if len(provider.got) != 1 || provider.got[0].Content["subject"] != "Ada, a gift" {
		t.Errorf("deliveries = %+v, want one rendered e-mail", provider.got)
	}
	if imp, _ := s.totals(decision.ModelKey{ActionID: msg.ActionID, Channel: "email"}); imp != 1 {
		t.Errorf("impressions after delivery = %v, want 1", imp)
	}
	// The delivery is now in the contact history, so a second e-mail this week is capped.
	second := msg
	second.DecisionID = "another"
	if got, err := sender.Send(ctx, second); err != nil || got.Status != service.Skipped || got.Reason != decision.SilenceContactCap {
		t.Errorf("Send(second e-mail) = %+v, %v; want skipped for the contact cap", got, err)
	}
}

func TestSenderProviderFailureIsRetryable(t *testing.T) {
	ctx := context.Background()
	s, clk, msg := plannedEmail(t)
	sender := newSender(s, clk, map[string]service.Provider{"email": &failingProvider{errors.New("smtp down")}})
	if _, err := sender.Send(ctx, msg); err == nil {
		t.Fatal("Send with a failing provider = nil error, want an error so the queue retries")
	}
	if seen, _ := s.ImpressionRecorded(ctx, msg.DecisionID, msg.ActionID); seen {
		t.Error("a failed delivery was recorded as delivered")
	}
}

func TestSenderSkipsWithdrawnConsent(t *testing.T) {
	ctx := context.Background()
	s, clk, msg := plannedEmail(t)
	p := s.profiles[msg.CustomerID]
	p.Consents = map[string]bool{}
	s.profiles[msg.CustomerID] = p
	sender := newSender(s, clk, map[string]service.Provider{"email": &recordingProvider{}})
	if got, err := sender.Send(ctx, msg); err != nil || got.Reason != decision.SilenceNoConsent {
		t.Errorf("Send after consent withdrawn = %+v, %v; want skipped for no consent", got, err)
	}
}

// TestBatchTeachesTheBaseline: a batch run of a catalog that ranks by uplift counts
// each silence-group decision it logs once in its channel's baseline model, and a
// re-run of the same run adds nothing.
func TestBatchTeachesTheBaseline(t *testing.T) {
	var base []decision.Profile
	for i := range 60 {
		base = append(base, profile(fmt.Sprintf("B%03d", i), "email", "sms"))
	}
	s := newMemStore(t, base...)
	data, err := os.ReadFile("../decision/testdata/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(data), "silenceThreshold: 0.05", "silenceThreshold: 0.05\n  arbitration: uplift\n  controlGroups: {silenceShare: 0.4, salt: b}", 1)
	if s.catalog, err = decision.ParseCatalog("catalog.yaml", []byte(src)); err != nil {
		t.Fatal(err)
	}
	p := newPlanner(s, &clock{t: t0})
	p.Baseline = s
	for range 2 {
		if _, err := p.Run(context.Background(), "baseline-run", false); err != nil {
			t.Fatal(err)
		}
	}
	heldOut := 0
	for _, d := range s.decisions {
		if s.catalog.TeachesBaseline(d) {
			heldOut++
		}
	}
	var impressions int64
	for key, counts := range s.counters {
		if key.ActionID == decision.BaselineActionID {
			impressions += counts[adaptive.Key{Predictor: "*"}]
		}
	}
	if heldOut < 10 || impressions != int64(heldOut) {
		t.Errorf("%d held-out decisions logged, %d baseline impressions counted; want at least 10, each counted once", heldOut, impressions)
	}
}
