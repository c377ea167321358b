//go:build integration

package local_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nextbest/nextbest/shared/decision"
)

// TestBaselineLearnsFromTheSilenceGroup: with a catalog that ranks by uplift, every
// decision for a customer held out in the silence group counts an impression in the
// channel's baseline model, and the customer's next purchase within a week a success,
// once per decision whatever the retries and further purchases; purchases of customers
// who were not held out teach the baseline nothing. Through the functions, on the
// local stack.
func TestBaselineLearnsFromTheSilenceGroup(t *testing.T) {
	w := newWorld(t, worldOptions{catalog: demoCatalog(t,
		`controlGroups: {randomShare: 0.02, silenceShare: 0.02, salt: "2026-q4"}`,
		`controlGroups: {randomShare: 0.02, silenceShare: 0.45, salt: "2026-q4"}
  arbitration: uplift`)})
	var heldOut, decided []string
	for i := 1; i <= 40; i++ {
		customer := fmt.Sprintf("C%06d", i)
		var d decision.Decision
		w.api("/v1/decisions", map[string]any{"customerId": customer, "channel": "web", "placement": "home-hero", "explain": true}, &d)
		switch {
		case d.ControlGroup == decision.ControlSilence:
			heldOut = append(heldOut, customer)
		case d.ControlGroup == "" && len(d.Actions) > 0:
			decided = append(decided, customer)
			if reasons := strings.Join(d.Actions[0].Reasons, " | "); !strings.Contains(reasons, "ranked by uplift") {
				t.Errorf("decision for %s explains %q, want the uplift ranking", customer, reasons)
			}
		}
	}
	if len(heldOut) < 10 || len(decided) < 5 {
		t.Fatalf("%d customers held out and %d decided for, want at least 10 and 5", len(heldOut), len(decided))
	}
	buyers := heldOut[:5]
	for i, customer := range buyers {
		purchase := fmt.Sprintf(`{"customerId": %q, "type": "purchase", "value": 20, "eventId": "till-%d"}`, customer, i)
		for range 2 { // a retry
			if status, body := w.post("/v1/outcomes", purchase); status != 200 {
				t.Fatalf("POST /v1/outcomes = %d %s", status, body)
			}
		}
		another := fmt.Sprintf(`{"customerId": %q, "type": "purchase", "value": 5, "eventId": "till-%d-b"}`, customer, i)
		if status, body := w.post("/v1/outcomes", another); status != 200 {
			t.Fatalf("POST /v1/outcomes = %d %s", status, body)
		}
	}
	for i, customer := range decided[:3] {
		if status, body := w.post("/v1/outcomes", fmt.Sprintf(`{"customerId": %q, "type": "purchase", "eventId": "web-%d"}`, customer, i)); status != 200 {
			t.Fatalf("POST /v1/outcomes = %d %s", status, body)
		}
	}
	successes, failures := w.models().Totals(w.catalog.BaselineKey("web"))
	if successes != int64(len(buyers)) || failures != int64(len(heldOut)-len(buyers)) {
		t.Errorf("baseline model of web: %d successes and %d failures; want %d held-out customers, %d of whom bought",
			successes, failures, len(heldOut), len(buyers))
	}
}
