// Command local runs nextbest on this machine without AWS.
//
//	go run ./infra/cmd/local demo   start the stack, seed it, make decisions, learn from
//	                                simulated responses, run a batch, deliver it, report, stop
//	go run ./infra/cmd/local up     start and seed the stack, play a week of history (unless
//	                                -history=false), then serve the API until Ctrl-C
//
// Both expect the tools (`make tools`) and the bootstraps (`make build`); `make demo`
// and `make up` do all of it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/nextbest/nextbest/infra/local"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

type settings struct {
	addr      string
	customers int
	seed      uint64
	traffic   int
	weeks     int
	history   bool
	root      string
}

func run() error {
	if len(os.Args) < 2 || (os.Args[1] != "demo" && os.Args[1] != "up") {
		return errors.New("usage: local demo|up [flags]; see -h")
	}
	mode := os.Args[1]
	var s settings
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	fs.StringVar(&s.addr, "addr", "127.0.0.1:3000", "address the local API listens on")
	fs.IntVar(&s.customers, "customers", 10000, "synthetic customers to seed")
	fs.Uint64Var(&s.seed, "seed", 42, "seed of the customer generator, the simulated responses and the functions' decision ids")
	fs.IntVar(&s.traffic, "traffic", 1000, "real-time decisions the demo simulates (each may get an impression and a click)")
	fs.IntVar(&s.weeks, "weeks", 4, "weeks of outbound the demo plays, the clock moving a week each time")
	fs.BoolVar(&s.history, "history", true, "up: play a week of history first (real-time traffic, a batch run delivered and answered, purchases), so that every report and console page has data")
	fs.StringVar(&s.root, "root", ".", "repository root")
	fs.Parse(os.Args[2:])
	root, err := filepath.Abs(s.root)
	if err != nil {
		return err
	}
	s.root = root

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start, err := local.StartInstant(os.Getenv)
	if err != nil {
		return err
	}
	started := time.Now()
	progress("the stack's clock starts at %s (set NEXTBEST_CLOCK to run at another instant)", start.Format(time.RFC3339))
	env, err := local.Up(ctx, local.Options{
		Root:  s.root,
		Start: start,
		// Decision ids, and with them exploration and the random control group, are
		// drawn from the seed, so the demo tells the same story on every run.
		Seed: s.seed,
		// A short model refresh lets the demo show learning within seconds; deployed
		// functions use the 30-second default.
		// The batch schedules sends at each customer's best hour, as deployed; those not
		// due during the demo wait on their queue.
		FunctionEnv: map[string]string{"MODELS_MAX_AGE": "1s", "FEEDS_MAX_AGE": "1s", "LOG_LEVEL": "warn", "SEND_TIME": "best"},
		Progress:    progress,
		// Four send-message processes drain the channel queues at once, as Lambda's
		// SQS pollers would run several instances.
		Senders: 4,
	})
	if err != nil {
		return err
	}
	defer env.Close()
	catalog, err := env.Seed(ctx, filepath.Join(s.root, "infra/catalog/demo.yaml"), s.customers, s.seed)
	if err != nil {
		return err
	}
	// No EventBridge here: refresh the weather feed once, as its schedule would.
	if _, err := env.Invoke(ctx, "ScoreBatchFunction", []byte(`{"feeds": true}`)); err != nil {
		return fmt.Errorf("refresh the context feeds: %w", err)
	}
	listener, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("listen on %s (pass -addr to choose another): %w", s.addr, err)
	}
	server := &http.Server{Handler: env.FrontDoor(), ReadHeaderTimeout: 5 * time.Second}
	go server.Serve(listener)
	defer server.Close()
	baseURL := "http://" + listener.Addr().String()
	progress("stack ready in %.1fs; API on %s (POST /v1/decisions, /v1/responses, /v1/outcomes; PATCH /v1/customers/{id})", time.Since(started).Seconds(), baseURL)

	d := &demo{env: env, catalog: catalog, api: &apiClient{base: baseURL, http: &http.Client{Timeout: 10 * time.Second}}, s: s}
	if mode == "up" {
		if s.history {
			if err := d.playHistory(ctx); err != nil {
				return err
			}
		}
		envFile := filepath.Join(s.root, ".cache", "up.env")
		if err := writeShellEnv(envFile, env.ShellEnv(), baseURL); err != nil {
			return err
		}
		fmt.Printf("\nTry:\n  curl -s -X POST %s/v1/decisions -d '{\"customerId\":\"C000042\",\"channel\":\"web\",\"placement\":\"home-hero\",\"explain\":true}'\n", baseURL)
		fmt.Printf("\nThe operator commands reach this stack from another shell after\n  source %s\n\nCtrl-C stops everything.\n", envFile)
		<-ctx.Done()
		os.Remove(envFile)
		return nil
	}
	if err := d.run(ctx); err != nil {
		return err
	}
	fmt.Printf("\nDemo finished in %.0fs; everything it started is stopped.\n", time.Since(started).Seconds())
	return nil
}

func progress(format string, args ...any) {
	fmt.Printf("· "+format+"\n", args...)
}

// writeShellEnv writes the exports that point a shell at the running stack.
func writeShellEnv(path string, vars map[string]string, apiURL string) error {
	var b strings.Builder
	b.WriteString("# Written by `make up`; `source` it to point the operator commands and curl at the local stack.\n")
	vars["NEXTBEST_API"] = apiURL
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		fmt.Fprintf(&b, "export %s=%q\n", k, vars[k])
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}
