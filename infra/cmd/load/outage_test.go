package main

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nextbest/nextbest/infra/local"
	"github.com/nextbest/nextbest/shared/decision"
)

func demoCatalog(t *testing.T) *decision.Catalog {
	t.Helper()
	src, err := os.ReadFile("../../catalog/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := decision.ParseCatalog("demo.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func offered(id, customer, channel string, actions ...string) decided {
	d := decided{DecisionID: id, CustomerID: customer, Channel: channel}
	for _, a := range actions {
		d.Actions = append(d.Actions, struct {
			ActionID string `json:"actionId"`
		}{a})
	}
	return d
}

func TestPlanOutageResponsesAndLedger(t *testing.T) {
	catalog := demoCatalog(t)
	ds := []decided{
		offered("d1", "C000001", "web", "app-download", "other"),
		offered("d2", "C000002", "web"), // a silence: nothing to respond to
		offered("d3", "C000003", "app", "app-download"),
	}
	plan, err := planOutageResponses(ds, catalog)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 4 {
		t.Fatalf("planned %d responses, want an impression and a click for each of 2 offers", len(plan))
	}
	ids := map[string]bool{}
	for _, p := range plan {
		var r decision.Response
		if err := json.Unmarshal(p.body, &r); err != nil {
			t.Fatal(err)
		}
		if r.ActionID != "app-download" || r.Outcome != p.outcome || r.DecisionID != p.decisionID || r.ResponseID == "" || ids[r.ResponseID] {
			t.Errorf("planned %s for %+v: want the first action, the outcome and a responseId of its own", p.body, p)
		}
		ids[r.ResponseID] = true
		if p.model != catalog.ModelKey("app-download", r.Channel) || p.positive != catalog.IsSuccess("app-download", r.Outcome) {
			t.Errorf("planned %s teaches %v (positive %v)", p.body, p.model, p.positive)
		}
	}

	tests := []struct {
		name string
		plan []outageResponse
		want ModelCounts
	}{
		{"each once", plan, ModelCounts{
			catalog.ModelKey("app-download", "web"): {1, 1},
			catalog.ModelKey("app-download", "app"): {1, 1},
		}},
		{"sent twice still counts once", append(plan[:2:2], plan[:2]...), ModelCounts{catalog.ModelKey("app-download", "web"): {1, 1}}},
		{"a second success of the same decision and action counts nothing",
			append(plan[:2:2], outageResponse{decisionID: "d1", actionID: "app-download", outcome: "convert", positive: true, model: plan[0].model}),
			ModelCounts{catalog.ModelKey("app-download", "web"): {1, 1}}},
		{"an outcome that is no success counts nothing",
			[]outageResponse{{decisionID: "d1", actionID: "app-download", outcome: "reject", model: plan[0].model}}, ModelCounts{}},
	}
	for _, tt := range tests {
		if got := ledgerOf(tt.plan); len(Compare(got, tt.want)) > 0 {
			t.Errorf("%s: ledger = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCheckUnavailable(t *testing.T) {
	withRetry := http.Header{"Retry-After": []string{"1"}}
	unavailable := `{"error":{"code":"unavailable","message":"send the same response again"}}`
	tests := []struct {
		name   string
		status int
		header http.Header
		body   string
		ok     bool
	}{
		{"503 unavailable with Retry-After", 503, withRetry, unavailable, true},
		{"no Retry-After", 503, http.Header{}, unavailable, false},
		{"another code", 503, withRetry, `{"error":{"code":"internal","message":"x"}}`, false},
		{"not JSON", 503, withRetry, `Service Unavailable`, false},
		{"a gateway error", 502, withRetry, unavailable, false},
		{"recorded after all", 200, http.Header{}, `{"counted":true}`, false},
	}
	for _, tt := range tests {
		if err := checkUnavailable(tt.status, tt.header, tt.body); (err == nil) != tt.ok {
			t.Errorf("%s: checkUnavailable = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

func TestOutagePhases(t *testing.T) {
	budget := 500 * time.Millisecond
	phases := outagePhases(budget)
	faults := map[local.Fault]int{}
	for _, p := range phases {
		faults[p.fault]++
		if p.fault == local.Slow && p.settle <= p.delay {
			t.Errorf("%s: settles %v after recovery, want more than the delay %v so late writes land", p.name, p.settle, p.delay)
		}
	}
	if faults[local.Pause] != 1 || faults[local.Down] != 1 || faults[local.Slow] != 2 {
		t.Fatalf("phases = %+v, want pause, down and two slow ones", phases)
	}
	// One slow phase is past the budget, the other lets one call through in time but
	// not two, so the write of a response can land after its 503.
	if long := phases[2].delay; long <= budget {
		t.Errorf("long delay %v is within the budget %v", long, budget)
	}
	if short := phases[3].delay; short >= budget || 2*short <= budget {
		t.Errorf("short delay %v: want one call within the budget %v and two past it", short, budget)
	}
}

func TestOutageVerdicts(t *testing.T) {
	if OutageVerdicts(nil) != nil {
		t.Error("verdicts without an outage scenario")
	}
	tests := []struct {
		name     string
		p99      time.Duration
		slowest  time.Duration
		decideOK string
		recordOK string
	}{
		{"both met", 150 * time.Millisecond, 510 * time.Millisecond, "**met** (p99 150.0 ms", "**met** (slowest 510.0 ms over 2 responses"},
		{"decide missed", 201 * time.Millisecond, 510 * time.Millisecond, "**missed** (p99 201.0 ms", "**met**"},
		{"record missed", 120 * time.Millisecond, 700 * time.Millisecond, "**met** (p99 120.0 ms", "**missed** (slowest 700.0 ms"},
	}
	for _, tt := range tests {
		o := &OutageResult{Budget: 500 * time.Millisecond,
			AllDecides: Summary{Count: 40, P99: tt.p99, Max: tt.p99},
			Records:    []OutageRecord{{Summary: Summary{Count: 1, Max: 100 * time.Millisecond}}, {Summary: Summary{Count: 1, Max: tt.slowest}}}}
		v := OutageVerdicts(o)
		if len(v) != 2 || !strings.Contains(v[0], tt.decideOK) || !strings.Contains(v[1], tt.recordOK) {
			t.Errorf("%s: verdicts =\n%s", tt.name, strings.Join(v, "\n"))
		}
	}
}
