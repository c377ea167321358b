package seed

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
)

// Profiles returns n synthetic customers, C000001 to C<n>, drawn deterministically from
// seed; contact history is dated relative to now. See the package documentation for
// the distributions.
func Profiles(seed uint64, n int, now time.Time) []decision.Profile {
	out := make([]decision.Profile, max(n, 0))
	for i := range out {
		out[i] = profile(seed, i, now)
	}
	return out
}

// CustomerID is the id of the i-th generated customer (from 0): C000001, C000002...
func CustomerID(i int) string { return fmt.Sprintf("C%06d", i+1) }

// segment is a customer segment and what depends on it.
type segment struct {
	name            string
	share           float64
	minAge, ageSpan int     // ages in [minAge, minAge+ageSpan)
	meanTenure      float64 // months, exponential
	fibreShare      float64 // share holding fibre
	medianDataGb    float64 // median monthly data use of mobile customers
}

var (
	segments = []segment{
		{"youth", 0.18, 18, 8, 14, 0.25, 28},
		{"family", 0.35, 28, 28, 48, 0.65, 14},
		{"professional", 0.27, 24, 39, 40, 0.55, 18},
		{"senior", 0.20, 65, 22, 84, 0.40, 3},
	}

	// region → time zone; weights roughly follow population.
	regions = []struct {
		name, tz string
		weight   float64
	}{
		{"Île-de-France", "Europe/Paris", 0.22},
		{"Auvergne-Rhône-Alpes", "Europe/Paris", 0.14},
		{"Provence-Alpes-Côte d'Azur", "Europe/Paris", 0.10},
		{"Occitanie", "Europe/Paris", 0.10},
		{"Hauts-de-France", "Europe/Paris", 0.12},
		{"Brussels", "Europe/Brussels", 0.08},
		{"Wallonia", "Europe/Brussels", 0.10},
		{"Flanders", "Europe/Brussels", 0.14},
	}

	firstNames = []string{
		"Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Sarah", "Julie", "Claire", "Anne",
		"Marie", "Nathalie", "Sophie", "Lotte", "Elise", "Fatima", "Lucas", "Hugo", "Louis",
		"Nathan", "Thomas", "Antoine", "Nicolas", "Julien", "Pierre", "Jean", "Michel",
		"Karim", "Mehdi", "Pieter", "Jan", "Wout", "Arnaud", "Yasmine", "Noah", "Jules",
	}

	// Outbound actions of the demo catalog (infra/catalog/demo.yaml) that past
	// contacts in the generated history refer to.
	pastActions = map[string][]string{
		"email": {"loyalty-discount-20", "plan-unlimited-upgrade", "fibre-upgrade", "black-friday-bundle", "nps-survey"},
		"sms":   {"app-download", "roaming-pack", "nps-survey"},
		"push":  {"roaming-pack", "tv-sports-pack", "black-friday-bundle"},
	}
	outboundChannels = []string{"email", "sms", "push"}
)

// profile draws customer i of the base seed from its own stream.
func profile(seed uint64, i int, now time.Time) decision.Profile {
	r := rand.New(rand.NewPCG(seed, uint64(i)*0x9E3779B97F4A7C15+1))
	bern := func(p float64) bool { return r.Float64() < p }

	seg := segments[pick(r, len(segments), func(k int) float64 { return segments[k].share })]
	segment := seg.name
	age := float64(seg.minAge + r.IntN(seg.ageSpan))
	tenure := math.Min(math.Round(r.ExpFloat64()*seg.meanTenure), math.Min((age-18)*12, 240))

	region := regions[pick(r, len(regions), func(k int) float64 { return regions[k].weight })]
	language := "fr"
	if region.name == "Flanders" || region.name == "Brussels" && bern(0.5) {
		language = "nl"
	}
	if bern(0.03) {
		language = "en"
	}

	// Products. At least one: a customer holds something.
	mobile, fibre := bern(0.86), bern(seg.fibreShare)
	tv := fibre && bern(0.55)
	landlineRate := 0.15
	if segment == "senior" {
		landlineRate = 0.60
	}
	landline := bern(landlineRate)
	if !mobile && !fibre && !landline {
		mobile = true
	}
	insurance := mobile && bern(0.25)
	familyPlan := mobile && segment == "family" && bern(0.45)
	products := []any{}
	spend := 0.0
	for _, p := range []struct {
		name  string
		held  bool
		price float64
	}{
		{"mobile", mobile, 20}, {"fibre", fibre, 32}, {"tv", tv, 15}, {"landline", landline, 12},
		{"device-insurance", insurance, 7}, {"family-plan", familyPlan, 25},
	} {
		if p.held {
			products = append(products, p.name)
			spend += p.price
		}
	}
	spend = math.Max(5, math.Round(spend+r.NormFloat64()*4))

	dataUsage := 0.0
	if mobile {
		dataUsage = math.Round(seg.medianDataGb*math.Exp(0.6*r.NormFloat64())*10) / 10
	}

	complaint := bern(0.06)
	logit := -0.5 - 0.02*math.Min(tenure, 120) - 0.35*float64(len(products)-1) + 0.5*r.NormFloat64()
	if complaint {
		logit += 1.5
	}
	if segment == "youth" {
		logit += 0.6
	}
	churn := math.Round(sigmoid(logit)*1000) / 1000
	digital := math.Round(clamp(1.05-0.011*age+0.15*r.NormFloat64(), 0, 1)*100) / 100
	lastPurchase := math.Min(math.Round(r.ExpFloat64()*180), tenure*30)

	attrs := map[string]any{
		"age":              age,
		"tenureMonths":     tenure,
		"segment":          segment,
		"region":           region.name,
		"language":         language,
		"productsHeld":     products,
		"monthlySpend":     spend,
		"dataUsageGb":      dataUsage,
		"openComplaint":    complaint,
		"churnRisk":        churn,
		"digitalScore":     digital,
		"lastPurchaseDays": lastPurchase,
	}
	if !bern(0.05) {
		attrs["firstName"] = firstNames[r.IntN(len(firstNames))]
	}

	consents := map[string]bool{
		"email": bern(0.70),
		"sms":   bern(0.50),
		"push":  bern(0.10 + 0.52*digital),
	}

	var history []decision.ContactEvent
	if bern(0.15) {
		var open []string
		for _, ch := range outboundChannels {
			if consents[ch] {
				open = append(open, ch)
			}
		}
		for range 1 + r.IntN(4) {
			if len(open) == 0 {
				break
			}
			ch := open[r.IntN(len(open))]
			action := pastActions[ch][r.IntN(len(pastActions[ch]))]
			at := now.Add(-time.Duration(r.Int64N(int64(10 * 24 * time.Hour)))).Truncate(time.Second)
			history = append(history, decision.ContactEvent{At: at, Kind: decision.KindImpression, ActionID: action, Channel: ch})
			// The customer responded as the synthetic ground truth says they would, so
			// the history agrees with what the demo's customers do next.
			truth := ResponseProbability(&decision.Profile{Attributes: attrs}, action, ch)
			if u := r.Float64(); u < 0.05+truth {
				outcome := "click"
				if u < 0.05 {
					outcome = "reject"
				}
				history = append(history, decision.ContactEvent{
					At: minTime(at.Add(time.Duration(1+r.IntN(120))*time.Minute), now), Kind: decision.KindResponse,
					ActionID: action, Channel: ch, Outcome: outcome,
				})
			}
		}
	}

	return decision.Profile{
		CustomerID: CustomerID(i),
		Known:      true,
		Attributes: attrs,
		Consents:   consents,
		TimeZone:   region.tz,
		History:    history,
	}
}

// pick draws an index in [0, n) with probability weight(i); the weights sum to 1.
func pick(r *rand.Rand, n int, weight func(int) float64) int {
	u := r.Float64()
	for i := range n - 1 {
		if u < weight(i) {
			return i
		}
		u -= weight(i)
	}
	return n - 1
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
