// Package consolecmd is `nextbest console`: the operator's web console
// (infra/console) over the same tables the other commands use.
package consolecmd

import (
	"github.com/spf13/cobra"

	"github.com/nextbest/nextbest/infra/cli"
	"github.com/nextbest/nextbest/infra/console"
	"github.com/nextbest/nextbest/shared/dynamo"
)

// NewCommand is `nextbest console`.
func NewCommand(env *cli.Env) *cobra.Command {
	var tables dynamo.Tables
	var addr, token string
	cmd := &cobra.Command{
		Use:   "console",
		Short: "Serve the web console: catalog, models, runs, lift and a customer's decision",
		Long: `console serves the operator's pages on ` + console.DefaultAddr + ` until Ctrl-C: the live
catalog's hierarchy and rules, with drafts checked, compared and published and versions
rolled back as ` + "`nextbest catalog`" + ` does; every model's health with its calibration chart;
the latest batch runs and each one's plan and forecast against actual; the lift report
by issue, group, action and channel; and a customer's profile, history and a "decide
now" preview with the full explanation (not logged). It reads the tables, and writes the
catalog table when you publish or roll back, with your own AWS credentials (or --endpoint, e.g. the stack ` + "`make up`" + ` starts). It listens on loopback
only, unless --addr names another interface, which then requires --token (or
$NEXTBEST_CONSOLE_TOKEN): callers send it as "Authorization: Bearer TOKEN" or open the
page once with ?token=TOKEN. Screenshots of every page: docs/console/.`,
		Args: cli.Args(0),
		RunE: cli.Run(func(cmd *cobra.Command, _ []string) error {
			if err := cli.RequireTables(map[string]string{"customers": tables.Customers, "decisions": tables.Decisions,
				"models": tables.Models, "catalog": tables.Catalog}); err != nil {
				return err
			}
			if token == "" {
				token = env.Getenv("NEXTBEST_CONSOLE_TOKEN")
			}
			if !console.IsLoopback(addr) && token == "" {
				return cli.Usagef("--addr %s is not loopback: set --token (or NEXTBEST_CONSOLE_TOKEN)", addr)
			}
			now, err := env.Clock("console", env.LocalEndpoint())
			if err != nil {
				return err
			}
			store, err := env.Store(cmd.Context(), tables)
			if err != nil {
				return err
			}
			return console.Serve(cmd.Context(), console.Options{Store: store, Tables: tables, Now: now, Addr: addr, Token: token})
		}),
	}
	env.TableFlag(cmd, &tables.Customers, "customers")
	env.TableFlag(cmd, &tables.Decisions, "decisions")
	env.TableFlag(cmd, &tables.Models, "models")
	env.TableFlag(cmd, &tables.Catalog, "catalog")
	cmd.Flags().StringVar(&addr, "addr", console.DefaultAddr, "`host:port` to listen on; anything but loopback requires --token")
	cmd.Flags().StringVar(&token, "token", "", "the `secret` callers must present (default $NEXTBEST_CONSOLE_TOKEN)")
	return cmd
}
