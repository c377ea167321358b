package service_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/decision/decisiontest"
	"github.com/nextbest/nextbest/shared/service"
)

// planBenchProfiles draws customers with random consents, a third of them e-mailed
// two days ago, so that contact policies do real work.
func planBenchProfiles(n, predictors int, now time.Time) []decision.Profile {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]decision.Profile, n)
	for i := range out {
		p := decision.Profile{CustomerID: fmt.Sprintf("C%07d", i), Known: true, Attributes: decisiontest.Attributes(rng, predictors),
			Consents: map[string]bool{"email": rng.IntN(4) > 0, "sms": rng.IntN(2) > 0, "push": rng.IntN(3) > 0}}
		if rng.IntN(3) == 0 {
			p.History = []decision.ContactEvent{{At: now.Add(-48 * time.Hour), Kind: decision.KindImpression, ActionID: "action7", Channel: "email"}}
		}
		out[i] = p
	}
	return out
}

// BenchmarkPlan measures the batch core per customer: the outbound decision on every
// outbound channel (PlanOutbound, the same code as decide) and its volume-cap rank.
// Run it on one core (-cpu 1) to read customers/s per core. Every action's model is
// trained on every channel.
func BenchmarkPlan(b *testing.B) {
	now := time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)
	spec := decisiontest.Spec{Actions: 100, Predictors: 20, Channels: []string{"email", "sms", "push"},
		Settings: "  contactCaps: [{channels: [email], max: 1, window: 7d}, {max: 3, window: 7d}]\n" +
			"  volumeConstraints: [{channel: email, max: 1000}, {channel: sms, max: 1000}, {channel: push, max: 1000}]\n"}
	c := decisiontest.Catalog(b, spec)
	models := decisiontest.Models(b, c, spec, 300, now)
	predictors := spec.Predictors
	profiles := planBenchProfiles(1024, predictors, now)
	ids := make([]string, len(profiles))
	for i, p := range profiles {
		ids[i] = service.DecisionIDOf("bench", p.CustomerID)
	}
	sketch := service.NewVolumeSketch(c.Settings.VolumeConstraints)
	runtime.GC() // the training's garbage is not the plan's
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p := &profiles[i%len(profiles)]
		d, err := c.PlanOutbound(*p, decision.Resources{Models: models}, now, ids[i%len(ids)])
		if err != nil {
			b.Fatal(err)
		}
		if len(d.Actions) > 0 {
			sketch.Add(d.Actions[0].ActionID, d.Channel, service.RankOf(p.CustomerID, d.Actions[0].Priority))
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "customers/s")
}
