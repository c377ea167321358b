package decision_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
)

// benchCatalog generates a catalog of actions spread over issues and groups, each
// with an eligibility rule, web and e-mail treatments, and the given number of
// predictors (half numeric, half symbolic).
func benchCatalog(tb testing.TB, actions, predictors int) *decision.Catalog {
	tb.Helper()
	var b strings.Builder
	b.WriteString("name: bench\nchannels:\n  - {name: web, placements: [home], content: [title]}\n  - {name: email, outbound: true, content: [subject]}\n")
	b.WriteString("settings:\n  silenceThreshold: 0.01\n  contactCaps: [{channels: [email], max: 2, window: 7d}]\n  model:\n    predictors:\n")
	for i := range predictors {
		if i%2 == 0 {
			fmt.Fprintf(&b, "      - {name: n%d, source: profile.n%d, kind: numeric, bins: [1, 2, 4, 8, 16, 32, 64]}\n", i, i)
		} else {
			fmt.Fprintf(&b, "      - {name: s%d, source: profile.s%d}\n", i, i)
		}
	}
	b.WriteString("issues:\n")
	for a := range actions {
		if a%20 == 0 {
			fmt.Fprintf(&b, "  - id: issue%d\n    suitability: '!(profile.complaint ?? false)'\n    groups:\n", a/20)
		}
		if a%5 == 0 {
			fmt.Fprintf(&b, "      - id: group%d\n        actions:\n", a/5)
		}
		// Every action's rule is distinct, so the per-decision rule memo only spares
		// the shared issue rules, as in a real catalog.
		fmt.Fprintf(&b, "          - id: action%d\n            value: %d\n            eligibility: (profile.n%d ?? 0) >= %d && (profile.n0 ?? 0) < %d\n", a, 10+a%50, 2*(a%15), a%3, 1000+a)
		fmt.Fprintf(&b, "            treatments:\n              - {id: t%dw, channel: web, content: {title: \"Hello {{firstName|there}} %d\"}}\n", a, a)
		fmt.Fprintf(&b, "              - {id: t%de, channel: email, content: {subject: \"Offer %d\"}}\n", a, a)
	}
	c, err := decision.ParseCatalog("bench.yaml", []byte(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func benchProfile(rng *rand.Rand, predictors int) decision.Profile {
	attrs := map[string]any{"firstName": "Ada"}
	for i := range predictors {
		if i%2 == 0 {
			attrs[fmt.Sprintf("n%d", i)] = float64(rng.IntN(80))
		} else {
			attrs[fmt.Sprintf("s%d", i)] = fmt.Sprintf("v%d", rng.IntN(6))
		}
	}
	return decision.Profile{CustomerID: "C1", Known: true, Attributes: attrs, Consents: map[string]bool{"email": true}}
}

// benchModels trains every action's web and e-mail models on synthetic responses so
// that scoring walks real bins, not empty priors.
func benchModels(tb testing.TB, c *decision.Catalog, actions, predictors, responses int) *decision.Models {
	tb.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	states := map[decision.ModelKey]*adaptive.State{}
	for a := range actions {
		id := fmt.Sprintf("action%d", a)
		cfg, _ := c.ModelConfig(id)
		for _, channel := range []string{"web", "email"} {
			m, err := adaptive.New(cfg, nil)
			if err != nil {
				tb.Fatal(err)
			}
			for range responses {
				p := benchProfile(rng, predictors)
				x := make([]adaptive.Value, predictors)
				for i := range predictors {
					if i%2 == 0 {
						x[i] = adaptive.Number(p.Attributes[fmt.Sprintf("n%d", i)].(float64))
					} else {
						x[i] = adaptive.Symbol(p.Attributes[fmt.Sprintf("s%d", i)].(string))
					}
				}
				m.Apply(m.Update(x, rng.Float64() < 0.05, testNow))
			}
			states[decision.ModelKey{ActionID: id, Channel: channel}] = m.State()
		}
	}
	return decision.NewModels(states, testNow)
}

// BenchmarkDecide measures one real-time decision in the core: 200 actions with
// rules, 30 predictors per model, trained models, three actions asked for. Beside
// ns/op it reports the 50th and 99th percentile of single decisions, the targets'
// unit.
func BenchmarkDecide(b *testing.B) {
	const actions, predictors = 200, 30
	c := benchCatalog(b, actions, predictors)
	models := benchModels(b, c, actions, predictors, 300)
	rng := rand.New(rand.NewPCG(5, 6))
	profiles := make([]decision.Profile, 64)
	for i := range profiles {
		profiles[i] = benchProfile(rng, predictors)
	}
	// Compile every model once, as a warm function has.
	for _, p := range profiles {
		c.Decide(decision.Input{Request: decision.Request{CustomerID: "C1", Channel: "web", Limit: 3}, Profile: p, Models: models, Now: testNow})
	}
	latencies := make([]time.Duration, 0, b.N)
	runtime.GC() // the training's garbage is not the decisions'
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		d, err := c.Decide(decision.Input{
			Request: decision.Request{CustomerID: "C1", Channel: "web", Placement: "home", Limit: 3},
			Profile: profiles[i%len(profiles)], Models: models, Now: testNow, DecisionID: "bench",
		})
		latencies = append(latencies, time.Since(start))
		if err != nil || len(d.Actions) == 0 {
			b.Fatalf("Decide = %+v, %v", d, err)
		}
	}
	b.StopTimer()
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Nanoseconds()), "p99-ns")
}
