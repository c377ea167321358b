package decision_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
)

// catalogWith loads the test catalog with extra settings lines (indented for the
// settings block) and optional replacements applied to its text.
func catalogWith(t *testing.T, settings string, replacements ...string) *decision.Catalog {
	t.Helper()
	data, err := os.ReadFile("testdata/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "settings:\n", "settings:\n"+settings, 1)
	for i := 0; i+1 < len(replacements); i += 2 {
		if !strings.Contains(text, replacements[i]) {
			t.Fatalf("catalogWith: %q not in the test catalog", replacements[i])
		}
		text = strings.Replace(text, replacements[i], replacements[i+1], 1)
	}
	c, err := decision.ParseCatalog("catalog.yaml", []byte(text))
	if err != nil {
		t.Fatalf("ParseCatalog: %v", err)
	}
	return c
}

func decide(t *testing.T, c *decision.Catalog, req decision.Request, p decision.Profile, now time.Time) decision.Decision {
	t.Helper()
	d, err := c.Decide(decision.Input{Request: req, Profile: p, Now: now, DecisionID: "d-" + req.CustomerID})
	if err != nil {
		t.Fatalf("Decide(%+v): %v", req, err)
	}
	return d
}

func excludedBy(d decision.Decision, actionID string) string {
	for _, e := range d.Excluded {
		if e.ActionID == actionID {
			return e.Policy
		}
	}
	return ""
}

func TestSuppression(t *testing.T) {
	c := catalogWith(t, "  suppression: {afterImpressions: 3, within: 30d, afterReject: 14d}\n")
	shown := func(daysAgo int) decision.ContactEvent {
		return decision.ContactEvent{At: testNow.Add(-time.Duration(daysAgo) * 24 * time.Hour), Kind: decision.KindImpression, ActionID: "fibre-upgrade", Channel: "web"}
	}
	response := func(daysAgo int, outcome string) decision.ContactEvent {
		return decision.ContactEvent{At: testNow.Add(-time.Duration(daysAgo) * 24 * time.Hour), Kind: decision.KindResponse, ActionID: "fibre-upgrade", Channel: "web", Outcome: outcome}
	}
	tests := []struct {
		name    string
		history []decision.ContactEvent
		want    bool // fibre-upgrade suppressed
	}{
		{"never shown", nil, false},
		{"shown twice", []decision.ContactEvent{shown(1), shown(2)}, false},
		{"ignored three times", []decision.ContactEvent{shown(1), shown(2), shown(3)}, true},
		{"ignored three times on other channels too", []decision.ContactEvent{shown(1), shown(2), func() decision.ContactEvent { e := shown(3); e.Channel = "email"; return e }()}, true},
		{"a click resets the count", []decision.ContactEvent{shown(1), shown(2), response(3, "click"), shown(4)}, false},
		{"impressions older than the window", []decision.ContactEvent{shown(1), shown(40), shown(41)}, false},
		{"rejected recently", []decision.ContactEvent{response(5, "reject")}, true},
		{"rejected long ago", []decision.ContactEvent{response(20, "reject")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := loyalCustomer()
			p.History = tt.history
			d := decide(t, c, decision.Request{CustomerID: "C1", Channel: "web", Limit: 3, Explain: true}, p, testNow)
			if got := excludedBy(d, "fibre-upgrade") == "suppression"; got != tt.want {
				t.Errorf("Decide with %s: fibre-upgrade suppressed = %v, want %v (excluded %+v)", tt.name, got, tt.want, d.Excluded)
			}
		})
	}
}

func TestQuietHours(t *testing.T) {
	c := catalogWith(t, "  quietHours: {start: \"21:00\", end: \"08:00\"}\n  defaultTimeZone: Europe/Paris\n")
	tests := []struct {
		name      string
		utc       string
		zone      string
		channel   string
		wantQuiet bool
	}{
		{"Paris evening", "2026-11-23T20:30:00Z", "", "email", true},                       // 21:30 in Paris
		{"Paris morning", "2026-11-23T07:30:00Z", "", "email", false},                      // 08:30 in Paris
		{"Paris night", "2026-11-23T02:00:00Z", "", "sms", true},                           // 03:00 in Paris
		{"customer zone wins", "2026-11-23T20:30:00Z", "America/New_York", "email", false}, // 15:30 in New York
		{"inbound channels are never quiet", "2026-11-23T20:30:00Z", "", "web", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now, _ := time.Parse(time.RFC3339, tt.utc)
			p := loyalCustomer()
			p.TimeZone = tt.zone
			d := decide(t, c, decision.Request{CustomerID: "C1", Channel: tt.channel}, p, now)
			if got := d.Silence != nil && d.Silence.Reason == decision.SilenceQuietHours; got != tt.wantQuiet {
				t.Errorf("Decide(%s at %s) quiet = %v (silence %+v), want %v", tt.channel, tt.utc, got, d.Silence, tt.wantQuiet)
			}
		})
	}
}

func TestContextWeightAndLeverMoveTheRanking(t *testing.T) {
	req := decision.Request{CustomerID: "C1", Channel: "web", Limit: 1}
	intent := req
	intent.Context = map[string]any{"intent": "cancel"}
	tests := []struct {
		name       string
		catalog    *decision.Catalog
		req        decision.Request
		wantTop    string
		wantWeight float64
	}{
		{"baseline: fibre leads", catalogWith(t, ""), req, "fibre-upgrade", 1},
		{"retention weighted up when the customer wants to cancel", catalogWith(t, "  contextWeights:\n    - {when: 'context.intent == \"cancel\"', issue: retention, weight: 5}\n"), intent, "loyalty-bonus", 5},
		{"the weight does not apply without the intent", catalogWith(t, "  contextWeights:\n    - {when: 'context.intent == \"cancel\"', issue: retention, weight: 5}\n"), req, "fibre-upgrade", 1},
		{"a lower lever demotes fibre", catalogWith(t, "", "lever: 1.5", "lever: 0.1"), req, "loyalty-bonus", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decide(t, tt.catalog, tt.req, loyalCustomer(), testNow)
			if len(d.Actions) != 1 || d.Actions[0].ActionID != tt.wantTop || d.Actions[0].ContextWeight != tt.wantWeight {
				t.Errorf("Decide(%+v) = %v, want %s with context weight %v", tt.req, d.Actions, tt.wantTop, tt.wantWeight)
			}
		})
	}
}

func TestPlacementAndGroupLimits(t *testing.T) {
	tests := []struct {
		name    string
		catalog *decision.Catalog
		req     decision.Request
		want    []string
	}{
		{"one per group by default", catalogWith(t, ""), decision.Request{CustomerID: "C1", Channel: "web", Limit: 3}, []string{"fibre-upgrade", "loyalty-bonus"}},
		{"a group may allow two", catalogWith(t, "", "name: Loyalty\n", "name: Loyalty\n        maxActions: 2\n"), decision.Request{CustomerID: "C1", Channel: "web", Limit: 3}, []string{"fibre-upgrade", "loyalty-bonus", "loyalty-points"}},
		{"the placement caps the caller's limit", catalogWith(t, "", "{name: web, placements: [home, sidebar]}", "{name: web, placements: [home, sidebar], limits: {home: 1}}"), decision.Request{CustomerID: "C1", Channel: "web", Placement: "home", Limit: 3}, []string{"fibre-upgrade"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decide(t, tt.catalog, tt.req, loyalCustomer(), testNow)
			if got := actionIDs(d); !slices.Equal(got, tt.want) {
				t.Errorf("Decide(%+v) = %v, want %v", tt.req, got, tt.want)
			}
		})
	}
}

func TestControlGroups(t *testing.T) {
	c := catalogWith(t, "  controlGroups: {randomShare: 0.1, silenceShare: 0.1, salt: s1}\n")
	counts := map[string]int{}
	const customers = 5000
	for i := range customers {
		p := loyalCustomer()
		p.CustomerID = fmt.Sprintf("C%d", i)
		req := decision.Request{CustomerID: p.CustomerID, Channel: "web", Limit: 1}
		first := decide(t, c, req, p, testNow)
		// The same customer stays in the same group on another channel and later.
		again := decide(t, c, decision.Request{CustomerID: p.CustomerID, Channel: "sms"}, p, testNow.Add(48*time.Hour))
		if first.ControlGroup != again.ControlGroup {
			t.Fatalf("customer %s in group %q then %q, want a stable group", p.CustomerID, first.ControlGroup, again.ControlGroup)
		}
		counts[first.ControlGroup]++
		switch first.ControlGroup {
		case decision.ControlSilence:
			if first.Silence == nil || first.Silence.Reason != decision.SilenceControlGroup || len(first.Actions) != 0 {
				t.Fatalf("silence control decision = %+v, want control_group silence", first)
			}
		case decision.ControlRandom:
			if len(first.Actions) != 1 || !strings.Contains(strings.Join(first.Actions[0].Reasons, " "), "random control group") {
				t.Fatalf("random control decision = %+v, want one randomly chosen action", first.Actions)
			}
		default:
			if len(first.Actions) != 1 || first.Actions[0].ActionID != "fibre-upgrade" {
				t.Fatalf("treated decision = %v, want the best action", actionIDs(first))
			}
		}
	}
	for _, g := range []string{decision.ControlSilence, decision.ControlRandom} {
		if share := float64(counts[g]) / customers; share < 0.085 || share > 0.115 {
			t.Errorf("group %q holds %.3f of customers, want 0.10 ± 0.015", g, share)
		}
	}
	// The random group really varies: over many customers more than one action is served.
	served := map[string]bool{}
	for i := range customers {
		p := loyalCustomer()
		p.CustomerID = fmt.Sprintf("C%d", i)
		d := decide(t, c, decision.Request{CustomerID: p.CustomerID, Channel: "web"}, p, testNow)
		if d.ControlGroup == decision.ControlRandom {
			served[d.Actions[0].ActionID] = true
		}
	}
	if len(served) < 2 {
		t.Errorf("random control group served %v, want several different actions", served)
	}
}

func TestPolicySettingsRejected(t *testing.T) {
	tests := []struct {
		settings string
		want     string
	}{
		{"  quietHours: {start: \"25:00\", end: \"08:00\"}\n", "settings.quietHours"},
		{"  defaultTimeZone: Mars/Olympus\n", `unknown time zone "Mars/Olympus"`},
		{"  contextWeights:\n    - {when: 'context.x ==', issue: retention, weight: 2}\n", "settings.contextWeights[0]"},
		{"  contextWeights:\n    - {when: 'true', issue: nope, weight: 2}\n", `issue "nope" does not exist`},
		{"  controlGroups: {randomShare: 0.4, silenceShare: 0.4}\n", "at most half"},
		{"  suppression: {afterImpressions: 3}\n", "needs a window"},
	}
	base, _ := os.ReadFile("testdata/catalog.yaml")
	for _, tt := range tests {
		text := strings.Replace(string(base), "settings:\n", "settings:\n"+tt.settings, 1)
		_, err := decision.ParseCatalog("catalog.yaml", []byte(text))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseCatalog(%q) error = %v, want it to mention %q", tt.settings, err, tt.want)
		}
	}
}

func TestPlanOutboundPicksTheBestChannelOrTheClosestSilence(t *testing.T) {
	c := loadTestCatalog(t)
	smsOnly := loyalCustomer()
	smsOnly.Consents = map[string]bool{"sms": true}
	both := loyalCustomer()
	noConsent := loyalCustomer()
	noConsent.Consents = nil
	fibreHolder := withAttr(loyalCustomer(), "productsHeld", []any{"fibre"})
	fibreHolder.Consents = map[string]bool{"sms": true}
	tests := []struct {
		name        string
		p           decision.Profile
		wantChannel string
		wantAction  string
		wantSilence string
	}{
		{"fibre by sms outranks loyalty by e-mail", both, "sms", "fibre-upgrade", ""},
		{"the only consented channel", smsOnly, "sms", "fibre-upgrade", ""},
		{"no consent anywhere", noConsent, "email", "", decision.SilenceNoConsent},
		// E-mail lacks consent; SMS has it but nothing is eligible there: the SMS
		// silence is closer to a send, so it is the one reported.
		{"closest silence wins", fibreHolder, "sms", "", decision.SilenceNothingEligible},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := c.PlanOutbound(tt.p, decision.Resources{}, testNow, "plan-1")
			if err != nil {
				t.Fatal(err)
			}
			action, silence := "", ""
			if len(d.Actions) > 0 {
				action = d.Actions[0].ActionID
			}
			if d.Silence != nil {
				silence = d.Silence.Reason
			}
			if d.Channel != tt.wantChannel || action != tt.wantAction || silence != tt.wantSilence {
				t.Errorf("PlanOutbound(%s) = %s %q silence %q, want %s %q silence %q", tt.name, d.Channel, action, silence, tt.wantChannel, tt.wantAction, tt.wantSilence)
			}
		})
	}
}

// TestPlanOutboundReevaluatesChannelRules checks that the batch, which evaluates a
// customer's rules once across channels, still evaluates again the rules that read
// the channel: sms-only holds on SMS although it failed on e-mail just before.
func TestPlanOutboundReevaluatesChannelRules(t *testing.T) {
	c, err := decision.ParseCatalog("channels.yaml", []byte(`
name: channels
channels:
  - {name: email, outbound: true}
  - {name: sms, outbound: true}
issues:
  - id: growth
    groups:
      - id: g1
        actions:
          - id: sms-only
            value: 100
            applicability: channel == "sms"
            treatments:
              - {id: sms-only-email, channel: email, content: {text: "a"}}
              - {id: sms-only-sms, channel: sms, content: {text: "a"}}
      - id: g2
        actions:
          - id: anywhere
            value: 10
            treatments:
              - {id: anywhere-email, channel: email, content: {text: "b"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	p := decision.Profile{CustomerID: "C1", Known: true, Consents: map[string]bool{"email": true, "sms": true}}
	d, err := c.PlanOutbound(p, decision.Resources{}, testNow, "plan-1")
	if err != nil {
		t.Fatal(err)
	}
	if d.Channel != "sms" || len(d.Actions) != 1 || d.Actions[0].ActionID != "sms-only" {
		t.Errorf("PlanOutbound = %s %v, want sms-only by sms", d.Channel, actionIDs(d))
	}
}
