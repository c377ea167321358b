//go:build integration

package dynamo_test

import (
	"context"
	"fmt"
	"math"
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
				a := decision.Attribution{DecisionID: "d-" + snd.id, CustomerID: fmt.Sprintf("W%d", w), Claim: decision.ImpressionClaim(key.ActionID), Model: key,
					Learn: adaptive.Delta{
						{Key: adaptive.Key{Predictor: "*", Positive: snd.positive}, N: 1},
						{Key: adaptive.Key{Predictor: "segment", Positive: snd.positive, Bin: fmt.Sprintf("s%d", w%4)}, N: 1},
					},
					Contact: decision.ContactEvent{At: now, Kind: decision.KindImpression, ActionID: key.ActionID, Channel: "web"}}
				applied, err := s.RecordResponse(ctx, a, now.Add(time.Hour))
				if err != nil {
					errs[w] = err
					return
				}
				if applied.Duplicate {
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
	unsubscribe := decision.Attribution{DecisionID: "unsub-U1", CustomerID: "U1", Claim: decision.ClaimPrefixResponse + "unsub",
		Model: decision.ModelKey{ActionID: "a1", Channel: "email"}, WithdrawConsent: "email",
		Contact: decision.ContactEvent{At: now, Kind: decision.KindResponse, ActionID: "a1", Channel: "email", Outcome: "unsubscribe"}}
	if _, err := s.RecordResponse(ctx, unsubscribe, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err := s.LoadCustomer(ctx, "U1", now.Add(-time.Hour))
	if err != nil || got.Consents["email"] || !got.Consents["sms"] || len(got.History) != 1 {
		t.Errorf("after an e-mail unsubscribe: consents %v, history %d, %v; want e-mail withdrawn, SMS kept, the response recorded", got.Consents, len(got.History), err)
	}
	// A customer without a stored profile has no consent to withdraw; the response is
	// still recorded.
	unsubscribe.DecisionID, unsubscribe.CustomerID = "unsub-nobody", "nobody"
	if applied, err := s.RecordResponse(ctx, unsubscribe, now.Add(time.Hour)); err != nil || applied.Duplicate {
		t.Errorf("unsubscribe of an unknown customer = %+v, %v; want recorded", applied, err)
	}
	if nobody, _ := s.LoadCustomer(ctx, "nobody", now.Add(-time.Hour)); nobody.Known || len(nobody.History) != 1 {
		t.Errorf("unknown customer after unsubscribe = %+v, want still unknown with the response in history", nobody)
	}
}

// TestCompactionKeepsModelsExact: twelve weeks of counters over the shards are folded
// into one item per model, with and without decay, while a writer keeps adding to an
// old week; every later read is what it was (decay within rounding), nothing written
// during the compaction is lost, and the items left are bounded.
func TestCompactionKeepsModelsExact(t *testing.T) {
	week := 7 * 24 * time.Hour
	for _, mem := range []adaptive.Memory{{Bucket: week}, {Bucket: week, HalfLife: 4}} {
		t.Run(fmt.Sprintf("half-life %v", mem.HalfLife), func(t *testing.T) {
			ctx := context.Background()
			s := newStore(t)
			key := decision.ModelKey{ActionID: "compacted-action", Channel: "web"}
			cfg := adaptive.Config{Predictors: []adaptive.Predictor{{Name: "segment", Kind: adaptive.Symbolic}}, Memory: mem}
			respond := func(id string, at time.Time, positive bool, segment string) {
				t.Helper()
				bucket := mem.BucketOf(at)
				learn := adaptive.Delta{
					{Key: adaptive.Key{Bucket: bucket, Predictor: "*", Positive: positive}, N: 1},
					{Key: adaptive.Key{Bucket: bucket, Predictor: "segment", Positive: positive, Bin: segment}, N: 1},
				}
				// Each response its own decision: the test is about the counters, not claims.
				a := decision.Attribution{DecisionID: id, CustomerID: "C1", Claim: decision.ImpressionClaim(key.ActionID),
					Model: key, Learn: learn, Contact: decision.ContactEvent{At: at, Kind: decision.KindImpression, ActionID: key.ActionID, Channel: "web"}}
				if _, err := s.RecordResponse(ctx, a, at.Add(time.Hour)); err != nil {
					t.Fatal(err)
				}
			}
			for w := range 12 {
				at := now.Add(-time.Duration(w) * week)
				for i := range 40 {
					segment := []string{"gold", "silver"}[i%2]
					respond(fmt.Sprintf("w%d-%d", w, i), at, false, segment)
					// Gold's rate drifts from week to week, so that a wrong decay shows.
					if (segment == "gold" && i%8 < 2+w%4) || (segment == "silver" && i%10 == 1) {
						respond(fmt.Sprintf("w%d-%d-click", w, i), at, true, segment)
					}
				}
			}
			read := func() (adaptive.Score, int64, int64) {
				t.Helper()
				states, err := s.LoadModelStates(ctx)
				if err != nil {
					t.Fatal(err)
				}
				m, err := adaptive.New(cfg, states[key])
				if err != nil {
					t.Fatal(err)
				}
				successes, failures := decision.NewModels(states, now).Totals(key)
				return m.Snapshot(now).Score([]adaptive.Value{adaptive.Symbol("gold")}), successes, failures
			}
			before, beforeSuccesses, beforeFailures := read()

			// A writer adding to a week six weeks old while the compaction runs.
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 100 {
					respond(fmt.Sprintf("late-%d", i), now.Add(-6*week), false, "silver")
				}
			}()
			first, err := s.CompactModels(ctx, now, mem)
			wg.Wait()
			if err != nil {
				t.Fatal(err)
			}
			second, err := s.CompactModels(ctx, now, mem) // folds what the writer added meanwhile
			if err != nil {
				t.Fatal(err)
			}
			third, err := s.CompactModels(ctx, now, mem)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("compactions: %+v, %+v, %+v", first, second, third)
			if first.Folded == 0 || third.Items >= first.Items || third.Items > 1+2*16 {
				t.Errorf("items %d before, %d after; want folded, and at most one compacted item and two weeks of shards", first.Items, third.Items)
			}
			after, afterSuccesses, afterFailures := read()
			if mem.HalfLife == 0 {
				if afterSuccesses != beforeSuccesses || afterFailures != beforeFailures+100 {
					t.Errorf("totals %d/%d before (+100 late failures), %d/%d after; want exact", beforeSuccesses, beforeFailures, afterSuccesses, afterFailures)
				}
			}
			// The late writes are silver impressions; gold's propensity and the
			// evidence read the same (within the rounding of decayed counts).
			if math.Abs(after.Propensity-before.Propensity) > 0.005 {
				t.Errorf("gold's propensity %.4f before, %.4f after", before.Propensity, after.Propensity)
			}
		})
	}
}
