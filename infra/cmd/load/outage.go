package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nextbest/nextbest/infra/local"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/httpapi"
	"github.com/nextbest/nextbest/shared/service"
)

// Targets of the outage scenario.
const (
	// targetOutageP99 bounds decide end to end, through the front door, while DynamoDB
	// fails: DECIDE_DEADLINE (150 ms by default) plus room for the hops around it.
	targetOutageP99 = 200 * time.Millisecond
	// budgetMargin is what a 503 may take beyond record-response's budget: the error's
	// mapping and encoding, the emulator and the front door.
	budgetMargin = 100 * time.Millisecond
)

// outagePhase is one way DynamoDB fails, as the fault proxy plays it.
type outagePhase struct {
	name  string
	fault local.Fault
	delay time.Duration
	// settle is how long to wait after recovery before retrying the failed responses,
	// so that writes which outlived their caller have landed.
	settle time.Duration
}

// outagePhases are the failures played, in order: a table that hangs, a server that
// resets connections, and a table slower than record-response's budget, once so slow
// that nothing a response needs arrives in time, once so that the reads arrive and
// the write commits after the caller was answered 503.
func outagePhases(budget time.Duration) []outagePhase {
	long, short := budget*3/2, budget*3/5
	return []outagePhase{
		{name: "paused (connections accepted, nothing answered)", fault: local.Pause},
		{name: "down (connections reset)", fault: local.Down},
		{name: fmt.Sprintf("slow, %s per request (past the %s budget)", long, budget), fault: local.Slow, delay: long, settle: long + time.Second},
		{name: fmt.Sprintf("slow, %s per request (reads in time, the write lands late)", short), fault: local.Slow, delay: short, settle: short + time.Second},
	}
}

// OutageDecide is one batch of decide requests made during a fault.
type OutageDecide struct {
	Summary // Failures are answers other than 200
	// Degraded and Whole split the 200 answers; Offered counts those with an action.
	Degraded, Whole, Offered int
	// Handler is the handler's own duration, from the emulator's REPORT lines.
	Handler Summary
	// first and count locate the batch among the decide process's invocations.
	first, count int
	lat          []time.Duration
	wall         time.Duration
}

// OutageRecord is the responses sent during one fault and retried after it.
type OutageRecord struct {
	Summary                   // latencies of the attempts during the fault; Failures: answers not 503 + Retry-After
	Statuses     StatusCounts // answers during the fault
	Unavailable  int          // 503 unavailable with Retry-After
	Retried      int
	RetryCounted int // the retry counted
	// RetryDuplicate: the retry found the response already recorded: the attempt that
	// was answered 503 had committed after all.
	RetryDuplicate int
	RetryFailed    int
}

// OutageRecovery is how soon decisions were whole again once DynamoDB was back.
type OutageRecovery struct {
	Phase    string
	Whole    bool
	After    time.Duration
	Requests int
}

// OutageResult is the outage scenario's figures.
type OutageResult struct {
	Customers         int
	CacheAge, Budget  time.Duration
	Decides           []OutageDecide
	AllDecides        Summary // every decide request made while DynamoDB was failing
	Records           []OutageRecord
	Recovery          []OutageRecovery
	Want, Got         evidence
	Mismatches        []Mismatch
	Failures          int
	HandlerReadFailed error
}

// outageResponse is one response sent during a fault, and what it must teach.
type outageResponse struct {
	body                 []byte
	decisionID, actionID string
	outcome              string
	model                decision.ModelKey
	positive             bool
}

// planOutageResponses plans an impression and a click on the first action of each
// decision.
func planOutageResponses(ds []decided, catalog *decision.Catalog) ([]outageResponse, error) {
	var out []outageResponse
	for _, d := range ds {
		if len(d.Actions) == 0 {
			continue
		}
		action := d.Actions[0].ActionID
		for _, outcome := range []string{decision.KindImpression, "click"} {
			body, err := json.Marshal(decision.Response{DecisionID: d.DecisionID, CustomerID: d.CustomerID, ActionID: action,
				Channel: d.Channel, Outcome: outcome, ResponseID: "outage-" + d.DecisionID + "-" + outcome})
			if err != nil {
				return nil, fmt.Errorf("marshal response: %w", err)
			}
			out = append(out, outageResponse{body: body, decisionID: d.DecisionID, actionID: action, outcome: outcome,
				model: catalog.ModelKey(action, d.Channel), positive: catalog.IsSuccess(action, outcome)})
		}
	}
	return out, nil
}

// ledgerOf is what responses must add to the models once each, however many times they
// were sent and whatever their first answers were: an impression per decision and
// action, and its first success.
func ledgerOf(plan []outageResponse) ModelCounts {
	out := ModelCounts{}
	impressions, successes := map[string]bool{}, map[string]bool{}
	for _, p := range plan {
		key := p.decisionID + "\x00" + p.actionID
		switch {
		case p.outcome == decision.KindImpression && !impressions[key]:
			impressions[key] = true
			out.add(p.model, true)
		case p.outcome != decision.KindImpression && p.positive && !successes[key]:
			successes[key] = true
			out.add(p.model, false)
		}
	}
	return out
}

// checkUnavailable verifies an answer given while DynamoDB fails: 503, the error code
// "unavailable" and a Retry-After header.
func checkUnavailable(status int, header http.Header, body string) error {
	var e httpapi.ErrorBody
	switch {
	case status != http.StatusServiceUnavailable:
		return fmt.Errorf("answered %d, want 503: %.200s", status, body)
	case json.Unmarshal([]byte(body), &e) != nil || e.Error.Code != decision.EUnavailable:
		return fmt.Errorf("answered 503 without the code %q: %.200s", decision.EUnavailable, body)
	case header.Get("Retry-After") == "":
		return errors.New("answered 503 without Retry-After")
	}
	return nil
}

// outageRun is the outage scenario's state: an environment of its own whose functions
// reach DynamoDB Local through the fault proxy.
type outageRun struct {
	b       *bench
	env     *local.Env
	faults  *local.Faults
	catalog *decision.Catalog
	base    string
	age     time.Duration

	decideClient, recordClient *http.Client
	reqs                       []decision.Request
	nextReq                    int
	decideCalls                int // invocations of the decide process so far
	offers                     []decided
	ledger                     ModelCounts
	res                        *OutageResult
}

func (o *outageRun) fail(what string, err error) {
	o.res.Failures++
	progress("  outage failure: %s: %v", what, err)
}

// outage measures decide and record-response while DynamoDB fails. It starts a second
// environment on the same DynamoDB Local (tables of its own, so the other scenarios'
// counters are untouched) whose functions reach it through the fault proxy, with short
// cache lifetimes so the caches can be due during a fault, and the default deadline.
func (b *bench) outage(ctx context.Context) error {
	faults, err := local.StartFaults(strings.TrimPrefix(b.env.Stack.DynamoDBEndpoint, "http://"))
	if err != nil {
		return err
	}
	defer faults.Close()
	progress("outage: a second environment whose functions reach DynamoDB Local through a fault proxy (caches %s, record budget %s, DECIDE_DEADLINE default)",
		b.s.cacheAge, b.s.recordBudget)
	env, err := local.Up(ctx, local.Options{Root: b.s.root, Prefix: "nextbest-outage-", Servers: b.env.Stack, Start: b.env.Now(),
		FunctionEnv: map[string]string{
			"AWS_ENDPOINT_URL_DYNAMODB": faults.URL(),
			"CATALOG_MAX_AGE":           b.s.cacheAge.String(),
			"MODELS_MAX_AGE":            b.s.cacheAge.String(),
			"RECORD_BUDGET":             b.s.recordBudget.String(),
		}})
	if err != nil {
		return fmt.Errorf("start the outage environment: %w", err)
	}
	defer env.Close()
	catalog, err := env.Seed(ctx, filepath.Join(b.s.root, "infra/catalog/demo.yaml"), b.s.outageCustomers, b.s.seed)
	if err != nil {
		return fmt.Errorf("seed the outage environment: %w", err)
	}
	srv := httptest.NewServer(env.FrontDoor())
	defer srv.Close()
	o := &outageRun{b: b, env: env, faults: faults, catalog: catalog, base: srv.URL, age: b.s.cacheAge,
		decideClient: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}},
		recordClient: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}},
		reqs:         Requests(1000, b.s.outageCustomers, b.s.seed+3),
		ledger:       ModelCounts{},
		res:          &OutageResult{Customers: b.s.outageCustomers, CacheAge: b.s.cacheAge, Budget: b.s.recordBudget},
	}
	defer o.decideClient.CloseIdleConnections()
	defer o.recordClient.CloseIdleConnections()
	if err := o.run(ctx); err != nil {
		return err
	}
	b.outageResult = o.res
	b.failed += o.res.Failures
	return nil
}

func (o *outageRun) run(ctx context.Context) error {
	before, err := o.env.Store.LoadModels(ctx, o.env.Now())
	if err != nil {
		return fmt.Errorf("load models: %w", err)
	}
	phases := outagePhases(o.b.s.recordBudget)
	perPhase := (o.b.s.outageResponses + 1) / 2
	if err := o.collectOffers(ctx, perPhase*len(phases)); err != nil {
		return err
	}
	var all []time.Duration
	var allWall time.Duration
	allFailures := 0
	for i, p := range phases {
		ds := o.offers[i*perPhase : (i+1)*perPhase]
		if err := o.phase(ctx, p, ds); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	for _, d := range o.res.Decides {
		all = append(all, d.lat...)
		allWall += d.wall
		allFailures += d.Failures
	}
	o.res.AllDecides = Summarize("every decide request during the faults", all, allWall, allFailures)
	o.handlerTimes()

	after, err := o.env.Store.LoadModels(ctx, o.env.Now())
	if err != nil {
		return fmt.Errorf("load models: %w", err)
	}
	delta := countsOf(after).Minus(countsOf(before))
	o.res.Got, o.res.Want = delta.Total(), o.ledger.Total()
	o.res.Mismatches = Compare(delta, o.ledger)
	for _, m := range o.res.Mismatches {
		o.fail("models after the faults", errors.New(m.String()+" — NOT EXACT"))
	}
	progress("  outage: models +%d impressions, +%d successes; every response once is +%d, +%d: %s",
		o.res.Got.impressions, o.res.Got.successes, o.res.Want.impressions, o.res.Want.successes, exactWord(len(o.res.Mismatches)))
	return nil
}

// decide asks the outage environment for a decision through its front door.
func (o *outageRun) decide(ctx context.Context) (d decided, degraded bool, lat time.Duration, err error) {
	req := o.reqs[o.nextReq%len(o.reqs)]
	o.nextReq++
	body, err := json.Marshal(req)
	if err != nil {
		return d, false, 0, err
	}
	t0 := time.Now()
	status, answer, _, err := postHeader(ctx, o.decideClient, o.base+"/v1/decisions", body)
	lat = time.Since(t0)
	o.decideCalls++
	if err != nil {
		return d, false, lat, err
	}
	d, err = checkDecision(status, answer)
	return d, d.Degraded, lat, err
}

// collectOffers makes healthy decisions until n offered an action, for the responses
// sent during the faults; they also warm the functions and their caches.
func (o *outageRun) collectOffers(ctx context.Context, n int) error {
	for range 50 * n {
		d, degraded, _, err := o.decide(ctx)
		if err != nil {
			return fmt.Errorf("healthy decide: %w", err)
		}
		if !degraded && len(d.Actions) > 0 {
			o.offers = append(o.offers, d)
			if len(o.offers) == n {
				return nil
			}
		}
	}
	return fmt.Errorf("%d healthy decisions offered an action, want %d", len(o.offers), n)
}

// refresh waits until both caches are due, then makes a healthy decision and responds
// to it, so both functions reload their catalog and models: the caches are fresh from
// the returned instant for CATALOG_MAX_AGE.
func (o *outageRun) refresh(ctx context.Context) (time.Time, error) {
	o.faults.Set(local.Pass, 0)
	time.Sleep(o.age + 200*time.Millisecond)
	at := time.Now()
	for range 100 {
		d, degraded, _, err := o.decide(ctx)
		if err != nil {
			return at, fmt.Errorf("healthy decide: %w", err)
		}
		if degraded || len(d.Actions) == 0 {
			continue
		}
		plan, err := planOutageResponses([]decided{d}, o.catalog)
		if err != nil {
			return at, err
		}
		status, answer, _, err := postHeader(ctx, o.recordClient, o.base+"/v1/responses", plan[0].body)
		var rec service.Recorded
		switch {
		case err != nil:
			return at, err
		case status != http.StatusOK || json.Unmarshal([]byte(answer), &rec) != nil:
			return at, fmt.Errorf("healthy impression answered %d: %.200s", status, answer)
		case rec.Counted:
			o.ledger.add(plan[0].model, true)
		}
		return at, nil
	}
	return at, errors.New("no whole decision with an offer from a healthy stack")
}

// phase plays one fault: caches fresh, decisions; caches due, decisions; responses
// all along; then recovery, and the failed responses sent again.
func (o *outageRun) phase(ctx context.Context, p outagePhase, ds []decided) error {
	n := o.b.s.outageN
	progress("  outage, DynamoDB %s: up to %d decisions with caches fresh, %d with both due, %d responses", p.name, n, n, 2*len(ds))
	plan, err := planOutageResponses(ds, o.catalog)
	if err != nil {
		return err
	}
	o.ledger.merge(ledgerOf(plan))
	refreshed, err := o.refresh(ctx)
	if err != nil {
		return err
	}
	o.faults.Set(p.fault, p.delay)
	var rec OutageRecord
	var retry []outageResponse
	var wg sync.WaitGroup
	wg.Go(func() { rec, retry = o.recordDuring(ctx, p.name, plan) })
	o.decideBatch(ctx, p.name+", caches fresh", n, refreshed.Add(o.age-250*time.Millisecond))
	time.Sleep(time.Until(refreshed.Add(o.age + 200*time.Millisecond)))
	o.decideBatch(ctx, p.name+", both caches due", n, time.Time{})
	wg.Wait()

	o.faults.Set(local.Pass, 0)
	recovered := time.Now()
	o.res.Recovery = append(o.res.Recovery, o.untilWhole(ctx, p.name, 2*o.age+2*time.Second))
	time.Sleep(time.Until(recovered.Add(p.settle)))
	o.retry(ctx, &rec, retry)
	o.res.Records = append(o.res.Records, rec)
	return nil
}

// decideBatch makes up to n decisions, stopping early at until (when set).
func (o *outageRun) decideBatch(ctx context.Context, name string, n int, until time.Time) {
	r := OutageDecide{first: o.decideCalls}
	start := time.Now()
	failures := 0
	for range n {
		if !until.IsZero() && time.Now().After(until) {
			break
		}
		d, degraded, lat, err := o.decide(ctx)
		r.lat = append(r.lat, lat)
		switch {
		case err != nil:
			failures++
			o.fail(name+": decide", err)
		case degraded:
			r.Degraded++
		default:
			r.Whole++
		}
		if err == nil && len(d.Actions) > 0 {
			r.Offered++
		}
	}
	if r.Whole > 0 {
		o.fail(name, fmt.Errorf("%d answers said nothing of the outage (not degraded)", r.Whole))
	}
	r.count = o.decideCalls - r.first
	r.wall = time.Since(start)
	r.Summary = Summarize(name, r.lat, r.wall, failures)
	progress("    %s: %d decisions, %d degraded, %d errors; p50 %.1f ms, p99 %.1f ms, max %.1f ms",
		name, r.Count, r.Degraded, failures, Millis(r.P50), Millis(r.P99), Millis(r.Max))
	o.res.Decides = append(o.res.Decides, r)
}

// recordDuring sends the planned responses during the fault; every answer must be a
// 503 with Retry-After. It returns the responses to send again after recovery: every
// one that was not a 200.
func (o *outageRun) recordDuring(ctx context.Context, name string, plan []outageResponse) (OutageRecord, []outageResponse) {
	r := OutageRecord{Statuses: StatusCounts{}}
	var lat []time.Duration
	var retry []outageResponse
	failures := 0
	start := time.Now()
	for _, p := range plan {
		t0 := time.Now()
		status, answer, header, err := postHeader(ctx, o.recordClient, o.base+"/v1/responses", p.body)
		lat = append(lat, time.Since(t0))
		r.Statuses[status]++
		if err == nil {
			err = checkUnavailable(status, header, answer)
		}
		if err != nil {
			failures++
			o.fail(name+": "+p.outcome, err)
		} else {
			r.Unavailable++
		}
		if status != http.StatusOK {
			retry = append(retry, p)
		}
	}
	r.Summary = Summarize(name, lat, time.Since(start), failures)
	progress("    %s: %d responses, %d answered 503 with Retry-After; p50 %.1f ms, p99 %.1f ms, max %.1f ms",
		name, r.Count, r.Unavailable, Millis(r.P50), Millis(r.P99), Millis(r.Max))
	return r, retry
}

// retry sends the failed responses again, with the same responseId: each must now
// count, or be found already recorded (a 503'd attempt that committed late).
func (o *outageRun) retry(ctx context.Context, r *OutageRecord, plan []outageResponse) {
	for _, p := range plan {
		r.Retried++
		status, answer, _, err := postHeader(ctx, o.recordClient, o.base+"/v1/responses", p.body)
		var rec service.Recorded
		switch {
		case err != nil:
			r.RetryFailed++
			o.fail("retry after recovery", err)
		case status != http.StatusOK || json.Unmarshal([]byte(answer), &rec) != nil:
			r.RetryFailed++
			o.fail("retry after recovery", fmt.Errorf("%s answered %d: %.200s", p.outcome, status, answer))
		case rec.Duplicate:
			r.RetryDuplicate++
		case rec.Counted:
			r.RetryCounted++
		default:
			r.RetryFailed++
			o.fail("retry after recovery", fmt.Errorf("%s answered neither counted nor duplicate: %s", p.outcome, answer))
		}
	}
	progress("    after recovery: %d retried, %d counted, %d already recorded (committed late), %d failed",
		r.Retried, r.RetryCounted, r.RetryDuplicate, r.RetryFailed)
}

// untilWhole asks for decisions every 50 ms until one is whole again (not degraded).
func (o *outageRun) untilWhole(ctx context.Context, phase string, limit time.Duration) OutageRecovery {
	start := time.Now()
	r := OutageRecovery{Phase: phase}
	for time.Since(start) < limit {
		r.Requests++
		if _, degraded, _, err := o.decide(ctx); err == nil && !degraded {
			r.Whole, r.After = true, time.Since(start)
			progress("    recovered: the first whole decision %.0f ms after DynamoDB came back (%d requests)", Millis(r.After), r.Requests)
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.After = time.Since(start)
	o.fail(phase, fmt.Errorf("decisions still degraded %.1fs after DynamoDB came back", r.After.Seconds()))
	return r
}

// handlerTimes reads the decide process's REPORT lines for each batch of decisions.
func (o *outageRun) handlerTimes() {
	time.Sleep(200 * time.Millisecond) // the emulator writes a REPORT line just after answering
	fn := o.env.Functions["DecideFunction"]
	times, err := ReadLogTimes(filepath.Join(o.b.cacheDir(), "logs"), fn.Name, fn.URL)
	if err != nil {
		o.res.HandlerReadFailed = err
		progress("  outage: handler times unavailable: %v", err)
		return
	}
	for i := range o.res.Decides {
		d := &o.res.Decides[i]
		if d.first+d.count > len(times.Invocations) {
			o.res.HandlerReadFailed = fmt.Errorf("the decide log has %d REPORT lines, want %d", len(times.Invocations), d.first+d.count)
			return
		}
		d.Handler = Summarize(d.Name, times.Invocations[d.first:d.first+d.count], 0, 0)
	}
}
