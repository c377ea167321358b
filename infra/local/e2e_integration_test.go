//go:build integration

package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

// These tests drive the functions through the sample events in events/ and through
// the front door, each in a world of its own (world_integration_test.go).

func TestDecideEvents(t *testing.T) {
	tests := []struct {
		event      string
		wantStatus int
		wantInBody string
		wantLogged int // decisions added to the log
	}{
		{"decide.json", 200, `"decisionId"`, 1},
		{"decide-unknown-customer.json", 200, `"knownCustomer":false`, 1},
		{"decide-malformed.json", 400, "malformed JSON", 0},
		{"decide-missing-channel.json", 400, "channel is required", 0},
		{"decide-unknown-channel.json", 400, `unknown channel \"fax\"`, 0},
		{"decide-too-large.json", 413, "the limit is 16384", 0},
	}
	w := newWorld(t, worldOptions{})
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			w := w.in(t)
			before := w.countItems("DecisionsTable", "D#")
			resp := w.invokeHTTP("DecideFunction", readEvent(t, tt.event))
			if resp.StatusCode != tt.wantStatus || !strings.Contains(resp.Body, tt.wantInBody) {
				t.Fatalf("decide(%s) = %d %s, want %d containing %s", tt.event, resp.StatusCode, resp.Body, tt.wantStatus, tt.wantInBody)
			}
			if got := w.countItems("DecisionsTable", "D#") - before; got != tt.wantLogged {
				t.Errorf("decide(%s) logged %d decisions, want %d", tt.event, got, tt.wantLogged)
			}
			if resp.StatusCode != 200 {
				return
			}
			var d decision.Decision
			if err := json.Unmarshal([]byte(resp.Body), &d); err != nil {
				t.Fatal(err)
			}
			if len(d.Actions) == 0 && d.Silence == nil {
				t.Errorf("decide(%s) = no actions and no silence reason", tt.event)
			}
			for _, a := range d.Actions {
				if a.Propensity <= 0 || a.Priority <= 0 || len(a.Reasons) == 0 || len(a.Content) == 0 {
					t.Errorf("decide(%s) action %+v lacks its figures, reasons or content", tt.event, a)
				}
			}
		})
	}
}

func TestRecordResponseEvents(t *testing.T) {
	w := newWorld(t, worldOptions{})
	key := decision.ModelKey{ActionID: "app-download", Channel: "web"}
	positives := func(w *world) int64 {
		successes, _ := w.models().Totals(key)
		return successes
	}
	tests := []struct {
		event         string
		wantStatus    int
		wantInBody    string
		wantPositives int64 // added to the model by this step
	}{
		{"record-response.json", 200, `"duplicate":false`, 1},
		{"record-response.json", 200, `"duplicate":true`, 0}, // a retry counts once
		{"record-response-unknown-decision.json", 404, "unknown or older than the attribution window", 0},
		{"record-response-bad-outcome.json", 400, `unknown outcome (known: impression`, 0},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d-%s", i, tt.event), func(t *testing.T) {
			w := w.in(t)
			before := positives(w)
			resp := w.invokeHTTP("RecordResponseFunction", readEvent(t, tt.event))
			if resp.StatusCode != tt.wantStatus || !strings.Contains(resp.Body, tt.wantInBody) {
				t.Fatalf("record-response(%s) = %d %s, want %d containing %s", tt.event, resp.StatusCode, resp.Body, tt.wantStatus, tt.wantInBody)
			}
			if got := positives(w) - before; got != tt.wantPositives {
				t.Errorf("record-response(%s) added %v positives, want %v", tt.event, got, tt.wantPositives)
			}
		})
	}
}

// TestOutboundPath runs the batch (dry, bad input, real), then the sample SQS event,
// then drains the queues through send-message, checking queues, deliveries and the
// decision log at each step. The steps share state, so they run in order.
func TestOutboundPath(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, worldOptions{})
	var summary service.RunSummary
	invokeBatch := func(event []byte) (service.RunSummary, error) {
		var s service.RunSummary
		return s, w.invokeRun(event, &s)
	}

	dry, err := invokeBatch(readEvent(t, "score-batch-dry-run.json"))
	if err != nil || !dry.DryRun || dry.Planned == 0 || dry.Scanned != 300 {
		t.Fatalf("score-batch(dry run) = %+v, %v; want a dry run planning sends over 300 customers", dry, err)
	}
	if n := w.channelDepth(); n != 0 {
		t.Fatalf("after a dry run the queues hold %d messages, want 0", n)
	}
	if _, err := invokeBatch(readEvent(t, "score-batch-bad.json")); err == nil || !strings.Contains(err.Error(), "invalid runId") {
		t.Errorf("score-batch(bad run id) error = %v, want an invalid runId error", err)
	}

	summary, err = invokeBatch(readEvent(t, "score-batch.json"))
	// The demo catalog explores: Thompson draws are seeded by decision id, which
	// includes the run id, so the real run's plan differs slightly from the dry run's
	// (the same way on every run of the test: the run ids are fixed).
	if err != nil || summary.RunID != "run-20261123T0600Z" || math.Abs(float64(summary.Planned-dry.Planned)) > 0.05*float64(dry.Planned) {
		t.Fatalf("score-batch(schedule) = %+v, %v; want run-20261123T0600Z planning about %d like the dry run", summary, err, dry.Planned)
	}
	if n := w.channelDepth(); n != summary.Planned {
		t.Errorf("after the run the queues hold %d messages, want the %d planned", n, summary.Planned)
	}
	// Every planned send is logged, and so is every held-out customer of the silence
	// control group, whose outcomes are the baseline for lift, and every send the volume
	// caps cut (the engine chose it: its customer counts among the engine's).
	wantLogged := summary.Planned + summary.Silences[decision.SilenceControlGroup] + summary.Silences[service.SilenceVolumeCap]
	if got := w.countItems("DecisionsTable", "D#run-20261123T0600Z-"); got != wantLogged {
		t.Errorf("the run logged %d decisions, want %d", got, wantLogged)
	}

	// The sample SQS event: one valid message for the fixture customer, one malformed.
	for attempt, wantNew := range []int{1, 0} { // a redelivery must not send again
		before := len(w.readDeliveries())
		out, err := w.Invoke(ctx, "SendMessageFunction", readEvent(t, "send-message.json"))
		if err != nil {
			t.Fatalf("send-message(sample) error: %v", err)
		}
		var resp events.SQSEventResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatal(err)
		}
		if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "0b1c2d3e-0002" {
			t.Errorf("send-message(sample) attempt %d failures = %+v, want only the malformed 0b1c2d3e-0002", attempt+1, resp.BatchItemFailures)
		}
		if got := len(w.readDeliveries()) - before; got != wantNew {
			t.Errorf("send-message(sample) attempt %d delivered %d, want %d", attempt+1, got, wantNew)
		}
	}

	stats, err := w.DrainQueues(ctx)
	if err != nil {
		t.Fatal(err)
	}
	handed := 0
	for _, s := range stats {
		handed += s.Messages
		if s.Failed != 0 {
			t.Errorf("drain stats %+v: want no failed message", s)
		}
	}
	if handed != summary.Planned || w.channelDepth() != 0 {
		t.Errorf("drain handed %d messages to send-message and left %d, want %d and 0", handed, w.channelDepth(), summary.Planned)
	}
	perChannel := map[string]int{}
	for _, d := range w.readDeliveries() {
		if d.Content == nil || strings.Contains(fmt.Sprint(d.Content), "{{") {
			t.Errorf("delivery %s has unrendered content %v", d.MessageID, d.Content)
		}
		if d.MessageID != "demo-email-0001" {
			perChannel[d.Channel]++
		}
	}
	for ch, n := range summary.ByChannel {
		// A customer may have been contacted by the sample event since planning, so
		// the last-moment check can skip at most that one message.
		if perChannel[ch] < n-1 || perChannel[ch] > n {
			t.Errorf("channel %s: %d delivered, want the %d planned", ch, perChannel[ch], n)
		}
	}
}

func TestFrontDoorRoutes(t *testing.T) {
	w := newWorld(t, worldOptions{})
	tests := []struct {
		method, path, body string
		wantStatus         int
	}{
		{"POST", "/v1/decisions", `{"customerId":"C000010","channel":"app","placement":"home-card"}`, 200},
		{"POST", "/v1/decisions", `{"customerId":"C000010"}`, 400},
		{"POST", "/v1/responses", `{"decisionId":"nope","customerId":"C000010","actionId":"x","channel":"web","outcome":"click"}`, 404},
		{"GET", "/v1/decisions", ``, 404},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, w.frontURL+tt.path, strings.NewReader(tt.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.wantStatus || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s %s = %d (%s), want %d JSON", tt.method, tt.path, tt.body, resp.StatusCode, resp.Header.Get("Content-Type"), tt.wantStatus)
		}
	}
}

func offerOf(d decision.Decision, actionID string) (decision.Offer, bool) {
	for _, o := range d.Actions {
		if o.ActionID == actionID {
			return o, true
		}
	}
	return decision.Offer{}, false
}

// TestResponsesChangeTheNextDecision records an impression and a click through the
// API and checks that, once the functions' model cache has refreshed, the next
// decision for the action rests on that evidence. Exploration is off, so the action
// the test follows is ranked by its mean propensity, which the click raises.
func TestResponsesChangeTheNextDecision(t *testing.T) {
	w := newWorld(t, worldOptions{catalog: demoCatalog(t, withoutExploration...)})
	req := decision.Request{CustomerID: "C000050", Channel: "web", Placement: "account-sidebar", Limit: 5}
	var first decision.Decision
	w.api("/v1/decisions", req, &first)
	if len(first.Actions) == 0 {
		t.Fatalf("decide(%+v) = silence %+v, want actions", req, first.Silence)
	}
	offer := first.Actions[0]
	for _, outcome := range []string{"impression", "click"} {
		var rec service.Recorded
		w.api("/v1/responses", decision.Response{DecisionID: first.DecisionID, CustomerID: req.CustomerID,
			ActionID: offer.ActionID, Channel: req.Channel, Outcome: outcome}, &rec)
	}
	time.Sleep(modelsMaxAge + 100*time.Millisecond) // the functions' model cache expires
	var next decision.Decision
	w.api("/v1/decisions", req, &next)
	got, ok := offerOf(next, offer.ActionID)
	if !ok {
		t.Fatalf("after a click, decide = %v, want %s still offered", next.Actions, offer.ActionID)
	}
	if got.Evidence < offer.Evidence+1 || got.Propensity <= offer.Propensity {
		t.Errorf("after an impression and a click, %s has evidence %v and propensity %.4f; before: %v and %.4f; want both higher",
			offer.ActionID, got.Evidence, got.Propensity, offer.Evidence, offer.Propensity)
	}
}

// TestSuppressionFromRecordedImpressions shows an action three times to a customer
// who never responds; the contact history record-response writes must then keep
// decide from offering it again (the demo catalog suppresses after 3 impressions).
// Exploration is off: the action ranked first by its mean propensity stays among the
// five offered while two ignored impressions lower it slightly.
func TestSuppressionFromRecordedImpressions(t *testing.T) {
	w := newWorld(t, worldOptions{catalog: demoCatalog(t, withoutExploration...)})
	req := decision.Request{CustomerID: "C000060", Channel: "web", Placement: "account-sidebar", Limit: 5, Explain: true}
	var ignored string
	for i := range 3 {
		var d decision.Decision
		w.api("/v1/decisions", req, &d)
		if i == 0 {
			if len(d.Actions) == 0 {
				t.Fatalf("decide(%+v) = silence %+v, want actions", req, d.Silence)
			}
			ignored = d.Actions[0].ActionID
		}
		if _, ok := offerOf(d, ignored); !ok {
			t.Fatalf("decision %d = %v, want %s offered again before suppression", i+1, d.Actions, ignored)
		}
		var rec service.Recorded
		w.api("/v1/responses", decision.Response{DecisionID: d.DecisionID, CustomerID: req.CustomerID,
			ActionID: ignored, Channel: req.Channel, Outcome: "impression"}, &rec)
	}
	var after decision.Decision
	w.api("/v1/decisions", req, &after)
	if _, ok := offerOf(after, ignored); ok {
		t.Fatalf("after 3 ignored impressions decide still offers %s", ignored)
	}
	for _, e := range after.Excluded {
		if e.ActionID == ignored {
			if e.Policy != "suppression" {
				t.Errorf("%s excluded by %s (%s), want suppression", ignored, e.Policy, e.Detail)
			}
			return
		}
	}
	t.Errorf("%s is neither offered nor explained in %+v", ignored, after.Excluded)
}

// TestModelMetricsEvent invokes score-batch with the metrics schedule's input once a
// response has given a model evidence: it publishes that model.
func TestModelMetricsEvent(t *testing.T) {
	w := newWorld(t, worldOptions{})
	if resp := w.invokeHTTP("RecordResponseFunction", readEvent(t, "record-response.json")); resp.StatusCode != http.StatusOK {
		t.Fatalf("record-response(sample) = %d %s", resp.StatusCode, resp.Body)
	}
	out, err := w.Invoke(context.Background(), "ScoreBatchFunction", readEvent(t, "score-batch-metrics.json"))
	if err != nil {
		t.Fatalf("score-batch(metrics) error: %v", err)
	}
	var answer struct{ Models int }
	if err := json.Unmarshal(out, &answer); err != nil || answer.Models != 1 {
		t.Errorf("score-batch(metrics) = %s, want the one model with evidence published", out)
	}
}
