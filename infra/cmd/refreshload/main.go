// Command refreshload measures what every warm function's model refresh reads, before
// and after compaction, on DynamoDB Local: it seeds ACTIONS × CHANNELS models with a
// counter item per weekly bucket over WEEKS weeks (the counters of a logistic model of
// three predictors), times a refresh (dynamo.Store.LoadModelStatesCost: items, read
// capacity, milliseconds), compacts (dynamo.Store.CompactModels, no window), and times
// the refresh again.
//
//	go run ./infra/cmd/refreshload -actions 1000 -channels 7 -weeks 52
//
// It expects the tools (`make tools`); it starts DynamoDB Local and the SQS server on
// loopback and stops them at the end.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nextbest/nextbest/infra/local"
	"github.com/nextbest/nextbest/infra/localstack"
	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/dynamo"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run() error {
	actions := flag.Int("actions", 1000, "actions")
	channels := flag.Int("channels", 7, "channels per action (one model each)")
	weeks := flag.Int("weeks", 52, "weekly buckets of counters per model")
	writers := flag.Int("writers", 16, "concurrent writers while seeding")
	rootFlag := flag.String("root", ".", "repository root")
	flag.Parse()
	root, err := filepath.Abs(*rootFlag)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A year of counters for 7,000 models is more than DynamoDB Local's default heap.
	if os.Getenv(localstack.DynamoDBHeapEnv) == "" {
		os.Setenv(localstack.DynamoDBHeapEnv, "6g")
	}
	// A fixed instant: the weekly buckets are dated back from it.
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	env, err := local.StartStorage(ctx, local.Options{Root: root, Prefix: "refreshload-", Start: now,
		Progress: func(format string, args ...any) { fmt.Printf("· "+format+"\n", args...) }})
	if err != nil {
		return err
	}
	defer env.Close()
	memory := adaptive.Memory{Bucket: 7 * 24 * time.Hour}

	// One model's week of learning: a logistic model of two symbolic predictors of
	// three values and a numeric one of four bins.
	cfg := adaptive.Config{Kind: adaptive.Logistic, Memory: memory, Predictors: []adaptive.Predictor{
		{Name: "segment", Kind: adaptive.Symbolic}, {Name: "device", Kind: adaptive.Symbolic},
		{Name: "tenure", Kind: adaptive.Numeric, Bins: []float64{6, 12, 24}},
	}}
	weekDelta := func(w int) (adaptive.Delta, error) {
		m, err := adaptive.New(cfg, nil)
		if err != nil {
			return nil, err
		}
		at := now.Add(-time.Duration(w) * 7 * 24 * time.Hour)
		sum := map[adaptive.Key]int64{}
		for i := range 36 {
			x := []adaptive.Value{adaptive.Symbol([]string{"gold", "silver", "bronze"}[i%3]), adaptive.Symbol([]string{"ios", "android", "web"}[i/3%3]), adaptive.Number(float64(i))}
			for _, inc := range m.Snapshot(at).ObserveScored(x, false, at, 0) {
				sum[inc.Key] += inc.N
			}
		}
		var d adaptive.Delta
		for k, n := range sum {
			d = append(d, adaptive.Increment{Key: k, N: n})
		}
		return d, nil
	}
	deltas := make([]adaptive.Delta, *weeks)
	for w := range deltas {
		if deltas[w], err = weekDelta(w); err != nil {
			return err
		}
	}
	fmt.Printf("seeding %d models × %d weeks = %d items of %d counters\n", *actions**channels, *weeks, *actions**channels**weeks, len(deltas[0]))
	type job struct {
		key  decision.ModelKey
		week int
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	started := time.Now()
	for range *writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if err := env.Store.AddModelCounters(ctx, j.key, deltas[j.week], 0); err != nil {
					failed.CompareAndSwap(nil, &err)
				}
			}
		}()
	}
	for a := range *actions {
		for c := range *channels {
			for w := range *weeks {
				jobs <- job{decision.ModelKey{ActionID: fmt.Sprintf("action-%04d", a), Channel: fmt.Sprintf("channel-%d", c)}, w}
			}
		}
	}
	close(jobs)
	wg.Wait()
	if err := failed.Load(); err != nil {
		return *err
	}
	fmt.Printf("seeded in %.0fs\n", time.Since(started).Seconds())

	refresh := func(label string) (dynamo.ReadCost, error) {
		t0 := time.Now()
		states, cost, err := env.Store.LoadModelStatesCost(ctx)
		if err != nil {
			return cost, err
		}
		took := time.Since(t0)
		fmt.Printf("%-18s %d models, %d items in %d requests, %.0f read capacity units (≈ %.1f MB), %d ms\n",
			label, len(states), cost.Items, cost.Requests, cost.CapacityUnits, cost.CapacityUnits*2*4096/1e6, took.Milliseconds())
		return cost, nil
	}
	if _, err := refresh("refresh before:"); err != nil {
		return err
	}
	t0 := time.Now()
	c, err := env.Store.CompactModels(ctx, now, memory)
	if err != nil {
		return err
	}
	fmt.Printf("compaction:        %d items read, %d folded, %d deleted, %d left for the next run, %.0fs\n", c.Items, c.Folded, c.Deleted, c.Skipped, time.Since(t0).Seconds())
	_, err = refresh("refresh after:")
	return err
}
