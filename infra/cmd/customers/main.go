// Command customers manages a customer base in the engine's tables:
//
//	go run ./infra/cmd/customers import -mapping FILE [-rejects FILE] [-workers N] FILE|s3://BUCKET/KEY
//	go run ./infra/cmd/customers export -customer ID
//	go run ./infra/cmd/customers erase  -customer ID [-yes]
//
// import loads customers (attributes, consents, time zone) from a CSV or JSON Lines
// file, local or in S3, through a mapping file (see infra/customers.Mapping), checked
// against the live catalog's profile schema; rows that cannot be imported go to the
// rejects file with their line and reason, and the final counts say how many rows were
// read, written, unchanged and rejected. Importing the same file again changes nothing.
// export prints, as one JSON document, everything held about one customer; erase
// deletes it, after which the customer is decided for as unknown.
//
// Tables default to $CUSTOMERS_TABLE, $DECISIONS_TABLE and $CATALOG_TABLE; the
// endpoints to the AWS configuration's (AWS_ENDPOINT_URL_DYNAMODB and
// AWS_ENDPOINT_URL_S3 point at a local stack: `source .cache/up.env` after `make up`).
// Exit status: 0 done, 1 an error (or rejected rows), 2 bad usage.
package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/nextbest/nextbest/infra/cmdflag"
	"github.com/nextbest/nextbest/infra/customers"
	"github.com/nextbest/nextbest/shared/dynamo"
	"github.com/nextbest/nextbest/shared/platform"
	"github.com/nextbest/nextbest/shared/s3"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

const usage = `usage: customers import|export|erase [flags] [FILE]

  import -mapping MAPPING.yaml [-rejects FILE] FILE|s3://BUCKET/KEY
         load customers from a CSV or JSON Lines file (see README, "Bring your own customers")
  export -customer ID      print everything held about one customer as JSON
  erase  -customer ID      delete everything held about one customer

flags:
`

// options are the parsed command line.
type options struct {
	command                                      string
	file                                         string
	mapping, rejects                             string
	workers                                      int
	customerID                                   string
	yes                                          bool
	endpoint, region                             string
	customersTable, decisionsTable, catalogTable string
}

var errUsage = errors.New("bad usage")

func parseArgs(args []string, stderr io.Writer, getenv func(string) string) (options, error) {
	fs := flag.NewFlagSet("customers", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	var o options
	fs.StringVar(&o.mapping, "mapping", "", "import: the mapping `file` from the file's columns to profile attributes and consents")
	fs.StringVar(&o.rejects, "rejects", "", "import: where rejected rows go, as CSV (default: <file>.rejects.csv in the working directory)")
	fs.IntVar(&o.workers, "workers", 8, "import: batches written at once")
	fs.StringVar(&o.customerID, "customer", "", "export, erase: the customer `id`")
	fs.BoolVar(&o.yes, "yes", false, "erase: do not ask for confirmation")
	fs.StringVar(&o.endpoint, "endpoint", getenv("AWS_ENDPOINT_URL_DYNAMODB"), "DynamoDB endpoint `URL`, for a local stack (default: $AWS_ENDPOINT_URL_DYNAMODB, else AWS)")
	fs.StringVar(&o.region, "region", "", "AWS `region` (default: the AWS configuration's)")
	fs.StringVar(&o.customersTable, "customers-table", getenv("CUSTOMERS_TABLE"), "customers table `name` (default $CUSTOMERS_TABLE)")
	fs.StringVar(&o.decisionsTable, "decisions-table", getenv("DECISIONS_TABLE"), "decisions table `name` (default $DECISIONS_TABLE)")
	fs.StringVar(&o.catalogTable, "catalog-table", getenv("CATALOG_TABLE"), "catalog table `name` (default $CATALOG_TABLE)")
	if len(args) == 0 {
		fs.Usage()
		return o, errUsage
	}
	o.command = args[0]
	switch o.command {
	case "help", "-h", "-help", "--help":
		fs.Usage()
		return o, flag.ErrHelp
	case "import", "export", "erase":
	default:
		fmt.Fprintf(stderr, "customers: unknown command %q\n", o.command)
		fs.Usage()
		return o, errUsage
	}
	positional, err := cmdflag.ParseInterleaved(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, errUsage
	}
	problem := ""
	switch {
	case o.command == "import" && len(positional) != 1:
		problem = "import takes one file"
	case o.command == "import" && o.mapping == "":
		problem = "import needs -mapping"
	case o.command != "import" && len(positional) != 0:
		problem = o.command + " takes no file"
	case o.command != "import" && o.customerID == "":
		problem = o.command + " needs -customer"
	case o.customersTable == "" || o.catalogTable == "" || (o.command != "import" && o.decisionsTable == ""):
		problem = "name the tables: -customers-table, -decisions-table and -catalog-table, or CUSTOMERS_TABLE, DECISIONS_TABLE and CATALOG_TABLE"
	}
	if problem != "" {
		fmt.Fprintln(stderr, "customers:", problem)
		fs.Usage()
		return o, errUsage
	}
	if len(positional) == 1 {
		o.file = positional[0]
	}
	return o, nil
}

// run is main without the process: it returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	o, err := parseArgs(args, stderr, getenv)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		return 2
	}
	local := platform.IsLocalEndpoint(o.endpoint)
	now, warning, err := platform.Clock(getenv, local)
	if err != nil {
		fmt.Fprintln(stderr, "customers:", err)
		return 2
	}
	if warning != nil {
		fmt.Fprintln(stderr, "customers: warning:", warning)
	}
	client, err := dynamo.Connect(ctx, o.endpoint, o.region, getenv)
	if err != nil {
		fmt.Fprintln(stderr, "customers:", err)
		return 1
	}
	store := dynamo.New(client, dynamo.Tables{Customers: o.customersTable, Decisions: o.decisionsTable, Catalog: o.catalogTable})
	a := &app{o: o, store: store, now: now, stdin: bufio.NewReader(stdin), stdout: stdout, stderr: stderr, getenv: getenv}
	switch o.command {
	case "import":
		err = a.importFile(ctx)
	case "export":
		err = a.export(ctx)
	case "erase":
		err = a.erase(ctx)
	}
	if err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintf(stderr, "customers %s: %v\n", o.command, err)
		}
		return 1
	}
	return 0
}

// errReported means the command printed why it failed.
var errReported = errors.New("reported")

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
	fmt.Fprintf(a.stdout, "%d rows read, %d written, %d unchanged, %d rejected in %.1fs (%.0f rows/s)\n",
		counts.Read, counts.Written, counts.Unchanged, counts.Rejected, took.Seconds(), float64(counts.Read)/max(took.Seconds(), 1e-9))
	if counts.Rejected > 0 {
		fmt.Fprintf(a.stdout, "rejected rows, with their line and reason: %s\n", rejectsPath)
	}
	if err != nil {
		return fmt.Errorf("%w (the rows counted as written are in; run the same file again to finish)", err)
	}
	if counts.Rejected > 0 {
		return errReported
	}
	return nil
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
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(customers.Export(data, catalog, a.now()))
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
	fmt.Fprintf(a.stdout, "customer %s erased: %d items deleted; the next decision treats them as unknown\n", a.o.customerID, n)
	if n > 0 {
		fmt.Fprintln(a.stdout, "model counters are aggregates over every customer and keep no one's data; messages already queued for them are skipped at sending, for want of a profile")
	}
	return nil
}
