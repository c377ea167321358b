package monitor_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/monitor"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var testNow = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// traffic is one simulated stream of decisions and responses on a channel.
type traffic struct {
	channel   string
	decisions int
	// clickRate is the chance a customer of this tenure clicks what was shown.
	clickRate func(tenure float64) float64
}

// simulate runs decisions and responses through the core as record-response does
// (decide, log, attribute) and keeps the counters as the DynamoDB store does, as
// impressions and successes. It returns the models and how many impressions and
// clicks each model was sent.
func simulate(t *testing.T, c *decision.Catalog, streams []traffic) (*decision.Models, map[decision.ModelKey][2]int64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 8))
	counters := map[decision.ModelKey]map[adaptive.Key]int64{}
	load := func(at time.Time) *decision.Models {
		states := map[decision.ModelKey]*adaptive.State{}
		for k, n := range counters {
			states[k] = adaptive.StateFromImpressions(n)
		}
		return decision.NewModels(states, at)
	}
	sent := map[decision.ModelKey][2]int64{}
	models := load(testNow)
	for _, s := range streams {
		for i := range s.decisions {
			now := testNow.Add(time.Duration(i) * time.Second)
			tenure := float64(rng.IntN(96))
			profile := decision.Profile{CustomerID: "C1", Known: true,
				Attributes: map[string]any{"tenureMonths": tenure, "productsHeld": []any{"mobile"}},
				Consents:   map[string]bool{"email": true, "sms": true}}
			d, err := c.Decide(decision.Input{Request: decision.Request{CustomerID: "C1", Channel: s.channel},
				Profile: profile, Models: models, Now: now, DecisionID: fmt.Sprintf("%s-%d", s.channel, i)})
			if err != nil {
				t.Fatalf("Decide(%s #%d): %v", s.channel, i, err)
			}
			if len(d.Actions) == 0 {
				continue // Silence: nothing shown, nothing to learn (email needs 24 months of tenure).
			}
			logged := c.Log(d)
			respond := func(outcome string) {
				r := decision.Response{DecisionID: d.DecisionID, CustomerID: "C1", ActionID: d.Actions[0].ActionID, Channel: s.channel, Outcome: outcome}
				if err := decision.ValidateResponse(&r, now); err != nil {
					t.Fatal(err)
				}
				a, err := c.Attribute(logged, r, models)
				if err != nil {
					t.Fatal(err)
				}
				if counters[a.Model] == nil {
					counters[a.Model] = map[adaptive.Key]int64{}
				}
				for _, inc := range a.Learn {
					counters[a.Model][inc.Key] += inc.N
				}
			}
			key := c.ModelKey(d.Actions[0].ActionID, s.channel)
			n := sent[key]
			respond(decision.KindImpression)
			n[0]++
			if rng.Float64() < s.clickRate(tenure) {
				respond("click")
				n[1]++
			}
			sent[key] = n
			if i%200 == 199 {
				models = load(now) // a function's periodic refresh
			}
		}
	}
	// A model whose action has since left the catalog.
	counters[decision.ModelKey{ActionID: "retired-offer", Channel: "web"}] = map[adaptive.Key]int64{{Predictor: "*"}: 10}
	return load(testNow), sent
}

func loadCatalog(t *testing.T) *decision.Catalog {
	t.Helper()
	data, err := os.ReadFile("../decision/testdata/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := decision.ParseCatalog("catalog.yaml", data)
	if err != nil {
		t.Fatalf("ParseCatalog: %v", err)
	}
	return c
}

// testReports simulates a tenure-driven model on sms, a flat one on web and one with
// impressions but no clicks on email.
func testReports(t *testing.T) ([]monitor.ModelReport, map[decision.ModelKey][2]int64) {
	c := loadCatalog(t)
	models, sent := simulate(t, c, []traffic{
		{"sms", 3000, func(tenure float64) float64 {
			if tenure >= 36 {
				return 0.3
			}
			return 0.03
		}},
		{"web", 1000, func(float64) float64 { return 0.05 }},
		{"email", 100, func(float64) float64 { return 0 }},
	})
	return monitor.Reports(c, models), sent
}

func TestReports(t *testing.T) {
	reports, sent := testReports(t)
	if len(reports) != len(sent) {
		t.Fatalf("Reports() = %d reports, want one per model sent responses (%d), the retired action's skipped", len(reports), len(sent))
	}
	wantAUC := map[string][2]float64{"fibre-upgrade/sms": {0.7, 1}, "fibre-upgrade/web": {0.4, 0.6}}
	for i, r := range reports {
		if i > 0 && reports[i-1].Name() >= r.Name() {
			t.Errorf("Reports() not sorted by name: %s before %s", reports[i-1].Name(), r.Name())
		}
		n := sent[r.Model]
		if r.Evidence != float64(n[0]) || r.Positives != float64(n[1]) {
			t.Errorf("Reports(): %s evidence %v, positives %v; want the %d impressions and %d clicks sent", r.Name(), r.Evidence, r.Positives, n[0], n[1])
		}
		if want, ok := wantAUC[r.Name()]; ok && (r.AUC < want[0] || r.AUC > want[1] || !r.AUCDefined()) {
			t.Errorf("Reports(): %s AUC %.3f, want in %v", r.Name(), r.AUC, want)
		}
	}
	if got := monitor.Reports(loadCatalog(t), nil); len(got) != 0 {
		t.Errorf("Reports(catalog, nil) = %+v, want none", got)
	}
}

func TestReportChannel(t *testing.T) {
	tests := []struct {
		key      decision.ModelKey
		wantName string
	}{
		{decision.ModelKey{ActionID: "a", Channel: "web"}, "a/web"},
		{decision.ModelKey{ActionID: "a"}, "a/*"},
	}
	for _, tt := range tests {
		if got := (monitor.ModelReport{Model: tt.key}).Name(); got != tt.wantName {
			t.Errorf("ModelReport{Model: %v}.Name() = %q, want %q", tt.key, got, tt.wantName)
		}
	}
}

// TestEMFFollowsTheSpecification checks every line against the rules of the CloudWatch
// embedded metric format: one JSON object per line, an integer millisecond timestamp,
// and every dimension (a string) and metric (a number) a directive names present on the
// root.
func TestEMFFollowsTheSpecification(t *testing.T) {
	reports, _ := testReports(t)
	var buf bytes.Buffer
	if err := monitor.WriteEMF(&buf, reports, testNow); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(reports) {
		t.Fatalf("WriteEMF wrote %d lines, want one per model (%d)", len(lines), len(reports))
	}
	for i, line := range lines {
		var doc struct {
			AWS struct {
				Timestamp         json.Number
				CloudWatchMetrics []struct {
					Namespace  string
					Dimensions [][]string
					Metrics    []struct{ Name, Unit string }
				}
			} `json:"_aws"`
		}
		var root map[string]any
		if err := json.Unmarshal([]byte(line), &doc); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if err := json.Unmarshal([]byte(line), &root); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if ms, err := doc.AWS.Timestamp.Int64(); err != nil || ms != testNow.UnixMilli() {
			t.Errorf("line %d: Timestamp %s, want %d", i, doc.AWS.Timestamp, testNow.UnixMilli())
		}
		if len(doc.AWS.CloudWatchMetrics) != 1 {
			t.Fatalf("line %d: %d directives, want 1", i, len(doc.AWS.CloudWatchMetrics))
		}
		dir := doc.AWS.CloudWatchMetrics[0]
		if dir.Namespace != monitor.Namespace || len(dir.Dimensions) != 1 || strings.Join(dir.Dimensions[0], ",") != "ActionId,Channel" {
			t.Errorf("line %d: directive %+v, want namespace %s and dimensions [[ActionId Channel]]", i, dir, monitor.Namespace)
		}
		for _, d := range dir.Dimensions[0] {
			if v, ok := root[d].(string); !ok || v == "" {
				t.Errorf("line %d: dimension %s = %v, want a non-empty string", i, d, root[d])
			}
		}
		wantMetrics := []string{"Evidence", "Positives", "SuccessRate"}
		if reports[i].AUCDefined() {
			wantMetrics = append(wantMetrics, "AUC")
		} else if _, ok := root["AUC"]; ok {
			t.Errorf("line %d: AUC published for %s without positives and negatives", i, reports[i].Name())
		}
		var names []string
		for _, m := range dir.Metrics {
			names = append(names, m.Name)
			if _, ok := root[m.Name].(float64); !ok {
				t.Errorf("line %d: metric %s = %v, want a number on the root", i, m.Name, root[m.Name])
			}
			if m.Unit != "Count" && m.Unit != "None" {
				t.Errorf("line %d: metric %s unit %q, want Count or None", i, m.Name, m.Unit)
			}
		}
		if strings.Join(names, ",") != strings.Join(wantMetrics, ",") {
			t.Errorf("line %d: metrics %v, want %v", i, names, wantMetrics)
		}
	}
}

// TestGolden pins the EMF lines and the table of the simulated models; run
// `go test ./shared/monitor -update` after an intended change and review the diff.
func TestGolden(t *testing.T) {
	reports, _ := testReports(t)
	var emf, table bytes.Buffer
	if err := monitor.WriteEMF(&emf, reports, testNow); err != nil {
		t.Fatal(err)
	}
	monitor.WriteTable(&table, reports)
	var empty bytes.Buffer
	monitor.WriteTable(&empty, nil)
	for name, got := range map[string][]byte{"models.emf.jsonl": emf.Bytes(), "models.txt": table.Bytes(), "empty.txt": empty.Bytes()} {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read golden file (run with -update to create it): %v", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s =\n%s\nwant (%s)\n%s", name, got, path, want)
		}
	}
}

func TestAUCDefined(t *testing.T) {
	tests := []struct {
		evidence, positives float64
		want                bool
	}{
		{0, 0, false}, {100, 0, false}, {100, 100, false}, {100, 1, true},
	}
	for _, tt := range tests {
		r := monitor.ModelReport{ModelReport: adaptive.ModelReport{Evidence: tt.evidence, Positives: tt.positives}}
		if got := r.AUCDefined(); got != tt.want {
			t.Errorf("AUCDefined(evidence %v, positives %v) = %v, want %v", tt.evidence, tt.positives, got, tt.want)
		}
	}
}
