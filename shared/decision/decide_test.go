package decision_test

import (
	"os"
	"slices"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
)

var testNow = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func loadTestCatalog(t testing.TB) *decision.Catalog {
	t.Helper()
	data, err := os.ReadFile("testdata/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := decision.ParseCatalog("catalog.yaml", data)
	if err != nil {
		t.Fatalf("ParseCatalog: %v", err)
	}
	c.Version = "v-test"
	return c
}

func loyalCustomer() decision.Profile {
	return decision.Profile{
		CustomerID: "C1", Known: true,
		Attributes: map[string]any{"firstName": "Ada", "tenureMonths": 36.0, "productsHeld": []any{"mobile"}},
		Consents:   map[string]bool{"email": true, "sms": true},
	}
}

// counts is a model's evidence in a test.
type counts struct{ impressions, positives int64 }

// modelsWith builds model state holding only totals: the models' base rates move,
// their predictors stay uninformative.
func modelsWith(evidence map[decision.ModelKey]counts) *decision.Models {
	states := map[decision.ModelKey]*adaptive.State{}
	for k, c := range evidence {
		s := adaptive.NewState()
		s.Apply(adaptive.Delta{
			{Key: adaptive.Key{Predictor: "*", Positive: true}, N: c.positives},
			{Key: adaptive.Key{Predictor: "*", Positive: false}, N: c.impressions - c.positives},
		})
		states[k] = s
	}
	return decision.NewModels(states, testNow)
}

func actionIDs(d decision.Decision) []string {
	ids := make([]string, len(d.Actions))
	for i, a := range d.Actions {
		ids[i] = a.ActionID
	}
	return ids
}

func TestDecideRanksAndLimits(t *testing.T) {
	c := loadTestCatalog(t)
	tests := []struct {
		name    string
		req     decision.Request
		profile decision.Profile
		models  map[decision.ModelKey]counts
		want    []string
	}{
		{
			name:    "fibre wins on value and lever",
			req:     decision.Request{CustomerID: "C1", Channel: "web", Limit: 3},
			profile: loyalCustomer(),
			want:    []string{"fibre-upgrade", "loyalty-bonus"},
		},
		{
			name:    "one action per group even when more are asked for",
			req:     decision.Request{CustomerID: "C1", Channel: "web", Limit: 3},
			profile: loyalCustomer(),
			want:    []string{"fibre-upgrade", "loyalty-bonus"}, // loyalty-points shares loyalty-bonus's group
		},
		{
			name:    "limit 1 keeps the best",
			req:     decision.Request{CustomerID: "C1", Channel: "web"},
			profile: loyalCustomer(),
			want:    []string{"fibre-upgrade"},
		},
		{
			name:    "evidence moves the ranking",
			req:     decision.Request{CustomerID: "C1", Channel: "web", Limit: 1},
			profile: loyalCustomer(),
			models: map[decision.ModelKey]counts{
				{ActionID: "fibre-upgrade", Channel: "web"}: {impressions: 1000, positives: 0},
				{ActionID: "loyalty-bonus", Channel: "web"}: {impressions: 1000, positives: 300},
			},
			want: []string{"loyalty-bonus"},
		},
		{
			name:    "suitability excludes the growth issue during a complaint",
			req:     decision.Request{CustomerID: "C1", Channel: "web", Limit: 3},
			profile: withAttr(loyalCustomer(), "openComplaint", true),
			want:    []string{"loyalty-bonus"},
		},
		{
			name:    "group eligibility excludes fibre holders",
			req:     decision.Request{CustomerID: "C1", Channel: "web", Limit: 3},
			profile: withAttr(loyalCustomer(), "productsHeld", []any{"fibre"}),
			want:    []string{"loyalty-bonus"},
		},
		{
			name:    "applicability follows the context",
			req:     decision.Request{CustomerID: "C1", Channel: "web", Limit: 3, Context: map[string]any{"device": "kiosk"}},
			profile: loyalCustomer(),
			want:    []string{"loyalty-bonus"},
		},
		{
			name:    "unknown customer gets what needs no profile data",
			req:     decision.Request{CustomerID: "nobody", Channel: "web", Limit: 3},
			profile: decision.Profile{CustomerID: "nobody"},
			want:    []string{"fibre-upgrade", "loyalty-points"}, // loyalty-bonus needs the tenure
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := c.Decide(decision.Input{Request: tt.req, Profile: tt.profile, Models: modelsWith(tt.models), Now: testNow, DecisionID: "d1"})
			if err != nil {
				t.Fatalf("Decide(%+v) error: %v", tt.req, err)
			}
			if got := actionIDs(d); !slices.Equal(got, tt.want) {
				t.Errorf("Decide(%+v) = %v (silence %+v), want %v", tt.req, got, d.Silence, tt.want)
			}
		})
	}
}

func withAttr(p decision.Profile, key string, v any) decision.Profile {
	attrs := map[string]any{}
	for k, old := range p.Attributes {
		attrs[k] = old
	}
	attrs[key] = v
	p.Attributes = attrs
	return p
}

func TestDecideSilence(t *testing.T) {
	c := loadTestCatalog(t)
	recentEmail := decision.ContactEvent{At: testNow.Add(-48 * time.Hour), Kind: decision.KindImpression, ActionID: "loyalty-bonus", Channel: "email"}
	oldEmail := decision.ContactEvent{At: testNow.Add(-8 * 24 * time.Hour), Kind: decision.KindImpression, ActionID: "loyalty-bonus", Channel: "email"}
	recentSMS := decision.ContactEvent{At: testNow.Add(-time.Hour), Kind: decision.KindImpression, ActionID: "fibre-upgrade", Channel: "sms"}
	withHistory := func(events ...decision.ContactEvent) decision.Profile {
		p := loyalCustomer()
		p.History = events
		return p
	}
	tests := []struct {
		name    string
		channel string
		profile decision.Profile
		models  map[decision.ModelKey]counts
		want    string // silence reason, "" for an answer
	}{
		{"no consent", "email", func() decision.Profile { p := loyalCustomer(); p.Consents = nil; return p }(), nil, decision.SilenceNoConsent},
		{"channel cap reached", "email", withHistory(recentEmail), nil, decision.SilenceContactCap},
		{"cap window has passed", "email", withHistory(oldEmail), nil, ""},
		{"cross-channel cap reached", "sms", withHistory(recentEmail, recentSMS), nil, decision.SilenceContactCap},
		{"one contact below the cross-channel cap", "sms", withHistory(recentEmail), nil, ""},
		{"nothing eligible", "sms", withAttr(loyalCustomer(), "productsHeld", []any{"fibre"}), nil, decision.SilenceNothingEligible},
		{"below threshold", "sms", loyalCustomer(), map[decision.ModelKey]counts{
			{ActionID: "fibre-upgrade", Channel: "sms"}: {impressions: 100000, positives: 1},
		}, decision.SilenceBelowThreshold},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := decision.Request{CustomerID: "C1", Channel: tt.channel}
			d, err := c.Decide(decision.Input{Request: req, Profile: tt.profile, Models: modelsWith(tt.models), Now: testNow})
			if err != nil {
				t.Fatalf("Decide(%+v) error: %v", req, err)
			}
			got := ""
			if d.Silence != nil {
				got = d.Silence.Reason
			}
			if got != tt.want {
				t.Errorf("Decide(%s) silence = %q (actions %v), want %q", tt.name, got, actionIDs(d), tt.want)
			}
			if (d.Silence != nil) == (len(d.Actions) > 0) {
				t.Errorf("Decide(%s) = %v actions with silence %+v: want exactly one of them", tt.name, actionIDs(d), d.Silence)
			}
		})
	}
}

func TestDecideRejectsBadRequests(t *testing.T) {
	c := loadTestCatalog(t)
	tests := []struct {
		name string
		req  decision.Request
		want string
	}{
		{"missing customer", decision.Request{Channel: "web"}, "customerId is required"},
		{"missing channel", decision.Request{CustomerID: "C1"}, "channel is required"},
		{"unknown channel", decision.Request{CustomerID: "C1", Channel: "fax"}, `unknown channel "fax" (known: web, email, sms)`},
		{"unknown placement", decision.Request{CustomerID: "C1", Channel: "web", Placement: "footer"}, `unknown placement "footer" on channel "web"`},
		{"limit too high", decision.Request{CustomerID: "C1", Channel: "web", Limit: 9}, "limit must be between 1 and 3 (0 or absent means 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Decide(decision.Input{Request: tt.req, Now: testNow})
			if decision.ErrorCode(err) != decision.EInvalid || decision.ErrorMessage(err) != tt.want {
				t.Errorf("Decide(%+v) error = %v, want invalid %q", tt.req, err, tt.want)
			}
		})
	}
}

func TestDecideIsDeterministic(t *testing.T) {
	c := loadTestCatalog(t)
	in := decision.Input{Request: decision.Request{CustomerID: "C1", Channel: "web", Limit: 3, Explain: true}, Profile: loyalCustomer(), Now: testNow, DecisionID: "d1"}
	first, _ := c.Decide(in)
	for range 20 {
		again, _ := c.Decide(in)
		if !slices.Equal(actionIDs(again), actionIDs(first)) || len(again.Excluded) != len(first.Excluded) {
			t.Fatalf("Decide(%+v) = %v then %v: want the same answer", in.Request, actionIDs(first), actionIDs(again))
		}
	}
}

func TestTreatmentPlacementAndRendering(t *testing.T) {
	c := loadTestCatalog(t)
	tests := []struct {
		name      string
		placement string
		profile   decision.Profile
		wantID    string
		wantTitle string
	}{
		{"placement-specific treatment", "home", loyalCustomer(), "fibre-upgrade-home", "Go fibre, Ada"},
		{"channel-wide treatment", "sidebar", loyalCustomer(), "fibre-upgrade-web", "Fibre is here"},
		{"missing name falls back", "home", withAttr(loyalCustomer(), "firstName", nil), "fibre-upgrade-home", "Go fibre, friend"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := decision.Request{CustomerID: "C1", Channel: "web", Placement: tt.placement}
			d, err := c.Decide(decision.Input{Request: req, Profile: tt.profile, Now: testNow})
			if err != nil || len(d.Actions) != 1 {
				t.Fatalf("Decide(%+v) = %+v, %v: want one action", req, d, err)
			}
			if got := d.Actions[0]; got.TreatmentID != tt.wantID || got.Content["title"] != tt.wantTitle {
				t.Errorf("Decide(%+v) treatment = %s %q, want %s %q", req, got.TreatmentID, got.Content["title"], tt.wantID, tt.wantTitle)
			}
		})
	}
}

func TestRenderDropsMissingFieldWithoutFallback(t *testing.T) {
	c := loadTestCatalog(t)
	p := withAttr(loyalCustomer(), "firstName", nil)
	req := decision.Request{CustomerID: "C1", Channel: "email"}
	d, err := c.Decide(decision.Input{Request: req, Profile: p, Now: testNow})
	if err != nil || len(d.Actions) != 1 {
		t.Fatalf("Decide(%+v) = %+v, %v: want one action", req, d, err)
	}
	want := map[string]string{"subject": "A gift", "body": "Hello, enjoy."}
	for k, v := range want {
		if got := d.Actions[0].Content[k]; got != v {
			t.Errorf("content[%s] = %q, want %q", k, got, v)
		}
	}
}
