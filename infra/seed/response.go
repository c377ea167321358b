package seed

import (
	"hash/fnv"
	"math"
	"slices"

	"github.com/nextbest/nextbest/shared/decision"
)

// ResponseProbability is the synthetic ground truth the demo uses to simulate whether a
// customer responds (clicks, accepts) when shown an action on a channel. It is invented,
// not fitted to any data: a logistic model
//
//	logit P = logit(base rate of the channel) + intercept(action) + Σ w(action)·feature(profile)
//	          + channel effects (digital customers answer app and push, others advisors)
//
// with channel base rates from 2% (web banners) to 15% (a call-centre advisor), and
// features centred so that an average or unknown customer gets the base rate. A few
// actions of the demo catalog have hand-written effects (the loyalty discount appeals
// to customers at risk of churning, the unlimited plan to heavy data users, nothing
// sells during an open complaint...); every other action id gets small effects derived
// from a hash of the id, so any catalog has something to learn. The result is always
// strictly between 0 and 1 and is a pure function of its arguments.
func ResponseProbability(p *decision.Profile, actionID, channel string) float64 {
	var attrs map[string]any
	if p != nil {
		attrs = p.Attributes
	}
	f := features(attrs)
	w, ok := actionEffects[actionID]
	if !ok {
		w = hashedEffects(actionID)
	}
	logit := math.Log(channelBase(channel) / (1 - channelBase(channel)))
	for i := range f {
		logit += w[i] * f[i]
	}
	switch channel {
	case "app", "push":
		logit += 1.5 * f[fDigital]
	case "email", "web":
		logit += 0.6 * f[fDigital]
	case "callcenter", "store":
		logit -= 1.0 * f[fDigital]
	}
	return sigmoid(clamp(logit, -9, 4))
}

func channelBase(channel string) float64 {
	switch channel {
	case "web":
		return 0.02
	case "app":
		return 0.06
	case "email":
		return 0.04
	case "sms":
		return 0.05
	case "push":
		return 0.03
	case "callcenter":
		return 0.15
	case "store":
		return 0.12
	default:
		return 0.02
	}
}

// Features of a profile, centred on a typical customer; a missing attribute reads as
// the centre, so it adds nothing.
const (
	fIntercept = iota // always 1: the action's own shift
	fChurn            // churnRisk − 0.3
	fDigital          // digitalScore − 0.55
	fTenure           // tenure in 5-year units − 0.7
	fData             // dataUsageGb / 20 − 0.8, at most 3
	fSpend            // monthlySpend / 60 − 1
	fYouth
	fSenior
	fFamily
	fComplaint
	fFibre
	fTV
	nFeatures
)

type effects [nFeatures]float64

func features(attrs map[string]any) effects {
	num := func(key string, centre float64) float64 {
		if v, ok := attrs[key].(float64); ok {
			return v
		}
		return centre
	}
	flag := func(ok bool) float64 {
		if ok {
			return 1
		}
		return 0
	}
	segment, _ := attrs["segment"].(string)
	products, _ := attrs["productsHeld"].([]any)
	complaint, _ := attrs["openComplaint"].(bool)
	var f effects
	f[fIntercept] = 1
	f[fChurn] = num("churnRisk", 0.3) - 0.3
	f[fDigital] = num("digitalScore", 0.55) - 0.55
	f[fTenure] = num("tenureMonths", 42)/60 - 0.7
	f[fData] = math.Min(num("dataUsageGb", 16)/20-0.8, 3)
	f[fSpend] = num("monthlySpend", 60)/60 - 1
	f[fYouth] = flag(segment == "youth")
	f[fSenior] = flag(segment == "senior")
	f[fFamily] = flag(segment == "family")
	f[fComplaint] = flag(complaint)
	f[fFibre] = flag(slices.Contains(products, any("fibre")))
	f[fTV] = flag(slices.Contains(products, any("tv")))
	return f
}

// actionEffects are the hand-written effects of some demo actions, in feature order:
// intercept, churn, digital, tenure, data, spend, youth, senior, family, complaint, fibre, tv.
var actionEffects = map[string]effects{
	"loyalty-discount-20":    {0.3, 3.5, 0, -0.3, 0, 0.8, 0, 0, 0, -1.0, 0, 0},
	"loyalty-data-boost":     {0.2, 2.0, 0.5, 0, 0.8, 0, 0.6, -0.8, 0, -1.0, 0, 0},
	"early-device-upgrade":   {0, 0.5, 0.8, 0.6, 0.3, 0.5, 0.4, -0.6, 0, -1.5, 0, 0},
	"save-desk-offer":        {0.5, 2.0, 0, 0.5, 0, 0.5, 0, 0, 0, -0.5, 0, 0},
	"plan-unlimited-upgrade": {0, 0, 0.5, 0, 1.8, 0.3, 0.5, -1.0, 0, -1.5, 0, 0},
	"plan-5g-premium":        {-0.2, 0, 1.2, 0, 0.8, 0.8, 0.3, -1.2, 0, -1.5, 0, 0},
	"fibre-upgrade":          {0, -0.5, 0.3, 0.2, 0.3, 0.3, -0.3, -0.2, 0.9, -1.5, 0, 0},
	"tv-sports-pack":         {-0.3, 0, 0, 0, 0, 0.4, 0.6, -0.4, 0.5, -1.5, 0, 0.5},
	"tv-starter-bundle":      {0, 0, 0, 0.2, 0, 0, 0, 0.4, 0.8, -1.5, 0.5, 0},
	"device-insurance":       {0, 0, -0.3, -0.5, 0, 0.4, 0.5, 0.3, 0.3, -1.0, 0, 0},
	"complaint-followup":     {0.8, 0.5, 0.5, 0, 0, 0, 0, 0, 0, 0.5, 0, 0},
	"app-download":           {0, 0, 1.5, 0, 0.3, 0, 0.5, -0.8, 0, -0.5, 0, 0},
	"family-line-add":        {0.2, -0.5, 0, 0.3, 0, 0.3, 0, 0, 1.2, -1.5, 0, 0},
	"prospect-sim-only":      {0, 0, 0.5, 0, 0, 0, 0.6, -0.5, 0, -1.0, 0, 0},
	"black-friday-bundle":    {0.3, 0.8, 0.5, -0.3, 0, 0, 0.4, -0.3, 0.4, -1.5, -0.5, 0},
}

// hashedEffects gives an action without hand-written effects small, stable effects in
// [-0.8, 0.8] derived from its id, plus the usual penalty for an open complaint.
func hashedEffects(actionID string) effects {
	h := fnv.New64a()
	h.Write([]byte(actionID))
	bits := h.Sum64()
	var w effects
	for i := range w {
		w[i] = (float64(bits>>(5*i)&31)/31*2 - 1) * 0.8
	}
	w[fComplaint] = -1.0
	return w
}
