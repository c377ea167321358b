package platform

import (
	"strings"
	"testing"
	"time"
)

func TestParseClock(t *testing.T) {
	tests := []struct {
		setting    string
		wantAt     time.Time
		wantAnchor time.Time
		wantErr    string
	}{
		{"2026-11-25T10:00:00Z", time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), time.Time{}, ""},
		{"2028-02-29", time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC), time.Time{}, ""},
		{"2027-06-15T12:00:00+02:00", time.Date(2027, 6, 15, 10, 0, 0, 0, time.UTC), time.Time{}, ""},
		{"2026-11-25T10:00:00Z@1700000000000000000", time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), time.Unix(0, 1700000000000000000), ""},
		{"tomorrow", time.Time{}, time.Time{}, "want an RFC 3339 instant"},
		{"2027-02-29", time.Time{}, time.Time{}, "want an RFC 3339 instant"},
		{"2026-11-25T10:00:00Z@soon", time.Time{}, time.Time{}, "Unix nanoseconds"},
	}
	for _, tt := range tests {
		at, anchor, err := ParseClock(tt.setting)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseClock(%q) error = %v, want one saying %q", tt.setting, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !at.Equal(tt.wantAt) || !anchor.Equal(tt.wantAnchor) {
			t.Errorf("ParseClock(%q) = %v, %v, %v; want %v, %v", tt.setting, at, anchor, err, tt.wantAt, tt.wantAnchor)
		}
	}
}

func TestFormatClockRoundTrips(t *testing.T) {
	at, anchor := time.Date(2027, 6, 15, 9, 30, 0, 5, time.UTC), time.Unix(1_800_000_000, 123)
	gotAt, gotAnchor, err := ParseClock(FormatClock(at, anchor))
	if err != nil || !gotAt.Equal(at) || !gotAnchor.Equal(anchor) {
		t.Errorf("ParseClock(FormatClock(%v, %v)) = %v, %v, %v", at, anchor, gotAt, gotAnchor, err)
	}
}

func TestShiftedClockAdvancesWithTheWall(t *testing.T) {
	wall := time.Unix(1_800_000_000, 0)
	clock := ShiftedClock(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), wall, func() time.Time { return wall })
	if got := clock(); !got.Equal(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("clock() at the anchor = %v, want the set instant", got)
	}
	wall = wall.Add(90 * time.Second)
	if got := clock(); !got.Equal(time.Date(2026, 11, 25, 10, 1, 30, 0, time.UTC)) {
		t.Errorf("clock() 90 s later = %v, want 10:01:30", got)
	}
}

func TestIsLocalEndpoint(t *testing.T) {
	tests := map[string]bool{
		"http://127.0.0.1:8000": true,
		"http://localhost:4566": true,
		"http://[::1]:8000":     true,
		"":                      false,
		"https://dynamodb.eu-west-1.amazonaws.com": false,
		"http://10.0.0.5:8000":                     false,
		"http://127.0.0.1.example.com":             false,
	}
	for endpoint, want := range tests {
		if got := IsLocalEndpoint(endpoint); got != want {
			t.Errorf("IsLocalEndpoint(%q) = %v, want %v", endpoint, got, want)
		}
	}
}

func env(values map[string]string) func(string) string {
	return func(k string) string { return values[k] }
}

func TestClockIsHonouredOnlyLocally(t *testing.T) {
	wallNow := time.Unix(1_800_000_060, 0)
	wall := func() time.Time { return wallNow }
	set := env(map[string]string{ClockEnv: "2026-11-25T10:00:00Z@1800000000000000000"})
	now, warning, err := clockOn(wall, set, true)
	if err != nil || warning != nil {
		t.Fatalf("Clock(local) = %v, %v; want the set clock", warning, err)
	}
	if got, want := now(), time.Date(2026, 11, 25, 10, 1, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Clock(local)() a minute after the anchor = %v, want %v", got, want)
	}

	now, warning, err = clockOn(wall, set, false)
	if err != nil || warning == nil || !strings.Contains(warning.Error(), "only against local stand-ins") {
		t.Errorf("Clock(deployed) = warning %v, error %v; want a warning that the setting is ignored", warning, err)
	}
	if got := now(); !got.Equal(wallNow) {
		t.Errorf("Clock(deployed)() = %v, want the wall clock's %v", got, wallNow)
	}

	unanchored, _, _ := clockOn(wall, env(map[string]string{ClockEnv: "2027-06-15"}), true)
	if got := unanchored(); !got.Equal(time.Date(2027, 6, 15, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Clock(a date)() at start = %v, want midnight UTC that day", got)
	}
	if _, _, err := clockOn(wall, env(map[string]string{ClockEnv: "yesterday"}), true); err == nil {
		t.Error("Clock(malformed) = nil error, want the setting refused")
	}
	if now, warning, err := clockOn(wall, env(nil), false); warning != nil || err != nil || !now().Equal(wallNow) {
		t.Errorf("Clock(unset) = %v, %v; want the wall clock quietly", warning, err)
	}
}

func TestSeededIDsAreReproducibleAndDistinct(t *testing.T) {
	a, b, other := SeededIDs(7), SeededIDs(7), SeededIDs(8)
	seen := map[string]bool{}
	for i := range 1000 {
		x, y, z := a(), b(), other()
		if x != y {
			t.Fatalf("id %d: %s and %s from the same seed, want equal", i, x, y)
		}
		if x == z || seen[x] || len(x) != 32 {
			t.Fatalf("id %d = %q: want 32 hex digits, new, and not another seed's", i, x)
		}
		seen[x] = true
	}
}

func TestIDsFollowTheSeedOnlyLocally(t *testing.T) {
	set := env(map[string]string{SeedEnv: "7"})
	local, warning, err := IDs(set, true)
	if err != nil || warning != nil || local() != SeededIDs(7)() {
		t.Errorf("IDs(local) = %v, %v; want the seeded sequence", warning, err)
	}
	if _, warning, _ := IDs(set, false); warning == nil {
		t.Error("IDs(deployed) gave no warning, want the setting reported as ignored")
	}
	if _, _, err := IDs(env(map[string]string{SeedEnv: "-1"}), true); err == nil {
		t.Error("IDs(malformed) = nil error, want the setting refused")
	}
}
