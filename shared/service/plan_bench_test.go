package service_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

// planBenchCatalog generates the batch's benchmark catalog: actions over e-mail, SMS
// and push, five to a group and twenty to an issue, each with an eligibility rule, and
// the given number of predictors (half numeric, half symbolic) and one volume cap per
// channel.
func planBenchCatalog(tb testing.TB, actions, predictors int) *decision.Catalog {
	tb.Helper()
	var b strings.Builder
	b.WriteString("name: plan-bench\nchannels:\n")
	for _, ch := range []string{"email", "sms", "push"} {
		fmt.Fprintf(&b, "  - {name: %s, outbound: true, content: [text]}\n", ch)
	}
	b.WriteString("settings:\n  silenceThreshold: 0.3\n  contactCaps: [{channels: [email], max: 1, window: 7d}, {max: 3, window: 7d}]\n")
	b.WriteString("  volumeConstraints: [{channel: email, max: 1000}, {channel: sms, max: 1000}, {channel: push, max: 1000}]\n")
	b.WriteString("  model:\n    predictors:\n")
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
		fmt.Fprintf(&b, "          - id: action%d\n            value: %d\n            eligibility: (profile.n0 ?? 0) >= %d\n            treatments:\n", a, 10+a%50, a%3)
		for _, ch := range []string{"email", "sms", "push"} {
			fmt.Fprintf(&b, "              - {id: t%d%s, channel: %s, content: {text: \"Hello {{firstName|there}}, offer %d\"}}\n", a, ch, ch, a)
		}
	}
	c, err := decision.ParseCatalog("plan-bench.yaml", []byte(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func planBenchProfiles(n, predictors int, now time.Time) []decision.Profile {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]decision.Profile, n)
	for i := range out {
		attrs := map[string]any{"firstName": "Ada"}
		for j := range predictors {
			if j%2 == 0 {
				attrs[fmt.Sprintf("n%d", j)] = float64(rng.IntN(80))
			} else {
				attrs[fmt.Sprintf("s%d", j)] = fmt.Sprintf("v%d", rng.IntN(6))
			}
		}
		p := decision.Profile{CustomerID: fmt.Sprintf("C%07d", i), Known: true, Attributes: attrs,
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
// Run it on one core (-cpu 1) to read customers/s per core. The models are empty
// (decision.NewModels with no state): every action scores its prior, which evaluates
// the predictors but not trained bins.
func BenchmarkPlan(b *testing.B) {
	const actions, predictors = 100, 20
	now := time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)
	c := planBenchCatalog(b, actions, predictors)
	models := decision.NewModels(nil, now)
	profiles := planBenchProfiles(1024, predictors, now)
	ids := make([]string, len(profiles))
	for i, p := range profiles {
		ids[i] = service.DecisionIDOf("bench", p.CustomerID)
	}
	sketch := service.NewVolumeSketch(c.Settings.VolumeConstraints)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p := &profiles[i%len(profiles)]
		d, err := c.PlanOutbound(*p, models, now, ids[i%len(ids)])
		if err != nil {
			b.Fatal(err)
		}
		if len(d.Actions) > 0 {
			sketch.Add(d.Actions[0].ActionID, d.Channel, service.RankOf(p.CustomerID, d.Actions[0].Priority))
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "customers/s")
}
