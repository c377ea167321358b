package simulate_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nextbest/nextbest/infra/simulate"
)

// A randomized test in a world whose truth is known: three kinds of customers, two
// offers and nothing, each row's arm drawn with probability 1/3. Kind a visits most
// after offer x, kind b after offer y, kind c without any offer (both offers are below
// the catalog's silence threshold for c).
var truth = map[string]map[string]float64{
	"a": {"x": 0.30, "y": 0.05, "none": 0.10},
	"b": {"x": 0.05, "y": 0.30, "none": 0.10},
	"c": {"x": 0.12, "y": 0.12, "none": 0.20},
}

const worldCatalog = `
name: world
channels:
  - {name: email, outbound: true}
profile:
  attributes:
    - {name: kind, type: string, values: [a, b, c]}
settings:
  silenceThreshold: 0.2
  prior: {rate: 0.15, strength: 20}
  successOutcomes: [convert]
  controlGroups: {randomShare: 0.1, silenceShare: 0.1, salt: s}
  model:
    predictors:
      - {name: kind, source: profile.kind}
    explore: false
issues:
  - id: offers
    groups:
      - id: x
        actions:
          - id: offer-x
            value: 1
            treatments: [{id: offer-x-email, channel: email, content: {subject: X}}]
      - id: y
        actions:
          - id: offer-y
            value: 1
            treatments: [{id: offer-y-email, channel: email, content: {subject: Y}}]
`

const worldMapping = `
dataset: world
channel: email
treatment:
  column: arm
  actions: {x: offer-x, y: offer-y, none: ""}
propensity: {value: 0.3333333333333333}
outcome: visit
value: spend
train: 0.5
attributes:
  - {column: kind, name: kind, type: string}
`

// worldLog writes n rows of the randomized test as CSV.
func worldLog(seed uint64, n int) string {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("kind,arm,visit,spend\n")
	kinds, arms := []string{"a", "b", "c"}, []string{"x", "y", "none"}
	for range n {
		kind, arm := kinds[rng.IntN(3)], arms[rng.IntN(3)]
		visit, spend := 0, 0.0
		if rng.Float64() < truth[kind][arm] {
			visit, spend = 1, 10
		}
		fmt.Fprintf(&b, "%s,%s,%d,%.2f\n", kind, arm, visit, spend)
	}
	return b.String()
}

func mapping(t *testing.T, src string) simulate.Mapping {
	t.Helper()
	m, err := simulate.ParseMapping("mapping.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestReplayValuesTheEngineAndTheFixedPolicies(t *testing.T) {
	m := mapping(t, worldMapping)
	rows, err := m.ReadRows(strings.NewReader(worldLog(5, 9000)), "world.csv")
	if err != nil {
		t.Fatal(err)
	}
	// 99% intervals: fifteen of them are checked here (the estimators' coverage is
	// shared/offpolicy's test).
	res, err := simulate.Replay("world.yaml", []byte(worldCatalog), m, rows, simulate.Options{Bootstrap: 300, Seed: 1, Level: 0.99})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 9000 || res.Learned != 4500 || res.Valued != 4500 {
		t.Fatalf("rows %d, learned %d, valued %d; want 9000, 4500, 4500", res.Rows, res.Learned, res.Valued)
	}
	// The true values of the fixed policies, and of the engine once it has learned the
	// world: the best arm of each kind, silence for c.
	mean := func(arm string) float64 { return (truth["a"][arm] + truth["b"][arm] + truth["c"][arm]) / 3 }
	want := map[string]float64{
		"no one": mean("none"), "everyone: offer-x": mean("x"), "everyone: offer-y": mean("y"),
		"random": (mean("x") + mean("y") + mean("none")) / 3,
		"engine": (truth["a"]["x"] + truth["b"]["y"] + truth["c"]["none"]) / 3,
	}
	seen := map[string]bool{}
	for _, p := range res.Policies {
		if p.Metric != simulate.MetricOutcome || p.Name == "logging" {
			continue
		}
		seen[p.Name] = true
		truth := want[p.Name]
		if p.CI[0] > truth || truth > p.CI[1] {
			t.Errorf("%s by %s: %.4f [%.4f, %.4f], want the true %.4f inside", p.Name, p.Estimator, p.Value, p.CI[0], p.CI[1], truth)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("policies valued: %v, want %v", seen, want)
	}
	// The engine sends nothing to kind c, a third of the customers.
	if math.Abs(res.Silence-1.0/3) > 0.03 || res.Choices["offer-x"] == 0 || res.Choices["offer-y"] == 0 {
		t.Errorf("silence %.3f, choices %v; want about a third silent, both offers chosen", res.Silence, res.Choices)
	}
	if res.AUC < 0.6 {
		t.Errorf("prequential AUC %.3f, want the models to rank kinds (above 0.6)", res.AUC)
	}
	if n := len(res.AUCOverTime); n < 10 || res.AUCOverTime[n-1].AUC != res.AUC {
		t.Errorf("AUC over time %+v: want at least 10 checkpoints ending at the AUC %.4f", res.AUCOverTime, res.AUC)
	}
	// The models learned the world's three rates: calibrated within a few points.
	if len(res.Calibration) < 3 || res.ECE > 0.03 {
		t.Errorf("calibration %+v, ECE %.4f: want groups and an error under 0.03", res.Calibration, res.ECE)
	}
	hasValue := false
	for _, p := range res.Policies {
		hasValue = hasValue || p.Metric == simulate.MetricValue
	}
	if !hasValue {
		t.Error("no policy valued on the value column")
	}
}

func TestReplayIsDeterministic(t *testing.T) {
	m := mapping(t, worldMapping)
	rows, err := m.ReadRows(strings.NewReader(worldLog(8, 1200)), "world.csv")
	if err != nil {
		t.Fatal(err)
	}
	a, err := simulate.Replay("world.yaml", []byte(worldCatalog), m, rows, simulate.Options{Bootstrap: 50, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := simulate.Replay("world.yaml", []byte(worldCatalog), m, rows, simulate.Options{Bootstrap: 50, Seed: 3})
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("two replays of one log differ:\n%s\n%s", ja, jb)
	}
}

func TestBadLogs(t *testing.T) {
	tests := []struct {
		name, mapping, log, want string
	}{
		{"missing column", worldMapping, "kind,arm,visit\na,x,1\n", `no column "spend"`},
		{"unknown arm", worldMapping, "kind,arm,visit,spend\na,x,1,0\na,z,1,0\n", `line 3: treatment "z" is not in the mapping`},
		{"bad outcome", worldMapping, "kind,arm,visit,spend\na,x,yes,0\n", `line 2: outcome "yes" is not 0 or 1`},
		{"bad number", strings.Replace(worldMapping, "type: string", "type: number", 1), "kind,arm,visit,spend\na,x,1,0\n",
			`line 2: kind (column kind): "a" is not a number`},
		{"bad propensity column", strings.Replace(worldMapping, "{value: 0.3333333333333333}", "{column: p}", 1),
			"kind,arm,visit,spend,p\na,x,1,0,0\n", `line 2: propensity "0" is not in (0, 1]`},
		{"no rows", worldMapping, "kind,arm,visit,spend\n", "no rows"},
	}
	for _, tt := range tests {
		_, err := mapping(t, tt.mapping).ReadRows(strings.NewReader(tt.log), "log.csv")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestBadMappings(t *testing.T) {
	tests := []struct{ name, old, new, want string }{
		{"no channel", "channel: email\n", "", "channel is required"},
		{"no propensity", "propensity: {value: 0.3333333333333333}\n", "", "propensity needs either a column or a value"},
		{"no outcome", "outcome: visit\n", "", "outcome is required"},
		{"a misspelt key", "train: 0.5\n", "trian: 0.5\n", "field trian not found"},
		{"a train share of 1", "train: 0.5\n", "train: 1\n", "train share 1 is not in [0, 1)"},
	}
	for _, tt := range tests {
		src := strings.Replace(worldMapping, tt.old, tt.new, 1)
		if _, err := simulate.ParseMapping("m.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestMappingActionNotInCatalog(t *testing.T) {
	m := mapping(t, strings.Replace(worldMapping, "y: offer-y", "y: offer-z", 1))
	rows, err := m.ReadRows(strings.NewReader(worldLog(1, 30)), "world.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := simulate.Replay("world.yaml", []byte(worldCatalog), m, rows, simulate.Options{}); err == nil || !strings.Contains(err.Error(), `"offer-z" is not in catalog`) {
		t.Errorf("error = %v, want the unknown action named", err)
	}
}

// TestReplayByUplift: ranked by uplift, the baseline model learns from the rows that
// got nothing. Kind c visits most without an offer (uplift negative): silent; kinds a
// and b get the offer that adds 20 points. The uplift curve rises to the best
// everyone-one-action policy's increment and beyond it (the engine's targeted
// policy adds more at two thirds of the budget), and the forecast at half the budget
// lies in the log's interval.
func TestReplayByUplift(t *testing.T) {
	catalog := strings.Replace(worldCatalog, "silenceThreshold: 0.2", "arbitration: uplift\n  silenceThreshold: 0.05", 1)
	m := mapping(t, worldMapping)
	rows, err := m.ReadRows(strings.NewReader(worldLog(6, 9000)), "world.csv")
	if err != nil {
		t.Fatal(err)
	}
	res, err := simulate.Replay("world.yaml", []byte(catalog), m, rows, simulate.Options{Bootstrap: 300, Seed: 2, Level: 0.99})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.Silence-1.0/3) > 0.03 {
		t.Errorf("silence %.3f, choices %v; want kind c, a third, silent", res.Silence, res.Choices)
	}
	best := (truth["a"]["x"] + truth["b"]["y"] + truth["c"]["none"]) / 3
	for _, p := range res.Policies {
		if p.Name == "engine" && p.Metric == simulate.MetricOutcome && (p.CI[0] > best || best > p.CI[1]) {
			t.Errorf("engine by %s: %.4f [%.4f, %.4f], want the best policy's %.4f inside", p.Estimator, p.Value, p.CI[0], p.CI[1], best)
		}
	}
	if len(res.Uplift) != 10 || res.Uplift[6].Share < 1 || res.Uplift[0].Incremental <= 0 {
		t.Errorf("uplift curve %+v, want 10 budgets, rising past the best everyone-one-action policy by 70%%", res.Uplift)
	}
	if f := res.Forecast; f == nil || f.Predicted < f.ActualCI[0] || f.Predicted > f.ActualCI[1] {
		t.Errorf("forecast %+v, want the prediction inside the log's interval", res.Forecast)
	}
}

// Rankings from outside models are valued on the same rows by the same estimator: one
// that knows the world's truth beats one that ranks it upside down.
func TestRankingsAreValuedBesideTheEngine(t *testing.T) {
	m := mapping(t, worldMapping)
	log := worldLog(21, 6000)
	rows, err := m.ReadRows(strings.NewReader(log), "world.csv")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[int]string{}
	for i, line := range strings.Split(strings.TrimSpace(log), "\n")[1:] {
		kinds[i] = strings.Split(line, ",")[0]
	}
	// The true best action and its uplift over nothing, per kind.
	best := map[string]simulate.Ranked{"a": {Action: "offer-x", Uplift: 0.20}, "b": {Action: "offer-y", Uplift: 0.20}, "c": {Action: "offer-x", Uplift: -0.08}}
	oracle := simulate.Ranking{Name: "oracle", Rows: map[int]simulate.Ranked{}}
	upsideDown := simulate.Ranking{Name: "upside down", Rows: map[int]simulate.Ranked{}}
	for i, kind := range kinds {
		oracle.Rows[i] = best[kind]
		upsideDown.Rows[i] = simulate.Ranked{Action: best[kind].Action, Uplift: -best[kind].Uplift}
	}
	res, err := simulate.Replay("world.yaml", []byte(worldCatalog), m, rows, simulate.Options{Bootstrap: 100, Seed: 2, Rankings: []simulate.Ranking{oracle, upsideDown}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Peers) != 2 || res.Peers[0].Name != "oracle" || res.Peers[1].Name != "upside down" {
		t.Fatalf("peers %+v, want oracle then upside down", res.Peers)
	}
	at := func(curve []simulate.UpliftPoint, budget float64) simulate.UpliftPoint {
		for _, p := range curve {
			if p.Budget == budget {
				return p
			}
		}
		t.Fatalf("no budget %v in %+v", budget, curve)
		return simulate.UpliftPoint{}
	}
	good, bad := at(res.Peers[0].Uplift, 0.5), at(res.Peers[1].Uplift, 0.5)
	if good.CI[0] <= bad.CI[1] {
		t.Errorf("half budget: oracle %+v, upside down %+v; want the oracle clearly ahead", good, bad)
	}
	if ahead := res.Peers[1].EngineAheadAtHalf; ahead.CI[0] <= 0 {
		t.Errorf("the engine's half budget against upside down's: %+v, want clearly ahead", ahead)
	}
	// The same policy at full budget, whatever the order.
	if g, b := at(res.Peers[0].Uplift, 1), at(res.Peers[1].Uplift, 1); g.Incremental != b.Incremental {
		t.Errorf("full budget: oracle %v, upside down %v; want the same policy valued the same", g.Incremental, b.Incremental)
	}
}

func TestReadRankingRefuses(t *testing.T) {
	tests := map[string]string{
		"wrong header":   "index,action,uplift\n0,x,1\n",
		"bad row":        "row,action,uplift\n-1,x,1\n",
		"bad uplift":     "row,action,uplift\n0,x,NaN\n",
		"twice":          "row,action,uplift\n0,x,1\n0,y,2\n",
		"missing column": "row,action,uplift\n0,x\n",
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := simulate.ReadRanking("peer", strings.NewReader(src)); err == nil {
				t.Errorf("ReadRanking(%q) accepted it", src)
			}
		})
	}
}

func TestRankingOfAnUnknownActionIsRefused(t *testing.T) {
	m := mapping(t, worldMapping)
	rows, err := m.ReadRows(strings.NewReader(worldLog(3, 600)), "world.csv")
	if err != nil {
		t.Fatal(err)
	}
	peer := simulate.Ranking{Name: "peer", Rows: map[int]simulate.Ranked{599: {Action: "offer-z", Uplift: 1}}}
	_, err = simulate.Replay("world.yaml", []byte(worldCatalog), m, rows, simulate.Options{Bootstrap: 10, Rankings: []simulate.Ranking{peer}})
	if err == nil || !strings.Contains(err.Error(), "offer-z") {
		t.Errorf("Replay = %v, want an error naming offer-z", err)
	}
}
