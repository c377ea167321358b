//go:build integration

package console

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nextbest/nextbest/infra/local"
	"github.com/nextbest/nextbest/infra/local/localtest"
	"github.com/nextbest/nextbest/infra/seed"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

// TestMain starts DynamoDB Local and the SQS server; the fixture takes its tables.
func TestMain(m *testing.M) {
	os.Exit(localtest.RunTests(m, "../.."))
}

// customers is how many synthetic customers the fixture seeds: the demo's 10,000, so
// that the measured page times are the ones `make up` gives.
const customers = 10_000

// generatorSeed is the demo's customer generator seed.
const generatorSeed = 1

// fixture is a seeded environment shared by the package's tests (seeding 10,000
// customers takes a while): the demo catalog, its customers and models that learned
// from recorded responses.
type fixture struct {
	env    *local.Env
	server *httptest.Server
	now    time.Time
}

var (
	shared     *fixture
	sharedErr  error
	sharedOnce sync.Once
)

// seeded returns the shared fixture, building it on first use. Its tables live as long
// as the test binary (the servers' memory), so no test's cleanup removes them.
func seeded(t testing.TB) *fixture {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = build(t) })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	if shared == nil {
		t.Fatal("the fixture failed to build in an earlier test")
	}
	return shared
}

// keeper is a testing.TB whose cleanups never run: the fixture outlives the test that
// built it.
type keeper struct{ testing.TB }

func (keeper) Cleanup(func()) {}

func build(t testing.TB) (*fixture, error) {
	ctx := context.Background()
	env := localtest.Storage(keeper{t})
	start := env.Now()
	began := time.Now()
	defer func() {
		t.Logf("fixture: %d customers and the models seeded in %v", customers, time.Since(began).Round(time.Millisecond))
	}()
	catalog, err := env.Seed(ctx, "../catalog/demo.yaml", customers, generatorSeed)
	if err != nil {
		return nil, err
	}
	if err := learn(ctx, env, catalog, start); err != nil {
		return nil, err
	}
	if err := batch(ctx, env, catalog, start.Add(30*time.Minute)); err != nil {
		return nil, err
	}
	now := start.Add(time.Hour)
	h, err := New(Options{Store: env.Store, Tables: env.Tables(), Now: func() time.Time { return now }})
	if err != nil {
		return nil, err
	}
	f := &fixture{env: env, server: httptest.NewServer(h), now: now}
	// The first page parses the live catalog (Serve does it at start-up); later ones
	// reuse it while its version is live.
	_, _, cold := f.get(t, "/models")
	t.Logf("fixture: the first page, parsing the catalog, took %.1f ms", ms(cold))
	return f, nil
}

// learn records decisions and responses the way decide and record-response do, so the
// models have counters: web visitors and e-mail recipients, who click more often the
// longer their tenure.
func learn(ctx context.Context, env *local.Env, catalog *decision.Catalog, start time.Time) error {
	store := env.Store
	models, err := store.LoadModels(ctx, start)
	if err != nil {
		return err
	}
	profiles := seed.Profiles(generatorSeed, 1500, start)
	rng := rand.New(rand.NewPCG(3, 4))
	now := start
	for i, p := range profiles[1:] {
		now = now.Add(time.Second)
		channel := []string{"web", "app"}[i%2]
		d, err := catalog.Decide(decision.Input{Request: decision.Request{CustomerID: p.CustomerID, Channel: channel},
			Profile: p, Models: models, Now: now, DecisionID: fmt.Sprintf("learn-%05d", i)})
		if err != nil {
			return err
		}
		if len(d.Actions) == 0 {
			continue
		}
		if err := store.PutDecision(ctx, catalog.Log(d)); err != nil {
			return err
		}
		tenure, _ := p.Attributes["tenureMonths"].(float64)
		outcomes := []string{decision.KindImpression}
		if rng.Float64() < 0.02+tenure/400 {
			outcomes = append(outcomes, "click")
		}
		for _, outcome := range outcomes {
			r := decision.Response{DecisionID: d.DecisionID, CustomerID: p.CustomerID, ActionID: d.Actions[0].ActionID, Channel: channel, Outcome: outcome}
			if err := decision.ValidateResponse(&r, now); err != nil {
				return err
			}
			logged, err := store.GetDecision(ctx, r.DecisionID, now)
			if err != nil {
				return err
			}
			a, err := catalog.Attribute(logged, r, models)
			if err != nil {
				return err
			}
			if _, err := store.RecordResponse(ctx, a, logged.ExpiresAt); err != nil {
				return err
			}
		}
		if i%200 == 199 {
			if models, err = store.LoadModels(ctx, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// runID is the batch run the fixture plans.
const runID = "fixture-run"

// outbox keeps the planned sends in memory.
type outbox struct {
	mu       sync.Mutex
	messages []service.OutboundMessage
}

func (o *outbox) Enqueue(_ context.Context, _ string, ms []service.OutboundMessage) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.messages = append(o.messages, ms...)
	return nil
}

// batch plans an outbound run over every customer, as score-batch does, and records an
// impression for the first sends and a click for some of them, so that the runs page
// has a forecast to set against an actual.
func batch(ctx context.Context, env *local.Env, catalog *decision.Catalog, at time.Time) error {
	now := func() time.Time { return at }
	out := &outbox{}
	planner := &service.Planner{Catalog: service.NewCatalogSnapshot(env.Store, time.Minute, now),
		Models: service.NewModelsSnapshot(env.Store, time.Minute, now), Customers: env.Store, Log: env.Store,
		Outbox: out, Runs: env.Store, Now: now, Segments: 4}
	if _, err := planner.Run(ctx, runID, false); err != nil {
		return fmt.Errorf("plan the run: %w", err)
	}
	models, err := env.Store.LoadModels(ctx, at)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(5, 6))
	// The segments enqueue in parallel: sorted, the same sends get the same responses
	// on every run.
	slices.SortFunc(out.messages, func(a, b service.OutboundMessage) int { return strings.Compare(a.DecisionID, b.DecisionID) })
	for i, m := range out.messages {
		if i >= 400 {
			break
		}
		outcomes := []string{decision.KindImpression}
		if rng.Float64() < 0.08 {
			outcomes = append(outcomes, "click")
		}
		for _, outcome := range outcomes {
			r := decision.Response{DecisionID: m.DecisionID, CustomerID: m.CustomerID, ActionID: m.ActionID, Channel: m.Channel, Outcome: outcome}
			if err := decision.ValidateResponse(&r, at); err != nil {
				return err
			}
			logged, err := env.Store.GetDecision(ctx, r.DecisionID, at)
			if err != nil {
				return err
			}
			a, err := catalog.Attribute(logged, r, models)
			if err != nil {
				return err
			}
			if _, err := env.Store.RecordResponse(ctx, a, logged.ExpiresAt); err != nil {
				return err
			}
		}
	}
	return nil
}

// get fetches a page of the fixture's console and returns its status, body and how
// long the server took.
func (f *fixture) get(t testing.TB, path string) (int, string, time.Duration) {
	t.Helper()
	return fetch(t, f.server.URL+path)
}

// fetch GETs an address and returns the status, the body and how long it took.
func fetch(t testing.TB, address string) (int, string, time.Duration) {
	t.Helper()
	start := time.Now()
	resp, err := http.Get(address)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body), time.Since(start)
}

// TestPages: every page answers with the live data, and the decide-now preview
// explains itself and writes nothing to the decision log.
func TestPages(t *testing.T) {
	f := seeded(t)
	version, err := f.env.Store.LiveCatalogVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path   string
		status int
		want   []string
	}{
		{"/models", 200, []string{"Health rule", "AUC below", "/models/", "healthy", "catalog version " + version}},
		{"/catalog", 200, []string{"Issue retention", "Contact caps", "treatment", "eligibility", "black-friday-bundle"}},
		{"/customer", 200, []string{"Customer id"}},
		{"/customer?id=C000042", 200, []string{"Profile C000042", "Consents", "Contact history", "tenureMonths", "Decide now", "not logged"}},
		{"/customer?id=C000042&channel=web&placement=home-hero&decide=1", 200, []string{`id="decision"`, "Excluded actions", "policy", "priority"}},
		{"/customer?id=nobody-here&channel=web&decide=1", 200, []string{"unknown customer", "Excluded actions"}},
		{"/customer?id=C000042&channel=fax&decide=1", 200, []string{"fax"}},
		{"/runs", 200, []string{"Run id", `id="runs"`, `href="/runs?id=` + runID + `"`, "finished"}},
		{"/runs?id=" + runID, 200, []string{"Run " + runID, "Sends by channel", "Silence by reason", "Forecast against actual", `id="forecast"`, "<svg"}},
		{"/runs?id=no-such-run", 200, []string{"No run no-such-run"}},
		{"/lift", 200, []string{"Lift and challengers", `id="groups"`, "<td>silence</td>", "<td>random</td>", "engine vs silence, conversions", "engine vs random, value", "guardrail engine vs silence, unsubscribes", "challenger vs champion, conversions", "always valid", `id="lift-conversions"`, "<svg", `aria-current="page">Lift`,
			`id="cuts"`, "channel email", "issue retention", `href="/lift?cut=channel%3aemail`}},
		{"/lift?cut=channel:email", 200, []string{"Cut: channel email", "engine vs silence, conversions", `aria-current="true"`}},
		{"/lift?cut=channel:fax", 404, []string{"no cut"}},
		{"/lift?days=7&as-of=2030-01-01T00:00:00Z", 200, []string{"engine vs silence, conversions", "what was recorded later is left out"}},
		{"/lift?days=none", 400, []string{"days"}},
		{"/models/no-such/web", 404, []string{"no model no-such/web"}},
		{"/nowhere", 404, nil},
	}
	for _, tt := range tests {
		status, body, _ := f.get(t, tt.path)
		if status != tt.status {
			t.Errorf("GET %s = %d, want %d\n%s", tt.path, status, tt.status, body)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %q", tt.path, w)
			}
		}
	}
	// Every model's page answers, with its calibration chart when it has evidence.
	_, body, _ := f.get(t, "/models")
	links := modelLinks(body)
	if len(links) == 0 {
		t.Fatal("the models page links no model")
	}
	for _, l := range links {
		status, page, _ := f.get(t, l)
		if status != 200 || !strings.Contains(page, "Predictor importance") || !strings.Contains(page, "<svg") {
			t.Errorf("GET %s = %d, want the model's page with charts", l, status)
		}
	}
	// The preview logged nothing: no decision item mentions it.
	if items := localtest.ItemsMentioning(t, f.env, "preview-"); len(items) > 0 {
		t.Errorf("decide now wrote %v; a preview must not be logged", items)
	}
	if items := localtest.ItemsMentioning(t, f.env, "nobody-here"); len(items) > 0 {
		t.Errorf("decide now for an unknown customer wrote %v", items)
	}
}

// modelLinks returns the models page's links to a model's page.
func modelLinks(body string) []string {
	var out []string
	for _, part := range strings.Split(body, `href="/models/`)[1:] {
		out = append(out, "/models/"+part[:strings.IndexByte(part, '"')])
	}
	return out
}

// TestWarmStart: the console starts as Serve starts it — the catalog parsed, the
// default lift report computed — so the lift page's first view computes nothing: it is
// served from the report kept.
func TestWarmStart(t *testing.T) {
	f := seeded(t)
	s, h, err := newServer(Options{Store: f.env.Store, Tables: f.env.Tables(), Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	warming := s.warm(context.Background())
	if warming == nil {
		t.Fatal("the console did not start computing the lift report")
	}
	<-warming.done
	if warming.err != nil {
		t.Fatal(warming.err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/lift")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s.lifts.mu.Lock()
	kept, running := s.lifts.kept[liftKey("", "")], len(s.lifts.running)
	s.lifts.mu.Unlock()
	if resp.StatusCode != 200 || !kept.at.Equal(warming.at) || running != 0 {
		t.Errorf("the first view of /lift: %d, report computed at %v (warm-up's at %v), %d computation(s) running; want 200 from the warm-up's report",
			resp.StatusCode, kept.at, warming.at, running)
	}
}

// BenchmarkPages measures each page's server time against DynamoDB Local with the
// demo's 10,000 customers, from a console started as Serve starts it (the target: each
// page under 300 ms):
//
//	go test -tags integration -run '^$' -bench Pages ./infra/console/
//
// The run pages read the run's counters on every load, so every load costs what the
// first does; the lift page is served from the report kept (BenchmarkLiftReport is
// what computing one costs).
func BenchmarkPages(b *testing.B) {
	f := seeded(b)
	s, h, err := newServer(Options{Store: f.env.Store, Tables: f.env.Tables(), Now: func() time.Time { return f.now }})
	if err != nil {
		b.Fatal(err)
	}
	if warming := s.warm(context.Background()); warming != nil {
		<-warming.done
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	_, body, _ := f.get(b, "/models")
	pages := []struct{ name, path string }{
		{"models", "/models"}, {"model", modelLinks(body)[0]}, {"catalog", "/catalog"}, {"draft", "/catalog/draft"},
		{"versions", "/catalog/versions"}, {"customer", "/customer?id=C000042"},
		{"decide-now", "/customer?id=C000042&channel=web&placement=home-hero&decide=1"},
		{"runs", "/runs"}, {"run", "/runs?id=" + runID}, {"lift", "/lift"}, {"lift-cut", "/lift?cut=channel:email"},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				resp, err := http.Get(srv.URL + p.path)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("GET %s = %d", p.path, resp.StatusCode)
				}
			}
		})
	}
}

// BenchmarkLiftReport is what computing the lift page's report costs: a scan of the
// decision log of its window and of every outcome. The console does it in the
// background (as it starts, then when a report viewed is over a minute old); only the
// first view of another window waits for it.
func BenchmarkLiftReport(b *testing.B) {
	f := seeded(b)
	s, _, err := newServer(Options{Store: f.env.Store, Tables: f.env.Tables(), Now: func() time.Time { return f.now }})
	if err != nil {
		b.Fatal(err)
	}
	opts, err := liftOptions("", "", f.now)
	if err != nil {
		b.Fatal(err)
	}
	compute := s.computeLift(opts)
	for b.Loop() {
		if _, err := compute(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
