package weather_test

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/weather"
)

// testNow is the one clock of these tests.
var testNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func TestConditionsMap(t *testing.T) {
	c := weather.Conditions{TemperatureC: 21.5, PrecipitationMm: 0.4, SunshineMinutes: 30,
		ObservedAt: time.Date(2026, 11, 25, 11, 0, 0, 0, time.FixedZone("CET", 3600))}
	want := map[string]any{"temperature": 21.5, "precipitation": 0.4, "sunshine": 30.0, "observedAt": "2026-11-25T10:00:00Z"}
	if got := c.Map(); !reflect.DeepEqual(got, want) {
		t.Errorf("Map() = %#v, want %#v", got, want)
	}
}

func TestSnapshotJSONRoundTrip(t *testing.T) {
	snap := weather.Snapshot{
		FetchedAt: testNow,
		ByRegion: map[string]weather.Conditions{
			"Berlin": {TemperatureC: 7.3, PrecipitationMm: 0.4, SunshineMinutes: 30, ObservedAt: testNow.Add(-15 * time.Minute)},
			"Munich": {TemperatureC: -2, ObservedAt: testNow},
		},
		Failed: map[string]string{"Sydney": "open-meteo: HTTP 503 Service Unavailable"},
	}
	data, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"fetchedAt":"2026-11-25T10:00:00Z"`, `"byRegion":{`, `"failed":{`, `"temperatureC":7.3`,
		`"precipitationMm":0.4`, `"sunshineMinutes":30`, `"observedAt":"2026-11-25T09:45:00Z"`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("JSON %s lacks %s", data, key)
		}
	}
	var back weather.Snapshot
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, snap) {
		t.Errorf("round trip = %+v, want %+v", back, snap)
	}

	// Nothing failed: no failed key at all.
	data, err = json.Marshal(weather.Snapshot{FetchedAt: testNow, ByRegion: map[string]weather.Conditions{}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"fetchedAt":"2026-11-25T10:00:00Z","byRegion":{}}`; string(data) != want {
		t.Errorf("JSON = %s, want %s", data, want)
	}
}

func TestSnapshotFor(t *testing.T) {
	observed := testNow.Add(-20 * time.Minute)
	snap := weather.Snapshot{
		FetchedAt: testNow,
		ByRegion: map[string]weather.Conditions{
			"Berlin":  {TemperatureC: 7.3, PrecipitationMm: 0.4, SunshineMinutes: 30, ObservedAt: observed},
			"NoClock": {TemperatureC: 7.3},
		},
		Failed: map[string]string{"Sydney": "timeout"},
	}
	berlin := map[string]any{"temperature": 7.3, "precipitation": 0.4, "sunshine": 30.0, "observedAt": "2026-11-25T09:40:00Z"}
	tests := []struct {
		name   string
		region string
		now    time.Time
		maxAge time.Duration
		want   map[string]any
	}{
		{"fresh", "Berlin", testNow, time.Hour, berlin},
		{"exactly max age", "Berlin", observed.Add(time.Hour), time.Hour, berlin},
		{"stale", "Berlin", observed.Add(time.Hour + time.Second), time.Hour, nil},
		{"slightly in the future", "Berlin", observed.Add(-10 * time.Minute), time.Hour, berlin},
		{"far in the future", "Berlin", observed.Add(-2 * time.Hour), time.Hour, nil},
		{"zero max age", "Berlin", observed, 0, nil},
		{"unknown region", "Paris", testNow, time.Hour, nil},
		{"failed region", "Sydney", testNow, time.Hour, nil},
		{"no observation time", "NoClock", testNow, time.Hour, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := snap.For(tt.region, tt.now, tt.maxAge)
			if ok != (tt.want != nil) || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("For(%q) = %v, %v; want %v", tt.region, got, ok, tt.want)
			}
		})
	}

	var empty weather.Snapshot
	if got, ok := empty.For("Berlin", testNow, time.Hour); ok || got != nil {
		t.Errorf("zero Snapshot For = %v, %v; want nothing", got, ok)
	}
}

func TestValidateRegions(t *testing.T) {
	berlin := weather.Region{Name: "Berlin", Latitude: 52.52, Longitude: 13.41}
	tests := []struct {
		name    string
		regions []weather.Region
		want    []string // substrings of the error, nil for none
	}{
		{"none", nil, nil},
		{"valid", []weather.Region{berlin, {Name: "Sydney", Latitude: -33.87, Longitude: 151.21}, {Name: "Pole", Latitude: 90, Longitude: -180}}, nil},
		{"empty name", []weather.Region{berlin, {Latitude: 1, Longitude: 1}}, []string{"region #2: name is empty"}},
		{"blank name", []weather.Region{{Name: "  ", Latitude: 1, Longitude: 1}}, []string{"region #1: name is empty"}},
		{"spaces around name", []weather.Region{{Name: "Berlin ", Latitude: 1, Longitude: 1}}, []string{`region "Berlin ": name has leading or trailing spaces`}},
		{"duplicate", []weather.Region{berlin, {Name: "Munich", Latitude: 48, Longitude: 11}, berlin}, []string{`region "Berlin": name used by region #1 and #3`}},
		{"latitude too large", []weather.Region{{Name: "Mars", Latitude: 90.5, Longitude: 0}}, []string{`region "Mars": latitude 90.5 not in [-90, 90]`}},
		{"longitude too small", []weather.Region{{Name: "Mars", Latitude: 0, Longitude: -180.01}}, []string{`region "Mars": longitude -180.01 not in [-180, 180]`}},
		{"not a number", []weather.Region{{Name: "Mars", Latitude: math.NaN(), Longitude: math.Inf(1)}}, []string{`region "Mars": latitude NaN`, `region "Mars": longitude +Inf`}},
		{"every problem", []weather.Region{{Name: "", Latitude: 100, Longitude: 0}, {Name: "A", Latitude: 0, Longitude: 200}},
			[]string{"region #1: name is empty", "region #1: latitude 100", `region "A": longitude 200`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := weather.ValidateRegions(tt.regions)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("ValidateRegions() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateRegions() = nil, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ValidateRegions() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}
