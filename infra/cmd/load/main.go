// Command load measures the local stack: warm decide latency through the emulator and
// through the HTTP front door, record-response throughput (one emulator process, then
// several in parallel) with an exactness check of the model counters, every function's
// cold start, mixed traffic (virtual channel apps deciding and responding together,
// with an exactness check), and decide and record-response while DynamoDB fails
// (through a fault proxy: paused, down, slow). It starts and seeds the stack itself and
// stops it at the end.
//
//	make build && go run ./infra/cmd/load -out docs/performance.md
//
// The exit code is 1 if any call failed or a check did not hold; a latency target
// missed is reported, not an error.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/nextbest/nextbest/infra/local"
)

type settings struct {
	customers, n, warmup, concurrency, coldRuns int
	seed                                        uint64
	out, root                                   string
	scenarios                                   string
	// The mixed scenario: virtual apps, a visit budget, a time bound and the mix.
	apps, visits                       int
	mixedTime                          time.Duration
	clickRate, convertRate, resendRate float64
	// The outage scenario.
	outageN, outageResponses, outageCustomers int
	cacheAge, recordBudget                    time.Duration
}

// allScenarios are the groups of scenarios -scenarios may name.
const allScenarios = "latency,cold,mixed,outage"

// runs reports whether the group of scenarios named is to run.
func (s settings) runs(group string) bool {
	return slices.Contains(strings.Split(s.scenarios, ","), group)
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
	flag.StringVar(&s.scenarios, "scenarios", allScenarios, "comma-separated groups of scenarios to run, of "+allScenarios)
	flag.IntVar(&s.apps, "apps", 4, "mixed: concurrent virtual channel apps")
	flag.IntVar(&s.visits, "visits", 3000, "mixed: at most this many visits (decide, then responses) over all apps")
	flag.DurationVar(&s.mixedTime, "mixed-time", 10*time.Second, "mixed: at most this long")
	flag.Float64Var(&s.clickRate, "click", 0.2, "mixed: share of offers clicked")
	flag.Float64Var(&s.convertRate, "convert", 0.25, "mixed: share of clicks followed by a conversion")
	flag.Float64Var(&s.resendRate, "resend", 0.05, "mixed: share of impressions and clicks sent twice with the same responseId")
	flag.IntVar(&s.outageN, "outage-n", 20, "outage: decide requests per fault, with caches fresh and again with both due")
	flag.IntVar(&s.outageResponses, "outage-responses", 8, "outage: responses sent during each fault (an impression and a click per decision)")
	flag.IntVar(&s.outageCustomers, "outage-customers", 1000, "outage: synthetic customers of the outage environment")
	flag.DurationVar(&s.cacheAge, "cache-age", 2*time.Second, "outage: CATALOG_MAX_AGE and MODELS_MAX_AGE of the outage environment's functions")
	flag.DurationVar(&s.recordBudget, "record-budget", 500*time.Millisecond, "outage: RECORD_BUDGET of the outage environment's record-response")
	flag.Parse()
	if s.n < 1 || s.warmup < 0 || s.concurrency < 1 || s.coldRuns < 1 {
		return fmt.Errorf("-n, -concurrency and -cold must be at least 1 and -warmup at least 0")
	}
	if s.apps < 1 || s.visits < 1 || s.mixedTime <= 0 || s.outageN < 1 || s.outageResponses < 1 || s.outageCustomers < 1 ||
		s.cacheAge < time.Second || s.recordBudget <= 0 {
		return fmt.Errorf("-apps, -visits, -outage-n, -outage-responses and -outage-customers must be at least 1, -mixed-time and -record-budget positive, -cache-age at least 1s")
	}
	for _, r := range []float64{s.clickRate, s.convertRate, s.resendRate} {
		if r < 0 || r > 1 {
			return fmt.Errorf("-click, -convert and -resend are shares between 0 and 1")
		}
	}
	for _, group := range strings.Split(s.scenarios, ",") {
		if !slices.Contains(strings.Split(allScenarios, ","), group) {
			return fmt.Errorf("-scenarios: unknown group %q (known: %s)", group, allScenarios)
		}
	}
	root, err := filepath.Abs(s.root)
	if err != nil {
		return fmt.Errorf("repository root: %w", err)
	}
	s.root = root

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	started := time.Now()
	idle := IdleShare(time.Second)
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
	report.Machine.Idle, report.Took = idle, time.Since(started)
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
