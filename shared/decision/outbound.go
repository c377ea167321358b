package decision

import (
	"fmt"
	"slices"
	"time"
)

// OutboundChannels lists the catalog's outbound channels in declaration order.
func (c *Catalog) OutboundChannels() []string {
	var out []string
	for _, ch := range c.Channels {
		if ch.Outbound {
			out = append(out, ch.Name)
		}
	}
	return out
}

// PlanOutbound decides for one customer on every outbound channel and keeps the best
// single offer across them, so one batch run contacts a customer at most once, on the
// channel where the best action has the highest priority. When nothing is worth
// sending, it returns the silence that came closest to a send (a customer held out on
// SMS is reported as held out, even if e-mail lacked consent). decisionID names the
// resulting decision. The resources are those of a real-time decision: the models, the
// weather, and the challenger's catalog version when there is one.
func (c *Catalog) PlanOutbound(p Profile, r Resources, now time.Time, decisionID string) (Decision, error) {
	chosen, arm := c, ""
	if c.Settings.Challenger != nil {
		// The arm is the customer's, not the channel's: the scope reads no channel here.
		req := Request{CustomerID: p.CustomerID, Channel: c.OutboundChannels()[0]}
		chosen, arm = c.route(p.CustomerID, newRuleEvaluator(c, &p, &req, now, r.Weather), r.Challenger)
	}
	d, err := chosen.planOutbound(p, r.Models, r.Weather, now, decisionID, c.controlGroup(p.CustomerID))
	d.Arm, d.CatalogVersion = arm, c.versionOf(chosen)
	return d, err
}

// Resources are what decisions read besides their request and profile.
type Resources struct {
	Models     *Models
	Weather    ContextFeed
	Challenger *Catalog
}

// planOutbound is PlanOutbound by one catalog, with the champion's control group.
func (c *Catalog) planOutbound(p Profile, models *Models, weather ContextFeed, now time.Time, decisionID, controlGroup string) (Decision, error) {
	var best, bestEngine Decision
	found := false
	in := Input{Profile: p, Models: models, Now: now, DecisionID: decisionID, Weather: weather}
	// One evaluator serves every channel: the customer's rules and predictors are
	// evaluated once, and only those reading channel or placement again per channel.
	var rules *ruleEvaluator
	for _, channel := range c.OutboundChannels() {
		req := Request{CustomerID: p.CustomerID, Channel: channel}
		if err := c.ValidateRequest(&req); err != nil {
			return Decision{}, fmt.Errorf("plan outbound for %s on %s: %w", p.CustomerID, channel, err)
		}
		if rules == nil {
			rules = newRuleEvaluator(c, &in.Profile, &req, now, weather)
		} else {
			rules.setChannel(c, req.Channel, req.Placement)
		}
		in.Request = req
		d := c.decide(&in, &req, rules, controlGroup)
		if !found || better(d, best) {
			best = d
		}
		if !found || betterEngine(d, bestEngine) {
			bestEngine = d
		}
		found = true
	}
	// A control group's customer gets the control's answer on one channel; the
	// engine's choice is its best across channels, as for everyone else.
	best.engine, best.engineChannel = bestEngine.engine, bestEngine.engineChannel
	return best, nil
}

// betterEngine reports whether the engine's own choice in a is better than in b.
func betterEngine(a, b Decision) bool {
	switch {
	case len(a.engine) > 0 && len(b.engine) > 0:
		return a.engine[0].Priority > b.engine[0].Priority
	default:
		return len(a.engine) > 0
	}
}

// silenceRank orders silences from the furthest from a send to the closest.
var silenceRank = map[string]int{
	SilenceNoConsent: 1, SilenceQuietHours: 2, SilenceContactCap: 3,
	SilenceNothingEligible: 4, SilenceBelowThreshold: 5, SilenceControlGroup: 6,
}

// better reports whether decision a is a better outbound plan than b: any offer beats
// silence, a higher-priority offer beats a lower one, and between silences the one
// closer to a send wins.
func better(a, b Decision) bool {
	switch {
	case len(a.Actions) > 0 && len(b.Actions) > 0:
		return a.Actions[0].Priority > b.Actions[0].Priority
	case len(a.Actions) > 0 || len(b.Actions) > 0:
		return len(a.Actions) > 0
	default:
		return silenceRank[a.Silence.Reason] > silenceRank[b.Silence.Reason]
	}
}

// CheckContact re-applies the contact policies for a message about to be sent: the
// customer may have withdrawn consent or been contacted since the plan was made. It
// also checks the action is still offered. It returns nil when sending is allowed.
func (c *Catalog) CheckContact(p Profile, actionID, channel string, now time.Time) *Silence {
	ca := c.action(actionID)
	if ca == nil || (ca.ValidFrom != nil && now.Before(*ca.ValidFrom)) || (ca.ValidUntil != nil && !now.Before(*ca.ValidUntil)) {
		return &Silence{Reason: SilenceNothingEligible, Detail: "the action is no longer offered"}
	}
	return c.contactPolicy(&p, channel, now)
}

// Render fills a treatment of an action with the customer's attributes. It reports
// false when the catalog no longer has that treatment.
func (c *Catalog) Render(actionID, treatmentID string, attrs map[string]any) (map[string]string, bool) {
	ca := c.action(actionID)
	if ca == nil {
		return nil, false
	}
	i := slices.IndexFunc(ca.treatments, func(t compiledTreatment) bool { return t.ID == treatmentID })
	if i < 0 {
		return nil, false
	}
	return ca.treatments[i].render(attrs), true
}
