package decision

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration that reads from catalog files as "36h", "30m" or, since
// contact policies are usually stated in days, "7d".
type Duration time.Duration

// ParseDuration accepts Go durations plus a whole-day suffix "d".
func ParseDuration(s string) (Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("duration %q: want a whole number of days such as 7d", s)
		}
		return Duration(time.Duration(n) * 24 * time.Hour), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: want a duration such as 7d, 36h or 90m", s)
	}
	return Duration(d), nil
}

// UnmarshalYAML reads a duration from its string form.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	parsed, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = parsed
	return nil
}

// Std returns the standard library form.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String writes whole days as "7d", as catalogs do, and anything else as Go does.
func (d Duration) String() string {
	day := 24 * time.Hour
	if d > 0 && time.Duration(d)%day == 0 {
		return strconv.Itoa(int(time.Duration(d)/day)) + "d"
	}
	return time.Duration(d).String()
}
