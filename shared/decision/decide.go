package decision

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nextbest/nextbest/shared/adaptive"
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
	KnownCustomer bool `json:"knownCustomer"`
	// ControlGroup is "random" or "silence" for customers held out to measure the
	// engine's lift, and empty otherwise.
	ControlGroup string `json:"controlGroup,omitempty"`
	// Arm is "challenger" or "champion" when the catalog runs a challenger and the
	// customer is in its scope, and empty otherwise (see Challenger).
	Arm string `json:"arm,omitempty"`
	// Degraded is true when a dependency failed and the decision was made from what
	// the function had in memory (see service.Decider).
	Degraded bool    `json:"degraded,omitempty"`
	Actions  []Offer `json:"actions"`
	// Silence is set when the best answer is to say nothing.
	Silence *Silence `json:"silence,omitempty"`
	// Excluded lists, when the request asked to explain, every action that could not
	// be offered and the policy that excluded it.
	Excluded []Exclusion `json:"excluded,omitempty"`

	// features are the predictor values the models saw, logged with the decision so
	// that a later response teaches the models what this customer looked like then;
	// baselineScore is the baseline model's raw score, when the catalog ranks by uplift.
	features      []adaptive.Value
	baselineScore float64
	// weights are the context weights whose condition held, which explanations name.
	weights []*ContextWeight
	// engine is what the engine's own ranking chose, whatever the customer got: the
	// offers for most customers, what they would have been for a control group's. Lift
	// reports compare customers by it, so that the engine's customers and the held-out
	// ones are picked by the same rule (see LoggedDecision.EngineChoice).
	engine        []Offer
	engineChannel string
	// decidedBy is the catalog that decided (the challenger's, for its customers),
	// whose predictors the logged features are named by.
	decidedBy *Catalog
}

// Offer is one action chosen for the customer, with the figures that made it win.
type Offer struct {
	ActionID      string            `json:"actionId"`
	Issue         string            `json:"issue"`
	Group         string            `json:"group"`
	TreatmentID   string            `json:"treatmentId"`
	Content       map[string]string `json:"content"`
	Propensity    float64           `json:"propensity"`
	Evidence      float64           `json:"evidence"`
	Value         float64           `json:"value"`
	Lever         float64           `json:"lever"`
	ContextWeight float64           `json:"contextWeight"`
	Priority      float64           `json:"priority"`
	// Baseline is, when the catalog ranks by uplift, the customer's chance of the
	// same outcome without any action; Priority is then (propensity − baseline) ×
	// context weight × value × lever.
	Baseline float64 `json:"baseline,omitempty"`
	// TopPredictors are the predictors that moved this customer's propensity most.
	TopPredictors []PredictorContribution `json:"topPredictors,omitempty"`
	Reasons       []string                `json:"reasons"`

	// score is the model's raw score for the customer, logged so that the responses
	// to this offer are counted at the score it had (see adaptive.ObserveScored).
	score float64
}

// Silence reasons.
const (
	SilenceNoConsent       = "no_consent"
	SilenceQuietHours      = "quiet_hours"
	SilenceContactCap      = "contact_cap"
	SilenceNothingEligible = "nothing_eligible"
	SilenceBelowThreshold  = "below_threshold"
	SilenceControlGroup    = "control_group"
	SilenceUnavailable     = "unavailable"
)

// Control groups.
const (
	ControlRandom  = "random"
	ControlSilence = "silence"
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
	// suitability, suppression, threshold, group or limit.
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
	// Weather serves the weather feed's last observations (see Feeds); nil for none.
	Weather ContextFeed
	// Challenger is the catalog version the challenger decides with, when it is one
	// (see Challenger.Version); nil otherwise.
	Challenger *Catalog
}

// candidate is an action that passed every policy, with its score.
type candidate struct {
	action    *compiledAction
	treatment *compiledTreatment
	model     *adaptive.Snapshot
	score     adaptive.Score
	// ranked is the propensity the ranking used: the mean, or a Thompson draw when
	// the catalog explores; baseline, when the catalog ranks by uplift, the chance of
	// the same outcome without any action, which the ranking subtracts.
	ranked   float64
	baseline float64
	weight   float64
	priority float64
}

// Decide picks the best actions for the request, or silence. It returns an error only
// for an invalid request.
func (c *Catalog) Decide(in Input) (Decision, error) {
	req := in.Request
	if err := c.ValidateRequest(&req); err != nil {
		return Decision{}, err
	}
	rules := newRuleEvaluator(c, &in.Profile, &req, in.Now, in.Weather)
	chosen, arm := c.route(req.CustomerID, rules, in.Challenger)
	if chosen != c {
		if err := chosen.ValidateRequest(&req); err != nil {
			chosen, arm, req = c, "", in.Request // a version that lacks the channel: the champion answers
			_ = c.ValidateRequest(&req)
		} else {
			rules = newRuleEvaluator(chosen, &in.Profile, &req, in.Now, in.Weather)
		}
	}
	d := chosen.decide(&in, &req, rules, c.controlGroup(req.CustomerID))
	d.Arm, d.CatalogVersion = arm, c.versionOf(chosen)
	return d, nil
}

// decide makes the decision for a valid request with an evaluator of its customer.
// The control group is the champion's, whichever catalog decides.
func (c *Catalog) decide(in *Input, req *Request, rules *ruleEvaluator, controlGroup string) Decision {
	d := Decision{
		DecisionID:     in.DecisionID,
		CustomerID:     req.CustomerID,
		Channel:        req.Channel,
		Placement:      req.Placement,
		DecidedAt:      in.Now,
		CatalogVersion: c.Version,
		KnownCustomer:  in.Profile.Known,
		ControlGroup:   controlGroup,
		Actions:        []Offer{},
		decidedBy:      c,
	}
	if s := c.contactPolicy(&in.Profile, req.Channel, in.Now); s != nil {
		d.Silence = s
		return d
	}
	buf := candidatePool.Get().(*[]candidate)
	defer func() {
		clear(*buf) // drop the pointers to this decision's models before pooling
		*buf = (*buf)[:0]
		candidatePool.Put(buf)
	}()
	candidates := c.candidates(*buf, &d, req, in, rules)
	*buf = candidates
	if len(candidates) == 0 {
		d.Silence = &Silence{Reason: SilenceNothingEligible, Detail: "no action passes the engagement and contact policies for this customer and channel"}
		return d
	}
	if d.ControlGroup != "" {
		// What the engine would have done, before the control group's own answer
		// (pickRandom reorders the candidates).
		engine := Decision{Actions: []Offer{}}
		unexplained := *req
		unexplained.Explain = false
		c.pickBest(&engine, candidates, &unexplained, &in.Profile)
		d.engine = engine.Actions
	}
	d.engineChannel = req.Channel
	switch d.ControlGroup {
	case ControlSilence:
		d.Silence = &Silence{Reason: SilenceControlGroup, Detail: "the customer is in the silence control group, which measures the lift of contacting"}
		return d
	case ControlRandom:
		c.pickRandom(&d, candidates, req, in)
	default:
		c.pickBest(&d, candidates, req, &in.Profile)
		d.engine = d.Actions
	}
	return d
}

// candidatePool recycles the candidate buffers of past decisions: one decision scores
// hundreds of actions, and allocating their buffer each time would feed the garbage
// collector, whose pauses are the tail of decide's latency.
var candidatePool = sync.Pool{New: func() any { return new([]candidate) }}

// candidates applies validity, channel, engagement and suppression policies to every
// action and scores the survivors, appending them to out.
func (c *Catalog) candidates(out []candidate, d *Decision, req *Request, in *Input, rules *ruleEvaluator) []candidate {
	weights := c.activeWeights(rules)
	d.weights = weights
	d.features = c.features(rules)
	var rng *rand.Rand
	if c.Settings.Model.Explore {
		rng = seededRand(in.DecisionID)
	}
	var slots []atomic.Pointer[adaptive.Snapshot]
	if in.Models != nil {
		slots = in.Models.slots(c, req.Channel)
	}
	baseline := 0.0
	if c.byUplift() {
		score := c.baselineModel(in.Models, slots, req.Channel).Score(d.features)
		baseline, d.baselineScore = score.Propensity, score.Contribution
	}
	for _, ca := range c.actions {
		if policy, detail := c.exclusion(ca, rules, req, in); policy != "" {
			d.exclude(req, ca, policy, detail)
			continue
		}
		model := ca.emptyModel()
		if slots != nil {
			model = in.Models.snapshot(c, slots, ca, req.Channel)
		}
		score := model.Score(d.features)
		ranked := score.Propensity
		if rng != nil {
			ranked = score.Sample(rng)
		}
		weight := 1.0
		for _, w := range weights {
			if w.selects(ca) {
				weight *= w.Weight
			}
		}
		out = append(out, candidate{
			action: ca, treatment: ca.treatmentFor(req.Channel, req.Placement), model: model, score: score,
			ranked: ranked, baseline: baseline, weight: weight, priority: (ranked - baseline) * weight * ca.Value * ca.lever,
		})
	}
	return out
}

// exclusion returns the first policy that keeps the action from this customer now,
// or "" when none does, with why when the request asked to explain (so unexplained
// decisions format nothing).
func (c *Catalog) exclusion(ca *compiledAction, rules *ruleEvaluator, req *Request, in *Input) (policy, detail string) {
	switch {
	case ca.ValidFrom != nil && in.Now.Before(*ca.ValidFrom):
		return "validity", explain(req, func() string { return "not valid before " + ca.ValidFrom.Format(time.RFC3339) })
	case ca.ValidUntil != nil && !in.Now.Before(*ca.ValidUntil):
		return "validity", explain(req, func() string { return "expired at " + ca.ValidUntil.Format(time.RFC3339) })
	case ca.treatmentFor(req.Channel, req.Placement) == nil:
		return "channel", explain(req, func() string {
			return fmt.Sprintf("no treatment for channel %q placement %q", req.Channel, req.Placement)
		})
	}
	if r, err := firstFailingRule(rules, ca.rules); r != nil {
		if err != nil {
			return r.kind, explain(req, func() string { return fmt.Sprintf("rule %q could not be evaluated: %v", r.source, err) })
		}
		return r.kind, explain(req, func() string { return fmt.Sprintf("rule %q does not hold", r.source) })
	}
	if why := ca.suppressed(in.Profile.History, in.Now); why != "" {
		return "suppression", why
	}
	return "", ""
}

// explain formats a detail only for requests that asked for explanations.
func explain(req *Request, detail func() string) string {
	if !req.Explain {
		return ""
	}
	return detail()
}

// activeWeights returns the context weights whose condition holds for this request.
func (c *Catalog) activeWeights(rules *ruleEvaluator) []*ContextWeight {
	var active []*ContextWeight
	for i := range c.Settings.ContextWeights {
		w := &c.Settings.ContextWeights[i]
		if ok, _ := rules.holds(&w.rule); ok {
			active = append(active, w)
		}
	}
	return active
}

// exclude records, when the request asked to explain, why an action was left out.
func (d *Decision) exclude(req *Request, ca *compiledAction, policy, detail string) {
	if req.Explain {
		d.Excluded = append(d.Excluded, Exclusion{ActionID: ca.ID, Policy: policy, Detail: detail})
	}
}

// limit is how many actions this request may get: what the caller asked for, capped
// by the placement's limit.
func (c *Catalog) limit(req *Request) int {
	if n, ok := c.channels[req.Channel].Limits[req.Placement]; ok && n < req.Limit {
		return n
	}
	return req.Limit
}

// pickBest ranks the candidates by priority and keeps the best ones above the silence
// threshold, within the request's limit and each group's maximum.
func (c *Catalog) pickBest(d *Decision, candidates []candidate, req *Request, p *Profile) {
	// Ranking sorts small (priority, index) pairs rather than moving whole candidates;
	// ties go to the action declared first, so equal inputs give the same answer.
	order := make([]ranked, len(candidates))
	for i := range candidates {
		order[i] = ranked{priority: candidates[i].priority, index: i}
	}
	slices.SortFunc(order, func(a, b ranked) int {
		if c := cmp.Compare(b.priority, a.priority); c != 0 {
			return c
		}
		return cmp.Compare(a.index, b.index)
	})
	limit := c.limit(req)
	perGroup := map[string]int{}
	for rank, o := range order {
		cand := &candidates[o.index]
		ca := cand.action
		switch {
		case cand.priority < c.Settings.SilenceThreshold:
			d.exclude(req, ca, "threshold", explain(req, func() string {
				return fmt.Sprintf("priority %.4f is below the silence threshold %.4f", cand.priority, c.Settings.SilenceThreshold)
			}))
		case perGroup[ca.group] >= ca.groupMax:
			d.exclude(req, ca, "group", explain(req, func() string {
				return fmt.Sprintf("group %q already has its %d higher-priority action(s) in this decision", ca.group, ca.groupMax)
			}))
		case len(d.Actions) >= limit:
			d.exclude(req, ca, "limit", explain(req, func() string {
				return fmt.Sprintf("ranked %d of %d; the request may show %d", rank+1, len(candidates), limit)
			}))
		default:
			perGroup[ca.group]++
			offer := c.offer(cand, d.features, d.weights, p)
			basis := "propensity"
			if cand.ranked != cand.score.Propensity {
				basis = fmt.Sprintf("explored propensity %.4f (a Thompson draw)", cand.ranked)
			}
			if c.byUplift() {
				offer.Baseline = cand.baseline
				offer.Reasons = append(offer.Reasons, upliftReason(cand))
				basis = fmt.Sprintf("uplift %.4f", cand.ranked-cand.baseline)
			}
			offer.Reasons = append(offer.Reasons, fmt.Sprintf(
				"priority %.4f = %s × context weight %.2f × value %.2f × lever %.2f, ranked %d of %d eligible",
				cand.priority, basis, cand.weight, ca.Value, ca.lever, rank+1, len(candidates)))
			d.Actions = append(d.Actions, offer)
		}
		if len(d.Actions) >= limit && !req.Explain {
			break // the rest would only be explained
		}
	}
	if len(d.Actions) == 0 {
		best := candidates[order[0].index]
		d.Silence = &Silence{Reason: SilenceBelowThreshold, Detail: fmt.Sprintf(
			"the best action %q has priority %.4f, below the silence threshold %.4f", best.action.ID, best.priority, c.Settings.SilenceThreshold)}
	}
}

// ranked is a candidate's place in the ranking.
type ranked struct {
	priority float64
	index    int
}

// pickRandom serves the random control group: eligible actions in an order drawn from
// the decision id, ignoring priorities and the silence threshold, so that comparing
// this group's outcomes with the others' measures what the ranking adds.
func (c *Catalog) pickRandom(d *Decision, candidates []candidate, req *Request, in *Input) {
	shuffle(candidates, in.DecisionID)
	limit := c.limit(req)
	perGroup := map[string]int{}
	for i := range candidates {
		cand := &candidates[i]
		ca := cand.action
		if perGroup[ca.group] >= ca.groupMax || len(d.Actions) >= limit {
			continue
		}
		perGroup[ca.group]++
		offer := c.offer(cand, d.features, d.weights, &in.Profile)
		offer.Reasons = append(offer.Reasons, "random control group: an eligible action chosen at random, whatever its priority")
		d.Actions = append(d.Actions, offer)
	}
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

func (c *Catalog) offer(cand *candidate, x []adaptive.Value, weights []*ContextWeight, p *Profile) Offer {
	ca := cand.action
	return Offer{
		ActionID:      ca.ID,
		Issue:         ca.issue,
		Group:         ca.group,
		TreatmentID:   cand.treatment.ID,
		Content:       cand.treatment.render(p.Attributes),
		Propensity:    cand.score.Propensity,
		Evidence:      cand.score.Evidence,
		Value:         ca.Value,
		Lever:         ca.lever,
		ContextWeight: cand.weight,
		Priority:      cand.priority,
		TopPredictors: contributions(cand.model, x),
		score:         cand.score.Contribution,
		Reasons:       append([]string{rulesReason(len(ca.rules)), propensityReason(cand.score, ca.prior)}, weightReasons(weights, ca)...),
	}
}

// weightReasons say which context weights moved the action's priority, and why.
func weightReasons(weights []*ContextWeight, ca *compiledAction) []string {
	var out []string
	for _, w := range weights {
		if w.selects(ca) {
			out = append(out, fmt.Sprintf("context weight ×%g because %s holds", w.Weight, w.When))
		}
	}
	return out
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
