package service

import (
	"math"

	"github.com/nextbest/nextbest/shared/decision"
)

// A run's forecast gives each planned send a rate (forecaster.rate): its action's
// calibrated propensity for the customer on the channel, where that model has seen
// few responses, mixed with the model's observed response rate (or, where it has seen
// few sends, with what the same action drew on the other channels, scaled by how the
// channel responds compared with them: a click on a web banner is far more frequent
// than a conversion by e-mail; and with the catalog's prior for the rest). The rate is
// logged with the send's decision and kept with its impression, so every forecast can
// be audited send by send.

// ActionForecast is the expected result of one action's sends in a run, with what the
// interval around it is made of.
type ActionForecast struct {
	// ExpectedResponses is the sum of the sends' rates; ExpectedValue the same times
	// the action's value per response.
	ExpectedResponses float64 `json:"expectedResponses"`
	ExpectedValue     float64 `json:"expectedValue"`
	// FromPriors is the part of ExpectedResponses that rests on the catalog's prior
	// rather than on evidence.
	FromPriors float64 `json:"fromPriors"`
	// Value is the action's value per response.
	Value float64 `json:"value"`
	// Models holds each channel's part of the forecast.
	Models map[string]ModelForecast `json:"models,omitempty"`
}

// ModelForecast is one model's (an action on a channel) part of a forecast.
type ModelForecast struct {
	Sends int `json:"sends"`
	// Rates is the sum of the sends' rates, Squares the sum of their squares (for the
	// sends' Bernoulli variances), Priors the part of Rates resting on the prior.
	Rates   float64 `json:"rates"`
	Squares float64 `json:"squares"`
	Priors  float64 `json:"priors"`
	// Evidence is the number of sends' worth of evidence the rates rest on, borrowed
	// ones and the prior's pseudo-observations included.
	Evidence float64 `json:"evidence"`
}

// add merges another segment's forecast of the same action.
func (f *ActionForecast) add(o ActionForecast) {
	f.Value = o.Value
	for ch, m := range o.Models {
		if f.Models == nil {
			f.Models = map[string]ModelForecast{}
		}
		cur := f.Models[ch]
		cur.Sends += m.Sends
		cur.Rates += m.Rates
		cur.Squares += m.Squares
		cur.Priors += m.Priors
		cur.Evidence = m.Evidence // the same model's, whichever segment
		f.Models[ch] = cur
	}
	f.total()
}

// total sums the models' parts into the action's figures.
func (f *ActionForecast) total() {
	f.ExpectedResponses, f.FromPriors = 0, 0
	for _, m := range f.Models {
		f.ExpectedResponses += m.Rates
		f.FromPriors += m.Priors
	}
	f.ExpectedValue = f.ExpectedResponses * f.Value
}

// ResponsesInterval is the 95% interval of the responses the sends will bring.
func (f ActionForecast) ResponsesInterval() [2]float64 {
	return interval95(f.ExpectedResponses, f.responsesVariance())
}

// ValueInterval is the 95% interval of the value the sends will bring.
func (f ActionForecast) ValueInterval() [2]float64 {
	return interval95(f.ExpectedValue, f.Value*f.Value*f.responsesVariance())
}

// interval95 is the normal 95% interval of a count or an amount, which cannot be negative.
func interval95(expected, variance float64) [2]float64 {
	sd := math.Sqrt(variance)
	return [2]float64{math.Max(0, expected-1.96*sd), expected + 1.96*sd}
}

// responsesVariance adds two sources of error: the sends' own chance (a sum of
// Bernoulli variances) and the uncertainty about each model's level, shared by all its
// sends (so it grows with their number squared): the relative variance of a rate
// estimated from the model's evidence, (1 - rate) / (rate × evidence). It does not
// cover the bias of models that have only just started to learn (see the README).
func (f ActionForecast) responsesVariance() float64 {
	var v float64
	for _, m := range f.Models {
		if m.Sends == 0 || m.Rates <= 0 || m.Evidence <= 0 {
			continue
		}
		rate := m.Rates / float64(m.Sends)
		v += m.Rates - m.Squares + m.Rates*m.Rates*(1-rate)/(rate*m.Evidence)
	}
	return v
}

// forecaster gives planned sends their forecast rates.
type forecaster struct {
	catalog *decision.Catalog
	// byModel and byAction are the evidence of each model and of each action over all
	// its channels: successes and trials. channelFactor scales an action's rate on the
	// other channels to a channel.
	byModel       map[decision.ModelKey][2]float64
	byAction      map[string][2]float64
	channelFactor map[string]float64
}

func newForecaster(catalog *decision.Catalog, models *decision.Models) *forecaster {
	f := &forecaster{catalog: catalog, byModel: map[decision.ModelKey][2]float64{},
		byAction: map[string][2]float64{}, channelFactor: map[string]float64{}}
	for _, k := range models.Keys() {
		successes, failures := models.Totals(k)
		n := [2]float64{float64(successes), float64(successes + failures)}
		f.byModel[k] = n
		a := f.byAction[k.ActionID]
		f.byAction[k.ActionID] = [2]float64{a[0] + n[0], a[1] + n[1]}
	}
	// A channel's factor: its successes against what its trials would have brought at
	// each action's rate elsewhere, shrunk towards 1.
	observed, expected := map[string]float64{}, map[string]float64{}
	for k, n := range f.byModel {
		elsewhere, trials := f.elsewhere(k.ActionID, k.Channel)
		if trials == 0 {
			continue
		}
		observed[k.Channel] += n[0]
		expected[k.Channel] += n[1] * elsewhere
	}
	for ch := range observed {
		const strength = 10 // successes' worth of belief that channels respond alike
		f.channelFactor[ch] = (observed[ch] + strength) / (expected[ch] + strength)
	}
	return f
}

// elsewhere is an action's rate on the channels other than channel, shrunk towards its
// prior, and the trials it rests on.
func (fc *forecaster) elsewhere(actionID, channel string) (rate, trials float64) {
	prior, _ := fc.catalog.PriorOf(actionID)
	all, this := fc.byAction[actionID], fc.byModel[fc.catalog.ModelKey(actionID, channel)]
	successes, trials := math.Max(0, all[0]-this[0]), math.Max(0, all[1]-this[1])
	return (successes + prior.Strength*prior.Rate) / (trials + prior.Strength), trials
}

// sendRate is a send's forecast rate.
type sendRate struct {
	rate float64
	// priors is the part of rate resting on the prior; evidence the sends' worth of
	// evidence it rests on.
	priors, evidence float64
}

// discriminationStrength is how many responses a model needs before the forecast
// trusts half of what it says about one customer against another. A model combines
// many predictors; until it has seen enough responses, the customers it rates highest
// are as much those its noise favours as those who respond more, and the run picks
// exactly those. Beyond that, the propensities are calibrated on the model's own
// responses and shrinking them further would pull a well-targeted run towards the
// model's average: with 100, the simulated worlds' third and fourth weeks came out
// 7-12% under their actual; with 30, within 7% (README, "Measured value").
const discriminationStrength = 30

// rate is the forecast rate of a send of an action on a channel whose model gives the
// customer the propensity. It is the model's observed response rate on the channel
// (where it has seen few sends, the same action's rate on the other channels, scaled
// to this one, or the prior), moved towards the customer's own propensity as far as
// the model has seen responses.
func (fc *forecaster) rate(actionID, channel string, propensity float64) sendRate {
	prior, _ := fc.catalog.PriorOf(actionID)
	k := prior.Strength
	own := fc.byModel[fc.catalog.ModelKey(actionID, channel)]
	successes, trials := own[0], own[1]
	borrowed, borrowedTrials := fc.elsewhere(actionID, channel)
	if factor, ok := fc.channelFactor[channel]; ok && borrowedTrials > 0 {
		borrowed = math.Min(borrowed*factor, 0.99)
	}
	base := (successes + k*borrowed) / (trials + k)
	w := successes / (successes + discriminationStrength)
	p := w*propensity + (1-w)*base
	fromPrior := (1 - w) * k * borrowed / (trials + k) * k / (borrowedTrials + k)
	return sendRate{rate: p, priors: fromPrior, evidence: trials + k*borrowedTrials/(trials+k) + k}
}

// add counts a planned send in its action's forecast and returns its rate.
func (fc *forecaster) add(f *ActionForecast, offer decision.Offer, channel string) float64 {
	r := fc.rate(offer.ActionID, channel, offer.Propensity)
	if f.Models == nil {
		f.Models = map[string]ModelForecast{}
	}
	m := f.Models[channel]
	m.Sends++
	m.Rates += r.rate
	m.Squares += r.rate * r.rate
	m.Priors += r.priors
	m.Evidence = r.evidence
	f.Models[channel] = m
	f.Value = offer.Value
	f.total()
	return r.rate
}
