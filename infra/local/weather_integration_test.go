//go:build integration

package local_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nextbest/nextbest/infra/local"
	"github.com/nextbest/nextbest/infra/seed"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

// refreshFeeds runs score-batch's scheduled feed refresh, then waits out the
// functions' feed cache.
func (w *world) refreshFeeds(wantPlaces int) {
	w.t.Helper()
	var got service.FeedsRefreshed
	if err := w.invokeRun(readEvent(w.t, "score-batch-feeds.json"), &got); err != nil || got.Places != wantPlaces || len(got.Failed) > 0 {
		w.t.Fatalf("score-batch(feeds) = %+v, %v; want %d places", got, err, wantPlaces)
	}
	time.Sleep(modelsMaxAge + 100*time.Millisecond) // FEEDS_MAX_AGE in the worlds
}

func (w *world) setWeatherEverywhere(c local.Weather) {
	for _, p := range w.catalog.WeatherPlaces() {
		w.Weather.Set(p, c)
	}
}

// TestDecisionsFollowTheWeather sets rain and then sun over the demo catalog's regions
// through the weather API's stand-in: TV offers, which the demo catalog weighs up when
// it rains, win a real-time decision and more of the batch's sends in the rain.
func TestDecisionsFollowTheWeather(t *testing.T) {
	w := newWorld(t, worldOptions{catalog: demoCatalog(t, withoutExploration...)})
	places := len(w.catalog.WeatherPlaces())
	// A customer of the seeded base for whom the rain makes the difference, found with
	// the core alone (priors, no exploration); the stack must then agree through the feed.
	req := decision.Request{Channel: "web", Placement: "account-sidebar", Limit: 1}
	rain := map[string]any{"temperature": 8.0, "precipitation": 3.5, "sunshine": 0.0}
	var customer string
	for _, p := range seed.Profiles(7, 300, w.Now())[1:] { // C000001 is the events' fixture
		group := func(weather map[string]any) string {
			r := req
			r.CustomerID, r.Context = p.CustomerID, map[string]any{"weather": weather}
			d, err := w.catalog.Decide(decision.Input{Request: r, Profile: p, Now: w.Now(), DecisionID: "probe"})
			if err != nil || len(d.Actions) == 0 {
				return ""
			}
			return d.Actions[0].Group
		}
		if group(rain) == "growth-tv" && group(map[string]any{"precipitation": 0.0}) != "growth-tv" {
			customer = p.CustomerID
			break
		}
	}
	if customer == "" {
		t.Fatal("no seeded customer's first offer turns to TV in the rain")
	}
	req.CustomerID = customer
	decide := func() decision.Offer {
		t.Helper()
		var d decision.Decision
		w.api("/v1/decisions", req, &d)
		if len(d.Actions) == 0 {
			t.Fatalf("decide(%s) = %+v, want an action", customer, d.Silence)
		}
		return d.Actions[0]
	}
	dryRun := func(id string) map[string]int {
		t.Helper()
		var sum service.RunSummary
		w.mustRun(`{"runId":"`+id+`","dryRun":true}`, &sum)
		return sum.ByAction
	}

	w.setWeatherEverywhere(local.Weather{TemperatureC: 17, PrecipitationMm: 0, SunshineMinutes: 50})
	w.refreshFeeds(places)
	dry := decide()
	drySends := dryRun("sunny")

	w.setWeatherEverywhere(local.Weather{TemperatureC: 8, PrecipitationMm: 3.5, SunshineMinutes: 0})
	w.refreshFeeds(places)
	wet := decide()
	wetSends := dryRun("rainy")
	if wet.Group != "growth-tv" || dry.Group == "growth-tv" {
		t.Errorf("%s's first offer: %s in the sun, %s in the rain; want TV in the rain only", customer, dry.ActionID, wet.ActionID)
	}
	if !slices.ContainsFunc(wet.Reasons, func(r string) bool { return strings.Contains(r, "context.weather.precipitation") }) {
		t.Errorf("the rainy offer's reasons %v do not name the weather", wet.Reasons)
	}
	tv := func(sends map[string]int) int { return sends["tv-sports-pack"] + sends["tv-starter-bundle"] }
	if tv(wetSends) <= tv(drySends) {
		t.Errorf("the batch plans %d TV sends in the rain and %d in the sun; want more in the rain", tv(wetSends), tv(drySends))
	}
}
