// Command batchload measures score-batch end to end on the local stack: it starts the
// stack, seeds a synthetic base, and times a dry run and a real run of
// ScoreBatchFunction under the Lambda emulator, reporting customers per second.
//
//	go run ./infra/cmd/batchload -customers 100000
//
// It expects the tools (`make tools`) and the bootstraps (`make build`).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/nextbest/nextbest/infra/local"
	"github.com/nextbest/nextbest/shared/service"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run() error {
	customers := flag.Int("customers", 100000, "synthetic customers to seed and plan")
	seed := flag.Uint64("seed", 42, "seed of the customer generator")
	rootFlag := flag.String("root", ".", "repository root")
	flag.Parse()
	root, err := filepath.Abs(*rootFlag)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	start, err := local.StartInstant(os.Getenv)
	if err != nil {
		return err
	}
	env, err := local.Up(ctx, local.Options{Root: root, Prefix: "batchload-", Start: start, FunctionEnv: map[string]string{"LOG_LEVEL": "warn"},
		Progress: func(format string, args ...any) { fmt.Printf("· "+format+"\n", args...) }})
	if err != nil {
		return err
	}
	defer env.Close()
	started := time.Now()
	if _, err := env.Seed(ctx, filepath.Join(root, "infra/catalog/demo.yaml"), *customers, *seed); err != nil {
		return err
	}
	seeding := time.Since(started)
	fmt.Printf("seeded %d customers in %.1fs (%.0f customers/s)\n", *customers, seeding.Seconds(), float64(*customers)/seeding.Seconds())

	for _, req := range []struct{ name, payload string }{
		{"dry run (plan and forecast)", `{"runId":"batchload-dry","dryRun":true}`},
		{"run (plan, log decisions, enqueue)", `{"runId":"batchload-1"}`},
	} {
		t0 := time.Now()
		out, err := env.Invoke(ctx, "ScoreBatchFunction", []byte(req.payload))
		if err != nil {
			return fmt.Errorf("%s: %w", req.name, err)
		}
		took := time.Since(t0)
		var sum service.RunSummary
		if err := json.Unmarshal(out, &sum); err != nil {
			return fmt.Errorf("%s answered %s", req.name, out)
		}
		fmt.Printf("%-36s %d customers, %d sends in %.2fs through the emulator: %.0f customers/s\n",
			req.name, sum.Scanned, sum.Planned, took.Seconds(), float64(sum.Scanned)/took.Seconds())
		fmt.Printf("%-36s volume %v\n", "", sum.Volume)
	}
	return nil
}
