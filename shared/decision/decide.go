package decision

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Decision is the engine's answer: the actions to take, or silence and why.
type Decision struct {
	DecisionID     string    `json:"decisionId"`
	CustomerID     string    `json:"customerId"`
	Channel        string    `json:"channel"`
	Placement      string    `json:"placement,omitempty"`
	DecidedAt      time.Time `json:"decidedAt"`
	CatalogVersion string    `json:"catalogVersion"`
	// KnownCustomer is false when no profile was found and the decision used the
	// context alone.
	KnownCustomer bool    `json:"knownCustomer"`
	Actions       []Offer `json:"actions"`
	// Silence is set when the best answer is to say nothing.
	Silence *Silence `json:"silence,omitempty"`
	// Excluded lists, when the request asked to explain, every action that could not
	// be offered and the policy that excluded it.
	Excluded []Exclusion `json:"excluded,omitempty"`
}

// Offer is one action chosen for the customer, with the figures that made it win.
type Offer struct {
	ActionID    string            `json:"actionId"`
	Issue       string            `json:"issue"`
	Group       string            `json:"group"`
	TreatmentID string            `json:"treatmentId"`
	Content     map[string]string `json:"content"`
	Propensity  float64           `json:"propensity"`
	Evidence    float64           `json:"evidence"`
	Value       float64           `json:"value"`
	Lever       float64           `json:"lever"`
	Priority    float64           `json:"priority"`
	Reasons     []string          `json:"reasons"`
}

// Silence reasons.
const (
	SilenceNoConsent       = "no_consent"
	SilenceContactCap      = "contact_cap"
	SilenceNothingEligible = "nothing_eligible"
	SilenceBelowThreshold  = "below_threshold"
)

// Silence says why the engine chose to say nothing.
type Silence struct {
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

// Exclusion records why an action was not offered.
type Exclusion struct {
	ActionID string `json:"actionId"`
	// Policy is the kind of policy: validity, channel, eligibility, applicability,
	// suitability, threshold, group or limit.
	Policy string `json:"policy"`
	Detail string `json:"detail"`
}

// Input is everything one decision depends on. The caller supplies the clock reading
// and the decision id so that a decision is a pure function of its input.
type Input struct {
	Request    Request
	Profile    Profile
	Models     *Models
	Now        time.Time
	DecisionID string
}

// candidate is an action that passed every policy, with its score.
type candidate struct {
	action    *compiledAction
	treatment *compiledTreatment
	estimate  Estimate
	priority  float64
}

// Decide picks the best actions for the request, or silence. It returns an error only
// for an invalid request.
func (c *Catalog) Decide(in Input) (Decision, error) {
	req := in.Request
	if err := c.ValidateRequest(&req); err != nil {
		return Decision{}, err
	}
	d := Decision{
		DecisionID:     in.DecisionID,
		CustomerID:     req.CustomerID,
		Channel:        req.Channel,
		Placement:      req.Placement,
		DecidedAt:      in.Now,
		CatalogVersion: c.Version,
		KnownCustomer:  in.Profile.Known,
		Actions:        []Offer{},
	}
	if s := c.contactPolicy(&in.Profile, req.Channel, in.Now); s != nil {
		d.Silence = s
		return d, nil
	}

	rules := newRuleEvaluator(&in.Profile, &req, in.Now)
	exclude := func(ca *compiledAction, policy, format string, args ...any) {
		if req.Explain {
			d.Excluded = append(d.Excluded, Exclusion{ActionID: ca.ID, Policy: policy, Detail: fmt.Sprintf(format, args...)})
		}
	}
	candidates := make([]candidate, 0, len(c.actions))
	for _, ca := range c.actions {
		if ca.ValidFrom != nil && in.Now.Before(*ca.ValidFrom) {
			exclude(ca, "validity", "not valid before %s", ca.ValidFrom.Format(time.RFC3339))
			continue
		}
		if ca.ValidUntil != nil && !in.Now.Before(*ca.ValidUntil) {
			exclude(ca, "validity", "expired at %s", ca.ValidUntil.Format(time.RFC3339))
			continue
		}
		t := ca.treatmentFor(req.Channel, req.Placement)
		if t == nil {
			exclude(ca, "channel", "no treatment for channel %q placement %q", req.Channel, req.Placement)
			continue
		}
		if r, err := firstFailingRule(rules, ca.rules); r != nil {
			if err != nil {
				exclude(ca, r.kind, "rule %q could not be evaluated: %v", r.source, err)
			} else {
				exclude(ca, r.kind, "rule %q does not hold", r.source)
			}
			continue
		}
		est := estimate(ca.prior, in.Models.Counts(ModelKey{ActionID: ca.ID, Channel: req.Channel}))
		candidates = append(candidates, candidate{
			action: ca, treatment: t, estimate: est,
			priority: est.Propensity * ca.Value * ca.lever,
		})
	}
	if len(candidates) == 0 {
		d.Silence = &Silence{Reason: SilenceNothingEligible, Detail: "no action passes the engagement policies for this customer and channel"}
		return d, nil
	}

	// Rank by priority; ties go to the action declared first, so equal inputs always
	// give the same answer.
	slices.SortStableFunc(candidates, func(a, b candidate) int { return cmp.Compare(b.priority, a.priority) })
	usedGroups := map[string]bool{}
	for rank, cand := range candidates {
		ca := cand.action
		switch {
		case cand.priority < c.Settings.SilenceThreshold:
			exclude(ca, "threshold", "priority %.4f is below the silence threshold %.4f", cand.priority, c.Settings.SilenceThreshold)
		case usedGroups[ca.group]:
			exclude(ca, "group", "group %q already has a higher-priority action in this decision", ca.group)
		case len(d.Actions) >= req.Limit:
			exclude(ca, "limit", "ranked %d of %d; the request asked for %d", rank+1, len(candidates), req.Limit)
		default:
			usedGroups[ca.group] = true
			d.Actions = append(d.Actions, c.offer(cand, rank, len(candidates), &in.Profile))
		}
	}
	if len(d.Actions) == 0 {
		best := candidates[0]
		d.Silence = &Silence{Reason: SilenceBelowThreshold, Detail: fmt.Sprintf(
			"the best action %q has priority %.4f, below the silence threshold %.4f", best.action.ID, best.priority, c.Settings.SilenceThreshold)}
	}
	return d, nil
}

func firstFailingRule(e *ruleEvaluator, rules []compiledRule) (*compiledRule, error) {
	for i := range rules {
		ok, err := e.holds(&rules[i])
		if !ok {
			return &rules[i], err
		}
	}
	return nil, nil
}

func (c *Catalog) offer(cand candidate, rank, of int, p *Profile) Offer {
	ca := cand.action
	return Offer{
		ActionID:    ca.ID,
		Issue:       ca.issue,
		Group:       ca.group,
		TreatmentID: cand.treatment.ID,
		Content:     cand.treatment.render(p.Attributes),
		Propensity:  cand.estimate.Propensity,
		Evidence:    cand.estimate.Evidence,
		Value:       ca.Value,
		Lever:       ca.lever,
		Priority:    cand.priority,
		Reasons: []string{
			rulesReason(len(ca.rules)),
			cand.estimate.reason(ca.prior),
			fmt.Sprintf("priority %.4f = propensity × value %.2f × lever %.2f, ranked %d of %d eligible", cand.priority, ca.Value, ca.lever, rank+1, of),
		},
	}
}

func rulesReason(n int) string {
	switch n {
	case 0:
		return "no engagement rule restricts it"
	case 1:
		return "passes its engagement rule"
	default:
		return fmt.Sprintf("passes all %d engagement rules", n)
	}
}
