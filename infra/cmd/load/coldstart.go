package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// coldEvents are cheap, state-neutral events for each function's first two
// invocations: a decide request, a response to an unknown decision (404), a batch
// request refused for its run id, and an empty SQS batch. Only decide's event makes
// the function load the catalog, models and a profile, so only its first invocation
// shows the lazy loading that follows init.
var coldEvents = map[string]func() ([]byte, error){
	"DecideFunction": func() ([]byte, error) {
		return HTTPEvent(decideRoute, []byte(`{"customerId":"C000042","channel":"web","placement":"home-hero"}`), time.Now())
	},
	"RecordResponseFunction": func() ([]byte, error) {
		return HTTPEvent(responseRoute, []byte(`{"decisionId":"load-cold-start","customerId":"C000001","actionId":"x","channel":"web","outcome":"impression"}`), time.Now())
	},
	"ScoreBatchFunction":  func() ([]byte, error) { return []byte(`{"runId":"not a valid id!"}`), nil },
	"SendMessageFunction": func() ([]byte, error) { return []byte(`{"Records":[]}`), nil },
}

// ColdStart is one function's cold-start figures, medians over the repetitions.
type ColdStart struct {
	Function string
	Runs     int
	// Ready is from starting the emulator process to its accepting connections.
	Ready time.Duration
	// Init is the runtime's init as the emulator reports it (INIT REPORT), the
	// figure Lambda bills and reports as Init Duration.
	Init time.Duration
	// First and Second are the first two invocations' round trips.
	First, Second time.Duration
}

// coldStarts measures every function's cold start runs times, each in a fresh
// emulator process.
func (b *bench) coldStarts(ctx context.Context) error {
	ids := b.env.Template.Functions()
	progress("cold starts: %d fresh emulator processes per function, %d functions", b.s.coldRuns, len(ids))
	for _, id := range ids {
		cs, err := b.coldStart(ctx, id)
		if err != nil {
			return err
		}
		b.cold = append(b.cold, cs)
		progress("  %s: ready %.2f ms, init %.2f ms, first invocation %.2f ms, second %.2f ms",
			id, Millis(cs.Ready), Millis(cs.Init), Millis(cs.First), Millis(cs.Second))
	}
	return nil
}

func (b *bench) coldStart(ctx context.Context, logicalID string) (ColdStart, error) {
	eventFor, ok := coldEvents[logicalID]
	if !ok {
		return ColdStart{}, fmt.Errorf("no cold-start event for %s", logicalID)
	}
	var ready, inits, firsts, seconds []time.Duration
	for run := range b.s.coldRuns {
		name := fmt.Sprintf("%s-cold%d", logicalID, run+1)
		t0 := time.Now()
		fn, err := b.startFunction(ctx, logicalID, name)
		if err != nil {
			return ColdStart{}, err
		}
		ready = append(ready, time.Since(t0))
		var rounds [2]time.Duration
		for i := range rounds {
			event, err := eventFor()
			if err != nil {
				fn.Close()
				return ColdStart{}, err
			}
			t := time.Now()
			if _, err := fn.Invoke(ctx, event); err != nil {
				fn.Close()
				return ColdStart{}, fmt.Errorf("cold start of %s, invocation %d: %w", logicalID, i+1, err)
			}
			rounds[i] = time.Since(t)
		}
		firsts, seconds = append(firsts, rounds[0]), append(seconds, rounds[1])
		times, err := ReadLogTimes(filepath.Join(b.cacheDir(), "logs"), name, fn.URL)
		fn.Close()
		if err != nil {
			return ColdStart{}, fmt.Errorf("cold start of %s: %w", logicalID, err)
		}
		if times.Init > 0 {
			inits = append(inits, times.Init)
		}
	}
	return ColdStart{Function: logicalID, Runs: b.s.coldRuns, Ready: Median(ready), Init: Median(inits),
		First: Median(firsts), Second: Median(seconds)}, nil
}
