package catalog

import (
	"context"
	"io"

	"github.com/nextbest/nextbest/infra/cli"
)

// run runs `nextbest catalog ARGS...` and returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return cli.Main(ctx, append([]string{"catalog"}, args...), stdin, stdout, stderr, getenv, NewCommand)
}
