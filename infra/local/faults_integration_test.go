//go:build integration

package local_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nextbest/nextbest/infra/local"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/httpapi"
	"github.com/nextbest/nextbest/shared/service"
)

// TestOutagesOfDynamoDB puts a fault proxy between the functions and DynamoDB Local
// and fails it as a table or a network does: paused (nothing answers), down
// (connections reset), slow (every request later than the budgets), and answers lost
// (a response's transaction commits, and its answer never comes back). Through all of
// it decide answers, degraded, from its caches, even when both are due;
// record-response answers 503 with Retry-After and loses nothing: once DynamoDB is
// back, the same responses sent again count exactly once each, a write that landed
// unheard coming back as a duplicate.
//
// No latency is asserted here (docs/performance.md measures it): an answer at all is
// the proof, since without the deadline a paused table holds decide until the
// function times out.
func TestOutagesOfDynamoDB(t *testing.T) {
	faults, err := local.StartFaults(strings.TrimPrefix(servers.DynamoDBEndpoint, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { faults.Close() })
	const cacheAge = 500 * time.Millisecond
	w := newWorld(t, worldOptions{customers: 20, catalog: demoCatalog(t, withoutExploration...), functionEnv: map[string]string{
		"AWS_ENDPOINT_URL_DYNAMODB": faults.URL(),
		"DECIDE_DEADLINE":           "150ms",
		"RECORD_BUDGET":             "1s",
		"CATALOG_MAX_AGE":           cacheAge.String(),
		"MODELS_MAX_AGE":            cacheAge.String(),
	}})
	req := decision.Request{CustomerID: "C000007", Channel: "web", Placement: "account-sidebar"}

	// Healthy: decisions to respond to later, and warm caches. A loaded test machine
	// may miss the 150 ms deadline now and then, so a whole answer is waited for.
	var offers []decision.Decision
	for range 50 {
		var d decision.Decision
		w.api("/v1/decisions", req, &d)
		if !d.Degraded && len(d.Actions) > 0 {
			offers = append(offers, d)
			if len(offers) == 4 {
				break
			}
		}
	}
	if len(offers) < 4 {
		t.Fatalf("no whole answers from a healthy stack")
	}
	key := decision.ModelKey{ActionID: offers[0].Actions[0].ActionID, Channel: "web"}
	successes0, _ := w.models().Totals(key)

	click := func(d decision.Decision) decision.Response {
		return decision.Response{DecisionID: d.DecisionID, CustomerID: req.CustomerID, ActionID: d.Actions[0].ActionID,
			Channel: "web", Outcome: "click", ResponseID: "click-" + d.DecisionID}
	}
	phases := []struct {
		fault local.Fault
		delay time.Duration
		offer decision.Decision
		// reads: the fault reaches decide's reads and profile updates too.
		reads bool
		// wantDuplicate: the first attempt committed unheard, so the retry is a duplicate.
		wantDuplicate bool
	}{
		{local.Pause, 0, offers[0], true, false},
		{local.Down, 0, offers[1], true, false},
		{local.Slow, 3 * time.Second, offers[2], true, false},
		{local.LoseAnswers, 0, offers[3], false, true},
	}
	for _, p := range phases {
		time.Sleep(cacheAge + 100*time.Millisecond) // both caches are due
		if p.fault == local.LoseAnswers {
			faults.LoseAnswersOf("TransactWriteItems")
		} else {
			faults.Set(p.fault, p.delay)
		}
		if p.reads {
			var d decision.Decision
			status, body := w.post("/v1/decisions", req)
			// Without its profile, the customer is decided for from the context alone,
			// by the cached catalog.
			if status != 200 || json.Unmarshal([]byte(body), &d) != nil || !d.Degraded || d.CatalogVersion != "1" || d.KnownCustomer {
				t.Errorf("DynamoDB %s: decide = %d %.500s; want 200, degraded, by the cached catalog", p.fault, status, body)
			}
			if status, _ := w.patch("/v1/customers/"+req.CustomerID, map[string]any{"attributes": map[string]any{"segment": "family"}}); status != 503 {
				t.Errorf("DynamoDB %s: a profile update = %d; want 503", p.fault, status)
			}
		}
		status, body := w.post("/v1/responses", click(p.offer))
		var answer httpapi.ErrorBody
		if status != 503 || json.Unmarshal([]byte(body), &answer) != nil || answer.Error.Code != decision.EUnavailable {
			t.Errorf("DynamoDB %s: a click = %d %.200s; want 503 unavailable", p.fault, status, body)
		}
		faults.Set(local.Pass, 0)
		if p.fault == local.Slow {
			time.Sleep(p.delay + time.Second) // whatever was on its way lands
		}
		// The channel retries with the same id: it counts, once.
		var rec service.Recorded
		w.api("/v1/responses", click(p.offer), &rec)
		if p.wantDuplicate && !rec.Duplicate || !p.wantDuplicate && !rec.Counted && !rec.Duplicate {
			t.Errorf("DynamoDB %s: the retried click = %+v; want counted, or a duplicate of a write that landed unheard (duplicate expected: %v)", p.fault, rec, p.wantDuplicate)
		}
	}
	// Each offer's click counted exactly once, whatever happened to the first attempt.
	// The offers were of the same action for the same customer (exploration off).
	want := int64(0)
	for _, d := range offers {
		if d.Actions[0].ActionID == key.ActionID {
			want++
		}
	}
	if successes, _ := w.models().Totals(key); successes-successes0 != want {
		t.Errorf("after the outages, %s counted %d clicks, want %d", key.ActionID, successes-successes0, want)
	}
	// And once DynamoDB answers again, decisions are whole again.
	time.Sleep(cacheAge + 100*time.Millisecond)
	whole := false
	for range 20 {
		var d decision.Decision
		w.api("/v1/decisions", req, &d)
		if whole = !d.Degraded; whole {
			break
		}
	}
	if !whole {
		t.Error("decisions stay degraded after DynamoDB recovered")
	}
}

// TestBatchKilledMidRunResumes kills score-batch in the middle of a run (its DynamoDB
// slowed so that the run takes a while), starts it again and runs the same run id:
// the run completes, and once the queues are drained every planned customer got
// exactly one message, none twice, although the half-done segment was planned and
// enqueued again.
func TestBatchKilledMidRunResumes(t *testing.T) {
	ctx := context.Background()
	faults, err := local.StartFaults(strings.TrimPrefix(servers.DynamoDBEndpoint, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { faults.Close() })
	w := newWorld(t, worldOptions{customers: 400, functionEnv: map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": faults.URL()}})
	const runID = "killed-1"
	faults.Set(local.Slow, 30*time.Millisecond)
	first := w.Functions["ScoreBatchFunction"]
	stopped := make(chan error, 1)
	go func() {
		_, err := first.Invoke(ctx, []byte(`{"runId":"`+runID+`"}`))
		stopped <- err
	}()
	// Killed once the first messages are on the queues, so that the resumed run
	// enqueues some of them again. DynamoDB is paused first, so that the run cannot
	// finish between the look at the queues and the kill, however fast the machine.
	for range 1500 {
		if w.channelDepth() > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	faults.Set(local.Pause, 0)
	first.Close() // the function dies mid-run: no answer, no clean-up
	if err := <-stopped; err == nil {
		t.Fatal("the run answered before it was killed; slow the proxy down")
	}
	loggedAtKill, enqueuedAtKill := w.countItems("DecisionsTable", "D#"+runID+"-"), w.channelDepth()

	faults.Set(local.Pass, 0)
	again, err := w.StartFunction(ctx, "ScoreBatchFunction", "ScoreBatchFunction-again")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { again.Close() })
	w.Functions["ScoreBatchFunction"] = again
	var summary service.RunSummary
	w.mustRun(`{"runId":"`+runID+`"}`, &summary)
	if summary.Planned == 0 || len(summary.Pending) > 0 || enqueuedAtKill == 0 || enqueuedAtKill >= summary.Planned {
		t.Fatalf("after the kill (%d decisions logged, %d messages enqueued), the run again = %+v; want it finished, killed after some messages and before all",
			loggedAtKill, enqueuedAtKill, summary)
	}
	if _, err := w.DrainQueues(ctx); err != nil {
		t.Fatal(err)
	}
	perCustomer := map[string]int{}
	for _, d := range w.readDeliveries() {
		if strings.HasPrefix(d.MessageID, runID+"-") {
			perCustomer[d.CustomerID]++
		}
	}
	twice := 0
	for _, n := range perCustomer {
		if n > 1 {
			twice++
		}
	}
	if len(perCustomer) != summary.Planned || twice > 0 {
		t.Errorf("killed after %d of %d decisions: %d customers got a message, %d of them more than one; want each of the %d planned once",
			loggedAtKill, summary.Planned, len(perCustomer), twice, summary.Planned)
	}
	t.Logf("killed with %d decisions logged and %d messages enqueued; the resumed run planned %d, each delivered once", loggedAtKill, enqueuedAtKill, summary.Planned)
}
