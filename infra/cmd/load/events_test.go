package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nextbest/nextbest/shared/decision"
)

func TestRequestsMix(t *testing.T) {
	reqs := Requests(2000, 10000, 42)
	if len(reqs) != 2000 {
		t.Fatalf("Requests(2000) returned %d", len(reqs))
	}
	channels := map[string]int{}
	unknown := 0
	for _, r := range reqs {
		channels[r.Channel]++
		if !slices.Contains(slots, slot{r.Channel, r.Placement}) {
			t.Fatalf("request %+v uses a channel and placement outside the mix", r)
		}
		switch {
		case strings.HasPrefix(r.CustomerID, "visitor-"):
			unknown++
		case r.CustomerID < "C000001" || r.CustomerID > "C010000":
			t.Fatalf("customer %q is outside the seeded base of 10000", r.CustomerID)
		}
	}
	for _, ch := range []string{"web", "app", "email"} {
		if channels[ch] < 300 {
			t.Errorf("channel %s got %d of 2000 requests, want a fair share", ch, channels[ch])
		}
	}
	if unknown < 40 || unknown > 180 {
		t.Errorf("%d of 2000 requests are for unknown customers, want about %.0f", unknown, unknownShare*2000)
	}
	if again := Requests(2000, 10000, 42); !slices.EqualFunc(reqs, again, func(a, b decision.Request) bool { return a.CustomerID == b.CustomerID && a.Placement == b.Placement }) {
		t.Error("Requests is not deterministic for a seed")
	}
}

func TestHTTPEvent(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	raw, err := HTTPEvent(decideRoute, []byte(`{"customerId":"C1","channel":"web"}`), now)
	if err != nil {
		t.Fatal(err)
	}
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	if e.Version != "2.0" || e.RouteKey != decideRoute || e.RawPath != "/v1/decisions" ||
		e.RequestContext.HTTP.Method != "POST" || e.RequestContext.HTTP.Path != "/v1/decisions" ||
		e.RequestContext.TimeEpoch != now.UnixMilli() || e.RequestContext.RequestID == "" {
		t.Errorf("HTTPEvent = %+v, want a payload 2.0 POST /v1/decisions event", e)
	}
	if e.Body != `{"customerId":"C1","channel":"web"}` || e.IsBase64Encoded {
		t.Errorf("body = %q (base64 %v), want the plain JSON", e.Body, e.IsBase64Encoded)
	}
}

func TestHTTPAnswerAndCheckDecision(t *testing.T) {
	status, body, err := HTTPAnswer([]byte(`{"statusCode":200,"body":"{\"decisionId\":\"d1\",\"customerId\":\"C1\",\"channel\":\"web\",\"actions\":[{\"actionId\":\"a\"}]}"}`))
	if err != nil || status != 200 {
		t.Fatalf("HTTPAnswer = %d, %v", status, err)
	}
	d, err := checkDecision(status, body)
	if err != nil || d.DecisionID != "d1" || len(d.Actions) != 1 || d.Actions[0].ActionID != "a" {
		t.Errorf("checkDecision = %+v, %v", d, err)
	}
	if _, err := checkDecision(200, `{"silence":{}}`); err == nil {
		t.Error("checkDecision(no decisionId) succeeded")
	}
	if _, err := checkDecision(500, `{"error":{}}`); err == nil {
		t.Error("checkDecision(500) succeeded")
	}
	// A function failure is not an API Gateway answer: status 0, which no check accepts.
	if status, _, _ := HTTPAnswer([]byte(`{"errorMessage":"boom","errorType":"x"}`)); status != 0 {
		t.Errorf("HTTPAnswer(function error) status = %d, want 0", status)
	}
	if _, _, err := HTTPAnswer([]byte(`not json`)); err == nil {
		t.Error("HTTPAnswer(not JSON) succeeded")
	}
}

func TestPlanResponses(t *testing.T) {
	ds := make([]decided, 30)
	for i := range ds {
		ds[i] = decided{DecisionID: "d" + string(rune('a'+i%26)), CustomerID: "C1", Channel: "web"}
		ds[i].Actions = append(ds[i].Actions, struct {
			ActionID string `json:"actionId"`
		}{"act"})
	}
	ds[3].Actions = nil // a silence: nothing to respond to
	plan, err := PlanResponses(ds, 20)
	if err != nil {
		t.Fatal(err)
	}
	originals, dups := 0, 0
	for i, p := range plan {
		if p.duplicate {
			dups++
			continue
		}
		if dups > 0 {
			t.Fatalf("original response %d comes after a duplicate; duplicates must come last", i)
		}
		originals++
		var r decision.Response
		if err := json.Unmarshal(p.body, &r); err != nil || r.ActionID != "act" || r.Outcome != p.outcome || p.model != (decision.ModelKey{ActionID: "act", Channel: "web"}) {
			t.Errorf("planned %s = %+v, %v", p.body, r, err)
		}
	}
	if originals != 20 || dups != 2 {
		t.Errorf("planned %d originals and %d duplicates, want 20 and 2 (10%%)", originals, dups)
	}
	if plan[0].outcome != decision.KindImpression || plan[1].outcome != "click" {
		t.Errorf("first outcomes = %s, %s; want an impression, then a click", plan[0].outcome, plan[1].outcome)
	}
	if err := checkRecorded(plan[len(plan)-1], 200, `{"duplicate":true}`); err != nil {
		t.Errorf("checkRecorded(duplicate answered as duplicate) = %v", err)
	}
	if err := checkRecorded(plan[0], 200, `{"duplicate":true}`); err == nil {
		t.Error("checkRecorded(original answered as duplicate) succeeded")
	}
	if err := checkRecorded(plan[0], 404, `{}`); err == nil {
		t.Error("checkRecorded(404) succeeded")
	}
}

func TestDecisionMix(t *testing.T) {
	ds := make([]decided, 4)
	ds[0].Actions = append(ds[0].Actions, struct {
		ActionID string `json:"actionId"`
	}{"a"})
	if got := decisionMix(ds); got != "25% offered an action, 75% silence" {
		t.Errorf("decisionMix = %q", got)
	}
	if got := decisionMix(nil); got != "no decisions" {
		t.Errorf("decisionMix(nil) = %q", got)
	}
}
