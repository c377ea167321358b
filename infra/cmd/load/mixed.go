package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

// mixRates are the shares of a visit's optional steps.
type mixRates struct {
	// click is the share of offers the customer clicks; convert the share of clicks
	// followed by a conversion (a second success outcome, which must not count again).
	click, convert float64
	// resend is the share of impressions and of clicks the app sends twice with the
	// same responseId, as a channel retrying after a lost answer.
	resend float64
}

// visitPlan is what one visit of a virtual channel app does: ask for a decision, then,
// if an action is offered, report its impression and maybe a click and a conversion.
type visitPlan struct {
	req                           decision.Request
	click, convert                bool
	resendImpression, resendClick bool
}

// visitGen draws an app's visits from its own seeded source, so a run's traffic is
// the same for a seed whatever the answers are.
type visitGen struct {
	rng       *rand.Rand
	customers int
	rates     mixRates
}

func newVisitGen(rngSeed uint64, app, customers int, rates mixRates) *visitGen {
	return &visitGen{rng: rand.New(rand.NewPCG(rngSeed, 0x313c0+uint64(app))), customers: customers, rates: rates}
}

// next draws the next visit. Every draw is made whether or not the visit gets that far,
// so the sequence does not depend on the answers.
func (g *visitGen) next() visitPlan {
	p := visitPlan{req: drawRequest(g.rng, g.customers)}
	p.click = g.rng.Float64() < g.rates.click
	p.convert = g.rng.Float64() < g.rates.convert
	p.resendImpression = g.rng.Float64() < g.rates.resend
	p.resendClick = g.rng.Float64() < g.rates.resend
	return p
}

// MixedResult is the mixed scenario's figures.
type MixedResult struct {
	Apps, Visits, Offered, Degraded int
	// Tolerated are 404 answers to responses to degraded decisions: a decision whose
	// log write missed its deadline cannot be responded to, by design.
	Tolerated       int
	Wall            time.Duration
	Decide, Respond Summary
	DecideStatus    StatusCounts
	RespondStatus   StatusCounts
	Tally           ResponseTally
	// Delta is what the models' counters rose by in DynamoDB Local.
	Delta      ModelCounts
	Mismatches []Mismatch
	Failures   int
}

// mixedApp is one virtual channel app: its own HTTP connection, visits and tallies.
type mixedApp struct {
	gen     *visitGen
	client  *http.Client
	base    string
	catalog *decision.Catalog

	decideLat, respondLat       []time.Duration
	decideStatus, respondStatus StatusCounts
	tally                       ResponseTally
	visits, offered, degraded   int
	tolerated, failures         int
	errs                        []error
}

func (a *mixedApp) fail(err error) {
	a.failures++
	if len(a.errs) < maxKeptErrors {
		a.errs = append(a.errs, err)
	}
}

// run makes visits until the shared visit budget or the time runs out.
func (a *mixedApp) run(ctx context.Context, until time.Time, visitsLeft *atomic.Int64) {
	for ctx.Err() == nil && time.Now().Before(until) && visitsLeft.Add(-1) >= 0 {
		a.visit(ctx, a.gen.next())
	}
}

// offer is the decision and action a visit responds to.
type offer struct {
	d              decided
	actionID       string
	model          decision.ModelKey
	successCounted bool
}

func (a *mixedApp) visit(ctx context.Context, p visitPlan) {
	a.visits++
	body, err := json.Marshal(p.req)
	if err != nil {
		a.fail(err)
		return
	}
	t0 := time.Now()
	status, answer, _, err := postHeader(ctx, a.client, a.base+"/v1/decisions", body)
	a.decideLat = append(a.decideLat, time.Since(t0))
	a.decideStatus[status]++
	if err != nil {
		a.fail(err)
		return
	}
	d, err := checkDecision(status, answer)
	if err != nil {
		a.fail(err)
		return
	}
	if d.Degraded {
		a.degraded++
	}
	if len(d.Actions) == 0 {
		return
	}
	a.offered++
	o := &offer{d: d, actionID: d.Actions[0].ActionID}
	o.model = a.catalog.ModelKey(o.actionID, d.Channel)
	if !a.respond(ctx, o, decision.KindImpression, firstSend) {
		return
	}
	if p.resendImpression {
		a.respond(ctx, o, decision.KindImpression, resend)
	}
	if !p.click || !a.respond(ctx, o, "click", firstSend) {
		return
	}
	if p.resendClick {
		a.respond(ctx, o, "click", resend)
	}
	if p.convert {
		a.respond(ctx, o, "convert", firstSend)
	}
}

// respond reports one outcome of the offer, checks the answer against what it must say
// and tallies it; it returns whether the answer was a 200.
func (a *mixedApp) respond(ctx context.Context, o *offer, outcome string, kind sendKind) bool {
	body, err := json.Marshal(decision.Response{DecisionID: o.d.DecisionID, CustomerID: o.d.CustomerID, ActionID: o.actionID,
		Channel: o.d.Channel, Outcome: outcome, ResponseID: o.d.DecisionID + "-" + outcome})
	if err != nil {
		a.fail(err)
		return false
	}
	t0 := time.Now()
	status, answer, _, err := postHeader(ctx, a.client, a.base+"/v1/responses", body)
	a.respondLat = append(a.respondLat, time.Since(t0))
	a.respondStatus[status]++
	switch {
	case err != nil:
		a.fail(err)
		return false
	case status == http.StatusNotFound && o.d.Degraded:
		a.tolerated++
		return false
	case status != http.StatusOK:
		a.fail(fmt.Errorf("%s to decision %s answered %d: %.200s", outcome, o.d.DecisionID, status, answer))
		return false
	}
	var rec service.Recorded
	if err := json.Unmarshal([]byte(answer), &rec); err != nil {
		a.fail(fmt.Errorf("%s answered 200 with %.200s", outcome, answer))
		return false
	}
	a.tally.Add(o.model, outcome, rec)
	if err := checkExpected(kind, outcome, a.catalog.IsSuccess(o.actionID, outcome), o.successCounted, rec); err != nil {
		a.fail(fmt.Errorf("decision %s: %w", o.d.DecisionID, err))
	}
	if rec.Counted && rec.Positive && outcome != decision.KindImpression {
		o.successCounted = true
	}
	return true
}

// mixed drives decide and record-response together through the HTTP front door: apps
// virtual channel apps, each on its own kept-alive connection, loop over visits
// (decide → impression → sometimes a click, a conversion, a resend) until the visit
// budget or the time runs out. Afterwards every model's counters must have risen by
// exactly what the answers said was counted.
func (b *bench) mixed(ctx context.Context) error {
	srv := httptest.NewServer(b.env.FrontDoor())
	defer srv.Close()
	rates := mixRates{click: b.s.clickRate, convert: b.s.convertRate, resend: b.s.resendRate}
	progress("mixed traffic: %d virtual channel apps through the HTTP front door, at most %d visits or %s",
		b.s.apps, b.s.visits, b.s.mixedTime)
	before, err := b.env.Store.LoadModels(ctx, b.env.Now())
	if err != nil {
		return fmt.Errorf("load models: %w", err)
	}
	apps := make([]*mixedApp, b.s.apps)
	for i := range apps {
		client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		defer client.CloseIdleConnections()
		apps[i] = &mixedApp{gen: newVisitGen(b.s.seed+2, i, b.s.customers, rates), client: client, base: srv.URL, catalog: b.catalog,
			decideStatus: StatusCounts{}, respondStatus: StatusCounts{}}
	}
	var left atomic.Int64
	left.Store(int64(b.s.visits))
	start := time.Now()
	until := start.Add(b.s.mixedTime)
	var wg sync.WaitGroup
	for _, a := range apps {
		wg.Go(func() { a.run(ctx, until, &left) })
	}
	wg.Wait()
	wall := time.Since(start)
	after, err := b.env.Store.LoadModels(ctx, b.env.Now())
	if err != nil {
		return fmt.Errorf("load models: %w", err)
	}

	m := &MixedResult{Apps: len(apps), Wall: wall, DecideStatus: StatusCounts{}, RespondStatus: StatusCounts{}}
	var decideLat, respondLat []time.Duration
	for i, a := range apps {
		m.Visits += a.visits
		m.Offered += a.offered
		m.Degraded += a.degraded
		m.Tolerated += a.tolerated
		m.Failures += a.failures
		m.DecideStatus.merge(a.decideStatus)
		m.RespondStatus.merge(a.respondStatus)
		m.Tally.Merge(a.tally)
		decideLat = append(decideLat, a.decideLat...)
		respondLat = append(respondLat, a.respondLat...)
		for _, err := range a.errs {
			progress("  mixed traffic, app %d failure: %v", i+1, err)
		}
	}
	m.Decide = Summarize(decideRoute, decideLat, wall, m.DecideStatus.Other(http.StatusOK))
	m.Respond = Summarize(responseRoute, respondLat, wall, m.RespondStatus.Other(http.StatusOK)-m.Tolerated)
	m.Delta = countsOf(after).Minus(countsOf(before))
	m.Mismatches = Compare(m.Delta, m.Tally.Counted)
	for _, mm := range m.Mismatches {
		progress("  mixed traffic: model %s — NOT EXACT", mm)
	}
	m.Failures += len(m.Mismatches)
	b.failed += m.Failures
	b.mixedResult = m
	got, want := m.Delta.Total(), m.Tally.Counted.Total()
	progress("  mixed traffic: %d visits in %.1fs; decide %.0f/s p50 %.2f ms p99 %.2f ms; responses %.0f/s p50 %.2f ms p99 %.2f ms; %d failed",
		m.Visits, wall.Seconds(), m.Decide.PerSecond, Millis(m.Decide.P50), Millis(m.Decide.P99),
		m.Respond.PerSecond, Millis(m.Respond.P50), Millis(m.Respond.P99), m.Failures)
	progress("  mixed traffic: models +%d impressions, +%d successes over %d models; the answers counted +%d, +%d: %s",
		got.impressions, got.successes, len(m.Delta), want.impressions, want.successes, exactWord(len(m.Mismatches)))
	return nil
}

func exactWord(mismatches int) string {
	if mismatches == 0 {
		return "exact"
	}
	return fmt.Sprintf("NOT EXACT (%d models differ)", mismatches)
}
