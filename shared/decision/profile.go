package decision

import "time"

// Profile is what the engine knows about one customer when it decides.
type Profile struct {
	CustomerID string
	// Known is false when no profile exists; the engine then decides from the context
	// alone: only actions whose rules need no profile data can win.
	Known      bool
	Attributes map[string]any
	// Consents tells, per outbound channel, whether the customer agreed to be contacted.
	Consents map[string]bool
	TimeZone string
	// History holds the customer's recent contacts and responses, in any order.
	History []ContactEvent
}

// ContactHistoryRetention is how long a contact history entry is kept. It exceeds the
// longest contact-policy window a catalog may reasonably use.
const ContactHistoryRetention = 90 * 24 * time.Hour

// Event kinds in a contact history.
const (
	KindImpression = "impression" // The customer was shown or sent an action.
	KindResponse   = "response"   // The customer responded to an action.
)

// ContactEvent is one entry of a customer's contact history.
type ContactEvent struct {
	At       time.Time `json:"at"`
	Kind     string    `json:"kind"`
	ActionID string    `json:"actionId"`
	Channel  string    `json:"channel"`
	Outcome  string    `json:"outcome,omitempty"`
	// Value is the revenue a response reported, if any.
	Value *float64 `json:"value,omitempty"`
}
