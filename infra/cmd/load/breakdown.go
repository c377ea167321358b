package main

import (
	"context"
	"fmt"
	"github.com/nextbest/nextbest/shared/adaptive"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nextbest/nextbest/infra/seed"
	"github.com/nextbest/nextbest/shared/decision"
)

// breakdownCalls is how many calls each breakdown probe makes; enough for a stable p99.
const breakdownCalls = 500

// handlerTimes summarizes the handler durations a function's emulator logged for its
// last n invocations, i.e. the scenario just measured: the time inside the function,
// without the emulator's hop and the load script's client.
func (b *bench) handlerTimes(logicalID, label string, n int) error {
	// The emulator writes an invocation's REPORT line just after answering it.
	time.Sleep(200 * time.Millisecond)
	fn := b.env.Functions[logicalID]
	times, err := ReadLogTimes(filepath.Join(b.cacheDir(), "logs"), logicalID, fn.URL)
	if err != nil {
		return err
	}
	inv := times.Invocations
	if len(inv) < n {
		return fmt.Errorf("%s's log has %d REPORT lines, want at least %d", logicalID, len(inv), n)
	}
	b.breakdown = append(b.breakdown, Summarize(label, inv[len(inv)-n:], 0, 0))
	return nil
}

// probeBreakdown times, from the load process, the pieces a warm decide or
// record-response is made of: an emulator round trip that does no work, and each
// DynamoDB Local call the functions make, through the same SDK.
func (b *bench) probeBreakdown(ctx context.Context) error {
	progress("breakdown: emulator no-op round trip and DynamoDB Local calls, %d each", breakdownCalls)
	now := b.env.Now
	since := now().Add(-b.catalog.HistoryWindow())
	store := b.env.Store
	decisionID := b.emulatorDecisions[0].DecisionID
	// A response's counters, as many as a real one: the totals, every predictor and
	// the calibration counter of the first offered action's model.
	cfg, _ := b.catalog.ModelConfig(b.emulatorDecisions[0].Actions[0].ActionID)
	model, err := adaptive.New(cfg, nil)
	if err != nil {
		return err
	}
	learn := model.Update(nil, false, now())
	probes := []struct {
		name string
		call func(i int) error
	}{
		{"RIE round trip, empty SQS batch to send-message", func(int) error {
			_, err := b.env.Invoke(ctx, "SendMessageFunction", []byte(`{"Records":[]}`))
			return err
		}},
		{"DynamoDB Local Query: profile + history (decide)", func(i int) error {
			_, err := store.LoadCustomer(ctx, seed.CustomerID(i%max(1, b.s.customers)), since)
			return err
		}},
		{"DynamoDB Local PutItem: decision log (decide)", func(i int) error {
			return store.PutDecision(ctx, decision.LoggedDecision{DecisionID: "load-probe-" + strconv.Itoa(i), CustomerID: "C000001",
				Channel: "web", DecidedAt: now(), ExpiresAt: now().Add(time.Hour)})
		}},
		{"DynamoDB Local GetItem: logged decision (record-response)", func(int) error {
			_, err := store.GetDecision(ctx, decisionID, now())
			return err
		}},
		{"DynamoDB Local TransactWriteItems: claim + counters + history (record-response)", func(i int) error {
			a := decision.Attribution{DecisionID: "load-probe-" + strconv.Itoa(i), CustomerID: "C000001", Claim: decision.ImpressionClaim("load-probe"),
				Model: decision.ModelKey{ActionID: "load-probe", Channel: "web"}, Learn: learn,
				Contact: decision.ContactEvent{At: now(), Kind: decision.KindImpression, ActionID: "load-probe", Channel: "web"}}
			_, err := store.RecordResponse(ctx, a, now().Add(time.Hour))
			return err
		}},
	}
	for _, p := range probes {
		r := TimeSequential(breakdownCalls, p.call)
		for _, err := range r.Errors {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		b.breakdown = append(b.breakdown, Summarize(p.name, r.Latencies, r.Wall, 0))
	}
	return nil
}
