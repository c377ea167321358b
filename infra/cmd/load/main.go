// Command load measures the local stack: warm decide latency through the emulator and
// through the HTTP front door, record-response throughput (one emulator process, then
// several in parallel) with an exactness check of the model counters, and every
// function's cold start. It starts and seeds the stack itself and stops it at the end.
//
//	make build && go run ./infra/cmd/load -out docs/performance.md
//
// The exit code is 1 if any call failed or a check did not hold.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/nextbest/nextbest/infra/local"
)

type settings struct {
	customers, n, warmup, concurrency, coldRuns int
	seed                                        uint64
	out, root                                   string
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run() error {
	var s settings
	flag.IntVar(&s.customers, "customers", 10000, "synthetic customers to seed")
	flag.IntVar(&s.n, "n", 2000, "measured calls per scenario")
	flag.IntVar(&s.warmup, "warmup", 200, "warm-up decide invocations before measuring")
	flag.IntVar(&s.concurrency, "concurrency", 4, "extra record-response emulator processes for the concurrent scenario")
	flag.IntVar(&s.coldRuns, "cold", 3, "cold starts per function (the median is reported)")
	flag.Uint64Var(&s.seed, "seed", 42, "seed of the customer generator and the request mix")
	flag.StringVar(&s.out, "out", "", "also write the report as markdown to this file (a hand-written header above the generated marker is kept)")
	flag.StringVar(&s.root, "root", ".", "repository root")
	flag.Parse()
	if s.n < 1 || s.warmup < 0 || s.concurrency < 1 || s.coldRuns < 1 {
		return fmt.Errorf("-n, -concurrency and -cold must be at least 1 and -warmup at least 0")
	}
	root, err := filepath.Abs(s.root)
	if err != nil {
		return fmt.Errorf("repository root: %w", err)
	}
	s.root = root

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	started := time.Now()
	start, err := local.StartInstant(os.Getenv)
	if err != nil {
		return err
	}
	env, err := local.Up(ctx, local.Options{Root: s.root, Progress: progress, Start: start})
	if err != nil {
		return fmt.Errorf("start local environment: %w", err)
	}
	defer env.Close()
	catalog, err := env.Seed(ctx, filepath.Join(s.root, "infra/catalog/demo.yaml"), s.customers, s.seed)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	b := &bench{s: s, env: env, catalog: catalog}
	if err := b.runAll(ctx); err != nil {
		return err
	}
	report := b.report()
	fmt.Println()
	fmt.Print(report.Markdown())
	if s.out != "" {
		if err := WriteReport(s.out, report.Markdown()); err != nil {
			return err
		}
		progress("report written to %s", s.out)
	}
	progress("finished in %.0fs", time.Since(started).Seconds())
	if b.failed > 0 {
		return fmt.Errorf("%d calls or checks failed; see above", b.failed)
	}
	return nil
}

func progress(format string, args ...any) {
	fmt.Printf("· "+format+"\n", args...)
}
