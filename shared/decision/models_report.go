package decision

import (
	"time"

	"github.com/nextbest/nextbest/shared/adaptive"
)

// State returns a model's counters, or nil when it has none, for reports that compile
// the model themselves (package monitor). The state is shared with the decisions
// scored from m and must not be changed.
func (m *Models) State(k ModelKey) *adaptive.State {
	if m == nil {
		return nil
	}
	return m.states[k]
}

// At returns the time the counters were loaded at, which sets the models' current
// time bucket.
func (m *Models) At() time.Time {
	if m == nil {
		return time.Time{}
	}
	return m.at
}
