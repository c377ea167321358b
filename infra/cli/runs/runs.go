// Package runs is `nextbest runs`: what became of an outbound batch run, its forecast
// against what happened.
package runs

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nextbest/nextbest/infra/cli"
	"github.com/nextbest/nextbest/shared/dynamo"
	"github.com/nextbest/nextbest/shared/service"
)

// NewCommand returns `nextbest runs` and its subcommands.
func NewCommand(env *cli.Env) *cobra.Command {
	cmd := cli.Group("runs", "Report on outbound batch runs: forecast against actual",
		`score-batch records every outbound run (its summary and its forecast per action) in
the decisions table (--decisions-table, default $DECISIONS_TABLE); the deliveries and
responses of its sends are kept there too. The catalog (--catalog-table, default
$CATALOG_TABLE) says which outcomes count as successes.`)
	var decisions, catalogTable string
	env.TableFlag(cmd, &decisions, "decisions")
	env.TableFlag(cmd, &catalogTable, "catalog")
	report := &cobra.Command{
		Use:   "report RUN_ID",
		Short: "Set a run's forecast against the deliveries and responses recorded so far",
		Long: `report reads a complete run's record and the responses to its sends recorded so far,
and prints, in all and per action (largest forecast first), the sends, deliveries,
forecast responses with their 95% interval, actual responses and the relative error, the
same for value, and the share of the forecast that rests on the catalog's priors. This
is what score-batch answers to {"runId": RUN_ID, "report": true}. Run ids are in the run
summaries score-batch logs (scheduled runs are named after their day).

With --json: service.RunReport, {"runId", "actions": {ACTION: {...}}, "total": {"sends",
"delivered", "expectedResponses", "responsesInterval95", "responses", "expectedValue",
"valueInterval95", "value", "fromPriors"}}.`,
		Args: cli.Args(1),
		RunE: cli.Run(func(cmd *cobra.Command, args []string) error {
			if err := cli.RequireTables(map[string]string{"decisions": decisions, "catalog": catalogTable}); err != nil {
				return err
			}
			now, err := env.Clock("runs", env.LocalEndpoint())
			if err != nil {
				return err
			}
			store, err := env.Store(cmd.Context(), dynamo.Tables{Decisions: decisions, Catalog: catalogTable})
			if err != nil {
				return err
			}
			planner := &service.Planner{Runs: store, Catalog: service.NewCatalogSnapshot(store, time.Minute, now), Now: now}
			r, err := planner.Report(cmd.Context(), args[0], store)
			if err != nil {
				return err
			}
			if env.JSON {
				return env.PrintJSON(r)
			}
			return printReport(env.Stdout, r)
		}),
	}
	cmd.AddCommand(report)
	return cmd
}

// printReport writes the run's total, then each action, largest forecast first.
func printReport(w io.Writer, r service.RunReport) error {
	fmt.Fprintf(w, "run %s: forecast against what has been recorded so far\n\n", r.RunID)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "action\tsends\tdelivered\tforecast responses (95%)\tactual\terror\tforecast value (95%)\tactual value\terror\tfrom priors\t")
	row := func(name string, a service.ActionReport) {
		re, ve := a.Error()
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f (%.1f–%.1f)\t%d\t%+.1f%%\t%.2f (%.2f–%.2f)\t%.2f\t%+.1f%%\t%.0f%%\t\n", name, a.Sends, a.Delivered,
			a.ExpectedResponses, a.ResponsesInterval[0], a.ResponsesInterval[1], a.Responses, 100*re,
			a.ExpectedValue, a.ValueInterval[0], a.ValueInterval[1], a.Value, 100*ve, 100*a.FromPriors)
	}
	row("total", r.Total)
	ids := slices.SortedFunc(maps.Keys(r.Actions), func(a, b string) int {
		return cmp.Or(cmp.Compare(r.Actions[b].ExpectedResponses, r.Actions[a].ExpectedResponses), cmp.Compare(a, b))
	})
	for _, id := range ids {
		row(id, r.Actions[id])
	}
	return tw.Flush()
}
