package decision

import "fmt"

// VolumeConstraint bounds the sends of one batch run: at most Max (and, where set, at
// least Min) messages of an action, of a channel, or of an action on a channel. The
// batch meets a maximum by sending to the customers with the highest priority.
type VolumeConstraint struct {
	Action  string `yaml:"action"`
	Channel string `yaml:"channel"`
	Max     int    `yaml:"max"`
	Min     int    `yaml:"min"`
}

// compileVolume checks the volume constraints refer to real outbound channels and
// actions and that their bounds make sense.
func (c *Catalog) compileVolume() []error {
	var errs []error
	for i, v := range c.Settings.VolumeConstraints {
		where := fmt.Sprintf("settings.volumeConstraints[%d]", i)
		if v.Action == "" && v.Channel == "" {
			errs = append(errs, fmt.Errorf("%s: name an action, a channel or both", where))
		}
		if v.Channel != "" && !c.channels[v.Channel].Outbound {
			errs = append(errs, fmt.Errorf("%s: %q is not an outbound channel", where, v.Channel))
		}
		if v.Max < 0 || v.Min < 0 || (v.Max > 0 && v.Min > v.Max) {
			errs = append(errs, fmt.Errorf("%s: want 0 ≤ min ≤ max", where))
		}
	}
	return errs
}
