package catalogcheck

import (
	"os"
	"strings"
	"testing"

	"github.com/nextbest/nextbest/shared/decision"
)

// baseCatalog is a small valid catalog the tests edit.
var baseCatalog = func() string {
	src, err := os.ReadFile("testdata/base.yaml")
	if err != nil {
		panic(err)
	}
	return string(src)
}()

func mustParse(t *testing.T, src string) *decision.Catalog {
	t.Helper()
	c, err := decision.ParseCatalog("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name string
		edit func(string) string
		want []string // Change.String() of every change, in order
	}{
		{"identical", func(s string) string { return s }, nil},
		{"reordered actions are no change", func(s string) string {
			i := strings.Index(s, "          - id: fibre-tv")
			j := strings.Index(s, "          - id: fibre-upgrade")
			return s[:j] + s[i:] + s[j:i]
		}, nil},
		{"added action", func(s string) string {
			return s + "          - id: fibre-promo\n            value: 5\n            treatments: [{id: promo-web, channel: web, content: {title: P}}]\n"
		}, []string{"+ action fibre-promo: in growth/fibre; treatments promo-web"}},
		{"removed action", func(s string) string {
			return s[:strings.Index(s, "          - id: fibre-tv")]
		}, []string{"- action fibre-tv"}},
		{"changed value and lever", func(s string) string {
			return strings.Replace(s, "value: 10", "value: 12\n            lever: 1.5", 1)
		}, []string{"~ action fibre-upgrade: value: 10 → 12; lever: (none) → 1.5"}},
		{"changed rule", func(s string) string {
			return strings.Replace(s, "(profile.age ?? 0) > 18", "(profile.age ?? 0) > 21", 1)
		}, []string{`~ action fibre-upgrade: eligibility: "(profile.age ?? 0) > 18" → "(profile.age ?? 0) > 21"`}},
		{"added rule", func(s string) string {
			return strings.Replace(s, "value: 20", "value: 20\n            suitability: \"!(profile.openComplaint ?? false)\"", 1)
		}, []string{`~ action fibre-tv: suitability: "" → "!(profile.openComplaint ?? false)"`}},
		{"changed validity", func(s string) string {
			return strings.Replace(s, "value: 20", "value: 20\n            validUntil: 2027-01-01T00:00:00Z", 1)
		}, []string{"~ action fibre-tv: validUntil: (none) → 2027-01-01T00:00:00Z"}},
		{"changed treatment content", func(s string) string {
			return strings.Replace(s, `{text: "Fibre now"}`, `{text: "Fibre today"}`, 1)
		}, []string{`~ action fibre-upgrade: treatment fibre-sms: content.text: "Fibre now" → "Fibre today"`}},
		{"added and removed treatments", func(s string) string {
			return strings.Replace(s, "{id: fibre-tv-web, channel: web", "{id: fibre-tv-web-2, channel: web", 1)
		}, []string{"~ action fibre-tv: treatment fibre-tv-web removed; treatment fibre-tv-web-2 added"}},
		{"moved action", func(s string) string {
			return strings.Replace(s, "          - id: fibre-tv", "      - id: tv\n        actions:\n          - id: fibre-tv", 1)
		}, []string{"+ group tv: in issue growth", "~ action fibre-tv: moved from growth/fibre to growth/tv"}},
		{"settings", func(s string) string {
			return strings.Replace(s, "silenceThreshold: 0.5", "silenceThreshold: 0.75\n  contactCaps: [{name: weekly, max: 3, window: 7d}]", 1)
		}, []string{"~ settings: silenceThreshold: 0.5 → 0.75; contactCaps: [] → [{name: \"weekly\", max: 3, window: 7d}]"}},
		{"channel changed", func(s string) string {
			return strings.Replace(s, "placements: [home]", "placements: [home, footer]", 1)
		}, []string{`~ channel web: placements: ["home"] → ["home", "footer"]`}},
		{"channel added", func(s string) string {
			return strings.Replace(s, "settings:", "  - {name: push, outbound: true, content: [title]}\nsettings:", 1)
		}, []string{"+ channel push"}},
		{"catalog name", func(s string) string { return strings.Replace(s, "name: t\n", "name: t2\n", 1) },
			[]string{`~ catalog: name: "t" → "t2"`}},
	}
	old := mustParse(t, baseCatalog)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changes := Diff(old, mustParse(t, tt.edit(baseCatalog)))
			var got []string
			for _, c := range changes {
				got = append(got, c.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Diff(%s) =\n%s\nwant\n%s", tt.name, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestDiffFromNothing(t *testing.T) {
	changes := Diff(nil, mustParse(t, baseCatalog))
	var added []string
	for _, c := range changes {
		if c.Op != "+" {
			t.Errorf("Diff(nil, catalog) has %v, want only additions", c)
		}
		added = append(added, c.Kind+" "+c.ID)
	}
	want := "channel web, channel sms, issue growth, group fibre, action fibre-upgrade, action fibre-tv"
	if got := strings.Join(added, ", "); got != want {
		t.Errorf("Diff(nil, catalog) added %s, want %s", got, want)
	}
}

func TestRenderTruncatesLongTexts(t *testing.T) {
	long := strings.Repeat("x", 300)
	old := mustParse(t, baseCatalog)
	changed := mustParse(t, strings.Replace(baseCatalog, `{text: "Fibre now"}`, `{text: "`+long+`"}`, 1))
	changes := Diff(old, changed)
	if len(changes) != 1 || len([]rune(changes[0].Details[0])) > 2*maxRendered || !strings.HasSuffix(changes[0].Details[0], "…") {
		t.Errorf("Diff(long content) = %v, want one change with the new text truncated", changes)
	}
}

func TestLoadForDiffOldFormat(t *testing.T) {
	// A version published before a field was dropped still compares, with a note.
	src := strings.Replace(baseCatalog, "value: 20", "value: 20\n            retired: true", 1)
	c, note, err := LoadForDiff("version 3", []byte(src))
	if err != nil || c == nil || !strings.Contains(note, "version 3 does not compile") {
		t.Fatalf("LoadForDiff(old format) = %v, %q, %v; want the catalog as written and a note", c, note, err)
	}
	if changes := Diff(c, mustParse(t, baseCatalog)); len(changes) == 0 {
		t.Errorf("Diff(as written, compiled) = none, want the defaults the compiled side has")
	}
}
