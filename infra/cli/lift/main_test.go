package lift

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/nextbest/nextbest/infra/cli"
	"github.com/nextbest/nextbest/shared/platform"
)

var testNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func env(vars map[string]string) func(string) string {
	return func(k string) string {
		if k == platform.ClockEnv {
			return testNow.Format(time.RFC3339)
		}
		return vars[k]
	}
}

var tables = map[string]string{"DECISIONS_TABLE": "d", "CUSTOMERS_TABLE": "c", "CATALOG_TABLE": "k",
	"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:1"}

// TestUsageErrors: every mistake on the command line exits 2 with a message naming it,
// before any table is read.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		vars map[string]string
		want string
	}{
		{"no tables", nil, map[string]string{}, "name the tables"},
		{"stray argument", []string{"overall"}, tables, "want 0 argument(s), got 1"},
		{"unknown flag", []string{"--cut", "issue"}, tables, "unknown flag: --cut"},
		{"bad number", []string{"--days", "many"}, tables, "--days"},
		{"bad date", []string{"--from", "yesterday"}, tables, "--from"},
		{"empty window", []string{"--from", "2026-11-20", "--to", "2026-11-20"}, tables, "the window is empty"},
		{"bad attribution", []string{"--attribution", "a week"}, tables, `--attribution "a week": want a duration such as 7d`},
		{"bad pre-period", []string{"--pre", "-"}, tables, `--pre "-"`},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), tt.args, &stdout, &stderr, env(tt.vars)); code != 2 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%s: exit %d, %q; want 2 and %q", tt.name, code, stderr.String(), tt.want)
		}
	}
}

// run runs `nextbest lift ARGS...` and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	return cli.Main(ctx, append([]string{"lift"}, args...), strings.NewReader(""), stdout, stderr, getenv, NewCommand)
}

func TestReportOptions(t *testing.T) {
	got, err := reportOptions(options{days: 28, attribution: "7d", pre: "0", asOf: "2026-11-24", mde: 0.1}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !got.To.Equal(testNow) || !got.From.Equal(testNow.Add(-28*24*time.Hour)) || got.Attribution != 7*24*time.Hour ||
		got.PrePeriod != -1 || got.AsOf.IsZero() || got.Experiment.MDE != 0.1 {
		t.Errorf("reportOptions = %+v; want the last 28 days, 7-day attribution, no pre-period, as of 2026-11-24, MDE 0.1", got)
	}
}
