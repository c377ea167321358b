// Command catalog validates, compares, publishes and rolls back nextbest catalogs:
//
//	go run ./infra/cmd/catalog validate FILE [-allow-unreachable] [-profiles N] [-seed S]
//	go run ./infra/cmd/catalog diff FILE
//	go run ./infra/cmd/catalog publish FILE [-yes] [-allow-unreachable]
//	go run ./infra/cmd/catalog versions
//	go run ./infra/cmd/catalog rollback VERSION [-yes]
//
// Commands that read or write the catalog table take -table (default $CATALOG_TABLE),
// -endpoint (a local DynamoDB, such as the one `make up` starts) and -region. Exit
// status: 0 done, 1 validation problems or an error, 2 bad usage. See docs/catalog.md.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	_ "time/tzdata" // reachability probes outbound channels in every time zone

	"github.com/nextbest/nextbest/infra/cmdflag"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/dynamo"
	"github.com/nextbest/nextbest/shared/platform"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

const usage = `usage: catalog <command> [flags] [argument]

commands:
  validate FILE      compile FILE and check that every action can reach a customer
  diff FILE          show what publishing FILE would change in the live catalog
  publish FILE       validate, show the diff, confirm, publish as the next version
  versions           list published versions, the live one marked
  rollback VERSION   show the diff, confirm, make VERSION live again

flags:
`

// run is main without the process: it returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("catalog", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	table := fs.String("table", getenv("CATALOG_TABLE"), "catalog table `name` (default $CATALOG_TABLE)")
	endpoint := fs.String("endpoint", "", "DynamoDB endpoint `URL`, for a local stack (default: AWS)")
	region := fs.String("region", "", "AWS `region` (default: the AWS configuration's)")
	yes := fs.Bool("yes", false, "publish or roll back without asking for confirmation")
	allow := fs.Bool("allow-unreachable", false, "report unreachable actions as warnings, not errors")
	profiles := fs.Int("profiles", 500, "synthetic customers the reachability check probes with")
	seedValue := fs.Uint64("seed", 1, "seed of the synthetic customers")

	if len(args) == 0 {
		fs.Usage()
		return 2
	}
	command := args[0]
	positional, err := cmdflag.ParseInterleaved(fs, args[1:])
	if err != nil {
		return 2 // the flag package has printed the problem and the usage
	}
	wantArgs := map[string]int{"validate": 1, "diff": 1, "publish": 1, "versions": 0, "rollback": 1}
	n, known := wantArgs[command]
	switch {
	case command == "help" || command == "-h" || command == "-help" || command == "--help":
		fs.Usage()
		return 0
	case !known:
		fmt.Fprintf(stderr, "catalog: unknown command %q\n", command)
		fs.Usage()
		return 2
	case len(positional) != n:
		fmt.Fprintf(stderr, "catalog %s: want %d argument(s), got %d\n", command, n, len(positional))
		fs.Usage()
		return 2
	case *profiles < 0:
		fmt.Fprintln(stderr, "catalog: -profiles must be ≥ 0")
		return 2
	}

	// The clock setting is honoured where the command touches no AWS table, or only a
	// local one: validating a catalog, or publishing to the local stack.
	now, warning, err := platform.Clock(getenv, command == "validate" || platform.IsLocalEndpoint(*endpoint))
	if err != nil {
		fmt.Fprintln(stderr, "catalog:", err)
		return 2
	}
	if warning != nil {
		fmt.Fprintln(stderr, "catalog: warning:", warning)
	}
	a := &app{in: bufio.NewReader(stdin), out: stdout, now: now, yes: *yes,
		check: checkOptions{Profiles: *profiles, Seed: *seedValue, AllowUnreachable: *allow}}
	if command != "validate" {
		if *table == "" {
			fmt.Fprintf(stderr, "catalog %s: no table: set -table or CATALOG_TABLE\n", command)
			return 2
		}
		store, err := newStore(ctx, *table, *endpoint, *region, getenv)
		if err != nil {
			fmt.Fprintln(stderr, "catalog:", err)
			return 1
		}
		a.store = store
	}

	switch command {
	case "validate":
		err = a.validate(positional[0])
	case "diff":
		err = a.diff(ctx, positional[0])
	case "publish":
		err = a.publish(ctx, positional[0])
	case "versions":
		err = a.versions(ctx)
	case "rollback":
		err = a.rollback(ctx, positional[0])
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errReported):
		return 1
	default:
		if decision.ErrorCode(err) == decision.EInternal {
			fmt.Fprintf(stderr, "catalog %s: %v\n", command, err)
		} else {
			fmt.Fprintf(stderr, "catalog %s: %s\n", command, decision.ErrorMessage(err))
		}
		if decision.ErrorCode(err) == decision.EConflict {
			fmt.Fprintln(stderr, "nothing was changed; run the command again to see the current difference")
		}
		return 1
	}
}

// newStore connects to the catalog table (see dynamo.Connect).
func newStore(ctx context.Context, table, endpoint, region string, getenv func(string) string) (*dynamo.Store, error) {
	client, err := dynamo.Connect(ctx, endpoint, region, getenv)
	if err != nil {
		return nil, err
	}
	return dynamo.New(client, dynamo.Tables{Catalog: table}), nil
}
