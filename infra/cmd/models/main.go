// Command models reports on the live adaptive models, and compacts their counters:
//
//	go run ./infra/cmd/models report [-model ACTION[/CHANNEL]] [-emf] [-table NAME] [-catalog-table NAME] [-endpoint URL] [-region R]
//	go run ./infra/cmd/models compact [-table NAME] [-catalog-table NAME] [-endpoint URL] [-region R]
//
// compact bounds what every warm function's refresh reads: it deletes the buckets the
// live catalog's memory window has dropped, or, without a window, folds each model's
// buckets older than the last two into one item (dynamo.Store.CompactModels). The
// deployed stack runs the same weekly (score-batch's ModelCompaction schedule).
//
// It loads the live catalog and every model's counters from DynamoDB and prints, per
// model, the evidence, positives, success rate, AUC, active predictors, calibration
// table and predictors by AUC (see docs/monitoring.md); with -emf, the CloudWatch
// embedded-metric-format lines the functions log instead. -model keeps one model, or
// with an action alone every channel of it. -table defaults to $MODELS_TABLE and
// -catalog-table to $CATALOG_TABLE; -endpoint points at a local DynamoDB, such as the
// one `make up` starts. Exit status: 0 done, 1 an error, 2 bad usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/dynamo"
	"github.com/nextbest/nextbest/shared/monitor"
	"github.com/nextbest/nextbest/shared/platform"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

const usage = `usage: models report|compact [flags]

report: every live model's evidence, positives, success rate, AUC, calibration and
predictors, read from the models and catalog tables.
compact: deletes the buckets the live catalog's memory has dropped, or folds the old
ones into one item per model, so that a refresh reads a bounded amount.

flags:
`

// options are the parsed command line.
type options struct {
	command      string // report or compact
	model        string // "" for every model
	emf          bool
	modelsTable  string
	catalogTable string
	endpoint     string
	region       string
}

// errUsage means the problem and the usage have been printed; the command exits with 2.
var errUsage = errors.New("bad usage")

// parseArgs reads the command line. It returns flag.ErrHelp when help was asked for
// (exit 0), and errUsage once it has printed what is wrong and the usage (exit 2).
func parseArgs(args []string, stderr io.Writer, getenv func(string) string) (options, error) {
	fs := flag.NewFlagSet("models", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	var o options
	fs.StringVar(&o.model, "model", "", "report only this model, `ACTION/CHANNEL` (* for a model shared by every channel), or every channel of ACTION")
	fs.BoolVar(&o.emf, "emf", false, "print CloudWatch embedded-metric-format lines instead of the table")
	fs.StringVar(&o.modelsTable, "table", getenv("MODELS_TABLE"), "models table `name` (default $MODELS_TABLE)")
	fs.StringVar(&o.catalogTable, "catalog-table", getenv("CATALOG_TABLE"), "catalog table `name` (default $CATALOG_TABLE)")
	fs.StringVar(&o.endpoint, "endpoint", "", "DynamoDB endpoint `URL`, for a local stack (default: AWS)")
	fs.StringVar(&o.region, "region", "", "AWS `region` (default: the AWS configuration's)")

	if len(args) == 0 {
		fs.Usage()
		return o, errUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fs.Usage()
		return o, flag.ErrHelp
	case "report", "compact":
		o.command = args[0]
	default:
		fmt.Fprintf(stderr, "models: unknown command %q\n", args[0])
		fs.Usage()
		return o, errUsage
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, errUsage // the flag package has printed the problem and the usage
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "models %s: unexpected argument %q\n", o.command, fs.Arg(0))
	case o.modelsTable == "":
		fmt.Fprintf(stderr, "models %s: no models table: set -table or MODELS_TABLE\n", o.command)
	case o.catalogTable == "":
		fmt.Fprintf(stderr, "models %s: no catalog table: set -catalog-table or CATALOG_TABLE\n", o.command)
	default:
		return o, nil
	}
	return o, errUsage
}

// run is main without the process: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	o, err := parseArgs(args, stderr, getenv)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		return 2
	}
	store, err := newStore(ctx, o, getenv)
	if err != nil {
		fmt.Fprintln(stderr, "models:", err)
		return 1
	}
	now, warning, err := platform.Clock(getenv, platform.IsLocalEndpoint(o.endpoint))
	if err != nil {
		fmt.Fprintln(stderr, "models:", err)
		return 2
	}
	if warning != nil {
		fmt.Fprintln(stderr, "models: warning:", warning)
	}
	do := report
	if o.command == "compact" {
		do = compact
	}
	if err := do(ctx, store, o, stdout, now); err != nil {
		fmt.Fprintf(stderr, "models %s: %v\n", o.command, err)
		return 1
	}
	return 0
}

// compact deletes or folds old buckets as the live catalog's memory allows.
func compact(ctx context.Context, store modelStore, _ options, out io.Writer, now func() time.Time) error {
	catalog, err := liveCatalog(ctx, store)
	if err != nil {
		return err
	}
	c, err := store.CompactModels(ctx, now(), catalog.ModelMemory())
	if err != nil {
		return err
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
		return nil, errors.New("no catalog is live: publish one first (go run ./infra/cmd/catalog publish FILE)")
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

// newStore connects to the models and catalog tables (see dynamo.Connect).
func newStore(ctx context.Context, o options, getenv func(string) string) (*dynamo.Store, error) {
	client, err := dynamo.Connect(ctx, o.endpoint, o.region, getenv)
	if err != nil {
		return nil, err
	}
	return dynamo.New(client, dynamo.Tables{Catalog: o.catalogTable, Models: o.modelsTable}), nil
}
