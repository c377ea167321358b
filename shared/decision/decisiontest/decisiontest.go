// Package decisiontest generates synthetic catalogs, customers and trained models for
// the benchmarks of the decision core and of the services built on it, so that every
// benchmark measures the same kind of catalog.
package decisiontest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
)

// Spec describes a generated catalog.
type Spec struct {
	// Actions are spread five to a group and twenty to an issue; each has its own
	// eligibility rule, the issue a shared suitability rule.
	Actions int
	// Predictors alternate numeric (n0, n2, ...) and symbolic (s1, s3, ...), read
	// from the profile attributes of the same names.
	Predictors int
	// Channels get one treatment per action each; email, sms and push are outbound.
	Channels []string
	// Settings are extra lines for the settings block, indented by two spaces.
	Settings string
}

var outbound = map[string]bool{"email": true, "sms": true, "push": true}

// Catalog generates and compiles the catalog of spec.
func Catalog(tb testing.TB, spec Spec) *decision.Catalog {
	tb.Helper()
	var b strings.Builder
	b.WriteString("name: generated\nchannels:\n")
	for _, ch := range spec.Channels {
		fmt.Fprintf(&b, "  - {name: %s, outbound: %v, content: [text]}\n", ch, outbound[ch])
	}
	b.WriteString("settings:\n  silenceThreshold: 0.01\n" + spec.Settings + "  model:\n    predictors:\n")
	for i := range spec.Predictors {
		if i%2 == 0 {
			fmt.Fprintf(&b, "      - {name: n%d, source: profile.n%d, kind: numeric, bins: [1, 2, 4, 8, 16, 32, 64]}\n", i, i)
		} else {
			fmt.Fprintf(&b, "      - {name: s%d, source: profile.s%d}\n", i, i)
		}
	}
	b.WriteString("issues:\n")
	for a := range spec.Actions {
		if a%20 == 0 {
			fmt.Fprintf(&b, "  - id: issue%d\n    suitability: '!(profile.complaint ?? false)'\n    groups:\n", a/20)
		}
		if a%5 == 0 {
			fmt.Fprintf(&b, "      - id: group%d\n        actions:\n", a/5)
		}
		// Every action's rule is distinct, so a per-decision rule memo only spares the
		// shared issue rules, as in a real catalog.
		fmt.Fprintf(&b, "          - id: action%d\n            value: %d\n            eligibility: (profile.n%d ?? 0) >= %d && (profile.n0 ?? 0) < %d\n            treatments:\n",
			a, 10+a%50, 2*(a%max(1, spec.Predictors/2)), a%3, 1000+a)
		for _, ch := range spec.Channels {
			fmt.Fprintf(&b, "              - {id: t%d%s, channel: %s, content: {text: \"Hello {{firstName|there}}, offer %d\"}}\n", a, ch, ch, a)
		}
	}
	c, err := decision.ParseCatalog("generated.yaml", []byte(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Attributes draws a customer's attributes for spec's predictors.
func Attributes(rng *rand.Rand, predictors int) map[string]any {
	attrs := map[string]any{"firstName": "Ada"}
	for i := range predictors {
		if i%2 == 0 {
			attrs[fmt.Sprintf("n%d", i)] = float64(rng.IntN(80))
		} else {
			attrs[fmt.Sprintf("s%d", i)] = fmt.Sprintf("v%d", rng.IntN(6))
		}
	}
	return attrs
}

// Models trains every action's model on every channel of spec with synthetic
// responses (5% positive), so that scoring walks real bins, not empty priors.
func Models(tb testing.TB, c *decision.Catalog, spec Spec, responses int, at time.Time) *decision.Models {
	tb.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	states := map[decision.ModelKey]*adaptive.State{}
	for a := range spec.Actions {
		id := fmt.Sprintf("action%d", a)
		cfg, _ := c.ModelConfig(id)
		for _, channel := range spec.Channels {
			m, err := adaptive.New(cfg, nil)
			if err != nil {
				tb.Fatal(err)
			}
			for range responses {
				attrs := Attributes(rng, spec.Predictors)
				x := make([]adaptive.Value, spec.Predictors)
				for i := range spec.Predictors {
					if i%2 == 0 {
						x[i] = adaptive.Number(attrs[fmt.Sprintf("n%d", i)].(float64))
					} else {
						x[i] = adaptive.Symbol(attrs[fmt.Sprintf("s%d", i)].(string))
					}
				}
				m.Apply(m.Update(x, rng.Float64() < 0.05, at))
			}
			states[c.ModelKey(id, channel)] = m.State()
		}
	}
	return decision.NewModels(states, at)
}
