package decision

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Unreachable is an action that no probe decision could offer, with the exclusion
// that stopped it most often, so the operator sees why.
type Unreachable struct {
	ActionID string
	Issue    string
	Group    string
	// Policy and Detail are the most frequent exclusion, as in Exclusion; Policy is
	// "contact" when outbound contact rules silenced every decision that could have
	// offered it.
	Policy string
	Detail string
	// Count is how many of the Probes decisions that considered the action (it has a
	// treatment for their channel and placement) excluded it for this reason.
	Count  int
	Probes int
}

// reachingPolicies are the exclusions that come after every engagement policy held:
// an action excluded only by them was eligible and lost the arbitration.
var reachingPolicies = []string{"threshold", "group", "limit"}

// Unreachable searches for actions no customer can ever be offered. It decides for
// every profile × channel × placement (each declared placement, and none) × context
// at the given time, and reports every action that was neither offered nor excluded
// only by arbitration (threshold, group or limit) in any of those decisions: its
// engagement rules or validity window exclude it for all of them.
//
// Outbound decisions are silenced by consent, quiet hours and contact caps before any
// action is considered, so each probe profile is given every consent and no contact
// history, and a probe that falls in quiet hours is re-run as if the customer lived in
// a time zone where it is daytime (every customer is awake at some hour). A
// nil or empty contexts means the single empty context. The search is a sample: an
// action reported here was not reached by these profiles and contexts, which is strong
// evidence (not proof) that no real customer reaches it. The result follows the
// catalog's order of actions.
func (c *Catalog) Unreachable(profiles []Profile, contexts []map[string]any, now time.Time) []Unreachable {
	if len(contexts) == 0 {
		contexts = []map[string]any{nil}
	}
	type reason struct{ policy, detail string }
	type tally struct {
		reached bool
		probes  int
		reasons map[reason]int
	}
	tallies := make(map[string]*tally, len(c.actions))
	for _, ca := range c.actions {
		tallies[ca.ID] = &tally{reasons: map[reason]int{}}
	}
	reach := func(id string) {
		if t := tallies[id]; t != nil {
			t.reached = true
		}
	}

	// Probe copies of the profiles: every consent, no history.
	probes := make([]Profile, len(profiles))
	for i, p := range profiles {
		p.Consents = make(map[string]bool, len(c.Channels))
		for _, ch := range c.Channels {
			if ch.Outbound {
				p.Consents[ch.Name] = true
			}
		}
		p.History = nil
		if p.CustomerID == "" {
			p.CustomerID = "reachability-probe"
		}
		probes[i] = p
	}

	awake := "" // a time zone where it is not quiet hours at now, once found
	for _, ch := range c.Channels {
		for _, placement := range slices.Concat([]string{""}, ch.Placements) {
			// Only the actions still unreached that have a treatment here can change
			// the answer; skip the slot when there are none.
			var open []*compiledAction
			for _, ca := range c.actions {
				if !tallies[ca.ID].reached && ca.treatmentFor(ch.Name, placement) != nil {
					open = append(open, ca)
				}
			}
			if len(open) == 0 {
				continue
			}
			done := func() bool {
				for _, ca := range open {
					if !tallies[ca.ID].reached {
						return false
					}
				}
				return true
			}
		slot:
			for _, ctx := range contexts {
				for i := range probes {
					if done() {
						break slot
					}
					in := Input{
						Request: Request{CustomerID: probes[i].CustomerID, Channel: ch.Name, Placement: placement,
							Context: ctx, Limit: 1, Explain: true},
						Profile: probes[i],
						Now:     now,
					}
					d, err := c.Decide(in)
					if err == nil && d.Silence != nil && d.Silence.Reason == SilenceQuietHours {
						d, err = c.decideAwake(in, &awake)
					}
					var silenced *reason
					switch {
					case err != nil: // only a catalog whose settings reject every request
						silenced = &reason{"request", err.Error()}
					case d.Silence != nil && (d.Silence.Reason == SilenceNoConsent || d.Silence.Reason == SilenceContactCap ||
						d.Silence.Reason == SilenceQuietHours):
						silenced = &reason{"contact", d.Silence.Detail}
					}
					if silenced != nil {
						for _, ca := range open {
							if t := tallies[ca.ID]; !t.reached {
								t.probes++
								t.reasons[*silenced]++
							}
						}
						continue
					}
					for _, o := range d.Actions {
						reach(o.ActionID)
					}
					for _, e := range d.Excluded {
						t := tallies[e.ActionID]
						if t == nil || t.reached {
							continue
						}
						if slices.Contains(reachingPolicies, e.Policy) {
							reach(e.ActionID)
							continue
						}
						if e.Policy == "channel" {
							continue // not meant for this slot: says nothing about reach
						}
						t.probes++
						t.reasons[reason{e.Policy, e.Detail}]++
					}
				}
			}
		}
	}

	var out []Unreachable
	for _, ca := range c.actions {
		t := tallies[ca.ID]
		if t.reached {
			continue
		}
		u := Unreachable{ActionID: ca.ID, Issue: ca.issue, Group: ca.group, Probes: t.probes}
		// The most frequent reason; ties go to the first in (policy, detail) order.
		for _, r := range slices.SortedFunc(maps.Keys(t.reasons), func(a, b reason) int {
			return cmp.Or(cmp.Compare(a.policy, b.policy), cmp.Compare(a.detail, b.detail))
		}) {
			if n := t.reasons[r]; n > u.Count {
				u.Policy, u.Detail, u.Count = r.policy, r.detail, n
			}
		}
		if u.Policy == "" {
			u.Policy, u.Detail = "none", "no probe decision considered it"
		}
		out = append(out, u)
	}
	return out
}

// probeZones span every whole-hour UTC offset, for decideAwake.
var probeZones = func() []string {
	zones := []string{"UTC"}
	for h := 1; h <= 14; h++ {
		zones = append(zones, fmt.Sprintf("Etc/GMT-%d", h)) // POSIX sign: this is UTC+h
		if h <= 12 {
			zones = append(zones, fmt.Sprintf("Etc/GMT+%d", h))
		}
	}
	return zones
}()

// decideAwake re-runs a decision that quiet hours silenced in a time zone where they
// do not apply at in.Now, remembering the zone found in *awake for the next probes.
// Without the time zone database it returns the quiet-hours silence.
func (c *Catalog) decideAwake(in Input, awake *string) (Decision, error) {
	zones := probeZones
	if *awake != "" {
		zones = []string{*awake}
	}
	var d Decision
	var err error
	for _, z := range zones {
		in.Profile.TimeZone = z
		d, err = c.Decide(in)
		if err != nil || d.Silence == nil || d.Silence.Reason != SilenceQuietHours {
			*awake = z
			return d, err
		}
	}
	return d, err
}
