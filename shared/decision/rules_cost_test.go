package decision

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/expr-lang/expr"
)

var costNow = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// catalogWithRule is a one-action catalog whose action has the given eligibility rule.
func catalogWithRule(rule string) string {
	return `
name: cost
channels:
  - {name: web, content: [title]}
issues:
  - id: growth
    groups:
      - id: fibre
        actions:
          - id: fibre-upgrade
            value: 10
            eligibility: ` + strconv.Quote(rule) + `
            treatments:
              - {id: fibre-web, channel: web, content: {title: "Fibre"}}
      - id: thanks
        actions:
          - id: loyalty
            value: 1
            eligibility: (profile.tenureMonths ?? 0) >= 0
            treatments:
              - {id: loyalty-web, channel: web, content: {title: "Thanks"}}
`
}

// TestRuleCostRejects: publishing refuses rules whose evaluation could exceed the cost
// limits, naming the action, the rule and why.
func TestRuleCostRejects(t *testing.T) {
	tests := []struct {
		name, rule string
		want       []string // fragments of the error
	}{
		{"issue: replace of repeats", `replace(repeat("a",10000),"a",repeat("b",10000)) != ""`,
			[]string{"replace() may build a string of up to 100,010,000 bytes; the limit is 1,048,576"}},
		{"issue: nested loops", `all(1..1000, {all(1..1000, {# > 0})})`,
			[]string{"may take up to 7,007,004 steps; the limit is 50,000", "the body of all() runs up to 1,000,000 times"}},
		{"nested loops just over", `all(1..100, {all(1..100, {# > 0})})`,
			[]string{"may take up to 70,704 steps; the limit is 50,000"}},
		{"map and filter over a range", `len(filter(map(1..10000, {# * 2}), {# > 5})) > 0`,
			[]string{"steps; the limit is 50,000", "runs up to 10,000 times"}},
		{"huge constant range", `len(1..1000000) > 0`,
			[]string{"ranges over up to 1,000,000 elements; the limit is 10,000"}},
		{"range computed from constants", `5 in 1..(1000*1000)`,
			[]string{"ranges over up to 1,000,000 elements; the limit is 10,000"}},
		{"range bound from data", `any(1..int(context.n ?? 3), {# == 3})`,
			[]string{"the bounds of a range (a..b) depend on data; write them as numbers"}},
		{"repeat with a large count", `repeat("ab", 1000000) != ""`,
			[]string{"repeat() may build a string of up to 2,000,000 bytes; the limit is 1,048,576"}},
		{"repeat with a count from data", `repeat("a", int(profile.n ?? 1)) != ""`,
			[]string{"the count of repeat() depends on data; write it as a number"}},
		{"repeat of data", `repeat(profile.bio ?? "", 20000) != ""`,
			[]string{"repeat() may build a string of up to 2,000,000 bytes from inputs of weight 100; the limit is 1,048,576"}},
		{"replace with data", `replace(profile.bio ?? "", "", repeat("x", 20000)) != ""`,
			[]string{"replace() may build a string of up to", "from inputs of weight 100"}},
		{"nested loops over data", `all(profile.a, {all(profile.b, {all(profile.c, {# == ""})})})`,
			[]string{"with inputs of weight 100 (profile.a, profile.b, profile.c)", "its cost grows too fast with the size of its data"}},
		{"string concatenation in a loop", `reduce(1..1000, #acc + "x", "") != ""`,
			[]string{"its cost has no bound: reduce() builds a value that may grow with every element"}},
		{"list accumulation in a loop", `len(reduce(1..100, concat(#acc, [#]), [])) > 0`,
			[]string{"its cost has no bound: reduce() builds a value"}},
		{"one string too long", `len(join(map(1..5000, {repeat("x", 500)}), "")) > 0`,
			[]string{"join() may build a string of up to 2,505,000 bytes; the limit is 1,048,576"}},
		{"many strings built in a loop", `all(1..100, {repeat("x", 20000) != ""})`,
			[]string{"may allocate up to 2,", "bytes; the limit is 1,048,576 (the body of all() runs up to 100 times)"}},
		{"quadratic uniq", `len(uniq(1..5000)) > 0`,
			[]string{"steps; the limit is 50,000"}},
		{"deep nesting", strings.Repeat("!", 70) + "true",
			[]string{"nests more than 64 levels deep; the limit is 64"}},
		{"deeply nested calls", strings.Repeat("abs(", 70) + "1" + strings.Repeat(")", 70) + " > 0",
			[]string{"nests more than 64 levels deep"}},
		{"too many terms", strings.Repeat("1 + ", 200) + "1 > 0",
			[]string{"has more than 250 terms; the limit is 250"}},
		{"very long source", `"` + strings.Repeat("x", 1200) + `" != ""`,
			[]string{`eligibility rule "\"xxxxxxxxx`, "… (1,208 bytes): is 1,208 bytes long; the limit is 1,000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCatalog("cost.yaml", []byte(catalogWithRule(tt.rule)))
			if err == nil {
				t.Fatalf("ParseCatalog accepted %q", tt.rule)
			}
			for _, want := range append([]string{`action "fibre-upgrade": eligibility rule`}, tt.want...) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q\nlacks %q", err, want)
				}
			}
		})
	}
}

// TestPredictorCostRejected: predictors are held to the same limits as rules.
func TestPredictorCostRejected(t *testing.T) {
	src := strings.Replace(catalogWithRule("true"), "issues:",
		"settings:\n  model:\n    predictors:\n      - {name: p, source: 'len(1..100000)', kind: numeric}\nissues:", 1)
	_, err := ParseCatalog("cost.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), `settings.model.predictors[0] "p"`) ||
		!strings.Contains(err.Error(), "ranges over up to 100,000 elements") {
		t.Fatalf("ParseCatalog = %v, want the predictor's range refused", err)
	}
}

// acceptedRules are rules within the limits, the typical and those near the limits.
// The benchmark measures them.
var acceptedRules = []struct {
	name, rule string
	guarded    bool // its cost depends on its data, so the program weighs its inputs
}{
	{"typical number", `(profile.tenureMonths ?? 0) >= 24`, false},
	{"typical list", `"mobile" in profile.productsHeld`, true},
	{"typical context", `channel != "web" || context.device == "mobile"`, false},
	{"long chain of conditions", strings.TrimSuffix(strings.Repeat(`channel != "a" && `, 54), " && "), false},
	{"time", `now - (profile.customerSince ?? now) > duration("8760h") && now.Hour() >= 9`, false},
	{"weather", `(context.weather.precipitation ?? 0) >= 1`, false},
	{"worst steps: one loop", `all(1..7000, {# > 0})`, false},
	{"worst bytes: map", `len(map(1..6000, {# + 1})) > 0`, false},
	{"worst steps: nested loops", `all(1..84, {all(1..84, {# > 0})})`, false},
	{"worst bytes: repeat", `repeat("x", 900000) != ""`, false},
	{"loop bound by the outer loop", `all(1..10, {all(1..#, {# > 0})})`, false},
	{"numeric reduce", `reduce(1..100, #acc + #, 0) > 0`, false},
	{"time zone", `timezone("Europe/Paris") != nil`, false},
	{"worst data: split", `len(split(profile.bio ?? "", "")) > 3`, true},
	{"worst data: replace", `replace(profile.bio ?? "", "a", "bb") != ""`, true},
	{"worst data: loop in loop", `any(profile.orders ?? [], {# in (context.skus ?? [])})`, true},
}

// TestRuleCostAccepts: rules within the limits compile, their bound is within the
// limits at the heaviest input they accept, and only those that need it weigh their
// inputs.
func TestRuleCostAccepts(t *testing.T) {
	c := &Catalog{}
	for _, r := range acceptedRules {
		t.Run(r.name, func(t *testing.T) {
			e, err := c.compileCosted(r.rule, true)
			if err != nil {
				t.Fatalf("%q refused: %v", r.rule, err)
			}
			w := float64(max(e.cost.maxWeight, minRuleInput))
			if s, b := e.cost.steps.at(w), e.cost.bytes.at(w); s > maxRuleSteps || b > maxRuleBytes {
				t.Errorf("%q: %v steps, %v bytes at weight %v", r.rule, s, b, w)
			}
			if guarded := e.cost.maxWeight > 0; guarded != r.guarded {
				t.Errorf("%q guarded = %v (inputs %v, max %d), want %v", r.rule, guarded, e.cost.inputs, e.cost.maxWeight, r.guarded)
			}
			t.Logf("%s: steps %v, bytes %v; heaviest input %d", r.rule, e.cost.steps, e.cost.bytes, e.cost.maxWeight)
		})
	}
}

// shippedCatalogs are every catalog in the repository: all of them must stay within the
// cost limits.
func shippedCatalogs(t testing.TB) []string {
	var files []string
	for _, pattern := range []string{
		"../../infra/catalog/*.yaml", "../../docs/examples/*.yaml", "../../docs/simulate/*.catalog.yaml", "testdata/*.yaml",
	} {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, matches...)
	}
	return files
}

func TestShippedCatalogsWithinCost(t *testing.T) {
	found := 0
	for _, file := range shippedCatalogs(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "\nissues:") {
			continue // a mapping or another kind of file
		}
		found++
		c, err := ParseCatalog(file, data)
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		var worst float64
		var worstRule string
		for _, ca := range c.actions {
			for _, r := range ca.rules {
				e, err := (&Catalog{Profile: c.Profile}).compileCosted(r.source, true)
				if err != nil {
					t.Fatalf("%s: %q: %v", file, r.source, err)
				}
				if s := e.cost.steps.at(minRuleInput); s > worst {
					worst, worstRule = s, r.source
				}
			}
		}
		t.Logf("%s: %d actions; costliest rule %q, %v steps at input weight %d", file, len(c.actions), worstRule, worst, minRuleInput)
	}
	if found < 4 {
		t.Errorf("found %d catalogs, want the demo, the two simulation catalogs and the test catalog", found)
	}
}

// TestRuleCostAtRunTime: a rule whose cost grows with its data does not hold when the
// data is too heavy for its limit, with an error saying so, and holds as before on
// ordinary data. (Requests bound their context since ids.go; the guard also covers
// evaluations of contexts that did not come through a request.)
func TestRuleCostAtRunTime(t *testing.T) {
	tests := []struct {
		name, rule string
		attrs      map[string]any
		context    map[string]any
		want       string // "" when the rule holds
	}{
		{"long attribute split", `len(split(profile.bio ?? "", "")) > 3`,
			map[string]any{"bio": strings.Repeat("x", 200_000)}, nil, "profile.bio weighs more than 12,497"},
		{"long attribute replaced", `replace(profile.bio ?? "", "a", "bb") != ""`,
			map[string]any{"bio": strings.Repeat("a", 2_000_000)}, nil, "profile.bio weighs more than"},
		{"long list in context", `any(context.items ?? [], {# == "x"})`,
			nil, map[string]any{"items": stringList(100_000)}, "context.items weighs more than"},
		{"nested loop over lists", `any(profile.orders ?? [], {# in (context.skus ?? [])})`,
			map[string]any{"orders": stringList(1000)}, map[string]any{"skus": stringList(200)}, "profile.orders weighs more than 110"},
		{"short attribute", `len(split(profile.bio ?? "", "")) > 3`,
			map[string]any{"bio": strings.Repeat("x", 2000)}, nil, ""},
		{"short lists", `any(profile.orders ?? [], {# in (context.skus ?? [])})`,
			map[string]any{"orders": stringList(10)}, map[string]any{"skus": []any{"s7"}}, ""},
		{"typical rule, long list", `"mobile" in profile.productsHeld`,
			map[string]any{"productsHeld": append(stringList(1000), "mobile")}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Catalog{}
			rules, err := c.compileRules(Rules{Eligibility: tt.rule})
			if err != nil {
				t.Fatal(err)
			}
			e := newRuleEvaluator(c, &Profile{Attributes: tt.attrs}, &Request{Context: tt.context}, costNow, nil)
			ok, err := e.holds(&rules[0])
			switch {
			case tt.want == "" && (!ok || err != nil):
				t.Errorf("holds = %v, %v; want true", ok, err)
			case tt.want != "" && (ok || err == nil || !strings.HasPrefix(err.Error(), "exceeded its cost limit: ") || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("holds = %v, %v; want the cost limit and %q", ok, err, tt.want)
			}
		})
	}
}

// TestRuleCostExplained: in a decision, an action whose rule exceeds its cost limit is
// excluded by that rule, the explanation says why, and the other actions are offered.
func TestRuleCostExplained(t *testing.T) {
	c, err := ParseCatalog("cost.yaml", []byte(catalogWithRule(`len(split(profile.bio ?? "", "")) > 3`)))
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Decide(Input{
		Request: Request{CustomerID: "C1", Channel: "web", Limit: 2, Explain: true},
		Profile: Profile{CustomerID: "C1", Known: true, Attributes: map[string]any{"bio": strings.Repeat("x", 200_000)}},
		Now:     costNow,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Actions) != 1 || d.Actions[0].ActionID != "loyalty" {
		t.Errorf("offered %+v, want loyalty alone", d.Actions)
	}
	want := Exclusion{ActionID: "fibre-upgrade", Policy: "eligibility",
		Detail: `rule "len(split(profile.bio ?? \"\", \"\")) > 3" could not be evaluated: exceeded its cost limit: profile.bio weighs more than 12,497, the most this rule's cost allows`}
	if len(d.Excluded) != 1 || d.Excluded[0] != want {
		t.Errorf("excluded %+v\nwant [%+v]", d.Excluded, want)
	}
}

// listOfWeight is the longest list like stringList that weighs at most w.
func listOfWeight(w int) []any {
	var out []any
	for {
		next := append(out, fmt.Sprintf("s%d", len(out)))
		if weigh(next, math.MaxInt) > w {
			return out
		}
		out = next
	}
}

func stringList(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = fmt.Sprintf("s%d", i)
	}
	return out
}

// TestCostErrorRemembered: a rule that exceeds its cost limit is evaluated once per
// decision, however many actions share it.
func TestCostErrorRemembered(t *testing.T) {
	c := &Catalog{}
	rules, err := c.compileRules(Rules{Eligibility: `len(split(profile.bio ?? "", "")) > 3`})
	if err != nil {
		t.Fatal(err)
	}
	e := newRuleEvaluator(c, &Profile{Attributes: map[string]any{"bio": strings.Repeat("x", 1<<20)}}, &Request{}, costNow, nil)
	ok, err1 := e.holds(&rules[0])
	if ok || err1 == nil || !strings.Contains(err1.Error(), "exceeded its cost limit") {
		t.Fatalf("holds = %v, %v; want the cost limit", ok, err1)
	}
	if e.memo[rules[0].id] != failed {
		t.Fatalf("memo = %v, want failed", e.memo[rules[0].id])
	}
	if allocs := testing.AllocsPerRun(10, func() { _, _ = e.holds(&rules[0]) }); allocs != 0 {
		t.Errorf("a remembered failure allocates %v times", allocs)
	}
	if _, err2 := e.holds(&rules[0]); err2 != err1 {
		t.Errorf("second holds = %v, want the remembered %v", err2, err1)
	}
}

// TestMachineBudgetIsACostLimit: the virtual machine's memory budget, behind the
// estimate, also reads as the cost limit. The program is compiled directly, without the
// estimate, to stand for anything the estimate might miss.
func TestMachineBudgetIsACostLimit(t *testing.T) {
	program, err := expr.Compile(`len(1..2000000) > 0`)
	if err != nil {
		t.Fatal(err)
	}
	e := newRuleEvaluator(&Catalog{}, &Profile{}, &Request{}, costNow, nil)
	_, err = e.run(program)
	if ce, ok := err.(*costError); !ok || !strings.Contains(ce.Error(), "exceeded its cost limit: it allocated more than its budget of 1,048,576") {
		t.Fatalf("run = %v (%T), want a costError", err, err)
	}
}

// TestGuardAllocatesNothing: weighing a rule's inputs keeps a typical rule
// allocation-free.
func TestGuardAllocatesNothing(t *testing.T) {
	c := &Catalog{}
	rules, err := c.compileRules(Rules{Eligibility: `"mobile" in profile.productsHeld`})
	if err != nil {
		t.Fatal(err)
	}
	e := newRuleEvaluator(c, &Profile{Attributes: map[string]any{"productsHeld": []any{"tv", "mobile"}}}, &Request{}, costNow, nil)
	allocs := testing.AllocsPerRun(100, func() {
		e.memo[rules[0].id] = unevaluated
		if ok, err := e.holds(&rules[0]); !ok || err != nil {
			t.Fatalf("holds = %v, %v", ok, err)
		}
	})
	if allocs != 0 {
		t.Errorf("a guarded rule allocates %v times per evaluation", allocs)
	}
}

// TestRuleCostBoundsAllocation: what an accepted rule allocates stays within its
// estimate, evaluated for the weight of its actual inputs, on a fresh machine as in a
// decision. Memory statistics count every goroutine's allocations, so the check allows
// a little slack.
func TestRuleCostBoundsAllocation(t *testing.T) {
	attrs := map[string]any{"tenureMonths": 30.0, "productsHeld": []any{"mobile", "tv"},
		"bio": strings.Repeat("ab", 2_000), "orders": stringList(25)}
	context := map[string]any{"device": "mobile", "skus": stringList(25), "weather": map[string]any{"precipitation": 2.5}}
	for _, r := range acceptedRules {
		c := &Catalog{}
		e, err := c.compileCosted(r.rule, true)
		if err != nil {
			t.Fatal(err)
		}
		const runs = 5
		var evs [runs]*ruleEvaluator
		for i := range evs {
			evs[i] = newRuleEvaluator(c, &Profile{Attributes: attrs}, &Request{Channel: "web", Context: context}, costNow, nil)
		}
		weight := heaviest(evs[0], e.cost.inputs)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for _, ev := range evs {
			if _, err := ev.run(e.program); err != nil {
				t.Fatalf("%q: %v", r.rule, err)
			}
		}
		runtime.ReadMemStats(&after)
		perRun := float64(after.TotalAlloc-before.TotalAlloc) / runs
		bound := e.cost.bytes.at(float64(weight))
		t.Logf("%s: allocated %.0f bytes; estimate %.0f at input weight %d", r.rule, perRun, bound, weight)
		if perRun > bound+allocationSlack {
			t.Errorf("%q allocated %.0f bytes per run, over its estimate %.0f", r.rule, perRun, bound)
		}
	}
}

// allocationSlack covers what a fresh machine allocates whatever the rule (its stack,
// its arguments buffer) and the allocations of other goroutines.
const allocationSlack = 4 << 10

// heaviest is the weight of the heaviest of a rule's inputs in an evaluator.
func heaviest(e *ruleEvaluator, inputs []string) int {
	w := 0
	for _, name := range inputs {
		var v any = e.env[name]
		if name == "$env" {
			v = e.env // expr's name for the whole environment
		}
		w = max(w, weigh(v, math.MaxInt))
	}
	return w
}

// BenchmarkRuleCost measures one evaluation of each accepted rule: the typical ones
// and the costliest the limits let through, beside the estimate (model-steps and
// model-bytes at the inputs' weight).
func BenchmarkRuleCost(b *testing.B) {
	attrs := map[string]any{"tenureMonths": 30.0, "productsHeld": []any{"mobile", "tv"}}
	for _, r := range acceptedRules {
		c := &Catalog{}
		e, err := c.compileCosted(r.rule, true)
		if err != nil {
			b.Fatal(err)
		}
		// The data-bound rules get the heaviest inputs their guard lets through.
		profile := map[string]any{"bio": strings.Repeat("a", max(e.cost.maxWeight, 1)), "orders": listOfWeight(e.cost.maxWeight)}
		for k, v := range attrs {
			profile[k] = v
		}
		context := map[string]any{"device": "mobile", "skus": listOfWeight(e.cost.maxWeight), "weather": map[string]any{"precipitation": 2.5}}
		ev := newRuleEvaluator(c, &Profile{Attributes: profile}, &Request{Channel: "web", Context: context}, costNow, nil)
		weight := heaviest(ev, e.cost.inputs)
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ev.run(e.program); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(e.cost.steps.at(float64(weight)), "model-steps")
			b.ReportMetric(e.cost.bytes.at(float64(weight)), "model-bytes")
		})
	}
}

// fuzzProfile and fuzzRequest are the fixed data FuzzRule evaluates rules against: a
// bit of everything, some of it heavy enough for guards to refuse.
var (
	fuzzProfile = Profile{CustomerID: "C1", Known: true, Attributes: map[string]any{
		"tenureMonths": 36.0, "age": 41.0, "n": 1e6, "neg": -3.0, "segment": "family",
		"openComplaint": false, "customerSince": "2020-01-01T00:00:00Z",
		"productsHeld": []any{"mobile", "tv", "fibre"},
		"bio":          strings.Repeat("lorem ipsum ", 400),
		"orders":       stringList(300),
		"nested":       map[string]any{"a": []any{1.0, "x", map[string]any{"b": true}}, "s": "t"},
		"json":         `{"a": [1, 2, {"b": "c"}], "d": null}`,
	}}
	fuzzRequest = Request{CustomerID: "C1", Channel: "web", Placement: "home", Context: map[string]any{
		"device": "mobile", "intent": "cancel", "basket": 120.5, "skus": stringList(100),
		"weather": map[string]any{"temperature": 21.5, "precipitation": 0.0},
	}}
)

// fuzzTimeLimit bounds one evaluation while fuzzing: a hundred times what the costliest
// rule the limits admit takes, so that only a hole in the estimate, not a slow
// machine, trips it. Unit tests (the seed corpus) check no time.
const fuzzTimeLimit = 50 * time.Millisecond

// FuzzRule compiles arbitrary sources as the catalog does (as predictors, so that any
// result type runs) and evaluates those it accepts against a fixed profile and
// context. Nothing may panic; an accepted expression allocates no more than its
// estimate for the weight of its inputs; the machine's own budget never has to stop
// one the estimate admitted; and, while fuzzing, none takes longer than
// fuzzTimeLimit.
//
//	go test -run='^$' -fuzz=FuzzRule -fuzztime=60s ./shared/decision
func FuzzRule(f *testing.F) {
	for _, r := range acceptedRules {
		f.Add(r.rule)
	}
	fuzzing := flag.Lookup("test.fuzz").Value.String() != ""
	f.Fuzz(func(t *testing.T, src string) {
		c := &Catalog{}
		e, err := c.compileCosted(src, false)
		if err != nil {
			return
		}
		ev := newRuleEvaluator(c, &fuzzProfile, &fuzzRequest, costNow, nil)
		weight := heaviest(ev, e.cost.inputs)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		_, err = ev.run(e.program)
		elapsed := time.Since(start)
		runtime.ReadMemStats(&after)
		var ce *costError
		if errors.As(err, &ce) {
			if e.cost.maxWeight == 0 || weight <= e.cost.maxWeight {
				t.Errorf("%q: the estimate admitted it (steps %v, bytes %v, input weight %d) but it stopped: %v",
					src, e.cost.steps, e.cost.bytes, weight, err)
			}
			return
		}
		allocated, bound := float64(after.TotalAlloc-before.TotalAlloc), e.cost.bytes.at(float64(weight))
		if allocated > bound+fuzzAllocationSlack {
			t.Errorf("%q allocated %.0f bytes; its estimate is %.0f at input weight %d (steps %v, bytes %v)",
				src, allocated, bound, weight, e.cost.steps, e.cost.bytes)
		}
		if fuzzing && elapsed > fuzzTimeLimit {
			t.Errorf("%q took %v; its estimate is %.0f steps at input weight %d", src, elapsed, e.cost.steps.at(float64(weight)), weight)
		}
	})
}

// fuzzAllocationSlack is allocationSlack with room for the fuzzing engine's own
// goroutines.
const fuzzAllocationSlack = 16 << 10
