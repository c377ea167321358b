package main

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nextbest/nextbest/shared/adaptive"
)

func TestVWFeatures(t *testing.T) {
	cols := []column{{"recency", adaptive.Numeric}, {"zip code", adaptive.Symbolic}, {"seg", adaptive.Symbolic}, {"spend", adaptive.Numeric}}
	x := []adaptive.Value{adaptive.Number(7), adaptive.Symbol("a b|c:d"), adaptive.Symbol(""), adaptive.Number(math.NaN())}
	if got, want := vwFeatures(cols, x), "recency:7 zip_code=a_b_c_d"; got != want {
		t.Errorf("vwFeatures = %q, want %q (missing values left out, separators replaced)", got, want)
	}
}

// A random world where the rate depends on one symbol: settings are tried on the first halves
// only, the best first, and the report reads the second halves.
func TestChooseAndReport(t *testing.T) {
	tk := task{dataset: "world", name: "world", columns: []column{{"seg", adaptive.Symbolic}}}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 4000 {
		seg := []string{"a", "b", "c"}[rng.IntN(3)]
		y := rng.Float64() < map[string]float64{"a": 0.75, "b": 0.5, "c": 0.2}[seg]
		tk.rows = append(tk.rows, example{group: "g", x: []adaptive.Value{adaptive.Symbol(seg)}, y: y})
	}
	var halves []int
	// A stand-in for Vowpal Wabbit that scores by the symbol and records the halves it sees.
	vw := func(tk task, h half) (scores, error) {
		halves = append(halves, len(h.rows))
		sc := scores{}
		for _, r := range h.rows {
			p := map[string]float64{"a": 0.75, "b": 0.5, "c": 0.2}[r.x[0].Symbol]
			sc.probabilities, sc.logOdds = append(sc.probabilities, p), append(sc.logOdds, math.Log(p/(1-p)))
		}
		return sc, nil
	}
	tunings, err := choose([]task{tk}, vw)
	if err != nil {
		t.Fatal(err)
	}
	if len(tunings) != len(settings()) || len(halves) != 1 || halves[0] != 2000 {
		t.Fatalf("%d tunings, VW saw halves %v; want every setting, VW once on the first half", len(tunings), halves)
	}
	for i := 1; i < len(tunings); i++ {
		if tunings[i].meanAUC > tunings[i-1].meanAUC {
			t.Fatalf("tunings not best first: %v before %v", tunings[i-1].meanAUC, tunings[i].meanAUC)
		}
	}
	halves = nil
	res, err := report(tk, tunings[0].setting, vw, 200, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if len(halves) != 1 || halves[0] != 2000 || res.rows != 2000 || res.testRows != 600 {
		t.Errorf("report on %d rows, %d test rows, VW saw %v; want the second half: 2000 rows, 600 test rows", res.rows, res.testRows, halves)
	}
	// Both rank the three segments alike once learned: about the same AUC.
	if math.Abs(res.diff.value) > 0.02 || res.engine.value < 0.65 {
		t.Errorf("engine %+v, VW %+v, difference %+v", res.engine, res.vw, res.diff)
	}
}

func TestGoalCell(t *testing.T) {
	tests := []struct {
		diff, ece, vwECE float64
		want             string
	}{
		{-0.004, 0.01, 0.02, "yes"},
		{-0.006, 0.01, 0.02, "no: AUC 0.001 short"},
		{0.01, 0.03, 0.02, "no: calibration 0.0100 worse"},
	}
	for _, tt := range tests {
		r := result{diff: interval{value: tt.diff}, engineECE: tt.ece, vwECE: tt.vwECE}
		if got := goalCell(r); !strings.HasPrefix(got, tt.want) || (tt.want == "yes") != r.meetsGoal() {
			t.Errorf("goalCell(%+v) = %q, want %q...", tt, got, tt.want)
		}
	}
}

func TestLoadMapped(t *testing.T) {
	dir := t.TempDir()
	mapping := `
dataset: bank
channel: phone
time: day
treatment:
  column: contact
  actions: {cellular: call, none: ""}
propensity: {value: 0.5}
outcome: y
attributes:
  - {column: age, name: age, type: number}
  - {column: job, name: job, type: string}
  - {column: loan, name: loan, type: bool}
`
	log := "day,contact,y,age,job,loan\n2024-01-02,cellular,1,41,admin,yes\n2024-01-01,none,0,30,,no\n2024-01-03,cellular,0,55,retired,no\n"
	mp, lp := filepath.Join(dir, "m.yaml"), filepath.Join(dir, "log.csv")
	if err := os.WriteFile(mp, []byte(mapping), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lp, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	tasks, err := loadMapped(mp, lp)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 2 || tasks[0].name != "bank nothing sent (y)" || tasks[1].name != "bank call (y)" {
		t.Fatalf("tasks %+v; want one per logged action, in time order of first appearance", tasks)
	}
	call := tasks[1]
	if len(call.rows) != 2 || !call.rows[0].y || call.rows[0].x[0].Number != 41 || call.rows[0].x[1].Symbol != "admin" || call.rows[0].x[2].Symbol != "true" {
		t.Errorf("call rows %+v; want time order, numbers, symbols and booleans as symbols", call.rows)
	}
	if call.columns[0].kind != adaptive.Numeric || call.columns[1].kind != adaptive.Symbolic || call.dataset != "bank" {
		t.Errorf("columns %+v, dataset %q", call.columns, call.dataset)
	}
}
