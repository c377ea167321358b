package decision_test

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/decision/decisiontest"
)

// BenchmarkDecide measures one real-time decision in the core: 200 actions with
// rules, 30 predictors per model, trained models, three actions asked for. Beside
// ns/op it reports the 50th and 99th percentile of single decisions, the targets'
// unit.
func BenchmarkDecide(b *testing.B) {
	spec := decisiontest.Spec{Actions: 200, Predictors: 30, Channels: []string{"web", "email"},
		Settings: "  contactCaps: [{channels: [email], max: 2, window: 7d}]\n"}
	c := decisiontest.Catalog(b, spec)
	models := decisiontest.Models(b, c, spec, 300, testNow)
	rng := rand.New(rand.NewPCG(5, 6))
	profiles := make([]decision.Profile, 64)
	for i := range profiles {
		profiles[i] = decision.Profile{CustomerID: "C1", Known: true, Attributes: decisiontest.Attributes(rng, spec.Predictors)}
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
			Request: decision.Request{CustomerID: "C1", Channel: "web", Limit: 3},
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
