package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"time"

	"github.com/nextbest/nextbest/infra/local"
	"github.com/nextbest/nextbest/infra/localstack"
	"github.com/nextbest/nextbest/shared/decision"
)

// bench holds what every scenario needs and collects their results.
type bench struct {
	s       settings
	env     *local.Env
	catalog *decision.Catalog
	results []Summary
	// decisions made by the two decide scenarios, for the record-response ones.
	emulatorDecisions, frontDoorDecisions []decided
	sequentialResponses                   int // invocations of the sequential record-response scenario
	cold                                  []ColdStart
	breakdown                             []Summary
	mixedResult                           *MixedResult
	outageResult                          *OutageResult
	// failed counts every failed call and failed check over the whole run.
	failed int
}

// frontDoorScenario is the scenario the end-to-end target is judged on.
const frontDoorScenario = "decide, HTTP front door (warm)"

// runAll runs the scenarios in an order where each finds what it needs: the decide
// scenarios make the decisions the record-response ones answer.
func (b *bench) runAll(ctx context.Context) error {
	steps := []struct {
		group, name string
		fn          func(context.Context) error
	}{
		{"latency", "decide through the emulator", b.decideEmulator},
		{"latency", "decide handler times", func(context.Context) error {
			return b.handlerTimes("DecideFunction", "decide handler, inside the function (RIE REPORT Duration)", b.s.n)
		}},
		{"latency", "decide through the front door", b.decideFrontDoor},
		{"latency", "record-response, sequential", b.recordSequential},
		{"latency", "record-response handler times", func(context.Context) error {
			return b.handlerTimes("RecordResponseFunction", "record-response handler, inside the function (RIE REPORT Duration)", b.sequentialResponses)
		}},
		{"latency", "record-response, concurrent", b.recordConcurrent},
		{"latency", "breakdown", b.probeBreakdown},
		{"cold", "cold starts", b.coldStarts},
		{"mixed", "mixed traffic", b.mixed},
		{"outage", "DynamoDB outage", b.outage},
	}
	for _, st := range steps {
		if !b.s.runs(st.group) {
			continue
		}
		if err := st.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
	}
	return nil
}

// report assembles the figures with the machine and the verdicts.
func (b *bench) report() Report {
	return Report{
		At: time.Now(), Machine: DescribeMachine(), Settings: b.s,
		Results: b.results, Cold: b.cold, Breakdown: b.breakdown, Mixed: b.mixedResult, Outage: b.outageResult,
		Verdicts: append(Verdicts(b.results, b.cold, frontDoorScenario), OutageVerdicts(b.outageResult)...),
	}
}

// invokeHTTP sends an API Gateway event to a function through the emulator and
// returns the function's HTTP status and body.
func invokeHTTP(ctx context.Context, invoke func(context.Context, []byte) ([]byte, error), routeKey string, body []byte) (int, string, error) {
	event, err := HTTPEvent(routeKey, body, time.Now())
	if err != nil {
		return 0, "", err
	}
	out, err := invoke(ctx, event)
	if err != nil {
		return 0, "", err
	}
	return HTTPAnswer(out)
}

// invoker returns the environment's Invoke bound to one function.
func (b *bench) invoker(logicalID string) func(context.Context, []byte) ([]byte, error) {
	return func(ctx context.Context, event []byte) ([]byte, error) { return b.env.Invoke(ctx, logicalID, event) }
}

// record adds a scenario's summary and reports its failures.
func (b *bench) record(name string, r Run, note string) {
	s := Summarize(name, r.Latencies, r.Wall, r.Failures())
	s.Note = note
	b.results = append(b.results, s)
	b.failed += r.Failures()
	for _, err := range r.Errors {
		progress("  %s failure: %v", name, err)
	}
	progress("  %s: n=%d p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms, %.0f/s, %d failed",
		name, s.Count, Millis(s.P50), Millis(s.P95), Millis(s.P99), Millis(s.Max), s.PerSecond, s.Failures)
}

// decideEmulator runs warm-up invocations, then the measured ones, straight to the
// emulator, keeping the decisions for the record-response scenarios.
func (b *bench) decideEmulator(ctx context.Context) error {
	reqs := Requests(b.s.warmup+b.s.n, b.s.customers, b.s.seed)
	call := func(req decision.Request) (decided, error) {
		body, err := json.Marshal(req)
		if err != nil {
			return decided{}, fmt.Errorf("marshal request: %w", err)
		}
		status, answer, err := invokeHTTP(ctx, b.invoker("DecideFunction"), decideRoute, body)
		if err != nil {
			return decided{}, err
		}
		return checkDecision(status, answer)
	}
	progress("decide through the emulator: %d warm-up, then %d measured invocations", b.s.warmup, b.s.n)
	for _, req := range reqs[:b.s.warmup] {
		if _, err := call(req); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	measured := reqs[b.s.warmup:]
	ds := make([]decided, len(measured))
	r := TimeSequential(len(measured), func(i int) (err error) {
		ds[i], err = call(measured[i])
		return err
	})
	b.emulatorDecisions = ds
	b.record("decide, emulator invoke (warm)", r, "API Gateway v2 event straight to the RIE; "+decisionMix(ds))
	return nil
}

// decideFrontDoor sends the same kind of traffic as a channel app would: HTTP POSTs on
// a kept-alive connection to the local API, which invokes decide through the emulator.
func (b *bench) decideFrontDoor(ctx context.Context) error {
	srv := httptest.NewServer(b.env.FrontDoor())
	defer srv.Close()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	defer client.CloseIdleConnections()
	// A different seed gives different customers, so this phase does not merely repeat
	// the emulator phase's decisions; warm-up is short because decide is already warm.
	reqs := Requests(b.s.warmup/4+b.s.n, b.s.customers, b.s.seed+1)
	call := func(req decision.Request) (decided, error) {
		body, err := json.Marshal(req)
		if err != nil {
			return decided{}, fmt.Errorf("marshal request: %w", err)
		}
		status, answer, err := post(ctx, client, srv.URL+"/v1/decisions", body)
		if err != nil {
			return decided{}, err
		}
		return checkDecision(status, answer)
	}
	progress("decide through the HTTP front door: %d warm-up, then %d measured requests", b.s.warmup/4, b.s.n)
	for _, req := range reqs[:b.s.warmup/4] {
		if _, err := call(req); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	measured := reqs[b.s.warmup/4:]
	ds := make([]decided, len(measured))
	r := TimeSequential(len(measured), func(i int) (err error) {
		ds[i], err = call(measured[i])
		return err
	})
	b.frontDoorDecisions = ds
	b.record(frontDoorScenario, r, "keep-alive HTTP client → local API → RIE; "+decisionMix(ds))
	return nil
}

// post sends one JSON body and returns the status and the answer.
func post(ctx context.Context, client *http.Client, url string, body []byte) (int, string, error) {
	status, answer, _, err := postHeader(ctx, client, url, body)
	return status, answer, err
}

// postHeader is post that also returns the answer's headers. A request that got no
// answer returns status 0.
func postHeader(ctx context.Context, client *http.Client, url string, body []byte) (int, string, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", nil, fmt.Errorf("post %s: %w", url, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", nil, fmt.Errorf("read answer of %s: %w", url, err)
	}
	return resp.StatusCode, string(answer), resp.Header, nil
}

// recordSequential posts responses to the emulator decisions through the one
// record-response process the environment runs.
func (b *bench) recordSequential(ctx context.Context) error {
	plan, err := PlanResponses(b.emulatorDecisions, b.s.n)
	if err != nil {
		return err
	}
	progress("record-response, sequential: %d responses (%d deliberate duplicates)", len(plan), countDuplicates(plan))
	b.sequentialResponses = len(plan)
	invoke := b.invoker("RecordResponseFunction")
	return b.recordPlan(ctx, "record-response, 1 RIE, sequential", plan, 1, func(int) func(context.Context, []byte) ([]byte, error) { return invoke })
}

// recordConcurrent starts extra record-response processes, since one emulator serves
// one invocation at a time, and spreads the front-door decisions' responses over them.
func (b *bench) recordConcurrent(ctx context.Context) error {
	fns, err := b.startExtraFunctions(ctx, "RecordResponseFunction", b.s.concurrency)
	if err != nil {
		return err
	}
	defer closeAll(fns)
	plan, err := PlanResponses(b.frontDoorDecisions, b.s.n)
	if err != nil {
		return err
	}
	// Warm every process first: the figure is for warm functions, as in the rest.
	if err := warmRecordFunctions(ctx, fns); err != nil {
		return err
	}
	progress("record-response, %d RIE processes in parallel: %d responses (%d deliberate duplicates)", len(fns), len(plan), countDuplicates(plan))
	name := fmt.Sprintf("record-response, %d RIEs, concurrent", len(fns))
	return b.recordPlan(ctx, name, plan, len(fns), func(w int) func(context.Context, []byte) ([]byte, error) { return fns[w].Invoke })
}

// warmRecordFunctions sends each process one response to an unknown decision, which
// loads the catalog and opens the connections but changes nothing.
func warmRecordFunctions(ctx context.Context, fns []*localstack.Function) error {
	body := []byte(`{"decisionId":"load-warm-up","customerId":"C000001","actionId":"x","channel":"web","outcome":"impression"}`)
	for _, fn := range fns {
		status, answer, err := invokeHTTP(ctx, fn.Invoke, responseRoute, body)
		if err != nil {
			return fmt.Errorf("warm %s: %w", fn.Name, err)
		}
		if status != http.StatusNotFound {
			return fmt.Errorf("warm %s: answered %d %s, want 404", fn.Name, status, answer)
		}
	}
	return nil
}

// recordPlan posts plan with workers in parallel, then checks that the models rose by
// exactly the non-duplicate responses: a lost or doubled update fails the run.
func (b *bench) recordPlan(ctx context.Context, name string, plan []plannedResponse, workers int, invokerFor func(worker int) func(context.Context, []byte) ([]byte, error)) error {
	keys := modelKeys(plan)
	before, err := b.modelTotals(ctx, keys)
	if err != nil {
		return err
	}
	r := TimeConcurrent(len(plan), workers, func(w, i int) error {
		status, answer, err := invokeHTTP(ctx, invokerFor(w), responseRoute, plan[i].body)
		if err != nil {
			return err
		}
		return checkRecorded(plan[i], status, answer)
	})
	after, err := b.modelTotals(ctx, keys)
	if err != nil {
		return err
	}
	want := b.expectedDelta(plan)
	got := evidence{impressions: after.impressions - before.impressions, successes: after.successes - before.successes}
	note := fmt.Sprintf("models +%d impressions, +%d positives (want +%d, +%d)", got.impressions, got.successes, want.impressions, want.successes)
	if got != want {
		note += " — NOT EXACT"
		r.failures++
		r.Errors = append(r.Errors, fmt.Errorf("model counters rose by %+v, want exactly %+v", got, want))
	} else {
		note += ": exact"
	}
	b.record(name, r, note)
	return nil
}

// evidence is what the models counted: impressions and successes.
type evidence struct{ impressions, successes int64 }

// expectedDelta is what the non-duplicate responses of a plan must add to the models.
func (b *bench) expectedDelta(plan []plannedResponse) evidence {
	var e evidence
	for _, p := range plan {
		switch {
		case p.duplicate:
		case p.outcome == decision.KindImpression:
			e.impressions++
		case b.catalog.IsSuccess(p.model.ActionID, p.outcome):
			e.successes++
		}
	}
	return e
}

// modelTotals sums the counters of the given models as the functions see them. A
// model's impressions are its successes plus its failures.
func (b *bench) modelTotals(ctx context.Context, keys []decision.ModelKey) (evidence, error) {
	models, err := b.env.Store.LoadModels(ctx, b.env.Now())
	if err != nil {
		return evidence{}, fmt.Errorf("load models: %w", err)
	}
	var total evidence
	for _, k := range keys {
		successes, failures := models.Totals(k)
		total.impressions += successes + failures
		total.successes += successes
	}
	return total, nil
}

// modelKeys lists the distinct models a plan touches.
func modelKeys(plan []plannedResponse) []decision.ModelKey {
	seen := map[decision.ModelKey]bool{}
	var keys []decision.ModelKey
	for _, p := range plan {
		if !seen[p.model] {
			seen[p.model] = true
			keys = append(keys, p.model)
		}
	}
	return keys
}

func countDuplicates(plan []plannedResponse) int {
	n := 0
	for _, p := range plan {
		if p.duplicate {
			n++
		}
	}
	return n
}

// startFunction starts one more emulator process for a function of the template.
func (b *bench) startFunction(ctx context.Context, logicalID, name string) (*localstack.Function, error) {
	fn, err := b.env.StartFunction(ctx, logicalID, name)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	return fn, nil
}

// startExtraFunctions starts n more processes of one function.
func (b *bench) startExtraFunctions(ctx context.Context, logicalID string, n int) ([]*localstack.Function, error) {
	fns := make([]*localstack.Function, 0, n)
	for i := range n {
		fn, err := b.startFunction(ctx, logicalID, fmt.Sprintf("%s-load%d", logicalID, i+1))
		if err != nil {
			closeAll(fns)
			return nil, err
		}
		fns = append(fns, fn)
	}
	return fns, nil
}

func (b *bench) cacheDir() string { return filepath.Join(b.s.root, ".cache") }

func closeAll(fns []*localstack.Function) {
	for _, fn := range fns {
		fn.Close()
	}
}
