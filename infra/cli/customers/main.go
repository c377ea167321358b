// Package customers is `nextbest customers`: it imports a customer base into the
// engine's tables, and exports or erases everything held about one customer.
package customers

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/nextbest/nextbest/infra/cli"
	"github.com/nextbest/nextbest/infra/customers"
	"github.com/nextbest/nextbest/shared/dynamo"
	"github.com/nextbest/nextbest/shared/platform"
	"github.com/nextbest/nextbest/shared/s3"
)

// options are the parsed command line.
type options struct {
	command          string
	file             string
	mapping, rejects string
	workers          int
	customerID       string
	yes              bool
	region           string
	asJSON           bool
}

// NewCommand returns `nextbest customers` and its subcommands.
func NewCommand(env *cli.Env) *cobra.Command {
	cmd := cli.Group("customers", "Import customers, export or erase everything held about one",
		`The customer base lives in the customers table (--customers-table, default
$CUSTOMERS_TABLE); export and erase also read the decisions table (--decisions-table,
default $DECISIONS_TABLE); every command checks against the live catalog
(--catalog-table, default $CATALOG_TABLE). AWS_ENDPOINT_URL_DYNAMODB and
AWS_ENDPOINT_URL_S3 point at a local stack (`+"`source .cache/up.env`"+` after `+"`make up`"+`).`)
	var customersTable, decisionsTable, catalogTable string
	env.TableFlag(cmd, &customersTable, "customers")
	env.TableFlag(cmd, &decisionsTable, "decisions")
	env.TableFlag(cmd, &catalogTable, "catalog")
	var o options
	// sub makes one subcommand; the checks on its flags come before any table is read.
	sub := func(use, short, long string, args int, check func() error, do func(*app, context.Context) error) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Long: long, Args: cli.Args(args),
			RunE: cli.Run(func(cmd *cobra.Command, args []string) error {
				o.command, o.region, o.asJSON = cmd.Name(), env.Region, env.JSON
				if len(args) == 1 {
					o.file = args[0]
				}
				if err := check(); err != nil {
					return err
				}
				tables := map[string]string{"customers": customersTable, "catalog": catalogTable}
				if o.command != "import" {
					tables["decisions"] = decisionsTable
				}
				if err := cli.RequireTables(tables); err != nil {
					return err
				}
				now, err := env.Clock("customers", env.LocalEndpoint())
				if err != nil {
					return err
				}
				store, err := env.Store(cmd.Context(), dynamo.Tables{Customers: customersTable, Decisions: decisionsTable, Catalog: catalogTable})
				if err != nil {
					return err
				}
				a := &app{o: o, store: store, now: now, stdin: bufio.NewReader(env.Stdin), stdout: env.Stdout, stderr: env.Stderr, getenv: env.Getenv}
				return do(a, cmd.Context())
			})}
	}
	needCustomer := func() error {
		if o.customerID == "" {
			return cli.Usagef("%s needs --customer", o.command)
		}
		if o.command == "erase" && o.asJSON && !o.yes {
			return cli.Usagef("erase --json needs --yes") // a script cannot answer the question
		}
		return nil
	}
	imp := sub("import FILE|s3://BUCKET/KEY", "Load customers from a CSV or JSON Lines file, local or in S3",
		`import loads customers (attributes, consents, time zone) from a CSV or JSON Lines
file, local or in S3, through a mapping file (--mapping; see README, "Bring your own
customers"), checked against the live catalog's profile schema. Rows that cannot be
imported go to the rejects file with their line and reason. Importing the same file
again changes nothing. A progress bar shows on a terminal.

With --json: {"read", "written", "unchanged", "rejected", "seconds", "rejects"}.
Exit status 1 when rows were rejected.`, 1,
		func() error {
			if o.mapping == "" {
				return cli.Usagef("import needs --mapping")
			}
			return nil
		}, (*app).importFile)
	imp.Flags().StringVar(&o.mapping, "mapping", "", "the mapping `file` from the file's columns to profile attributes and consents")
	imp.Flags().StringVar(&o.rejects, "rejects", "", "the `file` rejected rows go to, as CSV (default: <file>.rejects.csv in the working directory)")
	imp.Flags().IntVar(&o.workers, "workers", 8, "batches written at once")
	export := sub("export --customer ID", "Print everything held about one customer as JSON",
		`export prints, as one JSON document, everything held about one customer: profile,
consents, contact history, outcomes, decisions and responses (infra/customers.Export).
The output is JSON with or without --json.`, 0, needCustomer, (*app).export)
	erase := sub("erase --customer ID", "Delete everything held about one customer",
		`erase asks for confirmation (--yes does not ask) and deletes everything held about one
customer, after which the customer is decided for as unknown.

With --json (which needs --yes): {"customerId", "deleted"}.`, 0, needCustomer, (*app).erase)
	for _, c := range []*cobra.Command{export, erase} {
		c.Flags().StringVar(&o.customerID, "customer", "", "the customer `id`")
	}
	erase.Flags().BoolVarP(&o.yes, "yes", "y", false, "do not ask for confirmation")
	cmd.AddCommand(imp, export, erase)
	return cmd
}

type app struct {
	o      options
	store  *dynamo.Store
	now    func() time.Time
	stdin  *bufio.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

func (a *app) importFile(ctx context.Context) error {
	catalog, err := a.store.LoadCatalog(ctx)
	if err != nil {
		return fmt.Errorf("load the live catalog: %w", err)
	}
	data, err := os.ReadFile(a.o.mapping)
	if err != nil {
		return err
	}
	mapping, err := customers.ParseMapping(data)
	if err != nil {
		return err
	}
	if err := mapping.Check(catalog, a.o.file); err != nil {
		return err
	}
	in, size, err := a.open(ctx)
	if err != nil {
		return err
	}
	defer in.Close()

	rejectsPath := a.o.rejects
	if rejectsPath == "" {
		rejectsPath = strings.TrimSuffix(filepath.Base(a.o.file), filepath.Ext(a.o.file)) + ".rejects.csv"
	}
	rejectsFile, err := os.Create(rejectsPath)
	if err != nil {
		return err
	}
	defer rejectsFile.Close()
	rejects := csv.NewWriter(rejectsFile)
	if err := rejects.Write([]string{"line", "customerId", "reason"}); err != nil {
		return err
	}

	bar := progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(a.stderr),
		progressbar.OptionSetDescription("importing"),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetVisibility(isTerminal(a.stderr)),
		progressbar.OptionClearOnFinish())
	reader := progressbar.NewReader(in, bar)
	started := time.Now()
	im := &customers.Importer{Catalog: catalog, Mapping: mapping, Store: a.store, Now: a.now, Workers: a.o.workers,
		Rejected: func(r customers.Reject) error {
			return rejects.Write([]string{strconv.Itoa(r.Line), r.CustomerID, r.Reason})
		}}
	counts, err := im.Run(ctx, &reader)
	_ = bar.Finish()
	rejects.Flush()
	if ferr := rejects.Error(); err == nil {
		err = ferr
	}
	took := time.Since(started)
	if a.o.asJSON {
		if jerr := cli.WriteJSON(a.stdout, importResult{Read: counts.Read, Written: counts.Written, Unchanged: counts.Unchanged,
			Rejected: counts.Rejected, Seconds: took.Seconds(), Rejects: rejectsPath}); err == nil {
			err = jerr
		}
	} else {
		a.printCounts(counts, took, rejectsPath)
	}
	if err != nil {
		return fmt.Errorf("%w (the rows counted as written are in; run the same file again to finish)", err)
	}
	if counts.Rejected > 0 {
		return cli.ErrReported
	}
	return nil
}

// importResult is `customers import --json`.
type importResult struct {
	Read      int     `json:"read"`
	Written   int     `json:"written"`
	Unchanged int     `json:"unchanged"`
	Rejected  int     `json:"rejected"`
	Seconds   float64 `json:"seconds"`
	Rejects   string  `json:"rejects"` // the rejects file
}

// printCounts tells the operator what the import did.
func (a *app) printCounts(counts customers.Counts, took time.Duration, rejectsPath string) {
	fmt.Fprintf(a.stdout, "%d rows read, %d written, %d unchanged, %d rejected in %.1fs (%.0f rows/s)\n",
		counts.Read, counts.Written, counts.Unchanged, counts.Rejected, took.Seconds(), float64(counts.Read)/max(took.Seconds(), 1e-9))
	if counts.Rejected > 0 {
		fmt.Fprintf(a.stdout, "rejected rows, with their line and reason: %s\n", rejectsPath)
	}
}

// open reads the file to import from the disk or from S3.
func (a *app) open(ctx context.Context) (io.ReadCloser, int64, error) {
	if !s3.IsURI(a.o.file) {
		f, err := os.Open(a.o.file)
		if err != nil {
			return nil, 0, err
		}
		info, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, 0, err
		}
		return f, info.Size(), nil
	}
	cfg, err := platform.AWSConfig(ctx)
	if err != nil {
		return nil, 0, err
	}
	if a.o.region != "" {
		cfg.Region = a.o.region
	}
	if cfg.Region == "" && a.getenv("AWS_ENDPOINT_URL_S3") != "" {
		cfg.Region = "us-east-1" // a local S3 accepts any region
	}
	// Path-style addressing works with every S3-compatible server, and with S3 itself.
	client := awss3.NewFromConfig(cfg, func(o *awss3.Options) { o.UsePathStyle = true })
	return s3.Open(ctx, client, a.o.file)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (a *app) export(ctx context.Context) error {
	catalog, err := a.store.LoadCatalog(ctx)
	if err != nil {
		return fmt.Errorf("load the live catalog: %w", err)
	}
	data, err := a.store.CustomerData(ctx, a.o.customerID)
	if err != nil {
		return err
	}
	return cli.WriteJSON(a.stdout, customers.Export(data, catalog, a.now()))
}

func (a *app) erase(ctx context.Context) error {
	if !a.o.yes {
		fmt.Fprintf(a.stdout, "erase everything held about customer %s (profile, consents, history, outcomes, decisions, responses)? [y/N] ", a.o.customerID)
		answer, _ := a.stdin.ReadString('\n')
		if answer = strings.ToLower(strings.TrimSpace(answer)); answer != "y" && answer != "yes" {
			fmt.Fprintln(a.stdout, "nothing erased")
			return nil
		}
	}
	n, err := a.store.EraseCustomer(ctx, a.o.customerID)
	if err != nil {
		return err
	}
	if a.o.asJSON {
		return cli.WriteJSON(a.stdout, struct {
			CustomerID string `json:"customerId"`
			Deleted    int    `json:"deleted"`
		}{a.o.customerID, n})
	}
	fmt.Fprintf(a.stdout, "customer %s erased: %d items deleted; the next decision treats them as unknown\n", a.o.customerID, n)
	if n > 0 {
		fmt.Fprintln(a.stdout, "model counters are aggregates over every customer and keep no one's data; messages already queued for them are skipped at sending, for want of a profile")
	}
	return nil
}
