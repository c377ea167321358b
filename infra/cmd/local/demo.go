package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nextbest/nextbest/infra/local"
	"github.com/nextbest/nextbest/infra/seed"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

// demo walks through the product end to end against the local stack.
type demo struct {
	env     *local.Env
	catalog *decision.Catalog
	api     *apiClient
	s       settings
	// runID is the batch run the delivery and report steps follow.
	runID string
}

func (d *demo) run(ctx context.Context) error {
	steps := []struct {
		title string
		fn    func(context.Context) error
	}{
		{"Real-time decisions, with their reasons", d.showDecisions},
		{"The weather changes the next best action", d.showWeather},
		{"Bad input is refused and changes nothing", d.showBadInput},
		{"Simulated traffic: decisions, impressions and clicks through the API", d.simulateTraffic},
		{"The next decision has learned", d.showLearning},
		{"Four weeks of outbound: each Monday the batch plans, send-message delivers, customers convert and buy; forecast against actual", d.runWeeks},
	}
	for i, st := range steps {
		fmt.Printf("\n== %d. %s\n", i+1, st.title)
		if err := st.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", st.title, err)
		}
	}
	return nil
}

func (d *demo) decide(ctx context.Context, req decision.Request) (decision.Decision, time.Duration, error) {
	var out decision.Decision
	status, raw, took, err := d.api.post(ctx, "/v1/decisions", req, &out)
	if err == nil && status != 200 {
		err = fmt.Errorf("decide answered %d: %s", status, raw)
	}
	return out, took, err
}

func (d *demo) showDecisions(ctx context.Context) error {
	samples := []decision.Request{
		{CustomerID: "C000042", Channel: "web", Placement: "home-hero"},
		{CustomerID: "C000007", Channel: "app", Placement: "offers-tab", Limit: 2},
		{CustomerID: "C000123", Channel: "callcenter", Placement: "advisor-panel", Context: map[string]any{"intent": "cancel"}},
		{CustomerID: "C000002", Channel: "email"},
		{CustomerID: "visitor-8f3a", Channel: "web", Placement: "home-hero", Context: map[string]any{"device": "mobile"}},
	}
	for _, req := range samples {
		dec, took, err := d.decide(ctx, req)
		if err != nil {
			return err
		}
		printDecision(req, dec, took)
	}
	return nil
}

func printDecision(req decision.Request, d decision.Decision, took time.Duration) {
	who := req.CustomerID
	if !d.KnownCustomer {
		who += " (unknown: decided from context alone)"
	}
	fmt.Printf("\n%s on %s/%s  [decision %s, %.1f ms]\n", who, req.Channel, req.Placement, short(d.DecisionID), float64(took.Microseconds())/1000)
	if d.Silence != nil {
		fmt.Printf("  silence: %s — %s\n", d.Silence.Reason, d.Silence.Detail)
		return
	}
	for _, a := range d.Actions {
		fmt.Printf("  → %s (%s/%s) treatment %s\n", a.ActionID, a.Issue, a.Group, a.TreatmentID)
		fmt.Printf("    %q\n", firstContent(a.Content))
		for _, r := range a.Reasons {
			fmt.Printf("    · %s\n", r)
		}
	}
}

func firstContent(c map[string]string) string {
	for _, k := range []string{"title", "subject", "text"} {
		if v, ok := c[k]; ok {
			return v
		}
	}
	return ""
}

func short(id string) string { return id[:min(8, len(id))] }

func (d *demo) showBadInput(ctx context.Context) error {
	bad := []struct{ what, body string }{
		{"malformed JSON", `{"customerId": "C000042", "channel": `},
		{"missing channel", `{"customerId": "C000042"}`},
		{"unknown channel", `{"customerId": "C000042", "channel": "fax"}`},
		{"body over the limit", `{"customerId": "` + strings.Repeat("x", 20000) + `", "channel": "web"}`},
	}
	for _, b := range bad {
		status, raw, _, err := d.api.post(ctx, "/v1/decisions", b.body, nil)
		if err != nil {
			return err
		}
		fmt.Printf("  %-20s → %d %s\n", b.what, status, raw)
	}
	return nil
}

// trafficStats summarizes the simulated traffic.
type trafficStats struct {
	decisions, silences, impressions, clicks, duplicates int
	latencies                                            []time.Duration
}

// simulateTraffic sends decisions for random customers on web and app; each offered
// action is shown (an impression) and clicked with the synthetic behaviour's true
// probability, so the models have real signal to learn.
func (d *demo) simulateTraffic(ctx context.Context) error {
	rng := rand.New(rand.NewPCG(d.s.seed, 7))
	profiles := seed.Profiles(d.s.seed, d.s.customers, d.env.Now())
	placements := []decision.Request{{Channel: "web", Placement: "home-hero"}, {Channel: "app", Placement: "home-card"}}
	var st trafficStats
	for i := range d.s.traffic {
		p := profiles[rng.IntN(len(profiles))]
		req := placements[i%len(placements)]
		req.CustomerID = p.CustomerID
		dec, took, err := d.decide(ctx, req)
		if err != nil {
			return err
		}
		st.decisions++
		st.latencies = append(st.latencies, took)
		if dec.Silence != nil {
			st.silences++
			continue
		}
		for _, a := range dec.Actions {
			if err := d.respond(ctx, dec, a.ActionID, "impression", &st); err != nil {
				return err
			}
			if rng.Float64() < seed.ResponseProbability(&p, a.ActionID, dec.Channel) {
				if err := d.respond(ctx, dec, a.ActionID, "click", &st); err != nil {
					return err
				}
			}
		}
	}
	fmt.Printf("  %d decisions (%d silent), %d impressions, %d clicks recorded\n", st.decisions, st.silences, st.impressions, st.clicks)
	p50, p95, p99 := percentiles(st.latencies)
	fmt.Printf("  decide latency through the local API and the emulator: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms\n", ms(p50), ms(p95), ms(p99))
	return nil
}

func (d *demo) respond(ctx context.Context, dec decision.Decision, actionID, outcome string, st *trafficStats) error {
	resp := decision.Response{DecisionID: dec.DecisionID, CustomerID: dec.CustomerID, ActionID: actionID, Channel: dec.Channel, Outcome: outcome}
	var rec service.Recorded
	status, raw, _, err := d.api.post(ctx, "/v1/responses", resp, &rec)
	if err != nil {
		return err
	}
	if status != 200 {
		return fmt.Errorf("record-response answered %d: %s", status, raw)
	}
	switch {
	case rec.Duplicate:
		st.duplicates++
	case outcome == "click":
		st.clicks++
	default:
		st.impressions++
	}
	return nil
}

func percentiles(ds []time.Duration) (p50, p95, p99 time.Duration) {
	if len(ds) == 0 {
		return
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	at := func(q float64) time.Duration { return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))] }
	return at(0.50), at(0.95), at(0.99)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (d *demo) showLearning(ctx context.Context) error {
	time.Sleep(1100 * time.Millisecond) // the demo's models refresh every second
	req := decision.Request{CustomerID: "C000042", Channel: "web", Placement: "home-hero"}
	dec, took, err := d.decide(ctx, req)
	if err != nil {
		return err
	}
	printDecision(req, dec, took)
	return nil
}

func (d *demo) invokeBatch(ctx context.Context, request string, out any) error {
	raw, err := d.env.Invoke(ctx, "ScoreBatchFunction", []byte(request))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("score-batch answered %s", raw)
	}
	return nil
}

func bound(n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

func formatCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func (d *demo) deliver(ctx context.Context) error {
	stats, err := d.env.DrainQueues(ctx)
	if err != nil {
		return err
	}
	deliveries, err := readSink(d.env.SinkPath)
	if err != nil {
		return err
	}
	byChannel := map[string]int{}
	sample := map[string]service.Delivery{}
	// Parallel senders append in any order: the samples are the first by message id.
	slices.SortFunc(deliveries, func(a, b service.Delivery) int { return strings.Compare(a.MessageID, b.MessageID) })
	for _, dl := range deliveries {
		byChannel[dl.Channel]++
		if _, ok := sample[dl.Channel]; !ok {
			sample[dl.Channel] = dl
		}
	}
	for _, ch := range []string{"email", "sms", "push"} {
		s := stats[ch]
		fmt.Printf("  %-5s %5d messages in %4d batches → %5d delivered, %d skipped at the last moment or held until their send time, %d failed\n",
			ch, s.Messages, s.Batches, byChannel[ch], s.Messages-s.Failed-byChannel[ch], s.Failed)
	}
	for _, ch := range []string{"email", "sms", "push"} {
		if dl, ok := sample[ch]; ok {
			fmt.Printf("  sample %s to %s: %q\n", ch, dl.CustomerID, firstContent(dl.Content))
		}
	}
	return nil
}

func readSink(path string) ([]service.Delivery, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []service.Delivery
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var dl service.Delivery
		if err := json.Unmarshal(sc.Bytes(), &dl); err != nil {
			return nil, fmt.Errorf("sink line: %w", err)
		}
		out = append(out, dl)
	}
	return out, sc.Err()
}
