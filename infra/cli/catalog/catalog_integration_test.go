//go:build integration

package catalog

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nextbest/nextbest/infra/local/localtest"
	"github.com/nextbest/nextbest/shared/dynamo"
)

// TestMain starts DynamoDB Local and the SQS server; each test creates its tables.
func TestMain(m *testing.M) {
	os.Exit(localtest.RunTests(m, "../../.."))
}

// catalogTable is a catalog table of the test's own, on the local servers.
type catalogTable struct {
	endpoint, name string
	store          *dynamo.Store
}

func newCatalogTable(t *testing.T) catalogTable {
	env := localtest.Storage(t)
	return catalogTable{endpoint: env.Stack.DynamoDBEndpoint, name: env.Resources.Tables["CatalogTable"], store: env.Store}
}

// command runs the catalog command against the table.
func (c catalogTable) command(t *testing.T, stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	args = append(args, "--endpoint", c.endpoint, "--catalog-table", c.name)
	if args[0] == "publish" {
		args = append(args, "--profiles", "50")
	}
	code = run(context.Background(), args, stdin, &out, &errOut, testEnv)
	return code, out.String(), errOut.String()
}

// publishOnRead is an operator's terminal during whose confirmation prompt a colleague
// publishes another catalog; then the operator answers yes.
type publishOnRead struct {
	t      *testing.T
	store  *dynamo.Store
	source []byte
	done   bool
}

func (p *publishOnRead) Read(b []byte) (int, error) {
	if p.done {
		return 0, io.EOF
	}
	p.done = true
	if _, err := p.store.PublishCatalog(context.Background(), p.source, testNow); err != nil {
		p.t.Errorf("concurrent PublishCatalog: %v", err)
	}
	return copy(b, "y\n"), nil
}

func TestPublishDiffRollback(t *testing.T) {
	table := newCatalogTable(t)
	src, err := os.ReadFile("../../../shared/decision/testdata/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	v1 := filepath.Join(dir, "v1.yaml")
	v2 := filepath.Join(dir, "v2.yaml")
	if err := os.WriteFile(v1, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(v2, bytes.Replace(src, []byte("value: 40"), []byte("value: 45"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name       string
		stdin      io.Reader
		args       []string
		wantCode   int
		wantOutput []string // fragments of stdout, or of stderr when the code is not 0
		wantLive   string
	}{
		{"publish v1", nil, []string{"publish", v1, "--yes"}, 0, []string{"valid: 4 actions", "+ action loyalty-bonus", "published version 1"}, "1"},
		{"publish v2", nil, []string{"publish", v2, "--yes"}, 0, []string{"~ action loyalty-bonus", "value: 40 → 45", "published version 2"}, "2"},
		{"publish v2 again", nil, []string{"publish", v2, "--yes"}, 0, []string{"identical to live version 2: nothing to publish"}, "2"},
		{"versions", nil, []string{"versions"}, 0, []string{"        1  2", "*        2  2", "live"}, "2"},
		{"diff v2 → v1", nil, []string{"diff", v1}, 0, []string{"changes from live version 2 to " + v1, "value: 45 → 40"}, "2"},
		{"rollback declined", strings.NewReader("n\n"), []string{"rollback", "1"}, 0, []string{"value: 45 → 40", "not rolled back"}, "2"},
		{"rollback to v1", nil, []string{"rollback", "1", "--yes"}, 0, []string{"version 1 is live again (was version 2)"}, "1"},
		{"versions after rollback", nil, []string{"versions"}, 0, []string{"*        1  ", "live (rolled back from version 2 at"}, "1"},
		{"publish after rollback is v3", nil, []string{"publish", v2, "--yes"}, 0, []string{"published version 3"}, "3"},
		{"rollback while someone publishes", &publishOnRead{t: t, store: table.store, source: src}, []string{"rollback", "2"}, 1,
			[]string{"the live catalog is no longer version 3", "nothing was changed"}, "4"},
		{"unknown version", nil, []string{"rollback", "9", "--yes"}, 1, []string{"catalog version 9 does not exist"}, "4"},
		{"publish while someone publishes", &publishOnRead{t: t, store: table.store, source: src}, []string{"publish", v2}, 1,
			[]string{"another catalog was published or rolled back", "nothing was changed"}, "5"},
		{"publish as JSON", nil, []string{"publish", v2, "--yes", "--json"}, 0, []string{`"changed": true`, `"version": "6"`, `"previous": "5"`}, "6"},
		{"versions as JSON", nil, []string{"versions", "--json"}, 0, []string{`"version": "6"`, `"live": true`, `"publishedAt": "`}, "6"},
		{"diff as JSON", nil, []string{"diff", v1, "--json"}, 0, []string{`"op": "~"`, `"id": "loyalty-bonus"`, `"value: 45 → 40"`}, "6"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			stdin := st.stdin
			if stdin == nil {
				stdin = strings.NewReader("")
			}
			code, stdout, stderr := table.command(t, stdin, st.args...)
			if code != st.wantCode {
				t.Fatalf("catalog %v = exit %d, want %d\nstdout:\n%s\nstderr:\n%s", st.args, code, st.wantCode, stdout, stderr)
			}
			got := stdout
			if code != 0 {
				got = stderr
			}
			for _, w := range st.wantOutput {
				if !strings.Contains(got, w) {
					t.Errorf("catalog %v printed\n%s\nwant %q", st.args, got, w)
				}
			}
			live, err := table.store.LiveCatalogVersion(context.Background())
			if err != nil || live != st.wantLive {
				t.Errorf("after catalog %v: live version %q, %v; want %s", st.args, live, err, st.wantLive)
			}
		})
	}

	// What the functions load after the rollback is version 1's content: check by
	// rolling back again and loading as they do.
	if code, stdout, stderr := table.command(t, strings.NewReader(""), "rollback", "1", "--yes"); code != 0 {
		t.Fatalf("rollback 1 = exit %d\n%s%s", code, stdout, stderr)
	}
	c, err := table.store.LoadCatalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a, _, _, ok := c.Action("loyalty-bonus")
	if c.Version != "1" || !ok || a.Value != 40 {
		t.Errorf("LoadCatalog() after rollback to 1 = version %s with loyalty-bonus %+v, want version 1 with value 40", c.Version, a)
	}
	if code, _, stderr := table.command(t, strings.NewReader(""), "validate", filepath.Join(dir, "absent.yaml")); code != 1 || !strings.Contains(stderr, "absent.yaml") {
		t.Errorf("validate absent.yaml = exit %d, %q; want 1 naming the file", code, stderr)
	}
}
