package decision_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
)

const reachCatalog = `
name: reach
channels:
  - {name: web, placements: [home], content: [title]}
  - {name: sms, outbound: true, content: [text]}
settings:
  silenceThreshold: 1
  quietHours: {start: "08:00", end: "20:00"}
issues:
  - id: growth
    groups:
      - id: offers
        actions:
          - id: open-offer
            value: 100
            treatments: [{id: open-web, channel: web, content: {title: "Hi"}}]
          - id: never
            value: 100
            eligibility: (profile.age ?? 0) > 200
            treatments: [{id: never-web, channel: web, content: {title: "Hi"}}]
          - id: mobile-only
            value: 100
            applicability: context.device == "mobile"
            treatments: [{id: mobile-web, channel: web, content: {title: "Hi"}}]
          - id: low-value
            value: 1
            treatments: [{id: low-web, channel: web, content: {title: "Hi"}}]
          - id: home-only
            value: 100
            treatments: [{id: home-web, channel: web, placements: [home], content: {title: "Hi"}}]
          - id: sms-only
            value: 100
            eligibility: (profile.age ?? 0) >= 60
            treatments: [{id: sms-text, channel: sms, content: {text: "Hi"}}]
          - id: expired
            value: 100
            validUntil: 2020-01-01T00:00:00Z
            treatments: [{id: expired-web, channel: web, content: {title: "Hi"}}]
`

func TestUnreachable(t *testing.T) {
	c, err := decision.ParseCatalog("reach.yaml", []byte(reachCatalog))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	profiles := []decision.Profile{
		{CustomerID: "young", Known: true, Attributes: map[string]any{"age": 30.0}},
		// No consent and a recent contact: the probe must give consent and drop history.
		{CustomerID: "old", Known: true, Attributes: map[string]any{"age": 70.0}, Consents: map[string]bool{"sms": false},
			History: []decision.ContactEvent{{At: now.Add(-time.Hour), Kind: decision.KindImpression, ActionID: "sms-only", Channel: "sms"}}},
		{CustomerID: "anonymous"},
	}
	tests := []struct {
		name     string
		contexts []map[string]any
		want     map[string]string // unreachable action → fragment of its policy and detail
	}{
		{"without the context the rule needs", nil, map[string]string{
			"never":       `eligibility: rule "(profile.age ?? 0) > 200" does not hold`,
			"mobile-only": `applicability: rule "context.device == \"mobile\"" does not hold`,
			"expired":     "validity: expired at 2020-01-01",
		}},
		{"with a context value that satisfies it", []map[string]any{nil, {"device": "mobile"}}, map[string]string{
			"never":   `eligibility: rule "(profile.age ?? 0) > 200" does not hold`,
			"expired": "validity: expired at",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Unreachable(profiles, tt.contexts, now)
			gotIDs := map[string]decision.Unreachable{}
			for _, u := range got {
				gotIDs[u.ActionID] = u
			}
			for id, fragment := range tt.want {
				u, ok := gotIDs[id]
				if !ok {
					t.Errorf("Unreachable(%v) = %+v, want %s reported", tt.contexts, got, id)
					continue
				}
				if reason := u.Policy + ": " + u.Detail; !strings.Contains(reason, fragment) {
					t.Errorf("Unreachable(%v)[%s] = %q, want it to contain %q", tt.contexts, id, reason, fragment)
				}
				if u.Issue != "growth" || u.Group != "offers" || u.Count == 0 || u.Count > u.Probes {
					t.Errorf("Unreachable(%v)[%s] = %+v, want issue growth, group offers and 0 < count ≤ probes", tt.contexts, id, u)
				}
			}
			for id := range gotIDs {
				if _, ok := tt.want[id]; !ok {
					t.Errorf("Unreachable(%v) reports %s (%+v), want it reachable", tt.contexts, id, gotIDs[id])
				}
			}
		})
	}
}

func TestUnreachableOutboundSilencedForEveryone(t *testing.T) {
	// A contact cap of 0 silences the channel before any action is considered.
	src := strings.Replace(reachCatalog, "  silenceThreshold: 1\n", "  silenceThreshold: 1\n  contactCaps: [{channels: [sms], max: 0, window: 1d}]\n", 1)
	c, err := decision.ParseCatalog("reach.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	profiles := []decision.Profile{{CustomerID: "old", Known: true, Attributes: map[string]any{"age": 70.0}}}
	got := c.Unreachable(profiles, nil, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	var sms *decision.Unreachable
	for i := range got {
		if got[i].ActionID == "sms-only" {
			sms = &got[i]
		}
	}
	if sms == nil || sms.Policy != "contact" || !strings.Contains(sms.Detail, "contact cap") {
		t.Errorf("Unreachable() = %+v, want sms-only excluded by the contact cap", got)
	}
}

// BenchmarkUnreachable sizes the search the operator command runs: 500 profiles on a
// 30-action catalog over every channel and placement and a few contexts.
func BenchmarkUnreachable(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(reachCatalog[:strings.Index(reachCatalog, "          - id: open-offer")])
	for i := range 30 {
		fmt.Fprintf(&sb, "          - id: a%d\n            value: %d\n            eligibility: (profile.age ?? 0) > %d\n"+
			"            treatments: [{id: a%d-web, channel: web, content: {title: \"Hi\"}}, {id: a%d-sms, channel: sms, content: {text: \"Hi\"}}]\n",
			i, 10+i, 20+10*i, i, i)
	}
	c, err := decision.ParseCatalog("bench.yaml", []byte(sb.String()))
	if err != nil {
		b.Fatal(err)
	}
	profiles := make([]decision.Profile, 500)
	for i := range profiles {
		profiles[i] = decision.Profile{CustomerID: fmt.Sprint(i), Known: true, Attributes: map[string]any{"age": float64(18 + i%70)}}
	}
	contexts := []map[string]any{nil, {"device": "mobile"}, {"device": "desktop"}, {"intent": "cancel"}}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for b.Loop() {
		c.Unreachable(profiles, contexts, now)
	}
}
