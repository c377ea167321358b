package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestExitStatus: how an error from a command, or from cobra, becomes the exit status and
// the message.
func TestExitStatus(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		args    []string
		want    int
		message string // a fragment of stderr; "" for none at all
	}{
		{"done", nil, []string{"do"}, ExitOK, ""},
		{"an error", errors.New("table unreachable"), []string{"do"}, ExitProblems, "Error: table unreachable"},
		{"problems printed", ErrReported, []string{"do"}, ExitProblems, ""},
		{"wrapped problems", errors.Join(ErrReported), []string{"do"}, ExitProblems, ""},
		{"own usage check", Usagef("--n must be ≥ 0"), []string{"do"}, ExitUsage, "Run 'nextbest do --help' for usage."},
		{"cobra's flag check", nil, []string{"do", "--nope"}, ExitUsage, "unknown flag: --nope"},
		{"cobra's argument check", nil, []string{"do", "extra"}, ExitUsage, "want 0 argument(s), got 1"},
		{"unknown command", nil, []string{"undo"}, ExitUsage, `unknown command "undo"`},
		{"no command", nil, nil, ExitUsage, "nextbest: name a command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			do := func(*Env) *cobra.Command {
				return &cobra.Command{Use: "do", Args: Args(0), RunE: Run(func(*cobra.Command, []string) error { return tt.err })}
			}
			code := Main(context.Background(), tt.args, strings.NewReader(""), &out, &errOut, func(string) string { return "" }, do)
			if code != tt.want || (tt.message == "" && errOut.Len() > 0) || !strings.Contains(errOut.String(), tt.message) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut.String(), tt.want, tt.message)
			}
		})
	}
}

func TestRequireTables(t *testing.T) {
	if err := RequireTables(map[string]string{"catalog": "c"}); err != nil {
		t.Errorf("RequireTables(catalog set) = %v", err)
	}
	err := RequireTables(map[string]string{"models": "", "catalog": ""})
	want := "name the tables: --catalog-table (or $CATALOG_TABLE), --models-table (or $MODELS_TABLE)"
	if err == nil || err.Error() != want {
		t.Errorf("RequireTables(none set) = %v, want %q", err, want)
	}
}
