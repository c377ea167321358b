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
	if q := c.Settings.QuietHours; q != nil {
		if local := now.In(c.location(p.TimeZone)); q.contains(local) {
			return &Silence{Reason: SilenceQuietHours, Detail: fmt.Sprintf(
				"it is %s for the customer, inside quiet hours %s–%s", local.Format("15:04"), q.Start, q.End)}
		}
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
// longest window of any contact cap or suppression rule.
func (c *Catalog) HistoryWindow() time.Duration {
	var longest time.Duration
	for _, cap := range c.Settings.ContactCaps {
		longest = max(longest, cap.Window.Std())
	}
	for _, ca := range c.actions {
		longest = max(longest, ca.suppression.Within.Std(), ca.suppression.AfterReject.Std())
	}
	return longest
}

// location returns the customer's time zone, the catalog's default when the profile
// has none or an unknown one. Locations are cached: loading one reads the zone
// database.
func (c *Catalog) location(name string) *time.Location {
	if name == "" {
		name = c.Settings.DefaultTimeZone
	}
	if loc, ok := c.zones.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc, _ = time.LoadLocation(c.Settings.DefaultTimeZone)
	}
	c.zones.Store(name, loc)
	return loc
}

// suppressed tells why an action must not be offered to this customer now, or "".
// Impressions count on every channel: a customer who ignored an offer three times on
// the web will not welcome it by e-mail.
func (ca *compiledAction) suppressed(history []ContactEvent, now time.Time) string {
	s := ca.suppression
	if s.AfterImpressions == 0 && s.AfterReject == 0 {
		return ""
	}
	ignored := 0
	var lastResponse time.Time
	for _, e := range history {
		if e.ActionID != ca.ID || e.Kind != KindResponse || e.At.After(now) {
			continue
		}
		if e.Outcome == "reject" && s.AfterReject > 0 && now.Sub(e.At) < s.AfterReject.Std() {
			return fmt.Sprintf("rejected on %s; suppressed for %s after a reject", e.At.Format(time.DateOnly), s.AfterReject.Std())
		}
		lastResponse = maxTime(lastResponse, e.At)
	}
	if s.AfterImpressions == 0 {
		return ""
	}
	since := maxTime(now.Add(-s.Within.Std()), lastResponse)
	for _, e := range history {
		if e.ActionID == ca.ID && e.Kind == KindImpression && e.At.After(since) && !e.At.After(now) {
			ignored++
		}
	}
	if ignored >= s.AfterImpressions {
		return fmt.Sprintf("shown %d times without a response in the last %s", ignored, s.Within.Std())
	}
	return ""
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
