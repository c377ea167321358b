package catalogcheck

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func TestValidate(t *testing.T) {
	tests := []struct {
		name         string
		edit         func(string) string
		allow        bool
		wantErrors   []string // each must appear in one error line
		wantWarnings []string
	}{
		{"valid", func(s string) string { return s }, false, nil, nil},
		{"rule type error", func(s string) string {
			return strings.Replace(s, "(profile.age ?? 0) > 18", `(profile.age ?? 0) > 18 && channel > 3`, 1)
		}, false, []string{`test.yaml: action "fibre-upgrade": eligibility rule "(profile.age ?? 0) > 18 && channel > 3": invalid operation`}, nil},
		{"rule that fails at run time for everyone", func(s string) string {
			return strings.Replace(s, "(profile.age ?? 0) > 18", `(profile.age ?? 0) > "18"`, 1)
		}, false, []string{`test.yaml: action "fibre-upgrade" (growth/fibre): no probe customer reaches it: eligibility rule "(profile.age ?? 0) > \"18\"" could not be evaluated: invalid operation: float64 > string`}, nil},
		{"unknown field", func(s string) string { return strings.Replace(s, "value: 20", "value: 20\n            valeu: 3", 1) },
			false, []string{"test.yaml: line 20: field valeu not found in type decision.Action"}, nil},
		{"several problems, one line each", func(s string) string {
			s = strings.Replace(s, "channel: sms", "channel: fax", 1)
			return strings.Replace(s, "value: 20", "value: -20", 1)
		}, false, []string{`test.yaml: action "fibre-upgrade": treatment "fibre-sms": unknown channel "fax"`,
			`test.yaml: action "fibre-tv": value must be ≥ 0`}, nil},
		{"unreachable", func(s string) string {
			return strings.Replace(s, "value: 20", "value: 20\n            eligibility: (profile.age ?? 0) > 200", 1)
		}, false, []string{`test.yaml: action "fibre-tv" (growth/fibre): no probe customer reaches it: eligibility rule "(profile.age ?? 0) > 200" does not hold`}, nil},
		{"unreachable allowed", func(s string) string {
			return strings.Replace(s, "value: 20", "value: 20\n            eligibility: (profile.age ?? 0) > 200", 1)
		}, true, nil, []string{`test.yaml: action "fibre-tv" (growth/fibre): no probe customer reaches it`}},
		{"reachable through a context value", func(s string) string {
			return strings.Replace(s, "value: 20", `value: 20`+"\n"+`            applicability: "context.page == \"checkout\""`, 1)
		}, false, nil, nil},
		{"expired is a warning", func(s string) string {
			return strings.Replace(s, "value: 20", "value: 20\n            validUntil: 2026-01-01T00:00:00Z", 1)
		}, false, nil, []string{`test.yaml: action "fibre-tv" (growth/fibre): expired at 2026-01-01T00:00:00Z`}},
		{"not valid yet is checked when it becomes valid", func(s string) string {
			return strings.Replace(s, "value: 20", "value: 20\n            validFrom: 2027-01-01T00:00:00Z\n            eligibility: (profile.age ?? 0) > 200", 1)
		}, false, []string{`action "fibre-tv" (growth/fibre): no probe customer reaches it once valid (from 2027-01-01T00:00:00Z): eligibility`}, nil},
		{"uplift without a silence group to learn from", func(s string) string {
			return strings.Replace(s, "silenceThreshold: 0.5", "silenceThreshold: 0.5\n  arbitration: uplift", 1)
		}, false, nil, []string{`test.yaml: settings.arbitration: uplift learns what customers do without any action from the silence control group`}},
		{"uplift with a silence group", func(s string) string {
			return strings.Replace(s, "silenceThreshold: 0.5", "silenceThreshold: 0.5\n  arbitration: uplift\n  controlGroups: {silenceShare: 0.05, salt: s}", 1)
		}, false, nil, nil},
		{"not valid yet and reachable then", func(s string) string {
			return strings.Replace(s, "value: 20", "value: 20\n            validFrom: 2027-01-01T00:00:00Z", 1)
		}, false, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Validate("test.yaml", []byte(tt.edit(baseCatalog)), Options{Profiles: 50, Seed: 1, Now: testNow, AllowUnreachable: tt.allow})
			check := func(kind string, got, want []string) {
				if len(got) != len(want) {
					t.Errorf("Validate(%s) %s = %q, want %d matching %q", tt.name, kind, got, len(want), want)
					return
				}
				for _, w := range want {
					found := false
					for _, g := range got {
						found = found || strings.Contains(g, w)
					}
					if !found {
						t.Errorf("Validate(%s) %s = %q, want one containing %q", tt.name, kind, got, w)
					}
				}
			}
			check("errors", r.Errors, tt.wantErrors)
			check("warnings", r.Warnings, tt.wantWarnings)
			if r.OK() != (len(tt.wantErrors) == 0) {
				t.Errorf("Validate(%s).OK() = %v with errors %q", tt.name, r.OK(), r.Errors)
			}
		})
	}
}

func TestProbeContexts(t *testing.T) {
	src := `applicability: "context.page == \"checkout\" || context.tier != 'gold'"` + "\n" +
		`when: '"b2b" == context.segment'` + "\n" + `applicability: context.device == "mobile"`
	got := fmt.Sprint(probeContexts([]byte(src)))
	want := "[map[] map[device:mobile] map[device:desktop] map[intent:cancel] map[page:checkout] map[tier:gold] map[segment:b2b]]"
	if got != want {
		t.Errorf("probeContexts(%q) = %s, want %s", src, got, want)
	}
}
