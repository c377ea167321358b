// Package simworld is a simulated customer base living with the engine: the synthetic
// customers of package seed answer the outbound messages they receive with their true
// probability of converting (seed.ResponseProbability), and buy at a rate of their own
// whether or not they were contacted. It knows what the engine cannot: each
// customer's true chances. The demo and the tests use it to set the engine's lift
// reports and forecasts against the truth.
//
// Conversions and purchases enter through the engine's own services (the code behind
// POST /v1/responses and POST /v1/outcomes), called in process: a simulated week holds
// thousands of them, and the HTTP path has tests of its own.
package simworld

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/nextbest/nextbest/infra/seed"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/lift"
	"github.com/nextbest/nextbest/shared/service"
)

// ResponseRecorder records a customer's response to a decision (service.Recorder).
type ResponseRecorder interface {
	Record(ctx context.Context, resp decision.Response) (service.Recorded, error)
}

// OutcomeRecorder records a business outcome (service.Ingest).
type OutcomeRecorder interface {
	RecordOutcome(ctx context.Context, e decision.OutcomeEvent) (service.OutcomeRecorded, error)
}

// DecisionReader reads a logged decision.
type DecisionReader interface {
	GetDecision(ctx context.Context, decisionID string, now time.Time) (decision.LoggedDecision, error)
}

var (
	_ ResponseRecorder = (*service.Recorder)(nil)
	_ OutcomeRecorder  = (*service.Ingest)(nil)
)

// World is the simulated base. It is not safe for concurrent use.
type World struct {
	catalog   *decision.Catalog
	profiles  map[string]*decision.Profile
	responses ResponseRecorder
	outcomes  OutcomeRecorder
	decisions DecisionReader
	now       func() time.Time
	rng       *rand.Rand
	truth     map[string]Truth
}

// Truth is what the messages delivered to one lift group were truly worth: the sum
// over the messages of their true conversion probabilities, and of probability ×
// the action's value. Messages a random-group customer got although the engine would
// have chosen nothing for them are left out: the lift compares what the engine chose.
type Truth struct {
	Conversions float64
	Value       float64
}

// Config wires a world to the engine.
type Config struct {
	// Catalog is the live catalog: action values and control groups.
	Catalog   *decision.Catalog
	Profiles  []decision.Profile
	Responses ResponseRecorder
	Outcomes  OutcomeRecorder
	Decisions DecisionReader
	Now       func() time.Time
	// Seed draws the customers' choices.
	Seed uint64
}

// New returns a world of the given customers.
func New(c Config) *World {
	w := &World{catalog: c.Catalog, profiles: make(map[string]*decision.Profile, len(c.Profiles)),
		responses: c.Responses, outcomes: c.Outcomes, decisions: c.Decisions, now: c.Now,
		rng: rand.New(rand.NewPCG(c.Seed, 23)), truth: map[string]Truth{}}
	for i := range c.Profiles {
		w.profiles[c.Profiles[i].CustomerID] = &c.Profiles[i]
	}
	return w
}

// Truth returns what the messages delivered to a lift group (lift.GroupEngine,
// GroupRandom, GroupSilence) were truly worth so far.
func (w *World) Truth(group string) Truth { return w.truth[group] }

// ConversionOutcome is the response a converting customer gives: a response worth
// money, recorded with a purchase outcome event.
const ConversionOutcome = "convert"

// Respond plays the customers' side of delivered messages: each converts with its true
// probability, recorded as a conversion response (with its value) and a purchase.
// Deliveries to customers the world does not know are ignored. Deliveries are met in
// the order of their message ids, so parallel senders do not change what the world
// draws. It reports how many converted.
func (w *World) Respond(ctx context.Context, deliveries []service.Delivery) (int, error) {
	converted := 0
	for _, dl := range slices.SortedFunc(slices.Values(deliveries), func(a, b service.Delivery) int { return cmp.Compare(a.MessageID, b.MessageID) }) {
		p, ok := w.profiles[dl.CustomerID]
		if !ok {
			continue
		}
		a, _, _, ok := w.catalog.Action(dl.ActionID)
		if !ok {
			return converted, fmt.Errorf("delivery %s: action %s is not in the catalog", dl.MessageID, dl.ActionID)
		}
		prob := seed.ResponseProbability(p, dl.ActionID, dl.Channel)
		group := GroupOf(w.catalog.ControlGroupOf(dl.CustomerID))
		counts, err := w.engineChose(ctx, group, dl.MessageID)
		if err != nil {
			return converted, err
		}
		if counts {
			t := w.truth[group]
			t.Conversions += prob
			t.Value += prob * a.Value
			w.truth[group] = t
		}
		if w.rng.Float64() >= prob {
			continue
		}
		value := math.Round(a.Value*(0.8+0.4*w.rng.Float64())*100) / 100
		resp := decision.Response{DecisionID: dl.MessageID, CustomerID: dl.CustomerID, ActionID: dl.ActionID, Channel: dl.Channel,
			Outcome: ConversionOutcome, Value: &value}
		if _, err := w.responses.Record(ctx, resp); err != nil {
			return converted, fmt.Errorf("record the conversion on %s: %w", dl.MessageID, err)
		}
		purchase := decision.OutcomeEvent{EventID: "order-" + dl.MessageID, CustomerID: dl.CustomerID, Type: "purchase", Value: &value, ActionID: dl.ActionID}
		if _, err := w.outcomes.RecordOutcome(ctx, purchase); err != nil {
			return converted, fmt.Errorf("record the purchase on %s: %w", dl.MessageID, err)
		}
		converted++
	}
	return converted, nil
}

// engineChose tells whether a message counts towards its group's truth: every message
// but a random-group one the engine's ranking would not have sent.
func (w *World) engineChose(ctx context.Context, group, decisionID string) (bool, error) {
	if group != lift.GroupRandom {
		return true, nil
	}
	logged, err := w.decisions.GetDecision(ctx, decisionID, w.now())
	if err != nil {
		return false, fmt.Errorf("read decision %s: %w", decisionID, err)
	}
	return len(logged.EngineChoice) > 0, nil
}

// BasePurchaseRate is a customer's chance to buy in a week with no message at all:
// digital customers buy more, the same whatever their group.
func BasePurchaseRate(p *decision.Profile) float64 {
	d, _ := p.Attributes["digitalScore"].(float64)
	return 0.002 + 0.03*d*d
}

// BasePurchases records the purchases customers make whatever the engine does, in the
// given number of weeks from from (none later than now). It reports how many.
func (w *World) BasePurchases(ctx context.Context, from time.Time, weeks int) (int, error) {
	now, n := w.now(), 0
	for _, id := range slices.Sorted(maps.Keys(w.profiles)) {
		p := w.profiles[id]
		for week := range weeks {
			if w.rng.Float64() >= BasePurchaseRate(p) {
				continue
			}
			spend, _ := p.Attributes["monthlySpend"].(float64)
			value := math.Round(spend*(1+w.rng.Float64())*100) / 100
			at := from.Add(time.Duration(week)*7*24*time.Hour + time.Duration(w.rng.Float64()*float64(6*24*time.Hour)))
			if at.After(now) {
				at = now
			}
			e := decision.OutcomeEvent{CustomerID: id, Type: "purchase", Value: &value, OccurredAt: &at}
			if _, err := w.outcomes.RecordOutcome(ctx, e); err != nil {
				return n, fmt.Errorf("record a purchase of %s: %w", id, err)
			}
			n++
		}
	}
	return n, nil
}

// GroupOf is the lift group of a customer's control group.
func GroupOf(controlGroup string) string {
	switch controlGroup {
	case decision.ControlRandom:
		return lift.GroupRandom
	case decision.ControlSilence:
		return lift.GroupSilence
	default:
		return lift.GroupEngine
	}
}

// TrueLift is the true lift in conversions per customer of the engine's group over a
// control group, given how many customers each group holds (as the lift report counts
// them).
func (w *World) TrueLift(control string, engineCustomers, controlCustomers int) (float64, bool) {
	if engineCustomers == 0 || controlCustomers == 0 {
		return 0, false
	}
	return w.truth[lift.GroupEngine].Conversions/float64(engineCustomers) - w.truth[control].Conversions/float64(controlCustomers), true
}
