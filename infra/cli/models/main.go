// Package models is `nextbest models`: it reports on the live adaptive models and
// compacts their counters (see docs/monitoring.md).
package models

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nextbest/nextbest/infra/cli"
	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/dynamo"
	"github.com/nextbest/nextbest/shared/monitor"
)

// options are what report and compact are asked.
type options struct {
	model  string // "" for every model
	emf    bool
	asJSON bool
}

// NewCommand returns `nextbest models` and its subcommands.
func NewCommand(env *cli.Env) *cobra.Command {
	cmd := cli.Group("models", "Report on the live adaptive models and compact their counters",
		`The models are the adaptive propensity models the engine learns, one per action and
channel, kept as counters in the models table (--models-table, default $MODELS_TABLE);
both commands read the live catalog from the catalog table (--catalog-table, default
$CATALOG_TABLE). See docs/monitoring.md.`)
	var modelsTable, catalogTable string
	env.TableFlag(cmd, &modelsTable, "models")
	env.TableFlag(cmd, &catalogTable, "catalog")
	var o options
	// sub makes report or compact, which differ only in what they do with the store.
	sub := func(use, short, long string, do func(context.Context, modelStore, options, io.Writer, func() time.Time) error) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Long: long, Args: cli.Args(0),
			RunE: cli.Run(func(cmd *cobra.Command, _ []string) error {
				if err := cli.RequireTables(map[string]string{"models": modelsTable, "catalog": catalogTable}); err != nil {
					return err
				}
				if o.emf && env.JSON {
					return cli.Usagef("--emf and --json are two outputs: choose one")
				}
				now, err := env.Clock("models", env.LocalEndpoint())
				if err != nil {
					return err
				}
				store, err := env.Store(cmd.Context(), dynamo.Tables{Catalog: catalogTable, Models: modelsTable})
				if err != nil {
					return err
				}
				o.asJSON = env.JSON
				return do(cmd.Context(), store, o, env.Stdout, now)
			})}
	}
	report := sub("report", "Print every live model's evidence, success rate, AUC, calibration and predictors",
		`report loads the live catalog and every model's counters and prints, per model, the
evidence, positives, success rate, AUC, active predictors, calibration table and
predictors by AUC; with --emf, the CloudWatch embedded-metric-format lines the functions
log instead. --model keeps one model (ACTION/CHANNEL, * for a model shared by every
channel), or with an action alone every channel of it.

With --json: {"catalogVersion", "readAt", "models": [{"model", "action", "channel",
"report": {"Evidence", "Positives", "SuccessRate", "BaseRate", "AUC", "Predictors",
"Calibration"}}]}, the report's fields as in shared/adaptive.ModelReport.`, report)
	report.Flags().StringVar(&o.model, "model", "", "report only this model, `ACTION/CHANNEL` (* for a model shared by every channel), or every channel of ACTION")
	report.Flags().BoolVar(&o.emf, "emf", false, "print CloudWatch embedded-metric-format lines instead of the table")
	compact := sub("compact", "Delete or fold old model buckets so that a refresh reads a bounded amount",
		`compact bounds what every warm function's refresh reads: it deletes the buckets the
live catalog's memory window has dropped, or, without a window, folds each model's
buckets older than the last two into one item. The deployed stack runs the same weekly
(score-batch's ModelCompaction schedule).

With --json: {"items", "folded", "deleted", "skipped"}.`, compact)
	cmd.AddCommand(report, compact)
	return cmd
}

// compact deletes or folds old buckets as the live catalog's memory allows.
func compact(ctx context.Context, store modelStore, o options, out io.Writer, now func() time.Time) error {
	catalog, err := liveCatalog(ctx, store)
	if err != nil {
		return err
	}
	c, err := store.CompactModels(ctx, now(), catalog.ModelMemory())
	if err != nil {
		return err
	}
	if o.asJSON {
		return cli.WriteJSON(out, compactionResult{Items: c.Items, Folded: c.Folded, Deleted: c.Deleted, Skipped: c.Skipped})
	}
	fmt.Fprintf(out, "%d items read: %d folded into their model's compacted item, %d expired and deleted, %d written to meanwhile (left for the next run)\n",
		c.Items, c.Folded, c.Deleted, c.Skipped)
	return nil
}

// modelStore is what the commands read and write (*dynamo.Store).
type modelStore interface {
	LoadCatalog(ctx context.Context) (*decision.Catalog, error)
	LoadModels(ctx context.Context, at time.Time) (*decision.Models, error)
	CompactModels(ctx context.Context, at time.Time, m adaptive.Memory) (dynamo.Compaction, error)
}

var _ modelStore = (*dynamo.Store)(nil)

// liveCatalog loads the live catalog, saying what to do when there is none.
func liveCatalog(ctx context.Context, store modelStore) (*decision.Catalog, error) {
	catalog, err := store.LoadCatalog(ctx)
	if decision.ErrorCode(err) == decision.ENotFound {
		// Without a catalog no model can be read; say what to do rather than "not_found".
		return nil, errors.New("no catalog is live: publish one first (nextbest catalog publish FILE)")
	}
	if err != nil {
		return nil, fmt.Errorf("load the live catalog: %w", err)
	}
	return catalog, nil
}

// report loads the live catalog and models and writes the table, or the EMF lines.
func report(ctx context.Context, store modelStore, o options, out io.Writer, now func() time.Time) error {
	catalog, err := liveCatalog(ctx, store)
	if err != nil {
		return err
	}
	at := now()
	models, err := store.LoadModels(ctx, at)
	if err != nil {
		return err
	}
	reports, err := filter(monitor.Reports(catalog, models), o.model)
	if err != nil {
		return err
	}
	if o.emf {
		return monitor.WriteEMF(out, reports, at)
	}
	if o.asJSON {
		return cli.WriteJSON(out, reportJSON(catalog.Version, at, reports))
	}
	fmt.Fprintf(out, "catalog version %s, models read at %s\n\n", catalog.Version, at.UTC().Format(time.RFC3339))
	monitor.WriteTable(out, reports)
	return nil
}

// filter keeps the reports a -model flag names: ACTION/CHANNEL one model, ACTION every
// channel of the action. Naming a model without counters is an error, so that a typo
// does not pass for an empty report.
func filter(reports []monitor.ModelReport, model string) ([]monitor.ModelReport, error) {
	if model == "" {
		return reports, nil
	}
	var kept []monitor.ModelReport
	names := make([]string, 0, len(reports))
	for _, r := range reports {
		names = append(names, r.Name())
		if r.Name() == model || r.Model.ActionID == model {
			kept = append(kept, r)
		}
	}
	if len(kept) == 0 {
		return nil, fmt.Errorf("no model %q has counters (models with counters: %s)", model, strings.Join(names, ", "))
	}
	return kept, nil
}

// compactionResult is `models compact --json`.
type compactionResult struct {
	Items   int `json:"items"`
	Folded  int `json:"folded"`
	Deleted int `json:"deleted"`
	Skipped int `json:"skipped"`
}

// reportResult is `models report --json`.
type reportResult struct {
	CatalogVersion string      `json:"catalogVersion"`
	ReadAt         time.Time   `json:"readAt"`
	Models         []modelJSON `json:"models"`
}

type modelJSON struct {
	Model   string               `json:"model"`
	Action  string               `json:"action"`
	Channel string               `json:"channel"`
	Report  adaptive.ModelReport `json:"report"`
}

func reportJSON(version string, at time.Time, reports []monitor.ModelReport) reportResult {
	r := reportResult{CatalogVersion: version, ReadAt: at.UTC(), Models: make([]modelJSON, 0, len(reports))}
	for _, m := range reports {
		r.Models = append(r.Models, modelJSON{Model: m.Name(), Action: m.Model.ActionID, Channel: m.Channel(), Report: m.ModelReport})
	}
	return r
}
