package decision

import "fmt"

// ModelKey names one propensity model: an action on a channel, since the same offer
// rarely draws the same response on a banner and in an e-mail.
type ModelKey struct {
	ActionID string
	Channel  string
}

func (k ModelKey) String() string { return k.ActionID + "/" + k.Channel }

// Counts is the evidence of a model. Counts only ever grow by addition, so concurrent
// writers can apply them as atomic increments and nothing is lost or doubled.
type Counts struct {
	Impressions float64 `json:"impressions"`
	Positives   float64 `json:"positives"`
}

// Add returns the sum of two counts.
func (c Counts) Add(o Counts) Counts {
	return Counts{Impressions: c.Impressions + o.Impressions, Positives: c.Positives + o.Positives}
}

// Models is a read-only snapshot of every model's evidence.
type Models struct {
	counts map[ModelKey]Counts
}

// NewModels wraps evidence loaded from a store. The map must not change afterwards.
func NewModels(counts map[ModelKey]Counts) *Models {
	return &Models{counts: counts}
}

// Counts returns a model's evidence, zero when it has none yet.
func (m *Models) Counts(k ModelKey) Counts {
	if m == nil {
		return Counts{}
	}
	return m.counts[k]
}

// Len is the number of models with evidence.
func (m *Models) Len() int {
	if m == nil {
		return 0
	}
	return len(m.counts)
}

// Estimate is a model's propensity with what it rests on.
type Estimate struct {
	Propensity float64
	// Evidence is the number of impressions behind the estimate.
	Evidence float64
}

// estimate is the posterior mean of a Beta prior updated with the counts. Positives
// beyond impressions (a click reported without its impression) are capped so the
// propensity stays a probability.
func estimate(prior Prior, c Counts) Estimate {
	pos := min(c.Positives, c.Impressions)
	return Estimate{
		Propensity: (pos + prior.Rate*prior.Strength) / (c.Impressions + prior.Strength),
		Evidence:   c.Impressions,
	}
}

func (e Estimate) reason(prior Prior) string {
	if e.Evidence == 0 {
		return fmt.Sprintf("propensity %.4f is the prior (no responses yet)", e.Propensity)
	}
	return fmt.Sprintf("propensity %.4f learned from %.0f impressions over a prior of %.4f", e.Propensity, e.Evidence, prior.Rate)
}
