// Package lift is `nextbest lift`: the engine's lift against its control groups, and a
// challenger against the champion (see shared/lift and docs/measurement.md).
package lift

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nextbest/nextbest/infra/cli"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/dynamo"
	"github.com/nextbest/nextbest/shared/experiment"
	"github.com/nextbest/nextbest/shared/lift"
	"github.com/nextbest/nextbest/shared/service"
)

type options struct {
	days             int
	from, to, asOf   string
	attribution, pre string
	mde              float64
	cuts             string
}

// NewCommand returns `nextbest lift`.
func NewCommand(env *cli.Env) *cobra.Command {
	var o options
	var decisions, customers, catalogTable string
	cmd := &cobra.Command{
		Use:   "lift",
		Short: "Report the engine's lift against its control groups, and a challenger against the champion",
		Long: `lift reads the decision log, the outcome events and responses, and the catalog
versions from the tables, and prints, per cut, the engine's customers against the random
control group and against the silence control group, and a challenger against the
champion: customers, contacts, conversions and value per customer, the difference with
its 95% interval and its always-valid interval (valid however often the report is read),
a verdict in plain words, the guardrails, and the sample-ratio checks. --as-of ignores
what was recorded later, so a report read on a day can be reproduced on another.

With --json: the whole report (shared/lift.Report) as one JSON document.`,
		Args: cli.Args(0),
		RunE: cli.Run(func(cmd *cobra.Command, _ []string) error {
			if err := cli.RequireTables(map[string]string{"decisions": decisions, "customers": customers, "catalog": catalogTable}); err != nil {
				return err
			}
			now, err := env.Clock("lift", env.LocalEndpoint())
			if err != nil {
				return err
			}
			opts, err := reportOptions(o, now())
			if err != nil {
				return cli.Usagef("%v", err)
			}
			store, err := env.Store(cmd.Context(), dynamo.Tables{Decisions: decisions, Customers: customers, Catalog: catalogTable})
			if err != nil {
				return err
			}
			reporter := &service.LiftReporter{Store: store, Catalog: service.NewCatalogSnapshot(store, time.Minute, now)}
			report, err := reporter.Report(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if env.JSON {
				return env.PrintJSON(report)
			}
			return lift.Render(env.Stdout, report, strings.Split(o.cuts, ","))
		}),
	}
	env.TableFlag(cmd, &decisions, "decisions")
	env.TableFlag(cmd, &customers, "customers")
	env.TableFlag(cmd, &catalogTable, "catalog")
	f := cmd.Flags()
	f.IntVar(&o.days, "days", 28, "report the last `N` days, up to now")
	f.StringVar(&o.from, "from", "", "start of the window (RFC 3339 or a date); overrides --days")
	f.StringVar(&o.to, "to", "", "end of the window, excluded (default now)")
	f.StringVar(&o.asOf, "as-of", "", "ignore what was recorded after this time, to reproduce an earlier reading")
	f.StringVar(&o.attribution, "attribution", "7d", "how long after a decision an outcome counts")
	f.StringVar(&o.pre, "pre", "28d", "pre-period whose outcomes narrow the intervals (CUPED); 0 turns it off")
	f.Float64Var(&o.mde, "mde", experiment.DefaultMDE, "minimum detectable effect, relative to the control group, for the sample-size guidance")
	f.StringVar(&o.cuts, "cuts", "overall,issue,action,channel", "cuts to print: overall, issue, group, action, channel")
	return cmd
}

// reportOptions turns the command line into the report's options.
func reportOptions(o options, now time.Time) (lift.Options, error) {
	var opts lift.Options
	var err error
	opts.To = now
	if o.to != "" {
		if opts.To, err = decision.ParseTimeValue(o.to); err != nil {
			return opts, fmt.Errorf("--to: %w", err)
		}
	}
	opts.From = opts.To.Add(-time.Duration(o.days) * 24 * time.Hour)
	if o.from != "" {
		if opts.From, err = decision.ParseTimeValue(o.from); err != nil {
			return opts, fmt.Errorf("--from: %w", err)
		}
	}
	if !opts.From.Before(opts.To) {
		return opts, fmt.Errorf("the window is empty: %s is not before %s", opts.From.Format(time.RFC3339), opts.To.Format(time.RFC3339))
	}
	if o.asOf != "" {
		if opts.AsOf, err = decision.ParseTimeValue(o.asOf); err != nil {
			return opts, fmt.Errorf("--as-of: %w", err)
		}
	}
	attribution, err := decision.ParseDuration(o.attribution)
	if err != nil || attribution <= 0 {
		return opts, fmt.Errorf("--attribution %q: want a duration such as 7d", o.attribution)
	}
	opts.Attribution = attribution.Std()
	pre, err := decision.ParseDuration(o.pre)
	if err != nil {
		return opts, fmt.Errorf("--pre %q: want a duration such as 28d, or 0", o.pre)
	}
	opts.PrePeriod = pre.Std()
	if pre == 0 {
		opts.PrePeriod = -1
	}
	opts.Experiment = experiment.Options{MDE: o.mde}
	return opts, nil
}
