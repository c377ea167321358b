// Package catalog is `nextbest catalog`: it validates, compares, publishes and rolls
// back catalogs (see docs/catalog.md).
package catalog

import (
	"bufio"
	"context"
	"fmt"
	_ "time/tzdata" // reachability probes outbound channels in every time zone

	"github.com/spf13/cobra"

	"github.com/nextbest/nextbest/infra/catalogcheck"
	"github.com/nextbest/nextbest/infra/cli"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/dynamo"
)

// NewCommand returns `nextbest catalog` and its subcommands.
func NewCommand(env *cli.Env) *cobra.Command {
	cmd := cli.Group("catalog", "Validate, compare, publish and roll back catalogs",
		`The catalog (actions, treatments, rules, caps, levers) is a YAML file, validated and
versioned on publish. validate needs no table; the other commands read or write the
catalog table (--catalog-table, default $CATALOG_TABLE). See docs/catalog.md.`)
	var table string
	var yes bool
	check := catalogcheck.Options{}
	env.TableFlag(cmd, &table, "catalog")

	// prepare builds the app for a subcommand; validate alone needs no table.
	prepare := func(cmd *cobra.Command, needsTable bool) (*app, error) {
		if check.Profiles < 0 {
			return nil, cli.Usagef("--profiles must be ≥ 0")
		}
		if needsTable {
			if err := cli.RequireTables(map[string]string{"catalog": table}); err != nil {
				return nil, err
			}
		}
		if env.JSON && !yes && (cmd.Name() == "publish" || cmd.Name() == "rollback") {
			// A script cannot answer the question, and it would mix with the JSON.
			return nil, cli.Usagef("%s --json needs --yes", cmd.CommandPath())
		}
		// The clock setting is honoured where the command touches no AWS table, or
		// only a local one: validating a catalog, or publishing to the local stack.
		now, err := env.Clock("catalog", !needsTable || env.LocalEndpoint())
		if err != nil {
			return nil, err
		}
		a := &app{in: bufio.NewReader(env.Stdin), out: env.Stdout, now: now, yes: yes, check: check,
			json: env.JSON, stdout: env.Stdout}
		if env.JSON {
			a.out = env.Stderr // what publish and rollback tell; their result is the JSON
		}
		if !needsTable {
			return a, nil
		}
		store, err := env.Store(cmd.Context(), dynamo.Tables{Catalog: table})
		if err != nil {
			return nil, err
		}
		a.store = store
		return a, nil
	}
	// sub makes one subcommand that calls do with its app and arguments.
	sub := func(use, short, long string, args int, needsTable bool, do func(ctx context.Context, a *app, args []string) error) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Long: long, Args: cli.Args(args),
			RunE: cli.Run(func(cmd *cobra.Command, args []string) error {
				a, err := prepare(cmd, needsTable)
				if err != nil {
					return err
				}
				err = do(cmd.Context(), a, args)
				if err != nil && decision.ErrorCode(err) == decision.EConflict {
					fmt.Fprintln(env.Stderr, "nothing was changed; run the command again to see the current difference")
				}
				return userError(err)
			})}
	}

	validate := sub("validate FILE", "Compile a catalog and check that every action can reach a customer",
		`validate compiles FILE and probes it with synthetic customers (--profiles, --seed) in
the contexts its rules mention, on every channel and at every hour, and reports each
action no probe reaches. It reads no table.

With --json: {"file", "valid", "actions", "errors": [...], "warnings": [...], "probes"}.
Exit status 1 when the catalog has problems.`, 1, false,
		func(_ context.Context, a *app, args []string) error { return a.validate(args[0]) })
	diff := sub("diff FILE", "Show what publishing a catalog would change in the live one",
		`diff compares FILE with the live catalog by id, field by field.

With --json: {"from", "to", "changes": [{"op": "+|-|~", "kind", "id", "details": [...]}]}.`, 1, true,
		func(ctx context.Context, a *app, args []string) error { return a.diff(ctx, args[0]) })
	publish := sub("publish FILE", "Validate, show the diff, confirm and publish a catalog as the next version",
		`publish validates FILE, prints what would change, asks for confirmation (--yes does
not ask) and publishes it as the next version, which becomes live.

With --json (which needs --yes) the validation and the diff go to stderr and stdout gets
{"changed": bool, "version", "previous"}. Exit status 1 when the catalog has problems.`, 1, true,
		func(ctx context.Context, a *app, args []string) error { return a.publish(ctx, args[0]) })
	versions := sub("versions", "List the published versions, the live one marked",
		`versions lists every published version, the live one marked.

With --json: [{"version", "publishedAt", "live", "rolledBackFrom", "rolledBackAt"}].`, 0, true,
		func(ctx context.Context, a *app, _ []string) error { return a.versions(ctx) })
	rollback := sub("rollback VERSION", "Show the diff, confirm and make an earlier version live again",
		`rollback prints what would change, asks for confirmation (--yes does not ask) and
makes VERSION live again. A version that no longer compiles is refused.

With --json (which needs --yes) the diff goes to stderr and stdout gets
{"changed": bool, "version", "previous"}.`, 1, true,
		func(ctx context.Context, a *app, args []string) error { return a.rollback(ctx, args[0]) })

	for _, c := range []*cobra.Command{validate, publish} {
		c.Flags().BoolVar(&check.AllowUnreachable, "allow-unreachable", false, "report unreachable actions as warnings, not errors")
		c.Flags().IntVar(&check.Profiles, "profiles", catalogcheck.DefaultProfiles, "synthetic customers the reachability check probes with")
		c.Flags().Uint64Var(&check.Seed, "seed", catalogcheck.DefaultSeed, "seed of the synthetic customers")
	}
	for _, c := range []*cobra.Command{publish, rollback} {
		c.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	}
	cmd.AddCommand(validate, diff, publish, versions, rollback)
	return cmd
}

// userError words an error in the operator's terms: a decision error by its message
// (which hides internal details), anything else in full.
func userError(err error) error {
	if err == nil || decision.ErrorCode(err) == decision.EInternal {
		return err
	}
	return fmt.Errorf("%s", decision.ErrorMessage(err))
}
