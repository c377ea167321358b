package decision

import (
	"fmt"
	"slices"
	"time"
)

// contactPolicy returns why the customer must not be contacted on this channel now,
// or nil. Inbound channels answer a customer who came to us, so consent and caps on
// outbound pressure do not apply to them.
func (c *Catalog) contactPolicy(p *Profile, channel string, now time.Time) *Silence {
	if !c.channels[channel].Outbound {
		return nil
	}
	if !p.Consents[channel] {
		return &Silence{Reason: SilenceNoConsent, Detail: fmt.Sprintf("the customer has not consented to %s", channel)}
	}
	for _, cap := range c.Settings.ContactCaps {
		if !c.capCovers(cap, channel) {
			continue
		}
		if n := c.contactsWithin(p.History, cap, now); n >= cap.Max {
			return &Silence{Reason: SilenceContactCap, Detail: fmt.Sprintf(
				"contact cap %q reached: %d of %d contacts in the last %s", cap.Name, n, cap.Max, cap.Window.Std())}
		}
	}
	return nil
}

func (c *Catalog) capCovers(cap ContactCap, channel string) bool {
	return len(cap.Channels) == 0 || slices.Contains(cap.Channels, channel)
}

// contactsWithin counts the outbound impressions the cap covers inside its window.
func (c *Catalog) contactsWithin(history []ContactEvent, cap ContactCap, now time.Time) int {
	since := now.Add(-cap.Window.Std())
	n := 0
	for _, e := range history {
		if e.Kind == KindImpression && e.At.After(since) && !e.At.After(now) &&
			c.channels[e.Channel].Outbound && c.capCovers(cap, e.Channel) {
			n++
		}
	}
	return n
}

// HistoryWindow is how far back a decision needs the customer's contact history: the
// longest contact-cap window.
func (c *Catalog) HistoryWindow() time.Duration {
	var longest time.Duration
	for _, cap := range c.Settings.ContactCaps {
		longest = max(longest, cap.Window.Std())
	}
	return longest
}
