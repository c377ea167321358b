package decision

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// Feeds add to a decision's context what the engine observes by itself rather than
// what the caller sends: today the weather where the customer lives, which moves sales
// ("barbecue effect") and which a channel app rarely knows. A scheduled job fetches
// each feed and stores it; decisions read the stored observation from memory, never
// from the feed's API, so a slow weather service cannot slow a decision down.
type Feeds struct {
	Weather *WeatherFeed `yaml:"weather"`
}

// WeatherFeed exposes the current weather of the customer's place to rules and
// predictors as context.weather.temperature (°C), .precipitation (mm per hour),
// .sunshine (minutes of sun in the last hour) and .observedAt, in real time and in the
// batch alike. A caller that sends context.weather itself wins.
type WeatherFeed struct {
	// PlaceAttribute is the profile attribute that names where a customer is, such as
	// region; its values are the names of Places.
	PlaceAttribute string `yaml:"placeAttribute"`
	// MaxAge is how old an observation may be and still drive a decision (3h by
	// default); past it, decisions go on without the weather.
	MaxAge Duration `yaml:"maxAge"`
	// Places are where the weather is fetched.
	Places []Place `yaml:"places"`
}

// Place is a named point on the map.
type Place struct {
	Name      string  `yaml:"name"`
	Latitude  float64 `yaml:"latitude"`
	Longitude float64 `yaml:"longitude"`
}

// ContextFeed serves what a feed last observed at a place, when it is recent enough.
type ContextFeed interface {
	For(place string, now time.Time, maxAge time.Duration) (map[string]any, bool)
}

func (c *Catalog) compileFeeds() []error {
	w := c.Settings.Feeds.Weather
	if w == nil {
		return nil
	}
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("settings.feeds.weather: "+format, args...))
	}
	if w.MaxAge == 0 {
		w.MaxAge = Duration(3 * time.Hour)
	}
	if w.MaxAge < 0 {
		fail("maxAge must be > 0")
	}
	spec, declared := c.Profile.Attribute(w.PlaceAttribute)
	switch {
	case w.PlaceAttribute == "":
		fail("placeAttribute: name the profile attribute that says where a customer is")
	case c.Profile != nil && !declared:
		fail("placeAttribute %q is not an attribute of the profile schema", w.PlaceAttribute)
	case declared && spec.Type != TypeString:
		fail("placeAttribute %q is a %s; it must be a string naming a place", w.PlaceAttribute, spec.Type)
	}
	if len(w.Places) == 0 {
		fail("places: list where to fetch the weather")
	}
	seen := map[string]bool{}
	for i, p := range w.Places {
		switch {
		case p.Name == "":
			fail("places[%d]: a place needs a name", i)
		case seen[p.Name]:
			fail("places[%d]: %q is listed twice", i, p.Name)
		case declared && len(spec.Values) > 0 && !slices.Contains(spec.Values, p.Name):
			fail("places[%d]: %q is not a value %s may take", i, p.Name, w.PlaceAttribute)
		}
		seen[p.Name] = true
		if math.IsNaN(p.Latitude) || p.Latitude < -90 || p.Latitude > 90 || math.IsNaN(p.Longitude) || p.Longitude < -180 || p.Longitude > 180 {
			fail("places[%d] %q: latitude must be in [-90, 90] and longitude in [-180, 180]", i, p.Name)
		}
	}
	return errs
}

// WeatherPlaces are the places the catalog's weather feed fetches; nil without one.
func (c *Catalog) WeatherPlaces() []Place {
	if c.Settings.Feeds.Weather == nil {
		return nil
	}
	return c.Settings.Feeds.Weather.Places
}

// withFeeds returns the request's context with what the feeds observed about the
// customer's place added, or the context itself when there is nothing to add. It
// copies rather than writes into the caller's map.
func (c *Catalog) withFeeds(ctx map[string]any, p *Profile, weather ContextFeed, now time.Time) map[string]any {
	w := c.Settings.Feeds.Weather
	if w == nil || weather == nil {
		return ctx
	}
	if _, sent := ctx["weather"]; sent {
		return ctx
	}
	place, _ := p.Attributes[w.PlaceAttribute].(string)
	if place == "" {
		return ctx
	}
	observed, ok := weather.For(place, now, w.MaxAge.Std())
	if !ok {
		return ctx
	}
	out := make(map[string]any, len(ctx)+1)
	maps.Copy(out, ctx)
	out["weather"] = observed
	return out
}
