// Package cli holds what every subcommand of the nextbest operator CLI shares: the
// process environment it runs in, the global flags, the table flags, and the mapping
// from errors to exit statuses.
//
// Exit status, the same for every command: 0 done; 1 problems found (an invalid
// catalog, rejected rows) or an error while working; 2 bad usage (an unknown command or
// flag, a missing argument or table, a bad flag value), reported before anything is
// read or written.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nextbest/nextbest/shared/dynamo"
	"github.com/nextbest/nextbest/shared/platform"
)

// Exit statuses of every command.
const (
	ExitOK       = 0
	ExitProblems = 1
	ExitUsage    = 2
)

// Env is the process a command runs in, and the global flags once parsed. Commands
// read it when they run, never when they are built, so that the flags have been set.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string

	JSON     bool   // --json: print the result as JSON on stdout
	Endpoint string // --endpoint: the DynamoDB endpoint URL, for a local stack
	Region   string // --region: the AWS region
}

// Clock is the commands' clock: NEXTBEST_CLOCK is honoured when the command touches no
// AWS table (local is true), as in the functions (see platform.Clock). A bad setting is
// bad usage; a warning goes to stderr.
func (e *Env) Clock(name string, local bool) (func() time.Time, error) {
	now, warning, err := platform.Clock(e.Getenv, local)
	if err != nil {
		return nil, Usagef("%v", err)
	}
	if warning != nil {
		fmt.Fprintf(e.Stderr, "%s: warning: %v\n", name, warning)
	}
	return now, nil
}

// Store connects to the tables named in t, at --endpoint in --region (see
// dynamo.Connect for the credentials a local endpoint gets).
func (e *Env) Store(ctx context.Context, t dynamo.Tables) (*dynamo.Store, error) {
	client, err := dynamo.Connect(ctx, e.Endpoint, e.Region, e.Getenv)
	if err != nil {
		return nil, err
	}
	return dynamo.New(client, t), nil
}

// LocalEndpoint says whether --endpoint points at this machine (a local stack).
func (e *Env) LocalEndpoint() bool { return platform.IsLocalEndpoint(e.Endpoint) }

// PrintJSON writes v on stdout as indented JSON: the --json output of every command.
func (e *Env) PrintJSON(v any) error { return WriteJSON(e.Stdout, v) }

// WriteJSON writes v to w as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// TableFlag adds the persistent flag --KIND-table to cmd, defaulting to $KIND_TABLE, so
// that a table has the same flag and variable in every command that reads it.
func (e *Env) TableFlag(cmd *cobra.Command, dst *string, kind string) {
	env := strings.ToUpper(kind) + "_TABLE"
	cmd.PersistentFlags().StringVar(dst, kind+"-table", e.Getenv(env),
		fmt.Sprintf("%s table `name` (default $%s)", kind, env))
}

// RequireTables is bad usage unless every named table flag is set.
func RequireTables(tables map[string]string) error {
	var missing []string
	for kind, name := range tables {
		if name == "" {
			missing = append(missing, "--"+kind+"-table (or $"+strings.ToUpper(kind)+"_TABLE)")
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	return Usagef("name the tables: %s", strings.Join(missing, ", "))
}

// ErrReported means the command has printed the problems it found; it exits with 1
// without another message.
var ErrReported = errors.New("problems reported")

// exitError carries an exit status out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// Usagef is bad usage found by a command's own checks: exit status 2.
func Usagef(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// Run adapts a command's work to cobra: an error it returns exits with 1 unless it is
// already bad usage. Errors cobra finds itself (flags, arguments, unknown commands)
// never pass here, which is how Execute tells them apart as bad usage.
func Run(run func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := run(cmd, args)
		var exit *exitError
		if err == nil || errors.As(err, &exit) {
			return err
		}
		return &exitError{code: ExitProblems, err: err}
	}
}

// Args checks the positional arguments like cobra.ExactArgs, as bad usage.
func Args(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return Usagef("%s: want %d argument(s), got %d", cmd.CommandPath(), n, len(args))
		}
		return nil
	}
}

// Group makes a command that only holds subcommands: run alone or with an unknown
// subcommand it is bad usage (cobra would print the help and exit 0 otherwise).
func Group(use, short, long string) *cobra.Command {
	return &cobra.Command{
		Use: use, Short: short, Long: long,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 0:
				return Usagef("%s: name a command", cmd.CommandPath())
			case args[0] == "help":
				return cmd.Help() // `nextbest catalog help`, as well as `nextbest help catalog`
			}
			return Usagef("%s: unknown command %q", cmd.CommandPath(), args[0])
		},
	}
}

// NewRoot makes the nextbest command with the global flags bound to env, and the given
// subcommands, each built over the same env.
func NewRoot(env *Env, subcommands ...func(*Env) *cobra.Command) *cobra.Command {
	root := Group("nextbest", "Operate the nextbest next-best-action engine",
		`nextbest is the operator's tool for the next-best-action engine: it validates,
compares, publishes and rolls back catalogs, reports on the live models, sets a batch
run's forecast against what happened, measures lift against the control groups,
imports, exports and erases customers, and replays logged data through the engine
offline.

Commands that read or write tables take --endpoint (a local DynamoDB, such as the one
`+"`make up`"+` starts; `+"`source .cache/up.env`"+` sets the variables) and --region, and one
--<kind>-table flag per table, defaulting to $<KIND>_TABLE.

Every command that prints a result prints it as JSON with --json.

Exit status: 0 done, 1 problems found or an error, 2 bad usage.`)
	root.SilenceUsage = true  // a failure after the command line was understood needs no usage
	root.SilenceErrors = true // Execute prints errors once, in one format
	root.CompletionOptions.HiddenDefaultCmd = true
	pf := root.PersistentFlags()
	pf.BoolVar(&env.JSON, "json", false, "print the result as JSON on stdout (the shapes are in docs/cli.md)")
	pf.StringVar(&env.Endpoint, "endpoint", env.Getenv("AWS_ENDPOINT_URL_DYNAMODB"), "DynamoDB endpoint `URL`, for a local stack (default $AWS_ENDPOINT_URL_DYNAMODB, else AWS)")
	pf.StringVar(&env.Region, "region", "", "AWS `region` (default: the AWS configuration's)")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return Usagef("%s: %v", cmd.CommandPath(), err)
	})
	for _, sub := range subcommands {
		root.AddCommand(sub(env))
	}
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	return root
}

// Execute runs the command line args on root and returns the exit status; it prints
// the error, if any, on stderr.
func Execute(ctx context.Context, root *cobra.Command, args []string) int {
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	var exit *exitError
	code := ExitUsage // cobra's own errors are all about the command line
	if errors.As(err, &exit) {
		code = exit.code
	}
	if !errors.Is(err, ErrReported) {
		fmt.Fprintln(root.ErrOrStderr(), "Error:", err)
	}
	if code == ExitUsage {
		fmt.Fprintf(root.ErrOrStderr(), "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

// Main runs the command line args (without the program name) on a root command with
// the given subcommands, in the given process, and returns the exit status. It is the
// nextbest program without os, so that tests run commands exactly as an operator does.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, subcommands ...func(*Env) *cobra.Command) int {
	env := &Env{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: getenv}
	return Execute(ctx, NewRoot(env, subcommands...), args)
}
