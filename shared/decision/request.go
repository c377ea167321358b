package decision

import (
	"slices"
	"strings"
)

// Request asks for the best actions for one customer on one channel, now.
type Request struct {
	CustomerID string         `json:"customerId"`
	Channel    string         `json:"channel"`
	Placement  string         `json:"placement,omitempty"`
	Context    map[string]any `json:"context,omitempty"`
	// Limit is how many actions the caller can show; 0 means 1.
	Limit int `json:"limit,omitempty"`
	// Explain asks for every excluded action with the policy that excluded it.
	Explain bool `json:"explain,omitempty"`
}

// maxCustomerIDLength keeps ids within what a DynamoDB key and a log line should hold.
const maxCustomerIDLength = 128

// ValidateRequest checks a request against the catalog and fills its defaults. The
// error names the field at fault.
func (c *Catalog) ValidateRequest(r *Request) error {
	switch {
	case strings.TrimSpace(r.CustomerID) == "":
		return Errorf(EInvalid, "customerId is required")
	case len(r.CustomerID) > maxCustomerIDLength:
		return Errorf(EInvalid, "customerId is longer than %d characters", maxCustomerIDLength)
	case r.Channel == "":
		return Errorf(EInvalid, "channel is required")
	}
	ch, ok := c.channels[r.Channel]
	if !ok {
		return Errorf(EInvalid, "unknown channel %q (known: %s)", r.Channel, strings.Join(c.channelNames(), ", "))
	}
	if r.Placement != "" && !slices.Contains(ch.Placements, r.Placement) {
		return Errorf(EInvalid, "unknown placement %q on channel %q", r.Placement, r.Channel)
	}
	if r.Limit < 0 || r.Limit > c.Settings.MaxLimit {
		return Errorf(EInvalid, "limit must be between 1 and %d (0 or absent means 1)", c.Settings.MaxLimit)
	}
	if r.Limit == 0 {
		r.Limit = 1
	}
	return nil
}

func (c *Catalog) channelNames() []string {
	names := make([]string, 0, len(c.Channels))
	for _, ch := range c.Channels {
		names = append(names, ch.Name)
	}
	return names
}
