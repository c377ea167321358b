package decision_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
)

// outboundCatalog is the typed catalog with an outbound channel and declared outcomes.
var outboundCatalog = strings.Replace(strings.Replace(typedCatalog,
	"  - {name: web, content: [title]}\n",
	"  - {name: web, content: [title]}\n  - {name: email, outbound: true, content: [subject]}\n", 1),
	"settings:\n", "settings:\n  outcomes: {types: [purchase, cancellation], positive: [purchase], currency: EUR, retention: 90d}\n", 1)

func mustCatalog(t *testing.T, src string) *decision.Catalog {
	t.Helper()
	c, err := decision.ParseCatalog("catalog.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestValidateID(t *testing.T) {
	tests := []struct {
		id      string
		wantErr string
	}{
		{"C000042", ""},
		{"ada.lovelace+news@example.org", ""},
		{"crm:7f3a/eu-west=1", ""},
		{strings.Repeat("x", 128), ""},
		{"", "customerId is required"},
		{strings.Repeat("x", 129), "129 bytes long; the limit is 128"},
		{"client-é-7", "found 'é' at byte 7"},
		{"C1\x00", "control character"},
		{"C1\t", "control character"},
		{" C1", "a space at byte 0"},
		{"C\xff1", "invalid UTF-8 byte at byte 1"},
		{"C#1", "found '#'"},                      // the store's key separator
		{"C\u200b1", "found '\\u200b' at byte 1"}, // an invisible space
		{"\"C1\"", "found '\"'"},
	}
	for _, tt := range tests {
		err := decision.ValidateID("customerId", tt.id)
		if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("ValidateID(%q) = %v, want %q", tt.id, err, tt.wantErr)
		}
	}
}

func TestProfileUpdate(t *testing.T) {
	c := mustCatalog(t, outboundCatalog)
	zone := func(s string) *string { return &s }
	tests := []struct {
		name        string
		before      decision.Profile
		update      decision.ProfileUpdate
		wantErr     string
		want        decision.Profile
		wantChanged bool
	}{
		{"a new customer",
			decision.Profile{CustomerID: "C1"},
			decision.ProfileUpdate{Attributes: map[string]any{"age": 30.0}, Consents: map[string]bool{"email": true}, TimeZone: zone("Europe/Brussels")},
			"", decision.Profile{CustomerID: "C1", Known: true, Attributes: map[string]any{"age": 30.0}, Consents: map[string]bool{"email": true}, TimeZone: "Europe/Brussels"}, true},
		{"withdrawing one consent keeps the rest",
			decision.Profile{CustomerID: "C1", Known: true, Attributes: map[string]any{"age": 30.0}, Consents: map[string]bool{"email": true}},
			decision.ProfileUpdate{Consents: map[string]bool{"email": false}},
			"", decision.Profile{CustomerID: "C1", Known: true, Attributes: map[string]any{"age": 30.0}, Consents: map[string]bool{"email": false}}, true},
		{"null removes an attribute",
			decision.Profile{CustomerID: "C1", Known: true, Attributes: map[string]any{"age": 30.0, "vip": true}},
			decision.ProfileUpdate{Attributes: map[string]any{"vip": nil}},
			"", decision.Profile{CustomerID: "C1", Known: true, Attributes: map[string]any{"age": 30.0}}, true},
		{"the same values change nothing",
			decision.Profile{CustomerID: "C1", Known: true, Attributes: map[string]any{"productsHeld": []any{"mobile"}}, Consents: map[string]bool{"email": true}},
			decision.ProfileUpdate{Attributes: map[string]any{"productsHeld": []any{"mobile"}}, Consents: map[string]bool{"email": true}},
			"", decision.Profile{CustomerID: "C1", Known: true, Attributes: map[string]any{"productsHeld": []any{"mobile"}}, Consents: map[string]bool{"email": true}}, false},
		{"an inbound channel has no consent", decision.Profile{}, decision.ProfileUpdate{Consents: map[string]bool{"web": true}},
			`consent "web": not an outbound channel of the catalog (email)`, decision.Profile{}, false},
		{"an unknown zone", decision.Profile{}, decision.ProfileUpdate{TimeZone: zone("Mars/Olympus")},
			`timeZone "Mars/Olympus" is not an IANA time zone`, decision.Profile{}, false},
		{"attributes checked by the schema", decision.Profile{}, decision.ProfileUpdate{Attributes: map[string]any{"age": "old"}},
			`attribute "age": want a number`, decision.Profile{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.update
			err := c.ValidateUpdate(&u)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || decision.ErrorCode(err) != decision.EInvalid {
					t.Fatalf("ValidateUpdate = %v, want an invalid error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p := tt.before
			if changed := u.Apply(&p); changed != tt.wantChanged || !reflect.DeepEqual(p, tt.want) {
				t.Errorf("Apply = %+v, changed %v; want %+v, changed %v", p, changed, tt.want, tt.wantChanged)
			}
		})
	}
}

func TestValidateOutcome(t *testing.T) {
	c := mustCatalog(t, outboundCatalog)
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	value := func(v float64) *float64 { return &v }
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	tests := []struct {
		name    string
		event   decision.OutcomeEvent
		wantErr string
	}{
		{"a purchase", decision.OutcomeEvent{CustomerID: "C1", Type: "purchase", Value: value(49.9), OccurredAt: at(-time.Hour), ActionID: "fibre-upgrade"}, ""},
		{"no customer", decision.OutcomeEvent{Type: "purchase"}, "customerId is required"},
		{"unknown type", decision.OutcomeEvent{CustomerID: "C1", Type: "refund"}, `unknown type "refund" (known: purchase, cancellation)`},
		{"negative value", decision.OutcomeEvent{CustomerID: "C1", Type: "purchase", Value: value(-1)}, "value must be a number ≥ 0"},
		{"another currency", decision.OutcomeEvent{CustomerID: "C1", Type: "purchase", Currency: "USD"}, `currency "USD" is not the catalog's EUR`},
		{"in the future", decision.OutcomeEvent{CustomerID: "C1", Type: "purchase", OccurredAt: at(time.Hour)}, "is in the future"},
		{"older than kept", decision.OutcomeEvent{CustomerID: "C1", Type: "purchase", OccurredAt: at(-100 * 24 * time.Hour)}, "older than the catalog keeps outcomes (90d)"},
		{"unknown action", decision.OutcomeEvent{CustomerID: "C1", Type: "purchase", ActionID: "nope"}, `unknown actionId "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.event
			err := c.ValidateOutcome(&e, now)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ValidateOutcome = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || e.Currency != "EUR" || e.EventID == "" || e.OccurredAt == nil {
				t.Errorf("ValidateOutcome = %+v, %v; want the currency, an id and the time filled in", e, err)
			}
		})
	}
	// A retry without an event id is the same event; another purchase is not.
	first, again, other := decision.OutcomeEvent{CustomerID: "C1", Type: "purchase", Value: value(10), OccurredAt: at(-time.Hour)},
		decision.OutcomeEvent{CustomerID: "C1", Type: "purchase", Value: value(10), OccurredAt: at(-time.Hour)},
		decision.OutcomeEvent{CustomerID: "C1", Type: "purchase", Value: value(11), OccurredAt: at(-time.Hour)}
	for _, e := range []*decision.OutcomeEvent{&first, &again, &other} {
		if err := c.ValidateOutcome(e, now); err != nil {
			t.Fatal(err)
		}
	}
	if first.EventID != again.EventID || first.EventID == other.EventID {
		t.Errorf("default event ids %s, %s, %s: want the first two equal and the third different", first.EventID, again.EventID, other.EventID)
	}
	if !c.IsPositiveOutcome("purchase") || c.IsPositiveOutcome("cancellation") {
		t.Error("IsPositiveOutcome: want purchase positive and cancellation not")
	}
}
