package catalog

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nextbest/nextbest/infra/catalogcheck"
	"github.com/nextbest/nextbest/infra/cli"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/dynamo"
)

// fakeStore keeps versions in memory, numbered like the DynamoDB store.
type fakeStore struct {
	sources [][]byte // version i+1
	live    string
	// conflict makes the next rollback fail as if someone published meanwhile.
	conflict bool
}

func (f *fakeStore) LiveCatalogVersion(context.Context) (string, error) {
	if f.live == "" {
		return "", decision.Errorf(decision.ENotFound, "no catalog has been published")
	}
	return f.live, nil
}

func (f *fakeStore) CatalogSource(_ context.Context, version string) ([]byte, error) {
	n, err := strconv.Atoi(version)
	if err != nil || n < 1 || n > len(f.sources) {
		return nil, decision.Errorf(decision.ENotFound, "catalog version %s does not exist", version)
	}
	return f.sources[n-1], nil
}

func (f *fakeStore) ListCatalogVersions(context.Context) ([]dynamo.CatalogVersion, error) {
	var out []dynamo.CatalogVersion
	for i := range f.sources {
		v := strconv.Itoa(i + 1)
		out = append(out, dynamo.CatalogVersion{Version: v, PublishedAt: testNow, Live: v == f.live})
	}
	return out, nil
}

func (f *fakeStore) PublishCatalog(ctx context.Context, source []byte, now time.Time) (string, error) {
	return f.PublishCatalogFrom(ctx, f.live, source, now)
}

func (f *fakeStore) PublishCatalogFrom(_ context.Context, from string, source []byte, _ time.Time) (string, error) {
	if from != f.live {
		return "", decision.Errorf(decision.EConflict, "the live catalog is no longer version %s", from)
	}
	f.sources = append(f.sources, source)
	f.live = strconv.Itoa(len(f.sources))
	return f.live, nil
}

func (f *fakeStore) RollbackCatalogFrom(_ context.Context, from, version string, _ time.Time) error {
	if f.conflict || from != f.live {
		return decision.Errorf(decision.EConflict, "the live catalog is no longer version %s", from)
	}
	f.live = version
	return nil
}

func newTestApp(store catalogStore, answer string, yes bool) (*app, *bytes.Buffer) {
	var out bytes.Buffer
	return &app{store: store, in: bufio.NewReader(strings.NewReader(answer)), out: &out,
		now: func() time.Time { return testNow }, yes: yes, check: catalogcheck.Options{Profiles: 20, Seed: 1}}, &out
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPublish(t *testing.T) {
	v1 := baseCatalog
	v2 := strings.Replace(baseCatalog, "value: 10", "value: 12", 1)
	unreachable := strings.Replace(baseCatalog, "value: 20", "value: 20\n            eligibility: (profile.age ?? 0) > 200", 1)
	tests := []struct {
		name       string
		published  []string
		file       string
		answer     string
		yes        bool
		wantErr    bool
		wantLive   string
		wantOutput []string
	}{
		{"first publish", nil, v1, "", true, false, "1", []string{"changes from nothing (no catalog published yet)", "+ action fibre-upgrade", "published version 1", "within CATALOG_MAX_AGE (30s by default)"}},
		{"confirmed", []string{v1}, v2, "y\n", false, false, "2", []string{"~ action fibre-upgrade", "value: 10 → 12", "[y/N]", "published version 2"}},
		{"declined", []string{v1}, v2, "n\n", false, false, "1", []string{"value: 10 → 12", "not published"}},
		{"no answer", []string{v1}, v2, "", false, false, "1", []string{"not published"}},
		{"identical", []string{v1}, v1, "", true, false, "1", []string{"identical to live version 1: nothing to publish"}},
		{"invalid", []string{v1}, unreachable, "", true, true, "1", []string{"no probe customer reaches it", "invalid: 1 problem(s)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeStore{}
			for _, p := range tt.published {
				store.PublishCatalog(context.Background(), []byte(p), testNow)
			}
			a, out := newTestApp(store, tt.answer, tt.yes)
			err := a.publish(context.Background(), writeFile(t, "new.yaml", tt.file))
			if (err != nil) != tt.wantErr || store.live != tt.wantLive {
				t.Errorf("publish(%s) = %v, live %s; want error %v, live %s\n%s", tt.name, err, store.live, tt.wantErr, tt.wantLive, out)
			}
			for _, w := range tt.wantOutput {
				if !strings.Contains(out.String(), w) {
					t.Errorf("publish(%s) printed\n%s\nwant %q", tt.name, out, w)
				}
			}
		})
	}
}

func TestRollback(t *testing.T) {
	v1 := baseCatalog
	v2 := strings.Replace(baseCatalog, "value: 10", "value: 12", 1)
	oldFormat := strings.Replace(baseCatalog, "value: 20", "value: 20\n            retired: true", 1)
	tests := []struct {
		name       string
		sources    []string
		to         string
		answer     string
		conflict   bool
		wantCode   string // "" no error, "reported" for errReported, else the decision code
		wantLive   string
		wantOutput []string
	}{
		{"confirmed", []string{v1, v2}, "1", "yes\n", false, "", "1",
			[]string{"changes from live version 2 to version 1", "value: 12 → 10", "make version 1 live again instead of version 2?", "version 1 is live again (was version 2)"}},
		{"declined", []string{v1, v2}, "1", "\n", false, "", "2", []string{"not rolled back"}},
		{"already live", []string{v1, v2}, "2", "", false, "", "2", []string{"version 2 is already live"}},
		{"unknown version", []string{v1, v2}, "7", "", false, decision.ENotFound, "2", nil},
		{"conflict", []string{v1, v2}, "1", "y\n", true, decision.EConflict, "2", nil},
		{"old format refused", []string{oldFormat, v2}, "1", "y\n", false, "reported", "2",
			[]string{"field retired not found", "does not compile with the current catalog format"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeStore{conflict: tt.conflict}
			for _, s := range tt.sources {
				store.PublishCatalog(context.Background(), []byte(s), testNow)
			}
			a, out := newTestApp(store, tt.answer, false)
			err := a.rollback(context.Background(), tt.to)
			gotCode := ""
			switch {
			case errors.Is(err, cli.ErrReported):
				gotCode = "reported"
			case err != nil:
				gotCode = decision.ErrorCode(err)
			}
			if gotCode != tt.wantCode || store.live != tt.wantLive {
				t.Errorf("rollback(%s) = %v, live %s; want %q, live %s\n%s", tt.to, err, store.live, tt.wantCode, tt.wantLive, out)
			}
			for _, w := range tt.wantOutput {
				if !strings.Contains(out.String(), w) {
					t.Errorf("rollback(%s) printed\n%s\nwant %q", tt.to, out, w)
				}
			}
		})
	}
}

func TestVersions(t *testing.T) {
	store := &fakeStore{}
	for range 3 {
		store.PublishCatalog(context.Background(), []byte(baseCatalog), testNow)
	}
	store.live = "2"
	a, out := newTestApp(store, "", false)
	if err := a.versions(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := "   VERSION  PUBLISHED           \n" +
		"         1  2026-11-23T12:00:00Z\n" +
		"*        2  2026-11-23T12:00:00Z  live\n" +
		"         3  2026-11-23T12:00:00Z\n"
	if out.String() != want {
		t.Errorf("versions() printed\n%q\nwant\n%q", out, want)
	}
}

func TestRunUsage(t *testing.T) {
	valid := writeFile(t, "valid.yaml", baseCatalog)
	invalid := writeFile(t, "invalid.yaml", strings.Replace(baseCatalog, "channel: sms", "channel: fax", 1))
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no command", nil, 2},
		{"unknown command", []string{"deploy"}, 2},
		{"missing file", []string{"validate"}, 2},
		{"extra argument", []string{"versions", "x"}, 2},
		{"unknown flag", []string{"validate", "--force", valid}, 2},
		{"no table", []string{"diff", valid}, 2},
		{"negative profiles", []string{"validate", valid, "--profiles=-1"}, 2},
		{"json without yes", []string{"publish", valid, "--json", "--catalog-table", "t"}, 2},
		{"valid", []string{"validate", valid, "--profiles", "20"}, 0},
		{"valid, json", []string{"validate", valid, "--profiles", "20", "--json"}, 0},
		{"invalid, json", []string{"--json", "validate", "--profiles=20", invalid}, 1},
		{"invalid", []string{"validate", "--profiles=20", invalid}, 1},
		{"unreadable", []string{"validate", filepath.Join(t.TempDir(), "absent.yaml")}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			got := run(context.Background(), tt.args, strings.NewReader(""), &out, &errOut, testEnv)
			if got != tt.want {
				t.Errorf("run(%q) = %d, want %d\nstdout: %s\nstderr: %s", tt.args, got, tt.want, out.String(), errOut.String())
			}
		})
	}
}
