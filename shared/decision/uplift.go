package decision

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nextbest/nextbest/shared/adaptive"
)

// Arbitration modes (Settings.Arbitration).
//
// By propensity, an action's priority is its chance of a positive outcome times its
// value: a customer who would have bought anyway ranks as high as one the offer
// persuades. By uplift, it is the difference the action makes: its propensity minus
// the chance of the same outcome without any action, from a baseline model learned on
// what customers did when nothing was sent (the silence control group, or the
// "nothing" rows of a randomized log). Contacts then go where they change something,
// and an action whose uplift is below the silence threshold is not worth a contact.
const (
	ArbitrationPropensity = "propensity"
	ArbitrationUplift     = "uplift"
)

// BaselineActionID is the model key's action of the baseline models, one per channel
// (or one for all, when models are not per channel). No action may use it.
const BaselineActionID = "~without-action"

// compileArbitration checks the arbitration mode and prepares the baseline model,
// which has the catalog's predictors and prior, and the slot after the actions'.
func (c *Catalog) compileArbitration() []error {
	switch c.Settings.Arbitration {
	case "":
		c.Settings.Arbitration = ArbitrationPropensity
	case ArbitrationPropensity, ArbitrationUplift:
	default:
		return []error{fmt.Errorf("settings.arbitration: %q is neither %q nor %q", c.Settings.Arbitration, ArbitrationPropensity, ArbitrationUplift)}
	}
	if c.action(BaselineActionID) != nil {
		return []error{fmt.Errorf("action %q: the id is reserved for the baseline models", BaselineActionID)}
	}
	c.baseline = &compiledAction{Action: &Action{ID: BaselineActionID}, index: len(c.actions), modelConfig: c.modelConfig}
	c.baseline.modelConfig.PriorRate, c.baseline.modelConfig.PriorStrength = c.Settings.Prior.Rate, c.Settings.Prior.Strength
	return nil
}

// byUplift tells whether the catalog ranks by uplift.
func (c *Catalog) byUplift() bool { return c.Settings.Arbitration == ArbitrationUplift }

// baselineModel is the channel's baseline model; slots are the channel's compiled
// models, nil without models.
func (c *Catalog) baselineModel(models *Models, slots []atomic.Pointer[adaptive.Snapshot], channel string) *adaptive.Snapshot {
	if slots == nil {
		return c.baseline.emptyModel()
	}
	return models.snapshot(c, slots, c.baseline, channel)
}

// BaselineKey is the model key of the channel's baseline model.
func (c *Catalog) BaselineKey(channel string) ModelKey {
	return c.ModelKey(BaselineActionID, channel)
}

// ObserveWithout teaches the baseline model of the decision's channel what a customer
// to whom nothing was sent did: an impression (positive false), or a positive outcome,
// with the predictor values logged with the decision, counted at the baseline score
// the customer had then (as a response is counted at its offer's score). It is how a
// silence-group decision, or a "nothing" row of a replayed log, tells the engine what
// would have happened without an action.
func (c *Catalog) ObserveWithout(d LoggedDecision, positive bool, at time.Time, models *Models) (ModelKey, adaptive.Delta) {
	var slots []atomic.Pointer[adaptive.Snapshot]
	if models != nil {
		slots = models.slots(c, d.Channel)
	}
	model := c.baselineModel(models, slots, d.Channel)
	return c.BaselineKey(d.Channel), model.ObserveScored(c.alignFeatures(d.Features), positive, at, d.BaselineScore)
}

// TeachesBaseline tells whether a logged decision teaches the baseline models: the
// catalog ranks by uplift, and the customer was held out in the silence group after
// the engine scored them (a customer silenced by a contact policy first, for want of
// consent say, tells nothing about the effect of an action).
func (c *Catalog) TeachesBaseline(d LoggedDecision) bool {
	return c.byUplift() && d.ControlGroup == ControlSilence && len(d.Features) > 0
}

// BaselineClaim is the claim id under which a decision teaches the baseline, once per
// decision and kind of count, however often it is retried.
func BaselineClaim(decisionID string, positive bool) string {
	if positive {
		return decisionID + ":" + BaselineActionID + ":success"
	}
	return decisionID + ":" + BaselineActionID + ":impression"
}

// upliftReason explains an uplift ranking.
func upliftReason(cand *candidate) string {
	basis := "propensity"
	if cand.ranked != cand.score.Propensity {
		basis = "explored propensity"
	}
	return fmt.Sprintf("ranked by uplift: %.4f = %s %.4f − %.4f without any action", cand.ranked-cand.baseline, basis, cand.ranked, cand.baseline)
}
