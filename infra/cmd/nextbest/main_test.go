package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nextbest/nextbest/infra/cli"
	"github.com/nextbest/nextbest/shared/platform"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// run runs nextbest in an environment that sets only the clock (at the demo's instant,
// so that the demo catalog's dated actions read the same on any day), so that no
// default taken from a variable shows in the help.
func run(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		if k == platform.ClockEnv {
			return "2026-11-25T10:00:00Z"
		}
		return ""
	}
	code = cli.Main(context.Background(), args, strings.NewReader(""), &out, &errOut, getenv, commands()...)
	return code, out.String(), errOut.String()
}

// TestHelp compares the help texts with the golden files (go test -update rewrites
// them): a change to the command line shows in review.
func TestHelp(t *testing.T) {
	tests := []struct {
		golden string
		args   []string
	}{
		{"nextbest.help", []string{"--help"}},
		{"catalog-publish.help", []string{"catalog", "publish", "--help"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			code, stdout, stderr := run(tt.args...)
			if code != cli.ExitOK || stderr != "" {
				t.Fatalf("nextbest %q = %d, stderr %q; want 0 and nothing", tt.args, code, stderr)
			}
			path := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if stdout != string(want) {
				t.Errorf("nextbest %q printed\n%s\nwant (%s; go test -update rewrites it)\n%s", tt.args, stdout, path, want)
			}
		})
	}
}

// TestEveryCommandHasHelp: every command, at every level, answers --help with its
// description and exits 0.
func TestEveryCommandHasHelp(t *testing.T) {
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }}
	var paths [][]string
	root := cli.NewRoot(env, commands()...)
	for _, c := range root.Commands() {
		paths = append(paths, []string{c.Name()})
		for _, s := range c.Commands() {
			paths = append(paths, []string{c.Name(), s.Name()})
		}
	}
	for _, p := range paths {
		code, stdout, _ := run(append(p, "--help")...)
		if code != cli.ExitOK || !strings.Contains(stdout, "Usage:") || !strings.Contains(stdout, "nextbest "+strings.Join(p, " ")) {
			t.Errorf("nextbest %s --help = %d\n%s", strings.Join(p, " "), code, stdout)
		}
	}
}

// TestBadUsage: every mistake on the command line exits 2, names the mistake, and
// points at the help of the command at fault, before any table or file is read.
func TestBadUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string // a fragment of stderr
	}{
		{nil, "nextbest: name a command"},
		{[]string{"deploy"}, `unknown command "deploy"`},
		{[]string{"--verbose"}, "unknown flag: --verbose"},
		{[]string{"catalog"}, "nextbest catalog: name a command"},
		{[]string{"catalog", "frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"catalog", "validate"}, "want 1 argument(s), got 0"},
		{[]string{"catalog", "validate", "a.yaml", "b.yaml"}, "want 1 argument(s), got 2"},
		{[]string{"catalog", "validate", "--profiles", "many", "a.yaml"}, `invalid argument "many"`},
		{[]string{"catalog", "diff", "a.yaml"}, "--catalog-table (or $CATALOG_TABLE)"},
		{[]string{"catalog", "publish", "a.yaml", "--json", "--catalog-table", "t"}, "--json needs --yes"},
		{[]string{"catalog", "versions", "--yes"}, "unknown flag: --yes"},
		{[]string{"models"}, "nextbest models: name a command"},
		{[]string{"models", "report"}, "--models-table"},
		{[]string{"models", "report", "--models-table", "m", "--catalog-table", "c", "--emf", "--json"}, "choose one"},
		{[]string{"runs", "report"}, "want 1 argument(s), got 0"},
		{[]string{"runs", "report", "r1"}, "--catalog-table (or $CATALOG_TABLE), --decisions-table"},
		{[]string{"lift", "extra"}, "want 0 argument(s), got 1"},
		{[]string{"lift", "--decisions-table", "d", "--customers-table", "c", "--catalog-table", "k", "--from", "yesterday"}, "--from"},
		{[]string{"customers", "import", "x.csv"}, "import needs --mapping"},
		{[]string{"customers", "export"}, "export needs --customer"},
		{[]string{"customers", "erase", "--customer", "C1", "--json"}, "erase --json needs --yes"},
		{[]string{"simulate"}, "want 1 argument(s), got 0"},
		{[]string{"simulate", "log.csv"}, "needs --mapping and --catalog"},
		{[]string{"simulate", "--ranking", "no-equals-sign", "log.csv"}, "want NAME=FILE"},
		{[]string{"console", "extra"}, "want 0 argument(s), got 1"},
		{[]string{"console"}, "--catalog-table (or $CATALOG_TABLE)"},
		{[]string{"console", "--addr", "0.0.0.0:8088", "--customers-table", "a", "--decisions-table", "b", "--models-table", "c", "--catalog-table", "d"},
			"not loopback: set --token"},
	}
	for _, tt := range tests {
		code, stdout, stderr := run(tt.args...)
		if code != cli.ExitUsage || !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, "--help' for usage") || stdout != "" {
			t.Errorf("nextbest %q = %d, stdout %q, stderr %q; want %d, nothing on stdout, and %q", tt.args, code, stdout, stderr, cli.ExitUsage, tt.want)
		}
	}
}

// TestExitStatus: the other two statuses, 0 done and 1 problems found or an error.
func TestExitStatus(t *testing.T) {
	valid, invalid := filepath.Join(t.TempDir(), "x.yaml"), filepath.Join(t.TempDir(), "y.yaml")
	src, err := os.ReadFile("../../catalog/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(valid, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(invalid, []byte("version: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want int
	}{
		{[]string{"--help"}, cli.ExitOK},
		{[]string{"help", "catalog"}, cli.ExitOK},
		{[]string{"catalog", "help"}, cli.ExitOK},
		{[]string{"catalog", "validate", valid}, cli.ExitOK},
		{[]string{"--json", "catalog", "validate", valid}, cli.ExitOK},
		{[]string{"catalog", "validate", "--profiles", "20", invalid}, cli.ExitProblems},
		{[]string{"catalog", "validate", filepath.Join(t.TempDir(), "absent.yaml")}, cli.ExitProblems},
		{[]string{"simulate", "--mapping", "absent.yaml", "--catalog", "c.yaml", "log.csv"}, cli.ExitProblems},
	}
	for _, tt := range tests {
		if code, _, stderr := run(tt.args...); code != tt.want {
			t.Errorf("nextbest %q = %d, want %d; stderr %q", tt.args, code, tt.want, stderr)
		}
	}
}

// TestValidateJSON: --json prints one document in the documented shape (docs/cli.md),
// and nothing else on stdout.
func TestValidateJSON(t *testing.T) {
	code, stdout, stderr := run("catalog", "validate", "--json", "../../catalog/demo.yaml")
	var got struct {
		File     string   `json:"file"`
		Valid    bool     `json:"valid"`
		Actions  int      `json:"actions"`
		Errors   []string `json:"errors"`
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); code != cli.ExitOK || err != nil || !got.Valid || got.Actions == 0 || got.Errors == nil {
		t.Errorf("catalog validate --json = %d, %+v, %v\n%s%s", code, got, err, stdout, stderr)
	}
}
