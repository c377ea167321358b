package decision_test

import (
	"strings"
	"testing"

	"github.com/nextbest/nextbest/shared/decision"
)

const validCatalog = `
name: t
channels:
  - {name: web, placements: [home], content: [title]}
  - {name: sms, outbound: true, content: [text]}
issues:
  - id: growth
    groups:
      - id: fibre
        actions:
          - id: fibre-upgrade
            value: 10
            eligibility: (profile.age ?? 0) > 18
            treatments:
              - {id: fibre-web, channel: web, content: {title: "Fibre"}}
`

func TestParseCatalogRejects(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(string) string
		wantErr []string // every fragment must appear in the error
	}{
		{"unknown field", func(s string) string { return strings.Replace(s, "value: 10", "value: 10\n            valeu: 3", 1) },
			[]string{"catalog demo.yaml", "field valeu not found"}},
		{"rule syntax error", func(s string) string { return strings.Replace(s, "(profile.age ?? 0) > 18", "profile.age >", 1) },
			[]string{"catalog demo.yaml", `action "fibre-upgrade"`, `eligibility rule "profile.age >"`}},
		{"unknown rule variable", func(s string) string { return strings.Replace(s, "(profile.age ?? 0) > 18", "customer.age > 18", 1) },
			[]string{`action "fibre-upgrade"`, "unknown name customer"}},
		{"non-boolean rule", func(s string) string { return strings.Replace(s, "(profile.age ?? 0) > 18", "len(channel)", 1) },
			[]string{`action "fibre-upgrade"`, "expected bool"}},
		{"unknown channel", func(s string) string { return strings.Replace(s, "channel: web", "channel: fax", 1) },
			[]string{`treatment "fibre-web": unknown channel "fax"`}},
		{"unknown placement", func(s string) string {
			return strings.Replace(s, "channel: web,", "channel: web, placements: [footer],", 1)
		},
			[]string{`placement "footer" is not declared on channel "web"`}},
		{"missing content key", func(s string) string { return strings.Replace(s, `{title: "Fibre"}`, `{body: "Fibre"}`, 1) },
			[]string{`treatment "fibre-web": channel "web" needs content "title"`}},
		{"shadowed treatment", func(s string) string {
			return strings.Replace(s, `content: {title: "Fibre"}}`, "content: {title: \"Fibre\"}}\n              - {id: fibre-web-2, channel: web, content: {title: \"Again\"}}", 1)
		}, []string{`treatments "fibre-web" and "fibre-web-2" both cover channel "web"`}},
		{"duplicate id", func(s string) string { return strings.Replace(s, "id: fibre-web", "id: fibre-upgrade", 1) },
			[]string{`treatment "fibre-upgrade": id already used by a action`}},
		{"unclosed placeholder", func(s string) string { return strings.Replace(s, `title: "Fibre"`, `title: "Hi {{firstName"`, 1) },
			[]string{`treatment "fibre-web": content "title": unclosed placeholder`}},
		{"no treatments", func(s string) string {
			return strings.Replace(s, "            treatments:\n              - {id: fibre-web, channel: web, content: {title: \"Fibre\"}}\n", "", 1)
		}, []string{`action "fibre-upgrade": no treatments: the action can never be offered`}},
		{"cap on an inbound channel", func(s string) string {
			return strings.Replace(s, "issues:", "settings:\n  contactCaps: [{channels: [web], max: 1, window: 7d}]\nissues:", 1)
		}, []string{`"web" is not an outbound channel`}},
		{"bad duration", func(s string) string {
			return strings.Replace(s, "issues:", "settings:\n  decisionRetention: 7 days\nissues:", 1)
		}, []string{`duration "7 days"`}},
		{"several problems at once", func(s string) string {
			return strings.Replace(strings.Replace(s, "channel: web", "channel: fax", 1), "value: 10", "value: -1", 1)
		}, []string{`unknown channel "fax"`, "value must be ≥ 0"}},
	}
	if _, err := decision.ParseCatalog("demo.yaml", []byte(validCatalog)); err != nil {
		t.Fatalf("ParseCatalog(valid) = %v, want nil", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decision.ParseCatalog("demo.yaml", []byte(tt.edit(validCatalog)))
			if err == nil {
				t.Fatalf("ParseCatalog(%s) = nil error, want one mentioning %q", tt.name, tt.wantErr)
			}
			for _, frag := range tt.wantErr {
				if !strings.Contains(err.Error(), frag) {
					t.Errorf("ParseCatalog(%s) error = %q, want it to mention %q", tt.name, err, frag)
				}
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"7d", "168h0m0s", false},
		{"36h", "36h0m0s", false},
		{"90m", "1h30m0s", false},
		{"-1d", "", true},
		{"week", "", true},
	}
	for _, tt := range tests {
		got, err := decision.ParseDuration(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got.Std().String() != tt.want) {
			t.Errorf("ParseDuration(%q) = %v, %v; want %s (error %v)", tt.in, got.Std(), err, tt.want, tt.wantErr)
		}
	}
}
