package customers

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

// Document is everything held about one customer, as an export gives it to them (the
// right of access): what they told us or we learnt (profile, consents), what we did
// (decisions, contacts) and what they did (responses, outcomes).
type Document struct {
	CustomerID string    `json:"customerId"`
	ExportedAt time.Time `json:"exportedAt"`
	// Known is false when nothing at all is held about the customer.
	Known   bool            `json:"known"`
	Profile *ProfileSection `json:"profile,omitempty"`
	// PersonalAttributes names the profile attributes the catalog marks as personal data.
	PersonalAttributes []string                `json:"personalAttributes,omitempty"`
	ContactHistory     []decision.ContactEvent `json:"contactHistory"`
	OutcomeEvents      []decision.OutcomeEvent `json:"outcomeEvents"`
	Decisions          []DecisionEntry         `json:"decisions"`
	Responses          []service.ResponseClaim `json:"responses"`
	ModelsNote         string                  `json:"modelsNote"`
}

// ProfileSection is the stored profile.
type ProfileSection struct {
	Attributes map[string]any  `json:"attributes"`
	Consents   map[string]bool `json:"consents"`
	TimeZone   string          `json:"timeZone,omitempty"`
	UpdatedAt  *time.Time      `json:"updatedAt,omitempty"`
	// ExpiresAt is when the profile is deleted if the customer stays inactive.
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

// DecisionEntry is one logged decision, without the model internals.
type DecisionEntry struct {
	DecisionID   string                 `json:"decisionId"`
	Channel      string                 `json:"channel"`
	DecidedAt    time.Time              `json:"decidedAt"`
	Offers       []decision.LoggedOffer `json:"offers"`
	Silence      string                 `json:"silence,omitempty"`
	ControlGroup string                 `json:"controlGroup,omitempty"`
	// Predictors are the customer's values the models saw for this decision.
	Predictors map[string]any `json:"predictors,omitempty"`
}

// Export builds the document of one customer's data, in time order.
func Export(data service.CustomerData, catalog *decision.Catalog, now time.Time) Document {
	doc := Document{
		CustomerID:     data.CustomerID,
		ExportedAt:     now.UTC(),
		ContactHistory: []decision.ContactEvent{},
		OutcomeEvents:  []decision.OutcomeEvent{},
		Decisions:      []DecisionEntry{},
		Responses:      []service.ResponseClaim{},
		ModelsNote:     "the propensity models keep counts over all customers, which hold no one's data and are not part of an export",
	}
	if p := data.Profile; p != nil {
		doc.Profile = &ProfileSection{Attributes: p.Profile.Attributes, Consents: p.Profile.Consents, TimeZone: p.Profile.TimeZone}
		if !p.UpdatedAt.IsZero() {
			doc.Profile.UpdatedAt = &p.UpdatedAt
		}
		if !p.ExpiresAt.IsZero() {
			doc.Profile.ExpiresAt = &p.ExpiresAt
		}
		for name := range p.Profile.Attributes {
			if spec, ok := catalog.Profile.Attribute(name); ok && spec.Personal {
				doc.PersonalAttributes = append(doc.PersonalAttributes, name)
			}
		}
		slices.Sort(doc.PersonalAttributes)
	}
	doc.ContactHistory = append(doc.ContactHistory, data.History...)
	slices.SortFunc(doc.ContactHistory, func(a, b decision.ContactEvent) int { return a.At.Compare(b.At) })
	doc.OutcomeEvents = append(doc.OutcomeEvents, data.Outcomes...)
	slices.SortFunc(doc.OutcomeEvents, func(a, b decision.OutcomeEvent) int { return a.OccurredAt.Compare(*b.OccurredAt) })
	for _, d := range data.Decisions {
		e := DecisionEntry{DecisionID: d.DecisionID, Channel: d.Channel, DecidedAt: d.DecidedAt, Offers: d.Offers, Silence: d.Silence, ControlGroup: d.ControlGroup}
		for name, v := range d.Features {
			if e.Predictors == nil {
				e.Predictors = map[string]any{}
			}
			if v.Symbol != "" {
				e.Predictors[name] = v.Symbol
			} else if !math.IsNaN(v.Number) {
				e.Predictors[name] = v.Number
			}
		}
		doc.Decisions = append(doc.Decisions, e)
	}
	slices.SortFunc(doc.Decisions, func(a, b DecisionEntry) int { return a.DecidedAt.Compare(b.DecidedAt) })
	doc.Responses = append(doc.Responses, data.Responses...)
	slices.SortFunc(doc.Responses, func(a, b service.ResponseClaim) int {
		return cmp.Or(strings.Compare(a.DecisionID, b.DecisionID), strings.Compare(a.Claim, b.Claim))
	})
	doc.Known = data.Profile != nil || len(data.History)+len(data.Outcomes)+len(data.Decisions)+len(data.Responses) > 0
	return doc
}
