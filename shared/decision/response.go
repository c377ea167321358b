package decision

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/nextbest/nextbest/shared/adaptive"
)

// Response is an outcome reported for an action a decision offered.
type Response struct {
	DecisionID string     `json:"decisionId"`
	CustomerID string     `json:"customerId"`
	ActionID   string     `json:"actionId"`
	Channel    string     `json:"channel"`
	Outcome    string     `json:"outcome"`
	Value      *float64   `json:"value,omitempty"`
	ResponseID string     `json:"responseId,omitempty"`
	OccurredAt *time.Time `json:"occurredAt,omitempty"`
}

// LoggedDecision is what the decision log keeps of a decision: enough to attribute
// later responses to it.
type LoggedDecision struct {
	DecisionID string        `json:"decisionId"`
	CustomerID string        `json:"customerId"`
	Channel    string        `json:"channel"`
	DecidedAt  time.Time     `json:"decidedAt"`
	ExpiresAt  time.Time     `json:"expiresAt"`
	Offers     []LoggedOffer `json:"offers"`
	Silence    string        `json:"silence,omitempty"`
	// Features are the predictor values the models saw when deciding, by predictor
	// name, so a response still teaches the right predictors after the catalog's
	// predictor list changed.
	Features map[string]adaptive.Value `json:"-"`
	// ControlGroup records the customer's hold-out group, so the outcomes of treated
	// and held-out customers can be compared.
	ControlGroup string `json:"controlGroup,omitempty"`
	// EngineChoice are the actions the engine's ranking chose, whatever the customer
	// got: what it offered, what it would have offered a control group's customer, or
	// what the batch's volume caps cut. A lift report compares the customers for whom
	// it chose something, in every group alike, and cuts them by this choice.
	EngineChoice []string `json:"engineChoice,omitempty"`
	// EngineChannel is the channel of the engine's choice: the decision's own, but
	// for a batch control group's customer, whose answer may be on another channel.
	EngineChannel string `json:"engineChannel,omitempty"`
	// CatalogVersion is the catalog version that decided; Arm says whether the
	// champion or the challenger did (see Challenger); LiveVersion is the live
	// version, which set the control groups and the arms.
	CatalogVersion string `json:"catalogVersion,omitempty"`
	Arm            string `json:"arm,omitempty"`
	LiveVersion    string `json:"liveVersion,omitempty"`
	// BaselineScore is the baseline model's raw score for the customer, when the
	// catalog ranks by uplift: what the outcome without any action is counted at.
	BaselineScore float64 `json:"baselineScore,omitempty"`
	// RunID names the batch run that made the decision, "" for a real-time one: the
	// run's report counts the deliveries and responses its decisions get.
	RunID string `json:"runId,omitempty"`
}

// LoggedOffer is one offered action as logged.
type LoggedOffer struct {
	ActionID    string  `json:"actionId"`
	TreatmentID string  `json:"treatmentId"`
	Propensity  float64 `json:"propensity"`
	Priority    float64 `json:"priority"`
	// Score is the model's raw score for the customer when the offer was made.
	Score float64 `json:"score"`
	// ForecastRate is the response rate the batch's forecast gave a planned send, kept
	// so that a run's forecast can be audited send by send.
	ForecastRate float64 `json:"forecastRate,omitempty"`
}

// namer is the catalog whose predictors name the decision's features.
func (d *Decision) namer(live *Catalog) *Catalog {
	if d.decidedBy != nil {
		return d.decidedBy
	}
	return live
}

// Log returns the decision-log entry of d, kept for the catalog's decision retention.
func (c *Catalog) Log(d Decision) LoggedDecision {
	l := LoggedDecision{
		DecisionID:     d.DecisionID,
		CustomerID:     d.CustomerID,
		Channel:        d.Channel,
		DecidedAt:      d.DecidedAt,
		ExpiresAt:      d.DecidedAt.Add(c.Settings.DecisionRetention.Std()),
		Offers:         make([]LoggedOffer, len(d.Actions)),
		ControlGroup:   d.ControlGroup,
		Features:       d.namer(c).namedFeatures(d.features),
		CatalogVersion: d.CatalogVersion,
		Arm:            d.Arm,
		LiveVersion:    c.Version,
		BaselineScore:  d.baselineScore,
	}
	for _, o := range d.engine {
		l.EngineChoice = append(l.EngineChoice, o.ActionID)
	}
	if len(l.EngineChoice) > 0 {
		l.EngineChannel = d.engineChannel
	}
	for i, o := range d.Actions {
		l.Offers[i] = LoggedOffer{ActionID: o.ActionID, TreatmentID: o.TreatmentID, Propensity: o.Propensity, Priority: o.Priority, Score: o.score}
	}
	if d.Silence != nil {
		l.Silence = d.Silence.Reason
	}
	return l
}

// maxClockSkew tolerates callers whose clocks run slightly ahead of ours.
const maxClockSkew = 5 * time.Minute

// ValidateResponse checks a response's own fields and fills its defaults: the
// occurrence time defaults to now, and the idempotency key defaults to one response
// per decision, action and outcome, so a channel that retries without a responseId
// still counts once.
func ValidateResponse(r *Response, now time.Time) error {
	if err := validateIDs(idField{"decisionId", r.DecisionID}, idField{"customerId", r.CustomerID},
		idField{"actionId", r.ActionID}, idField{"channel", r.Channel}); err != nil {
		return err
	}
	if err := validateOptionalIDs(idField{"responseId", r.ResponseID}); err != nil {
		return err
	}
	switch {
	case r.Outcome == "":
		return Errorf(EInvalid, "outcome is required (one of %s)", strings.Join(Outcomes, ", "))
	case !slices.Contains(Outcomes, r.Outcome):
		return Errorf(EInvalid, "unknown outcome (known: %s)", strings.Join(Outcomes, ", "))
	case r.Value != nil && (*r.Value < 0 || math.IsInf(*r.Value, 0) || math.IsNaN(*r.Value)):
		return Errorf(EInvalid, "value must be a number ≥ 0")
	}
	if r.OccurredAt == nil {
		r.OccurredAt = &now
	} else if r.OccurredAt.After(now.Add(maxClockSkew)) {
		return Errorf(EInvalid, "occurredAt %s is in the future", r.OccurredAt.Format(time.RFC3339))
	}
	if r.ResponseID == "" {
		r.ResponseID = r.DecisionID + ":" + r.ActionID + ":" + r.Outcome
	}
	return nil
}

// Attribution is what a valid response changes: the counters of one model and one
// entry of the customer's contact history.
//
// What may count is bounded per decision, whatever ids and outcomes a caller sends:
// a response applies only if no other response to the same decision made the same
// Claim, and the model learns a success only with the decision and action's one
// LearnClaim. So an action offered once counts at most one impression and one success
// for its model (a click followed by a conversion is one success; both stay in the
// contact history for reporting), and the contact history holds one impression per
// decision and action. Claims are scoped to the decision, which belongs to one
// customer: no caller can claim another customer's responses.
type Attribution struct {
	DecisionID, CustomerID string
	// Claim identifies the response within its decision: "impression#<action>" for an
	// impression, "response#<responseId>" for any other outcome.
	Claim string
	// LearnClaim, when set, is claimed together with Learn; when the decision's action
	// already made it, the response is recorded and Learn is not applied.
	LearnClaim string
	Model      ModelKey
	// Learn holds the counters to add. Increments whose key says not positive count an
	// impression; positive ones count a success. A store keeps them as impressions and
	// successes and reads the model's negatives back as impressions minus successes, so
	// that every write is an addition and a click needs no read of its impression. Keys
	// that are sums (Key.IsSum, the logistic kind's) are added and read back as they are.
	Learn   adaptive.Delta
	Contact ContactEvent
	// WithdrawConsent names the outbound channel whose consent an unsubscribe
	// withdraws, or is empty.
	WithdrawConsent string
	// ProfileExpiresAt, when set, is the customer profile's new end of retention: a
	// response is activity (see ProfileSchema.Retention).
	ProfileExpiresAt time.Time
	// RunID is the batch run whose decision the response answers, "" for a real-time
	// decision: a store counts the run's deliveries and responses with the claim, so
	// that the run's report reads a few counters instead of every claim.
	RunID string
}

// UnknownDecision is the error for a response to a decision that is not logged, has
// expired, or was made for another customer: all three are said alike.
func UnknownDecision(id string) *Error {
	return Errorf(ENotFound, "decision %s is unknown or older than the attribution window", id)
}

// Claim prefixes (see Attribution). Ids never hold '#', so no response id can spell
// another kind's claim.
const (
	ClaimPrefixImpression = "impression#"
	ClaimPrefixResponse   = "response#"
	ClaimPrefixSuccess    = "success#"
)

// ImpressionClaim is the claim of the impression of an action within its decision.
func ImpressionClaim(actionID string) string { return ClaimPrefixImpression + actionID }

// Attribute ties a validated response to the decision it answers. The response must
// come from the customer the decision was for, on its channel, about an action it
// offered, and no later than the decision log keeps the decision. Impressions and
// successes teach the action's model with the predictor values logged with the
// decision; other outcomes only enter the contact history, where a reject suppresses
// the action, and an unsubscribe from an outbound channel withdraws its consent.
func (c *Catalog) Attribute(d LoggedDecision, r Response, models *Models) (Attribution, error) {
	switch {
	case d.CustomerID != r.CustomerID:
		// Said as for an unknown decision: batch decision ids are predictable, and a
		// conflict would tell a prober that a customer was in a run.
		return Attribution{}, UnknownDecision(r.DecisionID)
	case d.Channel != r.Channel:
		return Attribution{}, Errorf(EConflict, "decision %s was made for channel %q, not %q", r.DecisionID, d.Channel, r.Channel)
	case !slices.ContainsFunc(d.Offers, func(o LoggedOffer) bool { return o.ActionID == r.ActionID }):
		return Attribution{}, Errorf(EConflict, "decision %s did not offer action %q", r.DecisionID, r.ActionID)
	case r.OccurredAt.Before(d.DecidedAt.Add(-maxClockSkew)):
		return Attribution{}, Errorf(EInvalid, "occurredAt is before the decision was made")
	case r.OccurredAt.After(d.ExpiresAt):
		return Attribution{}, Errorf(EInvalid, "the response came after the attribution window closed at %s", d.ExpiresAt.Format(time.RFC3339))
	}
	a := Attribution{
		DecisionID: d.DecisionID, CustomerID: d.CustomerID, RunID: d.RunID,
		Claim:   ClaimPrefixResponse + r.ResponseID,
		Model:   c.ModelKey(r.ActionID, r.Channel),
		Contact: ContactEvent{At: *r.OccurredAt, Kind: KindResponse, ActionID: r.ActionID, Channel: r.Channel, Outcome: r.Outcome, Value: r.Value},
	}
	if r.Outcome == "unsubscribe" && c.channels[r.Channel].Outbound {
		a.WithdrawConsent = r.Channel
	}
	ca := c.action(r.ActionID)
	if ca == nil {
		return a, nil // The action left the catalog since: nothing to learn.
	}
	impression, success := r.Outcome == KindImpression, c.IsSuccess(r.ActionID, r.Outcome)
	if impression {
		a.Contact.Kind, a.Contact.Outcome = KindImpression, ""
		a.Claim = ImpressionClaim(r.ActionID)
	}
	if success {
		a.LearnClaim = ClaimPrefixSuccess + r.ActionID
	}
	if impression || success {
		x := c.alignFeatures(d.Features)
		offer := d.Offers[slices.IndexFunc(d.Offers, func(o LoggedOffer) bool { return o.ActionID == r.ActionID })]
		a.Learn = c.modelFor(models, ca, r.Channel).ObserveScored(x, success, *r.OccurredAt, offer.Score)
	}
	return a, nil
}
