package lift

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

var (
	from = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	to   = from.Add(28 * 24 * time.Hour)
	day  = 24 * time.Hour
)

func exposure(id, group string, at time.Time, choice ...string) Exposure {
	return Exposure{CustomerID: id, At: at, ControlGroup: group, LiveVersion: "3", EngineChoice: choice,
		EngineChannel: "email", Contacted: group != "silence" && len(choice) > 0}
}

func purchase(id string, at time.Time, value float64) Outcome {
	return Outcome{CustomerID: id, At: at, Type: "purchase", Value: value, Positive: true}
}

func cutNamed(t *testing.T, r Report, kind, name string) Cut {
	t.Helper()
	for _, c := range r.Cuts {
		if c.Kind == kind && c.Name == name {
			return c
		}
	}
	t.Fatalf("report has no cut %s %s: %+v", kind, name, r.Cuts)
	return Cut{}
}

func liftOfMetric(t *testing.T, lifts []Lift, metric, control string) Lift {
	t.Helper()
	for _, l := range lifts {
		if l.Metric == metric && l.Control == control {
			return l
		}
	}
	t.Fatalf("no lift of %s against %s in %+v", metric, control, lifts)
	return Lift{}
}

// TestHandComputedLift: four engine customers, two of whom bought; four held out in
// silence, one of whom bought. Hand-computed: means 0.5 and 0.25, difference 0.25;
// sample variances 1/3 and 1/4; standard error √(1/3/4 + 1/4/4) = 0.3819; 95%
// interval 0.25 ± 1.96 × 0.3819 = [-0.4985, 0.9985]. Purchases outside the attribution
// window, before the decision or recorded after the report's as-of time do not count
// (CUPED is off here: the purchase before the decision would make a pre-period).
func TestHandComputedLift(t *testing.T) {
	d := from.Add(day)
	var exps []Exposure
	var outs []Outcome
	for i := range 4 {
		exps = append(exps, exposure(fmt.Sprintf("E%d", i), "", d, "fibre-upgrade"),
			exposure(fmt.Sprintf("S%d", i), "silence", d, "fibre-upgrade"))
	}
	outs = append(outs,
		purchase("E0", d.Add(time.Hour), 30), purchase("E2", d.Add(6*day), 10), purchase("S1", d.Add(2*day), 20),
		purchase("E1", d.Add(8*day), 99), // after the 7-day attribution window
		purchase("S3", d.Add(-time.Hour), 99),
		Outcome{CustomerID: "S2", At: d.Add(day), RecordedAt: to.Add(10 * day), Type: "purchase", Value: 99, Positive: true}, // after as-of
		purchase("nobody", d, 99), // a customer the engine never decided for
	)
	r := Build(exps, outs, Options{From: from, To: to, AsOf: to.Add(day), PrePeriod: -1})
	all := cutNamed(t, r, "overall", "all customers")
	if all.Groups[GroupEngine].Customers != 4 || all.Groups[GroupSilence].Customers != 4 {
		t.Fatalf("groups = %+v, want 4 and 4", all.Groups)
	}
	l := liftOfMetric(t, all.Lifts, MetricConversions, GroupSilence)
	if !l.Measured || math.Abs(l.Difference-0.25) > 1e-9 || math.Abs(l.Interval[0]+0.4985) > 1e-3 || math.Abs(l.Interval[1]-0.9985) > 1e-3 {
		t.Errorf("conversions lift = %+v, want 0.25 in [-0.4985, 0.9985]", l)
	}
	if l.AlwaysValid[0] > l.Interval[0] || l.AlwaysValid[1] < l.Interval[1] {
		t.Errorf("always-valid interval %v narrower than the fixed one %v", l.AlwaysValid, l.Interval)
	}
	if l.Relative == nil || math.Abs(*l.Relative-1) > 1e-9 || l.Significant {
		t.Errorf("relative lift %v, significant %v; want +100%% and not significant with 4 customers", l.Relative, l.Significant)
	}
	v := liftOfMetric(t, all.Lifts, MetricValue, GroupSilence)
	if math.Abs(v.TreatmentMean-10) > 1e-9 || math.Abs(v.ControlMean-5) > 1e-9 {
		t.Errorf("value per customer = %v and %v, want 10 and 5", v.TreatmentMean, v.ControlMean)
	}
	if r.Read.OutcomesAttributed != 3 {
		t.Errorf("outcomes attributed = %d, want 3", r.Read.OutcomesAttributed)
	}
	contacts := liftOfMetric(t, all.Guardrails, MetricContacts, GroupSilence)
	if contacts.TreatmentMean != 1 || contacts.ControlMean != 0 {
		t.Errorf("contacts per customer = %v and %v, want 1 and 0", contacts.TreatmentMean, contacts.ControlMean)
	}
}

func TestEmptyControlAndZeroOutcomes(t *testing.T) {
	d := from.Add(day)
	var exps []Exposure
	for i := range 50 {
		exps = append(exps, exposure(fmt.Sprintf("E%d", i), "", d, "roaming-pack"))
	}
	exps = append(exps, exposure("R0", "random", d, "roaming-pack"), exposure("R1", "random", d, "roaming-pack"))
	r := Build(exps, nil, Options{From: from, To: to})
	all := cutNamed(t, r, "overall", "all customers")
	silence := liftOfMetric(t, all.Lifts, MetricConversions, GroupSilence)
	if silence.Measured || !strings.Contains(silence.Reason, "empty") || !strings.Contains(silence.Verdict, "not measurable") {
		t.Errorf("lift against an empty silence group = %+v, want not measurable because it is empty", silence)
	}
	random := liftOfMetric(t, all.Lifts, MetricConversions, GroupRandom)
	if random.Measured || !strings.Contains(random.Verdict, "not yet measurable") {
		t.Errorf("lift with no outcome at all = %+v, want not yet measurable", random)
	}
	for _, l := range append(all.Lifts, all.Guardrails...) {
		for _, x := range []float64{l.Difference, l.TreatmentMean, l.ControlMean, l.Interval[0], l.Interval[1], l.PValue} {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("lift %+v holds a non-finite number", l)
			}
		}
	}
}

// TestCutsAndTriggering: a customer enters the comparison when the engine chose an
// action for them, in every group alike, and is cut by that choice.
func TestCutsAndTriggering(t *testing.T) {
	d := from.Add(day)
	hierarchy := func(action string) (string, string, bool) {
		return map[string]string{"fibre-upgrade": "growth", "save-offer": "retention"}[action], action + "-group", true
	}
	exps := []Exposure{
		exposure("A", "", d, "fibre-upgrade"),
		exposure("B", "silence", d, "save-offer"),
		exposure("C", "random", d),                                   // the engine chose nothing: out of the comparison
		{CustomerID: "D", At: d, ControlGroup: "", LiveVersion: "3"}, // below the threshold: out
		exposure("E", "", to.Add(time.Hour), "fibre-upgrade"),        // after the window: out
		{CustomerID: "A", At: d.Add(day), LiveVersion: "3", EngineChoice: []string{"save-offer"}, EngineChannel: "web", Contacted: true},
	}
	r := Build(exps, nil, Options{From: from, To: to, Hierarchy: hierarchy})
	want := map[string]int{
		"overall all customers": 2, "issue growth": 1, "issue retention": 2, "group fibre-upgrade-group": 1,
		"action fibre-upgrade": 1, "action save-offer": 2, "channel email": 2, "channel web": 1,
	}
	got := map[string]int{}
	for _, c := range r.Cuts {
		n := 0
		for _, g := range c.Groups {
			n += g.Customers
		}
		got[c.Kind+" "+c.Name] = n
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("cut %s holds %d customers, want %d (cuts: %v)", k, got[k], n, got)
		}
	}
	if r.Cuts[0].Kind != "overall" || r.Read.Decisions != 5 {
		t.Errorf("first cut %s, decisions read %d; want the overall cut first and 5 decisions in the window", r.Cuts[0].Kind, r.Read.Decisions)
	}
}

// TestSampleRatioMismatch: a correct assignment passes; one that loses a third of the
// silence group (a broken logging path, say) is flagged loudly.
func TestSampleRatioMismatch(t *testing.T) {
	shares := func(string) (Shares, bool) { return Shares{Random: 0.05, Silence: 0.05, Challenger: 0.3}, true }
	build := func(dropSilence float64) Report {
		rng := rand.New(rand.NewPCG(1, 2))
		var exps []Exposure
		for i := range 40000 {
			u := rng.Float64()
			group, arm := "", ""
			switch {
			case u < 0.05:
				group = "silence"
				if rng.Float64() < dropSilence {
					continue
				}
			case u < 0.10:
				group = "random"
			default:
				arm = GroupChampion
				if rng.Float64() < 0.3 {
					arm = GroupChallenger
				}
			}
			e := exposure(fmt.Sprint(i), group, from.Add(day), "a")
			e.Arm = arm
			exps = append(exps, e)
		}
		return Build(exps, nil, Options{From: from, To: to, SharesOf: shares})
	}
	for _, c := range build(0).Checks {
		if c.Mismatch {
			t.Errorf("a correct assignment flagged: %+v", c)
		}
	}
	broken := build(0.3).Checks
	if len(broken) == 0 || !broken[0].Mismatch || !strings.Contains(broken[0].Message, "SAMPLE RATIO MISMATCH") {
		t.Errorf("a silence group missing 30%% of its customers passed: %+v", broken)
	}
	if len(broken) < 2 || broken[1].Mismatch || broken[1].Name != "arms, catalog version 3" {
		t.Errorf("arms check = %+v, want it run and passing", broken)
	}
}

func TestChallengerComparison(t *testing.T) {
	d := from.Add(day)
	var exps []Exposure
	var outs []Outcome
	for i := range 400 {
		e := exposure(fmt.Sprintf("C%d", i), "", d, "a")
		e.Arm = []string{GroupChampion, GroupChallenger}[i%2]
		exps = append(exps, e)
		if i%2 == 1 && i%10 < 5 || i%2 == 0 && i%10 < 2 {
			outs = append(outs, purchase(e.CustomerID, d.Add(time.Hour), 10))
		}
	}
	r := Build(exps, outs, Options{From: from, To: to})
	all := cutNamed(t, r, "overall", "all customers")
	c := liftOfMetric(t, all.Challenger, MetricConversions, GroupChampion)
	// Odd customers are the challenger's: those ending in 1 or 3 bought (2 in 5);
	// even ones are the champion's: those ending in 0 bought (1 in 5).
	if c.Treatment != GroupChallenger || math.Abs(c.TreatmentMean-0.4) > 1e-9 || math.Abs(c.ControlMean-0.2) > 1e-9 || c.Difference <= 0 {
		t.Errorf("challenger against champion = %+v, want 0.4 against 0.2", c)
	}
	if all.Groups[GroupEngine].Customers != 400 || all.Groups[GroupChallenger].Customers != 200 {
		t.Errorf("groups = %+v, want 400 engine customers of whom 200 challenger", all.Groups)
	}
}

// TestCoverageOfSimulatedWorlds runs seeded worlds through the whole report: the
// engine's customers buy with 6% probability a week, held-out ones with 4%, so the true
// lift is 2 points a week of attribution. The 95% interval covers it in about 95% of
// worlds, and the always-valid interval, read every week of a 4-week pilot, covers it
// at every read in at least 95%.
func TestCoverageOfSimulatedWorlds(t *testing.T) {
	const worlds, customers, weeks = 150, 2000, 4
	covered, coveredAlways := 0, 0
	for w := range worlds {
		rng := rand.New(rand.NewPCG(uint64(w), 99))
		var exps []Exposure
		var outs []Outcome
		alwaysOK := true
		for week := range weeks {
			start := from.Add(time.Duration(week) * 7 * day)
			for i := range customers / weeks { // new customers enter every week
				id := fmt.Sprintf("w%d-%d", week, i)
				group := ""
				if rng.Float64() < 0.3 {
					group = "silence"
				}
				exps = append(exps, exposure(id, group, start, "a"))
				p := 0.06
				if group == "silence" {
					p = 0.04
				}
				if rng.Float64() < p {
					outs = append(outs, purchase(id, start.Add(time.Duration(rng.Float64()*float64(7*day))), 1))
				}
			}
			end := start.Add(7 * day)
			r := Build(exps, outs, Options{From: from, To: end, PrePeriod: -1})
			l := liftOfMetric(t, cutNamed(t, r, "overall", "all customers").Lifts, MetricConversions, GroupSilence)
			if l.AlwaysValid[0] > 0.02 || l.AlwaysValid[1] < 0.02 {
				alwaysOK = false
			}
			if week == weeks-1 && l.Interval[0] <= 0.02 && 0.02 <= l.Interval[1] {
				covered++
			}
		}
		if alwaysOK {
			coveredAlways++
		}
	}
	if c := float64(covered) / worlds; c < 0.90 || c > 0.99 {
		t.Errorf("the 95%% interval covered the true lift in %.3f of worlds, want about 0.95", c)
	}
	if c := float64(coveredAlways) / worlds; c < 0.95 {
		t.Errorf("the always-valid interval read weekly covered the true lift at every read in %.3f of worlds, want ≥ 0.95", c)
	}
	t.Logf("coverage: fixed 95%% interval %.3f, always-valid at all %d weekly reads %.3f (%d worlds)", float64(covered)/worlds, weeks, float64(coveredAlways)/worlds, worlds)
}
