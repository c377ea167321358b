//go:build integration

package dynamo_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nextbest/nextbest/infra/local/localtest"
	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/dynamo"
	"github.com/nextbest/nextbest/shared/service"
)

var (
	_ service.CustomerReader      = (*dynamo.Store)(nil)
	_ service.CustomerScanner     = (*dynamo.Store)(nil)
	_ service.DecisionWriter      = (*dynamo.Store)(nil)
	_ service.DecisionBatchWriter = (*dynamo.Store)(nil)
	_ service.DecisionReader      = (*dynamo.Store)(nil)
	_ service.ResponseWriter      = (*dynamo.Store)(nil)
	_ service.ResponseChecker     = (*dynamo.Store)(nil)
	_ service.CatalogSource       = (*dynamo.Store)(nil)
	_ service.ModelSource         = (*dynamo.Store)(nil)
)

// TestMain starts DynamoDB Local and the SQS server once; every test creates the
// tables from template.yaml for itself (newStore), so none reads another's items.
func TestMain(m *testing.M) {
	os.Exit(localtest.RunTests(m, "../.."))
}

// newStore is a store over tables of the test's own.
func newStore(t *testing.T) *dynamo.Store {
	return localtest.Storage(t).Store
}

// now is the instant the tests' items are dated by: they never read the wall clock.
var now = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func TestProfileAndRecentHistoryInOneQuery(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	p := decision.Profile{
		CustomerID: "P1", Known: true, TimeZone: "Europe/Paris",
		Attributes: map[string]any{"firstName": "Ada", "tenureMonths": 36.0, "productsHeld": []any{"mobile", "tv"}, "openComplaint": false,
			"address": map[string]any{"city": "Lyon"}},
		Consents: map[string]bool{"email": true, "sms": false},
		History: []decision.ContactEvent{
			{At: now.Add(-2 * time.Hour), Kind: decision.KindImpression, ActionID: "a1", Channel: "email"},
			{At: now.Add(-20 * 24 * time.Hour), Kind: decision.KindImpression, ActionID: "a2", Channel: "sms"},
		},
	}
	if err := s.PutProfiles(ctx, []decision.Profile{p}); err != nil {
		t.Fatal(err)
	}
	got, err := s.LoadCustomer(ctx, "P1", now.Add(-7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Known || got.TimeZone != p.TimeZone || fmt.Sprint(got.Attributes) != fmt.Sprint(p.Attributes) || fmt.Sprint(got.Consents) != fmt.Sprint(p.Consents) {
		t.Errorf("LoadCustomer(P1) = %+v, want %+v", got, p)
	}
	if len(got.History) != 1 || got.History[0].ActionID != "a1" || !got.History[0].At.Equal(p.History[0].At) {
		t.Errorf("LoadCustomer(P1).History = %+v, want only the contact of the last 7 days", got.History)
	}
	unknown, err := s.LoadCustomer(ctx, "nobody", now)
	if err != nil || unknown.Known {
		t.Errorf("LoadCustomer(nobody) = %+v, %v; want an unknown profile and no error", unknown, err)
	}
}

func TestDecisionLog(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	d := decision.LoggedDecision{DecisionID: "L1", CustomerID: "C1", Channel: "web", DecidedAt: now, ExpiresAt: now.Add(time.Hour),
		Offers: []decision.LoggedOffer{{ActionID: "a1", TreatmentID: "t1", Propensity: 0.25, Priority: 3}}}
	if err := s.PutDecision(ctx, d); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		id       string
		at       time.Time
		wantCode string
	}{
		{"logged", "L1", now, ""},
		{"unknown", "L2", now, decision.ENotFound},
		{"expired but not yet removed by TTL", "L1", now.Add(2 * time.Hour), decision.ENotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.GetDecision(ctx, tt.id, tt.at)
			if tt.wantCode != "" {
				if decision.ErrorCode(err) != tt.wantCode {
					t.Errorf("GetDecision(%s) error = %v, want %s", tt.id, err, tt.wantCode)
				}
				return
			}
			if err != nil || fmt.Sprint(got) != fmt.Sprint(d) {
				t.Errorf("GetDecision(%s) = %+v, %v; want %+v", tt.id, got, err, d)
			}
		})
	}
}

func TestCatalogPublishAndLoad(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	source, err := os.ReadFile("../decision/testdata/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	v1, err := s.PublishCatalog(ctx, source, now)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := s.PublishCatalog(ctx, source, now)
	if err != nil {
		t.Fatal(err)
	}
	live, err := s.LiveCatalogVersion(ctx)
	if err != nil || live != v2 || v1 == v2 {
		t.Errorf("after two publishes: versions %s, %s; live %s, %v; want distinct versions with the second live", v1, v2, live, err)
	}
	c, err := s.LoadCatalog(ctx)
	if err != nil || c.Version != v2 || c.ActionCount() != 4 {
		t.Errorf("LoadCatalog = version %v with %d actions, %v; want version %s with 4", c.Version, c.ActionCount(), err, v2)
	}
}

// TestConcurrentResponsesAreExact has many writers record responses at once, one in
// ten being a retry of the writer's previous response (same response id); the model's
// counters must come out exact: nothing lost under contention, no retry counted twice.
// A third of the responses are clicks, the others impressions.
func TestConcurrentResponsesAreExact(t *testing.T) {
	writers, perWriter := 32, 1000
	if testing.Short() {
		perWriter = 50
	}
	ctx := context.Background()
	s := newStore(t)
	key := decision.ModelKey{ActionID: "hot-action", Channel: "web"}

	type send struct {
		id       string
		positive bool
	}
	plans := make([][]send, writers)
	var wantImpressions, wantSuccesses int64
	for w := range writers {
		for i := range perWriter {
			if i%10 == 9 {
				plans[w] = append(plans[w], plans[w][i-1]) // a retry
				continue
			}
			// A third of the responses are clicks, the rest impressions.
			snd := send{id: fmt.Sprintf("w%d-r%d", w, i), positive: i%3 == 0}
			if snd.positive {
				wantSuccesses++
			} else {
				wantImpressions++
			}
			plans[w] = append(plans[w], snd)
		}
	}

	var wg sync.WaitGroup
	errs := make([]error, writers)
	duplicates := make([]int, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, snd := range plans[w] {
				a := decision.Attribution{Model: key,
					Learn: adaptive.Delta{
						{Key: adaptive.Key{Predictor: "*", Positive: snd.positive}, N: 1},
						{Key: adaptive.Key{Predictor: "segment", Positive: snd.positive, Bin: fmt.Sprintf("s%d", w%4)}, N: 1},
					},
					Contact: decision.ContactEvent{At: now, Kind: decision.KindImpression, ActionID: key.ActionID, Channel: "web"}}
				dup, err := s.RecordResponse(ctx, fmt.Sprintf("W%d", w), snd.id, a, now.Add(time.Hour))
				if err != nil {
					errs[w] = err
					return
				}
				if dup {
					duplicates[w]++
				}
			}
		}()
	}
	wg.Wait()
	totalDuplicates := 0
	for w := range writers {
		if errs[w] != nil {
			t.Fatalf("writer %d: RecordResponse: %v", w, errs[w])
		}
		totalDuplicates += duplicates[w]
	}
	models, err := s.LoadModels(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	successes, failures := models.Totals(key)
	if successes != wantSuccesses || failures != wantImpressions-wantSuccesses {
		t.Errorf("after %d writers × %d responses with 10%% retries: successes %d, failures %d; want %d, %d",
			writers, perWriter, successes, failures, wantSuccesses, wantImpressions-wantSuccesses)
	}
	if wantDup := writers * perWriter / 10; totalDuplicates != wantDup {
		t.Errorf("RecordResponse reported %d duplicates, want %d", totalDuplicates, wantDup)
	}
}

func TestUnsubscribeWithdrawsConsent(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	p := decision.Profile{CustomerID: "U1", Known: true, Attributes: map[string]any{}, Consents: map[string]bool{"email": true, "sms": true}}
	if err := s.PutProfiles(ctx, []decision.Profile{p}); err != nil {
		t.Fatal(err)
	}
	unsubscribe := decision.Attribution{Model: decision.ModelKey{ActionID: "a1", Channel: "email"}, WithdrawConsent: "email",
		Contact: decision.ContactEvent{At: now, Kind: decision.KindResponse, ActionID: "a1", Channel: "email", Outcome: "unsubscribe"}}
	if _, err := s.RecordResponse(ctx, "U1", "unsub-U1", unsubscribe, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err := s.LoadCustomer(ctx, "U1", now.Add(-time.Hour))
	if err != nil || got.Consents["email"] || !got.Consents["sms"] || len(got.History) != 1 {
		t.Errorf("after an e-mail unsubscribe: consents %v, history %d, %v; want e-mail withdrawn, SMS kept, the response recorded", got.Consents, len(got.History), err)
	}
	// A customer without a stored profile has no consent to withdraw; the response is
	// still recorded.
	if dup, err := s.RecordResponse(ctx, "nobody", "unsub-nobody", unsubscribe, now.Add(time.Hour)); err != nil || dup {
		t.Errorf("unsubscribe of an unknown customer = duplicate %v, %v; want recorded", dup, err)
	}
	if nobody, _ := s.LoadCustomer(ctx, "nobody", now.Add(-time.Hour)); nobody.Known || len(nobody.History) != 1 {
		t.Errorf("unknown customer after unsubscribe = %+v, want still unknown with the response in history", nobody)
	}
}
