//go:build integration

package local_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

// TestResponsesCountOncePerOffer plays issue 13's attacks on response integrity
// through the front door: more clicks under new ids, every outcome in a row, two
// customers with the same response id, and a caller claiming another customer's
// response first. Whatever is sent, an offer counts at most one impression and one
// success for its model, its impression enters the contact history once, and no
// caller can touch another customer's responses.
func TestResponsesCountOncePerOffer(t *testing.T) {
	w := newWorld(t, worldOptions{customers: 20})
	decide := func(customerID string) (decision.Decision, decision.ModelKey) {
		t.Helper()
		var d decision.Decision
		w.api("/v1/decisions", decision.Request{CustomerID: customerID, Channel: "web", Placement: "account-sidebar"}, &d)
		if len(d.Actions) == 0 {
			t.Fatalf("decide(%s) = silence %+v, want an action", customerID, d.Silence)
		}
		return d, decision.ModelKey{ActionID: d.Actions[0].ActionID, Channel: "web"}
	}
	respond := func(d decision.Decision, customerID, outcome, responseID string) (int, service.Recorded) {
		t.Helper()
		var rec service.Recorded
		status, body := w.post("/v1/responses", decision.Response{DecisionID: d.DecisionID, CustomerID: customerID,
			ActionID: d.Actions[0].ActionID, Channel: "web", Outcome: outcome, ResponseID: responseID})
		if status == 200 {
			if err := json.Unmarshal([]byte(body), &rec); err != nil {
				t.Fatal(err)
			}
		}
		return status, rec
	}
	totals := func(key decision.ModelKey) (impressions, successes int64) {
		t.Helper()
		s, f := w.models().Totals(key)
		return s + f, s
	}

	t.Run("one offer, every outcome, many ids", func(t *testing.T) {
		d, key := decide("C000011")
		impressions0, successes0 := totals(key)
		steps := []struct {
			outcome, id string
			wantDup     bool
			wantCounted bool
		}{
			{"impression", "", false, true},
			{"impression", "imp-2", true, false}, // one impression per offer, whatever the id
			{"click", "click-1", false, true},
			{"click", "click-2", false, false},
			{"click", "click-3", false, false},
			{"click", "click-4", false, false},
			{"click", "click-5", false, false},
			{"accept", "", false, false},
			{"convert", "", false, false},
			{"convert", "", true, false}, // a retry
		}
		for _, s := range steps {
			status, rec := respond(d, "C000011", s.outcome, s.id)
			if status != 200 || rec.Duplicate != s.wantDup || rec.Counted != s.wantCounted {
				t.Errorf("%s %q = %d %+v; want 200, duplicate %v, counted %v", s.outcome, s.id, status, rec, s.wantDup, s.wantCounted)
			}
		}
		impressions, successes := totals(key)
		if impressions-impressions0 != 1 || successes-successes0 != 1 {
			t.Errorf("the model counted %d impressions and %d successes for one offer; want 1 and 1",
				impressions-impressions0, successes-successes0)
		}
		p, err := w.Store.LoadCustomer(context.Background(), "C000011", w.Now().AddDate(0, 0, -1))
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, e := range p.History {
			kinds[e.Kind+":"+e.Outcome]++
		}
		// Reports keep every distinct response: 1 impression, 5 clicks, an accept and a conversion.
		want := map[string]int{"impression:": 1, "response:click": 5, "response:accept": 1, "response:convert": 1}
		for k, n := range want {
			if kinds[k] != n {
				t.Errorf("contact history %v; want %v", kinds, want)
				break
			}
		}
	})

	t.Run("two customers, one response id", func(t *testing.T) {
		a, _ := decide("C000012")
		b, _ := decide("C000013")
		if status, rec := respond(a, "C000012", "click", "shared-id"); status != 200 || rec.Duplicate {
			t.Errorf("first customer's click = %d %+v, want recorded", status, rec)
		}
		if status, rec := respond(b, "C000013", "click", "shared-id"); status != 200 || rec.Duplicate || !rec.Counted {
			t.Errorf("second customer's click with the same id = %d %+v, want recorded and counted, not lost as a duplicate", status, rec)
		}
	})

	t.Run("claiming another customer's response first", func(t *testing.T) {
		victim, key := decide("C000014")
		_, successes0 := totals(key)
		// The attacker knows the victim's decision id and sends a click on it first,
		// under their own customer id, with the default response id the victim's
		// channel will use.
		if status, _ := respond(victim, "C000015", "click", ""); status != 404 {
			t.Errorf("a click on another customer's decision = %d, want 404 as for an unknown decision", status)
		}
		if status, rec := respond(victim, "C000014", "click", ""); status != 200 || rec.Duplicate || !rec.Counted {
			t.Errorf("the victim's own click = %d %+v, want recorded and counted", status, rec)
		}
		if _, successes := totals(key); successes-successes0 != 1 {
			t.Errorf("the victim's click counted %d successes, want 1", successes-successes0)
		}
	})
}
