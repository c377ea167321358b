package decision_test

import (
	"strings"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
)

func TestSendTime(t *testing.T) {
	src := strings.Replace(validCatalog, "issues:", "settings:\n  defaultTimeZone: Europe/Paris\nissues:", 1)
	c, err := decision.ParseCatalog("demo.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, paris) // 08:30 UTC
	at := func(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 10, 0, 0, paris) }
	click := func(when time.Time, channel string) decision.ContactEvent {
		return decision.ContactEvent{At: when, Kind: decision.KindResponse, ActionID: "fibre-upgrade", Channel: channel, Outcome: "click"}
	}
	tests := []struct {
		name        string
		zone        string
		history     []decision.ContactEvent
		want        time.Time
		wantLearned bool
	}{
		{"no history: now", "", nil, now, false},
		{"one click is not enough", "", []decision.ContactEvent{click(at(20, 18), "sms")}, now, false},
		{"evening clicker: today at 18:00", "", []decision.ContactEvent{click(at(20, 18), "sms"), click(at(21, 18), "sms"), click(at(22, 7), "sms")},
			time.Date(2026, 11, 23, 18, 0, 0, 0, paris), true},
		{"early clicker: tomorrow at 07:00", "", []decision.ContactEvent{click(at(20, 7), "sms"), click(at(21, 7), "sms")},
			time.Date(2026, 11, 24, 7, 0, 0, 0, paris), true},
		{"best hour is now", "", []decision.ContactEvent{click(at(20, 9), "sms"), click(at(21, 9), "sms")}, now, true},
		{"other channel's clicks do not count", "", []decision.ContactEvent{click(at(20, 18), "web"), click(at(21, 18), "web")}, now, false},
		{"impressions and rejects do not count", "", []decision.ContactEvent{
			{At: at(20, 18), Kind: decision.KindImpression, ActionID: "fibre-upgrade", Channel: "sms"},
			{At: at(21, 18), Kind: decision.KindResponse, ActionID: "fibre-upgrade", Channel: "sms", Outcome: "reject"}}, now, false},
		{"the customer's own zone", "America/New_York", []decision.ContactEvent{click(at(20, 18), "sms"), click(at(21, 18), "sms")},
			time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC), true}, // 18:10 Paris is 12:10 in New York; 12:00 there is 17:00 UTC
	}
	for _, tt := range tests {
		got, learned := c.SendTime(decision.Profile{CustomerID: "C1", TimeZone: tt.zone, History: tt.history}, "sms", now)
		if !got.Equal(tt.want) || learned != tt.wantLearned {
			t.Errorf("%s: SendTime = %v, %v; want %v, %v", tt.name, got.UTC(), learned, tt.want.UTC(), tt.wantLearned)
		}
	}
}
