//go:build integration

package dynamo_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/nextbest/nextbest/infra/local/localtest"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

func TestUpdateProfileMergesAndVersions(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	expires := now.Add(730 * 24 * time.Hour)
	setAge := func(age float64) func(*decision.Profile) bool {
		return decision.ProfileUpdate{Attributes: map[string]any{"age": age}, Consents: map[string]bool{"email": true}}.Apply
	}
	sp, changed, err := s.UpdateProfile(ctx, "UP1", now, expires, setAge(30))
	if err != nil || !changed || sp.Version != 1 {
		t.Fatalf("UpdateProfile(new) = %+v, %v, %v; want created at version 1", sp, changed, err)
	}
	if _, changed, err := s.UpdateProfile(ctx, "UP1", now, expires, setAge(30)); err != nil || changed {
		t.Errorf("UpdateProfile(same values) = changed %v, %v; want nothing written", changed, err)
	}
	withdraw := decision.ProfileUpdate{Consents: map[string]bool{"email": false}}.Apply
	sp, changed, err = s.UpdateProfile(ctx, "UP1", now.Add(time.Hour), expires.Add(time.Hour), withdraw)
	if err != nil || !changed || sp.Version != 2 {
		t.Fatalf("UpdateProfile(withdraw) = %+v, %v, %v; want version 2", sp, changed, err)
	}
	got, err := s.LoadCustomer(ctx, "UP1", now)
	if err != nil || got.Attributes["age"] != 30.0 || got.Consents["email"] {
		t.Errorf("LoadCustomer(UP1) = %+v, %v; want age kept and e-mail consent withdrawn", got, err)
	}
	stored, err := s.GetProfiles(ctx, []string{"UP1", "nobody"})
	if err != nil || len(stored) != 1 || stored["UP1"].Version != 2 || !stored["UP1"].ExpiresAt.Equal(expires.Add(time.Hour)) ||
		!stored["UP1"].UpdatedAt.Equal(now.Add(time.Hour)) {
		t.Errorf("GetProfiles = %+v, %v; want UP1 at version 2 with its expiry and update time", stored, err)
	}

	// Concurrent updates of different attributes all land: none overwrites another.
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range 20 {
		wg.Go(func() {
			name := []string{"a", "b", "c", "d", "e"}[i%5] + string(rune('0'+i/5))
			_, _, errs[i] = s.UpdateProfile(ctx, "UP1", now, expires, decision.ProfileUpdate{Attributes: map[string]any{name: float64(i)}}.Apply)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	got, _ = s.LoadCustomer(ctx, "UP1", now)
	if len(got.Attributes) != 21 {
		t.Errorf("after 20 concurrent updates the profile has %d attributes, want 21: %v", len(got.Attributes), got.Attributes)
	}
}

func TestWriteProfilesInBatches(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	var batch []service.StoredProfile
	var ids []string
	for i := range 260 { // more than two BatchGetItem requests and ten BatchWriteItem ones
		id := "B" + string(rune('A'+i/26)) + string(rune('a'+i%26))
		ids = append(ids, id)
		batch = append(batch, service.StoredProfile{Version: 1, UpdatedAt: now,
			Profile: decision.Profile{CustomerID: id, Known: true, Attributes: map[string]any{"i": float64(i)}}})
	}
	if err := s.WriteProfiles(ctx, batch); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetProfiles(ctx, ids)
	if err != nil || len(got) != 260 || got["BJz"].Profile.Attributes["i"] != 259.0 {
		t.Errorf("GetProfiles of 260 written = %d, %v; want all of them", len(got), err)
	}
}

func TestOutcomeEventsAreRecordedOnce(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	value := 49.9
	at := now.Add(-time.Hour)
	e := decision.OutcomeEvent{EventID: "order-1", CustomerID: "OC1", Type: "purchase", Value: &value, Currency: "EUR", OccurredAt: &at, ProductID: "fibre-1g"}
	if dup, err := s.PutOutcome(ctx, e, now, now.Add(400*24*time.Hour), now.Add(730*24*time.Hour)); err != nil || dup {
		t.Fatalf("PutOutcome = %v, %v; want recorded (the customer has no profile: nothing else to touch)", dup, err)
	}
	if dup, err := s.PutOutcome(ctx, e, now, now.Add(400*24*time.Hour), time.Time{}); err != nil || !dup {
		t.Errorf("PutOutcome(again) = %v, %v; want a duplicate", dup, err)
	}
	// With a profile, an outcome is activity: the profile's expiry moves.
	if _, _, err := s.UpdateProfile(ctx, "OC1", now, now.Add(24*time.Hour), decision.ProfileUpdate{Attributes: map[string]any{"x": 1.0}}.Apply); err != nil {
		t.Fatal(err)
	}
	e.EventID = "order-2"
	later := now.Add(900 * 24 * time.Hour)
	if dup, err := s.PutOutcome(ctx, e, now, now.Add(400*24*time.Hour), later); err != nil || dup {
		t.Fatalf("PutOutcome(order-2) = %v, %v", dup, err)
	}
	data, err := s.CustomerData(ctx, "OC1")
	if err != nil {
		t.Fatal(err)
	}
	if len(data.Outcomes) != 2 || data.Profile == nil || !data.Profile.ExpiresAt.Equal(later) {
		t.Errorf("CustomerData(OC1) = %+v; want 2 outcomes and the profile expiring at %v", data, later)
	}
	first := data.Outcomes[0]
	if first.EventID == "order-2" {
		first = data.Outcomes[1]
	}
	if first.Type != "purchase" || *first.Value != 49.9 || first.ProductID != "fibre-1g" || !first.OccurredAt.Equal(at) {
		t.Errorf("stored outcome = %+v, want the purchase as sent", first)
	}
}

func TestExportAndEraseEverythingAboutACustomer(t *testing.T) {
	ctx := context.Background()
	env := localtest.Storage(t)
	s := env.Store
	// Another customer's data must survive the erasure.
	for _, id := range []string{"ER1", "KEEP"} {
		if _, _, err := s.UpdateProfile(ctx, id, now, time.Time{}, decision.ProfileUpdate{Attributes: map[string]any{"firstName": "Ada"}, Consents: map[string]bool{"email": true}}.Apply); err != nil {
			t.Fatal(err)
		}
		d := decision.LoggedDecision{DecisionID: "dec-" + id, CustomerID: id, Channel: "email", DecidedAt: now, ExpiresAt: now.Add(30 * 24 * time.Hour),
			Offers: []decision.LoggedOffer{{ActionID: "a1", TreatmentID: "a1-email"}}}
		if err := s.PutDecisions(ctx, []decision.LoggedDecision{d}); err != nil {
			t.Fatal(err)
		}
		value := 12.5
		resp := decision.Attribution{DecisionID: d.DecisionID, CustomerID: id, Claim: decision.ClaimPrefixResponse + "convert",
			Model:   decision.ModelKey{ActionID: "a1", Channel: "email"},
			Contact: decision.ContactEvent{At: now, Kind: decision.KindResponse, ActionID: "a1", Channel: "email", Outcome: "convert", Value: &value}}
		if _, err := s.RecordResponse(ctx, resp, d.ExpiresAt); err != nil {
			t.Fatal(err)
		}
		at := now
		if _, err := s.PutOutcome(ctx, decision.OutcomeEvent{EventID: "o-" + id, CustomerID: id, Type: "purchase", Currency: "EUR", OccurredAt: &at}, now, now.Add(time.Hour), time.Time{}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ClaimSend(ctx, "dec-"+id, now, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	data, err := s.CustomerData(ctx, "ER1")
	if err != nil {
		t.Fatal(err)
	}
	if data.Profile == nil || len(data.History) != 1 || len(data.Outcomes) != 1 || len(data.Decisions) != 1 || len(data.Responses) != 1 ||
		data.History[0].Value == nil || *data.History[0].Value != 12.5 || *data.Responses[0].Value != 12.5 {
		t.Fatalf("CustomerData(ER1) = %+v; want the profile, one contact with its value, one outcome, one decision and one response claim", data)
	}
	n, err := s.EraseCustomer(ctx, "ER1")
	if err != nil || n != 6 { // profile, contact, outcome; decision, response claim, send lease
		t.Errorf("EraseCustomer(ER1) = %d, %v; want 6 items (profile, contact, outcome, decision, response claim, send lease)", n, err)
	}
	if left := localtest.ItemsMentioning(t, env, "ER1"); len(left) > 0 {
		t.Errorf("after erasing ER1 these items still mention it: %v", left)
	}
	after, err := s.CustomerData(ctx, "ER1")
	if err != nil || after.Profile != nil || len(after.History)+len(after.Outcomes)+len(after.Decisions)+len(after.Responses) != 0 {
		t.Errorf("CustomerData(ER1) after erasure = %+v, %v; want nothing", after, err)
	}
	if p, err := s.LoadCustomer(ctx, "ER1", now.Add(-time.Hour)); err != nil || p.Known {
		t.Errorf("LoadCustomer(ER1) after erasure = %+v, %v; want an unknown customer", p, err)
	}
	kept, err := s.CustomerData(ctx, "KEEP")
	if err != nil || kept.Profile == nil || len(kept.Decisions) != 1 || len(kept.Responses) != 1 || len(kept.Outcomes) != 1 {
		t.Errorf("CustomerData(KEEP) = %+v, %v; want another customer's data untouched", kept, err)
	}
	if n, err := s.EraseCustomer(ctx, "ER1"); err != nil || n != 0 {
		t.Errorf("EraseCustomer(ER1) again = %d, %v; want nothing to delete", n, err)
	}
	if !reflect.DeepEqual(kept.Profile.Profile.Consents, map[string]bool{"email": true}) {
		t.Errorf("KEEP's consents = %v", kept.Profile.Profile.Consents)
	}
}
