package decision_test

import (
	"strings"
	"testing"

	"github.com/nextbest/nextbest/shared/decision"
)

func TestVolumeConstraintsValidation(t *testing.T) {
	tests := []struct {
		constraints string
		wantErr     string // "" when the catalog is valid
	}{
		{"[{action: fibre-upgrade, max: 100}, {channel: sms, max: 50, min: 10}]", ""},
		{"[{action: fibre-upgrade, channel: sms, min: 5}]", ""},
		{"[{max: 100}]", "name an action, a channel or both"},
		{"[{channel: web, max: 100}]", `"web" is not an outbound channel`},
		{"[{channel: sms, max: 10, min: 20}]", "want 0 ≤ min ≤ max"},
		{"[{channel: sms, max: -1}]", "want 0 ≤ min ≤ max"},
		{"[{channel: sms}]", "set max, min or both"},
		{"[{action: nope, max: 3}]", `action "nope" does not exist`},
		{"[{channel: sms, max: 3}, {channel: sms, max: 4}]", "channel=sms is already constrained by volumeConstraints[0]"},
	}
	for _, tt := range tests {
		src := strings.Replace(validCatalog, "issues:", "settings:\n  volumeConstraints: "+tt.constraints+"\nissues:", 1)
		_, err := decision.ParseCatalog("demo.yaml", []byte(src))
		if tt.wantErr == "" && err != nil {
			t.Errorf("ParseCatalog(volumeConstraints %s) = %v, want no error", tt.constraints, err)
		}
		if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("ParseCatalog(volumeConstraints %s) = %v, want an error containing %q", tt.constraints, err, tt.wantErr)
		}
	}
}

func TestVolumeConstraintCoversAndName(t *testing.T) {
	tests := []struct {
		v               decision.VolumeConstraint
		action, channel string
		wantCovers      bool
		wantName        string
	}{
		{decision.VolumeConstraint{Action: "a"}, "a", "sms", true, "action=a"},
		{decision.VolumeConstraint{Action: "a"}, "b", "sms", false, "action=a"},
		{decision.VolumeConstraint{Channel: "sms"}, "b", "sms", true, "channel=sms"},
		{decision.VolumeConstraint{Channel: "sms"}, "b", "email", false, "channel=sms"},
		{decision.VolumeConstraint{Action: "a", Channel: "sms"}, "a", "sms", true, "action=a channel=sms"},
		{decision.VolumeConstraint{Action: "a", Channel: "sms"}, "a", "push", false, "action=a channel=sms"},
	}
	for _, tt := range tests {
		if got := tt.v.Covers(tt.action, tt.channel); got != tt.wantCovers {
			t.Errorf("%+v.Covers(%q, %q) = %v, want %v", tt.v, tt.action, tt.channel, got, tt.wantCovers)
		}
		if got := tt.v.Name(); got != tt.wantName {
			t.Errorf("%+v.Name() = %q, want %q", tt.v, got, tt.wantName)
		}
	}
}
