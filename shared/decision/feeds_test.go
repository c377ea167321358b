package decision_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
)

// rainyCatalog boosts TV when it rains where the customer lives.
var rainyCatalog = strings.Replace(strings.Replace(typedCatalog,
	"    - {name: vip, type: bool}\n", "    - {name: vip, type: bool}\n    - {name: region, type: string, values: [North, South]}\n", 1),
	"settings:\n", `settings:
  contextWeights:
    - {when: '(context.weather.precipitation ?? 0) >= 1', action: loyalty-gift, weight: 10}
  feeds:
    weather:
      placeAttribute: region
      maxAge: 2h
      places:
        - {name: North, latitude: 51, longitude: 4}
        - {name: South, latitude: 43.3, longitude: 5.4}
`, 1)

// fixedWeather is a hand-written feed: observations by place, all made at one time.
type fixedWeather struct {
	observedAt time.Time
	byPlace    map[string]map[string]any
}

func (f fixedWeather) For(place string, now time.Time, maxAge time.Duration) (map[string]any, bool) {
	c, ok := f.byPlace[place]
	if !ok || now.Sub(f.observedAt) > maxAge {
		return nil, false
	}
	return c, true
}

func TestWeatherFeedReachesRulesInRealTimeAndInTheBatch(t *testing.T) {
	c := mustCatalog(t, rainyCatalog)
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	feed := fixedWeather{observedAt: now.Add(-30 * time.Minute), byPlace: map[string]map[string]any{
		"North": {"temperature": 6.0, "precipitation": 2.5, "sunshine": 0.0},
		"South": {"temperature": 17.0, "precipitation": 0.0, "sunshine": 55.0},
	}}
	profile := func(region string) decision.Profile {
		return decision.Profile{CustomerID: "C-" + region, Known: true, Attributes: map[string]any{
			"age": 40.0, "segment": "family", "region": region, "customerSince": "2019-01-01"}}
	}
	first := func(in decision.Input) (string, []string) {
		t.Helper()
		in.Request = decision.Request{CustomerID: in.Profile.CustomerID, Channel: "web", Limit: 1, Context: in.Request.Context}
		in.DecisionID, in.Now = "d1", now
		d, err := c.Decide(in)
		if err != nil || len(d.Actions) == 0 {
			t.Fatalf("Decide = %+v, %v", d, err)
		}
		return d.Actions[0].ActionID, d.Actions[0].Reasons
	}
	tests := []struct {
		name       string
		in         decision.Input
		wantAction string
	}{
		{"rain in the north boosts the gift", decision.Input{Profile: profile("North"), Weather: feed}, "loyalty-gift"},
		{"sun in the south does not", decision.Input{Profile: profile("South"), Weather: feed}, "fibre-upgrade"},
		{"without the feed, no weather", decision.Input{Profile: profile("North")}, "fibre-upgrade"},
		{"a caller's own weather wins", decision.Input{Profile: profile("North"), Weather: feed,
			Request: decision.Request{Context: map[string]any{"weather": map[string]any{"precipitation": 0.0}}}}, "fibre-upgrade"},
		{"stale weather is not used", decision.Input{Profile: profile("North"),
			Weather: fixedWeather{observedAt: now.Add(-3 * time.Hour), byPlace: feed.byPlace}}, "fibre-upgrade"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reasons := first(tt.in)
			if got != tt.wantAction {
				t.Errorf("first action = %s, want %s (reasons %v)", got, tt.wantAction, reasons)
			}
			if got == "loyalty-gift" && !slices.Contains(reasons, "context weight ×10 because (context.weather.precipitation ?? 0) >= 1 holds") {
				t.Errorf("reasons %v do not say the rain raised the priority", reasons)
			}
		})
	}
}

func TestWeatherFeedIsChecked(t *testing.T) {
	tests := []struct {
		old, new string
		wantErr  string
	}{
		{"placeAttribute: region", "placeAttribute: town", `placeAttribute "town" is not an attribute of the profile schema`},
		{"placeAttribute: region", "placeAttribute: age", `placeAttribute "age" is a number`},
		{"{name: South, latitude: 43.3", "{name: West, latitude: 43.3", `"West" is not a value region may take`},
		{"{name: South, latitude: 43.3", "{name: North, latitude: 43.3", `"North" is listed twice`},
		{"latitude: 43.3, longitude: 5.4", "latitude: 93.3, longitude: 5.4", "latitude must be in [-90, 90]"},
	}
	for _, tt := range tests {
		_, err := decision.ParseCatalog("rainy.yaml", []byte(strings.Replace(rainyCatalog, tt.old, tt.new, 1)))
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s → %s: ParseCatalog error = %v, want %q", tt.old, tt.new, err, tt.wantErr)
		}
	}
}
