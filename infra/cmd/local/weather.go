package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/nextbest/nextbest/infra/local"
	"github.com/nextbest/nextbest/infra/seed"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

// showWeather makes it rain where one customer lives, through the weather API's local
// stand-in, and shows the next decision for them change: the demo catalog weighs TV
// offers up by 3 in the rain.
func (d *demo) showWeather(ctx context.Context) error {
	sunny := local.Weather{TemperatureC: 16, PrecipitationMm: 0, SunshineMinutes: 45}
	rainy := local.Weather{TemperatureC: 9, PrecipitationMm: 4, SunshineMinutes: 0}
	req := decision.Request{Channel: "web", Placement: "account-sidebar", Limit: 1}
	customer, region, tvAction := d.weatherSensitiveCustomer(req)
	if customer == "" {
		fmt.Println("  (no customer of this base has an offer the rain changes)")
		return nil
	}
	req.CustomerID, req.Limit, req.Explain = customer, 3, true
	for _, p := range d.catalog.WeatherPlaces() {
		d.env.Weather.Set(p, sunny)
	}
	for _, step := range []struct {
		what    string
		weather local.Weather
	}{{"sun", sunny}, {"rain", rainy}} {
		for _, p := range d.catalog.WeatherPlaces() {
			if p.Name == region {
				d.env.Weather.Set(p, step.weather)
			}
		}
		var refreshed service.FeedsRefreshed
		if err := d.invokeBatch(ctx, `{"feeds": true}`, &refreshed); err != nil {
			return err
		}
		time.Sleep(1100 * time.Millisecond) // the demo's functions re-read the stored weather every second
		fmt.Printf("\n  %s in %s (score-batch stored the weather of %d places):", step.what, region, refreshed.Places)
		dec, took, err := d.decide(ctx, req)
		if err != nil {
			return err
		}
		where := standing(dec, tvAction)
		dec.Excluded = nil // the explanation of every other action would drown the story
		printDecision(req, dec, took)
		fmt.Printf("  %s\n", where)
	}
	return nil
}

// standing says where an action stands in a decision: offered, and at which place.
func standing(d decision.Decision, actionID string) string {
	for i, o := range d.Actions {
		if o.ActionID == actionID {
			return fmt.Sprintf("%s is offered %s, priority %.2f with context weight %.0f", actionID, []string{"first", "second", "third"}[min(i, 2)], o.Priority, o.ContextWeight)
		}
	}
	for _, e := range d.Excluded {
		if e.ActionID == actionID {
			return fmt.Sprintf("%s is not offered (%s: %s)", actionID, e.Policy, e.Detail)
		}
	}
	return fmt.Sprintf("%s is not offered", actionID)
}

// weatherSensitiveCustomer finds, with the catalog alone (priors, no exploration), a
// customer whose first offer turns to TV in the rain, their region and that offer.
// The functions explore (Thompson draws), so the live answer may rank differently;
// the context weight is what the rain changes.
func (d *demo) weatherSensitiveCustomer(req decision.Request) (customer, region, action string) {
	rain := map[string]any{"temperature": 9.0, "precipitation": 4.0, "sunshine": 0.0}
	for _, p := range seed.Profiles(d.s.seed, min(d.s.customers, 2000), d.env.Now()) {
		first := func(weather map[string]any) decision.Offer {
			r := req
			r.CustomerID, r.Context = p.CustomerID, map[string]any{"weather": weather}
			dec, err := d.catalog.Decide(decision.Input{Request: r, Profile: p, Now: d.env.Now(), DecisionID: "probe"})
			if err != nil || len(dec.Actions) == 0 {
				return decision.Offer{}
			}
			return dec.Actions[0]
		}
		region, _ = p.Attributes["region"].(string)
		hasWeather := slices.ContainsFunc(d.catalog.WeatherPlaces(), func(pl decision.Place) bool { return pl.Name == region })
		if wet := first(rain); hasWeather && wet.Group == "growth-tv" && first(map[string]any{"precipitation": 0.0}).Group != "growth-tv" {
			return p.CustomerID, region, wet.ActionID
		}
	}
	return "", "", ""
}
