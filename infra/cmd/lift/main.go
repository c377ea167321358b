// Command lift reports what the engine adds, measured against its control groups:
//
//	go run ./infra/cmd/lift [-days 28 | -from DATE -to DATE] [-attribution 7d] [-pre 28d]
//	                        [-as-of TIME] [-mde 0.05] [-cuts overall,issue,action] [-json]
//
// It reads the decision log, the outcome events and responses, and the catalog versions
// from the tables, and prints, per cut, the engine's customers against the random
// control group and against the silence control group, and a challenger against the
// champion: customers, contacts, conversions and value per customer, the difference
// with its 95% interval and its always-valid interval (valid however often the report
// is read), a verdict in plain words, the guardrails, and the sample-ratio checks
// (see shared/lift). -as-of ignores what was recorded later, so a report read on a day
// can be reproduced on another. -json prints the whole report as a JSON document.
//
// Tables default to $DECISIONS_TABLE, $CUSTOMERS_TABLE and $CATALOG_TABLE; the endpoint
// to $AWS_ENDPOINT_URL_DYNAMODB (`source .cache/up.env` after `make up`).
// Exit status: 0 done, 1 an error, 2 bad usage.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/nextbest/nextbest/infra/cmdflag"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/dynamo"
	"github.com/nextbest/nextbest/shared/experiment"
	"github.com/nextbest/nextbest/shared/lift"
	"github.com/nextbest/nextbest/shared/platform"
	"github.com/nextbest/nextbest/shared/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

const usage = `usage: lift [flags]

Reports the engine's lift against its control groups, and a challenger against the
champion, from the decision log and the outcomes recorded.

flags:
`

type options struct {
	days                               int
	from, to, asOf                     string
	attribution, pre                   string
	mde                                float64
	cuts                               string
	asJSON                             bool
	endpoint, region                   string
	decisions, customers, catalogTable string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("lift", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	var o options
	fs.IntVar(&o.days, "days", 28, "report the last `N` days, up to now")
	fs.StringVar(&o.from, "from", "", "start of the window (RFC 3339 or a date); overrides -days")
	fs.StringVar(&o.to, "to", "", "end of the window, excluded (default now)")
	fs.StringVar(&o.asOf, "as-of", "", "ignore what was recorded after this time, to reproduce an earlier reading")
	fs.StringVar(&o.attribution, "attribution", "7d", "how long after a decision an outcome counts")
	fs.StringVar(&o.pre, "pre", "28d", "pre-period whose outcomes narrow the intervals (CUPED); 0 turns it off")
	fs.Float64Var(&o.mde, "mde", experiment.DefaultMDE, "minimum detectable effect, relative to the control group, for the sample-size guidance")
	fs.StringVar(&o.cuts, "cuts", "overall,issue,action,channel", "cuts to print: overall, issue, group, action, channel")
	fs.BoolVar(&o.asJSON, "json", false, "print the report as JSON")
	fs.StringVar(&o.endpoint, "endpoint", getenv("AWS_ENDPOINT_URL_DYNAMODB"), "DynamoDB endpoint `URL`, for a local stack")
	fs.StringVar(&o.region, "region", "", "AWS `region`")
	fs.StringVar(&o.decisions, "decisions-table", getenv("DECISIONS_TABLE"), "decisions table `name`")
	fs.StringVar(&o.customers, "customers-table", getenv("CUSTOMERS_TABLE"), "customers table `name`")
	fs.StringVar(&o.catalogTable, "catalog-table", getenv("CATALOG_TABLE"), "catalog table `name`")
	positional, err := cmdflag.ParseInterleaved(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		return 2
	case len(positional) > 0:
		fmt.Fprintf(stderr, "lift: unexpected argument %q\n", positional[0])
		return 2
	case o.decisions == "" || o.customers == "" || o.catalogTable == "":
		fmt.Fprintln(stderr, "lift: name the tables: -decisions-table, -customers-table, -catalog-table (or DECISIONS_TABLE, CUSTOMERS_TABLE, CATALOG_TABLE)")
		return 2
	}
	now, warning, err := platform.Clock(getenv, platform.IsLocalEndpoint(o.endpoint))
	if err != nil {
		fmt.Fprintln(stderr, "lift:", err)
		return 2
	}
	if warning != nil {
		fmt.Fprintln(stderr, "lift: warning:", warning)
	}
	opts, err := reportOptions(o, now())
	if err != nil {
		fmt.Fprintln(stderr, "lift:", err)
		return 2
	}
	client, err := dynamo.Connect(ctx, o.endpoint, o.region, getenv)
	if err != nil {
		fmt.Fprintln(stderr, "lift:", err)
		return 1
	}
	store := dynamo.New(client, dynamo.Tables{Decisions: o.decisions, Customers: o.customers, Catalog: o.catalogTable})
	reporter := &service.LiftReporter{Store: store, Catalog: service.NewCatalogSnapshot(store, time.Minute, now)}
	report, err := reporter.Report(ctx, opts)
	if err != nil {
		fmt.Fprintln(stderr, "lift:", err)
		return 1
	}
	if o.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			fmt.Fprintln(stderr, "lift:", err)
			return 1
		}
		return 0
	}
	if err := lift.Render(stdout, report, strings.Split(o.cuts, ",")); err != nil {
		fmt.Fprintln(stderr, "lift:", err)
		return 1
	}
	return 0
}

// reportOptions turns the command line into the report's options.
func reportOptions(o options, now time.Time) (lift.Options, error) {
	var opts lift.Options
	var err error
	opts.To = now
	if o.to != "" {
		if opts.To, err = decision.ParseTimeValue(o.to); err != nil {
			return opts, fmt.Errorf("-to: %w", err)
		}
	}
	opts.From = opts.To.Add(-time.Duration(o.days) * 24 * time.Hour)
	if o.from != "" {
		if opts.From, err = decision.ParseTimeValue(o.from); err != nil {
			return opts, fmt.Errorf("-from: %w", err)
		}
	}
	if !opts.From.Before(opts.To) {
		return opts, fmt.Errorf("the window is empty: %s is not before %s", opts.From.Format(time.RFC3339), opts.To.Format(time.RFC3339))
	}
	if o.asOf != "" {
		if opts.AsOf, err = decision.ParseTimeValue(o.asOf); err != nil {
			return opts, fmt.Errorf("-as-of: %w", err)
		}
	}
	attribution, err := decision.ParseDuration(o.attribution)
	if err != nil || attribution <= 0 {
		return opts, fmt.Errorf("-attribution %q: want a duration such as 7d", o.attribution)
	}
	opts.Attribution = attribution.Std()
	pre, err := decision.ParseDuration(o.pre)
	if err != nil {
		return opts, fmt.Errorf("-pre %q: want a duration such as 28d, or 0", o.pre)
	}
	opts.PrePeriod = pre.Std()
	if pre == 0 {
		opts.PrePeriod = -1
	}
	opts.Experiment = experiment.Options{MDE: o.mde}
	return opts, nil
}
