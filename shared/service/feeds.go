package service

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/weather"
)

// FeedStore keeps each context feed's latest observations as one JSON document.
type FeedStore interface {
	PutFeed(ctx context.Context, name string, doc []byte, at time.Time) error
	LoadFeed(ctx context.Context, name string) (doc []byte, found bool, err error)
}

// WeatherProvider fetches the current weather of places (weather.OpenMeteo).
type WeatherProvider interface {
	Current(ctx context.Context, regions []weather.Region) (weather.Snapshot, error)
}

// weatherFeed names the weather in the feed store.
const weatherFeed = "weather"

// Feeds refreshes the catalog's context feeds on a schedule, off the decision path:
// decisions read what the last refresh stored.
type Feeds struct {
	Catalog *Snapshot[*decision.Catalog]
	Weather WeatherProvider
	Store   FeedStore
	Now     func() time.Time
}

// FeedsRefreshed says what a refresh stored.
type FeedsRefreshed struct {
	// Places is how many places' weather was stored; Failed names the places the
	// provider could not answer for, with why.
	Places int               `json:"places"`
	Failed map[string]string `json:"failed,omitempty"`
}

// Refresh fetches the weather of every place the live catalog lists and stores it. A
// catalog without a weather feed refreshes nothing. When the provider answers for no
// place at all, the last stored weather is kept (and ages out by the catalog's maxAge).
func (f *Feeds) Refresh(ctx context.Context) (FeedsRefreshed, error) {
	catalog, err := f.Catalog.Get(ctx)
	if err != nil {
		return FeedsRefreshed{}, fmt.Errorf("catalog: %w", err)
	}
	places := catalog.WeatherPlaces()
	if len(places) == 0 {
		return FeedsRefreshed{}, nil
	}
	regions := make([]weather.Region, len(places))
	for i, p := range places {
		regions[i] = weather.Region{Name: p.Name, Latitude: p.Latitude, Longitude: p.Longitude}
	}
	snap, err := f.Weather.Current(ctx, regions)
	if err != nil {
		return FeedsRefreshed{}, fmt.Errorf("fetch the weather: %w", err)
	}
	doc, err := json.Marshal(snap)
	if err != nil {
		return FeedsRefreshed{}, fmt.Errorf("encode the weather: %w", err)
	}
	if err := f.Store.PutFeed(ctx, weatherFeed, doc, f.Now()); err != nil {
		return FeedsRefreshed{}, err
	}
	return FeedsRefreshed{Places: len(snap.ByRegion), Failed: snap.Failed}, nil
}

// DefaultFeedMaxAge is how long a warm function keeps the stored weather before
// reading it again; the feed refreshes every 30 minutes.
const DefaultFeedMaxAge = 5 * time.Minute

// NewWeatherSnapshot caches the stored weather for decisions. No stored weather yet is
// an empty feed: decisions go on without it.
func NewWeatherSnapshot(store FeedStore, maxAge time.Duration, now func() time.Time) *Snapshot[decision.ContextFeed] {
	return NewSnapshot(maxAge, now, func(ctx context.Context, _ decision.ContextFeed) (decision.ContextFeed, error) {
		doc, found, err := store.LoadFeed(ctx, weatherFeed)
		if err != nil {
			return nil, err
		}
		var snap weather.Snapshot
		if found {
			if err := json.Unmarshal(doc, &snap); err != nil {
				return nil, fmt.Errorf("decode the stored weather: %w", err)
			}
		}
		return snap, nil
	})
}

// weatherFor returns the cached weather for a catalog that has a weather feed, or nil;
// a store that cannot be read costs the decisions their weather, nothing more.
func weatherFor(ctx context.Context, catalog *decision.Catalog, cache *Snapshot[decision.ContextFeed]) (decision.ContextFeed, error) {
	if cache == nil || len(catalog.WeatherPlaces()) == 0 {
		return nil, nil
	}
	return cache.Get(ctx)
}
