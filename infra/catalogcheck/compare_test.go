package catalogcheck

import (
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	edited := strings.Replace(baseCatalog, "value: 10", "value: 12", 1)
	oldFormat := strings.Replace(baseCatalog, "value: 20", "value: 20\n            retired: true", 1)
	tests := []struct {
		name             string
		from             []byte
		to               string
		wantFrom         string
		wantChanges      []string // each change's head, in order
		wantNotes        int
		wantErrorMessage string
	}{
		{"nothing published yet", nil, baseCatalog, NothingPublished,
			[]string{"+ channel web", "+ channel sms", "+ issue growth", "+ group fibre", "+ action fibre-upgrade", "+ action fibre-tv"}, 0, ""},
		{"one value", []byte(baseCatalog), edited, "live version 1", []string{"~ action fibre-upgrade"}, 0, ""},
		{"the same", []byte(baseCatalog), baseCatalog, "live version 1", nil, 0, ""},
		{"a live version in an older format", []byte(oldFormat), baseCatalog, "live version 1", nil, 1, ""},
		{"a draft that is not YAML", []byte(baseCatalog), "issues: [", "", nil, 0, "yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmp, err := Compare("live version 1", tt.from, "draft", []byte(tt.to))
			if tt.wantErrorMessage != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrorMessage) {
					t.Fatalf("Compare = %v, want an error mentioning %q", err, tt.wantErrorMessage)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var heads []string
			for _, c := range cmp.Changes {
				heads = append(heads, c.Head())
			}
			if cmp.From != tt.wantFrom || cmp.To != "draft" || len(cmp.Notes) != tt.wantNotes {
				t.Errorf("Compare = from %q to %q, notes %q; want from %q, %d note(s)", cmp.From, cmp.To, cmp.Notes, tt.wantFrom, tt.wantNotes)
			}
			if tt.wantNotes == 0 && strings.Join(heads, ", ") != strings.Join(tt.wantChanges, ", ") {
				t.Errorf("Compare changes = %q, want %q", heads, tt.wantChanges)
			}
		})
	}
}
