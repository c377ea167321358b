package models

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nextbest/nextbest/infra/cli"
	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/dynamo"
	"github.com/nextbest/nextbest/shared/monitor"
)

var testNow = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// run runs `nextbest models ARGS...` and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	return cli.Main(ctx, append([]string{"models"}, args...), strings.NewReader(""), stdout, stderr, getenv, NewCommand)
}

// TestUsage: every mistake on the command line exits 2 with a message naming it,
// before any table is read; help exits 0.
func TestUsage(t *testing.T) {
	env := map[string]string{"MODELS_TABLE": "models-env", "CATALOG_TABLE": "catalog-env"}
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		want   int
		output string // a fragment of stdout and stderr
	}{
		{"no command", nil, env, 2, "name a command"},
		{"unknown command", []string{"show"}, env, 2, `unknown command "show"`},
		{"help", []string{"--help"}, env, 0, "report"},
		{"report help", []string{"report", "-h"}, env, 0, "--catalog-table"},
		{"unknown flag", []string{"report", "--verbose"}, env, 2, "unknown flag: --verbose"},
		{"extra argument", []string{"report", "fibre"}, env, 2, "want 0 argument(s), got 1"},
		{"no models table", []string{"report", "--catalog-table", "c"}, nil, 2, "--models-table"},
		{"no catalog table", []string{"compact", "--models-table", "m"}, nil, 2, "--catalog-table"},
		{"emf and json", []string{"report", "--emf", "--json"}, env, 2, "choose one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if got := run(context.Background(), tt.args, &out, &out, func(k string) string { return tt.env[k] }); got != tt.want || !strings.Contains(out.String(), tt.output) {
				t.Errorf("models %q = %d, %q; want %d and %q", tt.args, got, out.String(), tt.want, tt.output)
			}
		})
	}
}

func TestFilter(t *testing.T) {
	reports := []monitor.ModelReport{
		{Model: decision.ModelKey{ActionID: "fibre", Channel: "sms"}},
		{Model: decision.ModelKey{ActionID: "fibre", Channel: "web"}},
		{Model: decision.ModelKey{ActionID: "bonus"}},
	}
	tests := []struct {
		model   string
		want    []string
		wantErr bool
	}{
		{"", []string{"fibre/sms", "fibre/web", "bonus/*"}, false},
		{"fibre/web", []string{"fibre/web"}, false},
		{"fibre", []string{"fibre/sms", "fibre/web"}, false},
		{"bonus/*", []string{"bonus/*"}, false},
		{"bonus", []string{"bonus/*"}, false},
		{"fibre/email", nil, true},
		{"fib", nil, true},
	}
	for _, tt := range tests {
		got, err := filter(reports, tt.model)
		var names []string
		for _, r := range got {
			names = append(names, r.Name())
		}
		if (err != nil) != tt.wantErr || strings.Join(names, ",") != strings.Join(tt.want, ",") {
			t.Errorf("filter(%q) = %v, %v; want %v (error %v)", tt.model, names, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "fibre/sms, fibre/web, bonus/*") {
			t.Errorf("filter(%q) error %q, want it to list the models with counters", tt.model, err)
		}
	}
}

// fakeStore serves a catalog and models from memory, and records compactions.
type fakeStore struct {
	catalog *decision.Catalog
	models  *decision.Models
	// compacted receives the memory each compaction is asked to follow.
	compacted *[]adaptive.Memory
}

func (f fakeStore) CompactModels(_ context.Context, _ time.Time, m adaptive.Memory) (dynamo.Compaction, error) {
	if f.compacted != nil {
		*f.compacted = append(*f.compacted, m)
	}
	return dynamo.Compaction{Items: 30, Folded: 20, Deleted: 4, Skipped: 1}, nil
}

func (f fakeStore) LoadCatalog(context.Context) (*decision.Catalog, error) {
	if f.catalog == nil {
		return nil, decision.Errorf(decision.ENotFound, "no catalog has been published")
	}
	return f.catalog, nil
}

func (f fakeStore) LoadModels(context.Context, time.Time) (*decision.Models, error) {
	return f.models, nil
}

// testCatalog is the decision package's test catalog.
func testCatalog(t *testing.T) *decision.Catalog {
	t.Helper()
	src, err := os.ReadFile("../../../shared/decision/testdata/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	catalog, err := decision.ParseCatalog("catalog.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	return catalog
}

func TestReport(t *testing.T) {
	catalog := testCatalog(t)
	catalog.Version = "7"
	// fibre-upgrade on sms: 200 impressions, 20 successes; loyalty-bonus on web: 50, none.
	totals := func(impressions, successes int64) *adaptive.State {
		return adaptive.StateFromImpressions(map[adaptive.Key]int64{
			{Predictor: "*"}: impressions, {Predictor: "*", Positive: true}: successes,
			{Predictor: "~cal", Bin: "16"}: impressions, {Predictor: "~cal", Positive: true, Bin: "16"}: successes,
		})
	}
	models := decision.NewModels(map[decision.ModelKey]*adaptive.State{
		{ActionID: "fibre-upgrade", Channel: "sms"}: totals(200, 20),
		{ActionID: "loyalty-bonus", Channel: "web"}: totals(50, 0),
	}, testNow)
	tests := []struct {
		name    string
		store   fakeStore
		opts    options
		want    []string // fragments of the output, or of the error
		wantErr bool
	}{
		{"table", fakeStore{catalog, models, nil}, options{}, []string{
			"catalog version 7, models read at 2026-11-23T10:00:00Z",
			"fibre-upgrade/sms         200          20    10.00%",
			"loyalty-bonus/web          50           0     0.00%       -",
			"fibre-upgrade/sms: 200 responses, 20 positive (10.00%)",
		}, false},
		{"one model", fakeStore{catalog, models, nil}, options{model: "loyalty-bonus/web"}, []string{"loyalty-bonus/web: 50 responses"}, false},
		{"emf", fakeStore{catalog, models, nil}, options{emf: true}, []string{
			`"ActionId":"fibre-upgrade","Channel":"sms","Evidence":200,"Positives":20,"SuccessRate":0.1,"AUC":0.5}`,
			`"ActionId":"loyalty-bonus","Channel":"web","Evidence":50,"Positives":0,"SuccessRate":0}`,
		}, false},
		{"unknown model", fakeStore{catalog, models, nil}, options{model: "tv-pack/web"}, []string{`no model "tv-pack/web" has counters`}, true},
		{"nothing published", fakeStore{nil, models, nil}, options{}, []string{"no catalog is live: publish one first"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := report(context.Background(), tt.store, tt.opts, &out, func() time.Time { return testNow })
			got := out.String()
			if err != nil {
				got = err.Error()
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("report(%+v) error = %v, want error %v; output:\n%s", tt.opts, err, tt.wantErr, out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("report(%+v) =\n%s\nwant %q", tt.opts, got, w)
				}
			}
			if tt.opts.model == "loyalty-bonus/web" && strings.Contains(got, "fibre-upgrade") {
				t.Errorf("report(%+v) =\n%s\nwant only loyalty-bonus/web", tt.opts, got)
			}
		})
	}
}

// TestCompactFollowsTheCatalogsMemory: compact asks the store to follow the live
// catalog's memory and says what it did; without a live catalog it says what to do.
func TestCompactFollowsTheCatalogsMemory(t *testing.T) {
	catalog := testCatalog(t)
	var asked []adaptive.Memory
	var out bytes.Buffer
	if err := compact(context.Background(), fakeStore{catalog, nil, &asked}, options{}, &out, func() time.Time { return testNow }); err != nil {
		t.Fatal(err)
	}
	if len(asked) != 1 || asked[0] != catalog.ModelMemory() {
		t.Errorf("compactions asked %+v, want one following %+v", asked, catalog.ModelMemory())
	}
	if want := "30 items read: 20 folded"; !strings.Contains(out.String(), want) {
		t.Errorf("compact said %q, want %q", out.String(), want)
	}
	if err := compact(context.Background(), fakeStore{}, options{}, &out, func() time.Time { return testNow }); err == nil || !strings.Contains(err.Error(), "publish one first") {
		t.Errorf("compact without a catalog: %v", err)
	}
}
