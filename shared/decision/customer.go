package decision

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ProfileUpdate changes part of a customer's profile: the attributes it names (null
// removes one), the consents it names, and the time zone when set. What it leaves out
// is kept, so a preference centre withdrawing e-mail consent sends only that, and the
// next decision already respects it.
type ProfileUpdate struct {
	Attributes map[string]any  `json:"attributes,omitempty"`
	Consents   map[string]bool `json:"consents,omitempty"`
	TimeZone   *string         `json:"timeZone,omitempty"`
}

// ValidateUpdate checks an update against the catalog (attributes against the profile
// schema, consents against the outbound channels, the time zone against the zone
// database) and normalises its attributes. The error names every field at fault.
func (c *Catalog) ValidateUpdate(u *ProfileUpdate) error {
	var problems []string
	attrs, err := c.Profile.ValidateAttributes(u.Attributes)
	if err != nil {
		problems = append(problems, strings.Split(err.Error(), "\n")...)
	}
	u.Attributes = attrs
	for _, ch := range slices.Sorted(maps.Keys(u.Consents)) {
		if !c.channels[ch].Outbound {
			problems = append(problems, fmt.Sprintf("consent %q: not an outbound channel of the catalog (%s)", ch, strings.Join(c.outboundChannels(), ", ")))
		}
	}
	if u.TimeZone != nil && *u.TimeZone != "" && !validTimeZone(*u.TimeZone) {
		problems = append(problems, fmt.Sprintf("timeZone %s is not an IANA time zone such as Europe/Paris", quoteShort(*u.TimeZone)))
	}
	if len(problems) > 0 {
		return Errorf(EInvalid, "%s", strings.Join(problems, "; "))
	}
	return nil
}

// validTimeZone tells whether name is a zone of the IANA database. The name is checked
// before the database is asked: time.LoadLocation also takes "Local", and names it
// trims or resolves as paths.
func validTimeZone(name string) bool {
	if len(name) > 64 || name == "Local" || strings.Contains(name, "..") {
		return false
	}
	for _, r := range name {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("_+-/", r)) {
			return false
		}
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

func (c *Catalog) outboundChannels() []string {
	var out []string
	for _, ch := range c.Channels {
		if ch.Outbound {
			out = append(out, ch.Name)
		}
	}
	return out
}

// Apply changes the profile as the update says and reports whether anything changed.
// A profile that did not exist becomes known.
func (u ProfileUpdate) Apply(p *Profile) (changed bool) {
	if !p.Known {
		p.Known, changed = true, true
	}
	for name, v := range u.Attributes {
		old, had := p.Attributes[name]
		switch {
		case v == nil && had:
			delete(p.Attributes, name)
			changed = true
		case v != nil && (!had || !sameValue(old, v)):
			if p.Attributes == nil {
				p.Attributes = map[string]any{}
			}
			p.Attributes[name] = v
			changed = true
		}
	}
	for ch, ok := range u.Consents {
		if old, had := p.Consents[ch]; !had || old != ok {
			if p.Consents == nil {
				p.Consents = map[string]bool{}
			}
			p.Consents[ch] = ok
			changed = true
		}
	}
	if u.TimeZone != nil && *u.TimeZone != p.TimeZone {
		p.TimeZone, changed = *u.TimeZone, true
	}
	return changed
}

// sameValue compares two JSON-shaped attribute values.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		return ok && slices.EqualFunc(x, y, sameValue)
	case map[string]any:
		y, ok := b.(map[string]any)
		return ok && maps.EqualFunc(x, y, sameValue)
	default:
		return a == b
	}
}

// OutcomeSettings declare the business outcomes that channels report without a
// decision (a purchase in store, a subscription, a cancellation), which is what
// measures the engine against its control groups: a customer held out in the silence
// group is never contacted, so only outcomes like these can show what contacting added.
type OutcomeSettings struct {
	// Types are the outcome event types accepted.
	Types []string `yaml:"types"`
	// Positive are the types that count as conversions in lift reports.
	Positive []string `yaml:"positive"`
	// Currency is the ISO 4217 code every event's value is in.
	Currency string `yaml:"currency"`
	// Retention is how long outcome events are kept, which bounds how far back a
	// lift report can look (a pilot plus the pre-period its variance reduction uses).
	Retention Duration `yaml:"retention"`
}

func (o *OutcomeSettings) applyDefaults() {
	if len(o.Types) == 0 {
		o.Types = []string{"purchase", "subscription", "cancellation", "complaint"}
	}
	if o.Positive == nil {
		o.Positive = []string{"purchase", "subscription"}
	}
	if o.Currency == "" {
		o.Currency = "EUR"
	}
	if o.Retention == 0 {
		o.Retention = Duration(400 * 24 * time.Hour)
	}
}

func (o *OutcomeSettings) compile() []error {
	var errs []error
	for _, t := range o.Types {
		if !attributeName.MatchString(strings.ReplaceAll(t, "-", "_")) {
			errs = append(errs, fmt.Errorf("settings.outcomes.types: %q is not a plain word", t))
		}
	}
	for _, t := range o.Positive {
		if !slices.Contains(o.Types, t) {
			errs = append(errs, fmt.Errorf("settings.outcomes.positive: %q is not one of the types", t))
		}
	}
	if len(o.Currency) != 3 || strings.ToUpper(o.Currency) != o.Currency {
		errs = append(errs, fmt.Errorf("settings.outcomes.currency: %q is not an ISO 4217 code such as EUR", o.Currency))
	}
	if o.Retention < 0 {
		errs = append(errs, fmt.Errorf("settings.outcomes.retention must be > 0"))
	}
	return errs
}

// OutcomeEvent is a business outcome that no decision caused, or that the channel
// cannot tie to one: a purchase, a subscription, a cancellation. It is stored with the
// customer, so reports can attribute it to decisions and control groups later.
type OutcomeEvent struct {
	// EventID makes a retry count once; it defaults to a digest of the event's fields.
	EventID    string     `json:"eventId,omitempty"`
	CustomerID string     `json:"customerId"`
	Type       string     `json:"type"`
	Value      *float64   `json:"value,omitempty"`
	Currency   string     `json:"currency,omitempty"`
	OccurredAt *time.Time `json:"occurredAt,omitempty"`
	// ActionID and ProductID optionally say what the outcome was about.
	ActionID  string `json:"actionId,omitempty"`
	ProductID string `json:"productId,omitempty"`
}

// ValidateOutcome checks an outcome event against the catalog and fills its defaults:
// the occurrence time defaults to now and may not be in the future; the currency
// defaults to the catalog's and may not differ from it (convert before sending, so
// reports add like with like); the event id defaults to a digest of the event.
func (c *Catalog) ValidateOutcome(e *OutcomeEvent, now time.Time) error {
	o := &c.Settings.Outcomes
	if err := ValidateID("customerId", e.CustomerID); err != nil {
		return err
	}
	// Checked before anything echoes them in a message.
	if err := validateOptionalIDs(idField{"type", e.Type}, idField{"eventId", e.EventID}, idField{"productId", e.ProductID},
		idField{"actionId", e.ActionID}, idField{"currency", e.Currency}); err != nil {
		return err
	}
	switch {
	case e.Type == "":
		return Errorf(EInvalid, "type is required (one of %s)", strings.Join(o.Types, ", "))
	case !slices.Contains(o.Types, e.Type):
		return Errorf(EInvalid, "unknown type %q (known: %s)", e.Type, strings.Join(o.Types, ", "))
	case e.Value != nil && (*e.Value < 0 || math.IsInf(*e.Value, 0) || math.IsNaN(*e.Value)):
		return Errorf(EInvalid, "value must be a number ≥ 0")
	case e.Currency != "" && e.Currency != o.Currency:
		return Errorf(EInvalid, "currency %q is not the catalog's %s; convert the value before sending it", e.Currency, o.Currency)
	case e.ActionID != "" && c.action(e.ActionID) == nil:
		return Errorf(EInvalid, "unknown actionId %q", e.ActionID)
	}
	if e.OccurredAt == nil {
		e.OccurredAt = &now
	} else if e.OccurredAt.After(now.Add(maxClockSkew)) {
		return Errorf(EInvalid, "occurredAt %s is in the future", e.OccurredAt.Format(time.RFC3339))
	} else if e.OccurredAt.Before(now.Add(-o.Retention.Std())) {
		return Errorf(EInvalid, "occurredAt %s is older than the catalog keeps outcomes (%s)", e.OccurredAt.Format(time.RFC3339), o.Retention)
	}
	at := e.OccurredAt.UTC()
	e.OccurredAt = &at
	e.Currency = o.Currency
	if e.EventID == "" {
		e.EventID = e.digest()
	}
	return ValidateID("eventId", e.EventID)
}

// digest identifies an event by its content, so a channel that retries without an
// event id still records it once.
func (e *OutcomeEvent) digest() string {
	value := ""
	if e.Value != nil {
		value = strconv.FormatFloat(*e.Value, 'g', -1, 64)
	}
	h := sha256.Sum256([]byte(strings.Join([]string{e.Type, e.OccurredAt.UTC().Format(time.RFC3339Nano), value, e.ActionID, e.ProductID}, "\x00")))
	return "sha256-" + hex.EncodeToString(h[:12])
}

// IsPositiveOutcome tells whether an outcome event type counts as a conversion.
func (c *Catalog) IsPositiveOutcome(eventType string) bool {
	return slices.Contains(c.Settings.Outcomes.Positive, eventType)
}

// ProfileRetention is how long an inactive profile is kept; zero means until erased.
func (c *Catalog) ProfileRetention() time.Duration {
	if c.Profile == nil {
		return 0
	}
	return c.Profile.Retention.Std()
}
