package customers

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/nextbest/nextbest/infra/cli"
)

// run runs `nextbest customers ARGS...` and returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return cli.Main(ctx, append([]string{"customers"}, args...), stdin, stdout, stderr, getenv, NewCommand)
}

// TestUsage: every mistake on the command line exits 2 with a message naming it,
// before any table is read; help exits 0.
func TestUsage(t *testing.T) {
	t.Setenv("CUSTOMERS_TABLE", "c")
	t.Setenv("DECISIONS_TABLE", "d")
	t.Setenv("CATALOG_TABLE", "k")
	tests := []struct {
		args []string
		want int
		msg  string
	}{
		{nil, 2, "name a command"},
		{[]string{"help"}, 0, ""},
		{[]string{"--help"}, 0, ""},
		{[]string{"import", "file.csv"}, 2, "import needs --mapping"},
		{[]string{"import", "--mapping", "m.yaml"}, 2, "want 1 argument(s), got 0"},
		{[]string{"export"}, 2, "export needs --customer"},
		{[]string{"erase", "--customer", "C1", "extra"}, 2, "want 0 argument(s), got 1"},
		{[]string{"erase", "--customer", "C1", "--json"}, 2, "erase --json needs --yes"},
		{[]string{"delete"}, 2, `unknown command "delete"`},
		{[]string{"delete", "--customer", "C1"}, 2, "unknown flag: --customer"},
		{[]string{"export", "--customer", "C1", "--workers", "2"}, 2, "unknown flag: --workers"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), tt.args, strings.NewReader(""), &out, &errOut, os.Getenv); code != tt.want || !strings.Contains(errOut.String(), tt.msg) {
			t.Errorf("customers %v = %d (%s), want %d and %q", tt.args, code, errOut.String(), tt.want, tt.msg)
		}
	}
}

func TestNoTables(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"export", "--customer", "C1"}, strings.NewReader(""), &out, &errOut, func(string) string { return "" })
	if code != 2 || !strings.Contains(errOut.String(), "--catalog-table (or $CATALOG_TABLE), --customers-table") {
		t.Errorf("export without tables = %d (%s), want 2 naming the tables", code, errOut.String())
	}
}
