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

// ValidateRequest checks a request against the catalog and fills its defaults. The
// error names the field at fault.
func (c *Catalog) ValidateRequest(r *Request) error {
	if err := r.ValidateShape(); err != nil {
		return err
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

// ValidateShape checks what needs no catalog: the ids and the context's bounds. It is
// what a request must pass even when no catalog can be loaded.
func (r *Request) ValidateShape() error {
	if err := validateIDs(idField{"customerId", r.CustomerID}, idField{"channel", r.Channel}); err != nil {
		return err
	}
	if err := validateOptionalIDs(idField{"placement", r.Placement}); err != nil {
		return err
	}
	return validateContext(r.Context)
}

func (c *Catalog) channelNames() []string {
	names := make([]string, 0, len(c.Channels))
	for _, ch := range c.Channels {
		names = append(names, ch.Name)
	}
	return names
}
