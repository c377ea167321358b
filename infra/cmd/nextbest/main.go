// Command nextbest is the operator's tool for the next-best-action engine: catalogs,
// models, runs, lift, customers, offline simulation and the web console, one subcommand each. Build it with
// `make cli` (bin/nextbest) or run it with `go run ./infra/cmd/nextbest`; `nextbest
// --help` lists the commands, and docs/cli.md describes them, their --json output and
// their exit statuses (0 done, 1 problems found or an error, 2 bad usage).
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/nextbest/nextbest/infra/cli"
	"github.com/nextbest/nextbest/infra/cli/catalog"
	"github.com/nextbest/nextbest/infra/cli/consolecmd"
	"github.com/nextbest/nextbest/infra/cli/customers"
	"github.com/nextbest/nextbest/infra/cli/lift"
	"github.com/nextbest/nextbest/infra/cli/models"
	"github.com/nextbest/nextbest/infra/cli/runs"
	"github.com/nextbest/nextbest/infra/cli/simulate"
)

// commands are nextbest's subcommands, in the order of the help.
func commands() []func(*cli.Env) *cobra.Command {
	return []func(*cli.Env) *cobra.Command{catalog.NewCommand, models.NewCommand, runs.NewCommand, lift.NewCommand, customers.NewCommand, simulate.NewCommand,
		consolecmd.NewCommand}
}

func main() {
	// Ctrl-C cancels the work in hand (an import, a replay) rather than killing the
	// process mid-write; a second Ctrl-C kills it.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv, commands()...)
	stop()
	os.Exit(code)
}
