package decision

import (
	"fmt"
	"strings"
)

// VolumeConstraint bounds the sends of one batch run: at most Max (and, where set, at
// least Min) messages of an action, of a channel, or of an action on a channel. The
// batch meets a maximum by sending to the customers with the highest priority; a zero
// Max means no maximum. A minimum is not forced: the batch reports a shortfall instead
// (see service.VolumeUse), because reaching it would mean sending offers that lost
// their customer's own arbitration.
type VolumeConstraint struct {
	Action  string `yaml:"action"`
	Channel string `yaml:"channel"`
	Max     int    `yaml:"max"`
	Min     int    `yaml:"min"`
}

// Covers reports whether a send of the action on the channel counts against the
// constraint.
func (v VolumeConstraint) Covers(actionID, channel string) bool {
	return (v.Action == "" || v.Action == actionID) && (v.Channel == "" || v.Channel == channel)
}

// Name identifies the constraint in run summaries: "action=fibre-upgrade",
// "channel=sms" or "action=fibre-upgrade channel=sms".
func (v VolumeConstraint) Name() string {
	var parts []string
	if v.Action != "" {
		parts = append(parts, "action="+v.Action)
	}
	if v.Channel != "" {
		parts = append(parts, "channel="+v.Channel)
	}
	return strings.Join(parts, " ")
}

// compileVolume checks the volume constraints refer to outbound channels, bound
// something, and that their bounds make sense. Whether their actions exist is checked
// with the rest of the hierarchy's ids. Two constraints on the same selector would
// leave the reader guessing which one binds, so they are refused.
func (c *Catalog) compileVolume() []error {
	var errs []error
	seen := map[string]int{}
	for i, v := range c.Settings.VolumeConstraints {
		where := fmt.Sprintf("settings.volumeConstraints[%d]", i)
		if v.Action == "" && v.Channel == "" {
			errs = append(errs, fmt.Errorf("%s: name an action, a channel or both", where))
			continue
		}
		if v.Channel != "" && !c.channels[v.Channel].Outbound {
			errs = append(errs, fmt.Errorf("%s: %q is not an outbound channel", where, v.Channel))
		}
		if v.Max < 0 || v.Min < 0 || (v.Max > 0 && v.Min > v.Max) {
			errs = append(errs, fmt.Errorf("%s: want 0 ≤ min ≤ max", where))
		}
		if v.Max == 0 && v.Min == 0 {
			errs = append(errs, fmt.Errorf("%s: set max, min or both", where))
		}
		if prev, dup := seen[v.Name()]; dup {
			errs = append(errs, fmt.Errorf("%s: %s is already constrained by volumeConstraints[%d]", where, v.Name(), prev))
		}
		seen[v.Name()] = i
	}
	return errs
}
