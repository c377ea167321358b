package weather

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Region is a named place whose weather is fetched; customers are matched to it by Name.
type Region struct {
	Name      string  `json:"name"`
	Latitude  float64 `json:"latitude"`  // degrees north, -90..90
	Longitude float64 `json:"longitude"` // degrees east, -180..180
}

// Conditions is the current weather of one region. See the package documentation for how the
// values are derived from Open-Meteo's.
type Conditions struct {
	// TemperatureC is the air temperature 2 m above ground in degrees Celsius.
	TemperatureC float64 `json:"temperatureC"`
	// PrecipitationMm is the precipitation rate of the latest interval in millimetres per hour.
	PrecipitationMm float64 `json:"precipitationMm"`
	// SunshineMinutes is the sunshine of the latest interval in minutes per hour, 0..60.
	SunshineMinutes float64 `json:"sunshineMinutes"`
	// ObservedAt is the model time the values belong to.
	ObservedAt time.Time `json:"observedAt"`
}

// Map returns the conditions as rules see them under context.weather: temperature (°C),
// precipitation (mm per hour) and sunshine (minutes per hour) as float64, observedAt as an
// RFC 3339 string in UTC.
func (c Conditions) Map() map[string]any {
	return map[string]any{
		"temperature":   c.TemperatureC,
		"precipitation": c.PrecipitationMm,
		"sunshine":      c.SunshineMinutes,
		"observedAt":    c.ObservedAt.UTC().Format(time.RFC3339),
	}
}

// Snapshot is the weather of every configured region at one fetch, stored as one JSON document.
type Snapshot struct {
	// FetchedAt is when the fetch finished.
	FetchedAt time.Time `json:"fetchedAt"`
	// ByRegion holds the conditions of every region that could be fetched, by region name.
	ByRegion map[string]Conditions `json:"byRegion"`
	// Failed holds, by region name, why a region could not be fetched.
	Failed map[string]string `json:"failed,omitempty"`
}

// For returns the map rules see for region (see Conditions.Map) and true, or nil and false
// when the region has no conditions or they are not fresh: observed more than maxAge before
// now, or more than maxAge after it. A maxAge of zero or less accepts nothing.
func (s Snapshot) For(region string, now time.Time, maxAge time.Duration) (map[string]any, bool) {
	c, ok := s.ByRegion[region]
	if !ok || maxAge <= 0 || c.ObservedAt.IsZero() {
		return nil, false
	}
	age := now.Sub(c.ObservedAt)
	if age > maxAge || age < -maxAge {
		return nil, false
	}
	return c.Map(), true
}

// Provider fetches the current weather of regions. Implementations return a Snapshot that
// holds every region either in ByRegion or in Failed, and an error only when nothing could be
// fetched.
type Provider interface {
	Current(ctx context.Context, regions []Region) (Snapshot, error)
}

// ValidateRegions checks a region list as the catalog publishes it: names non-empty, without
// surrounding spaces and unique; latitudes in [-90, 90] and longitudes in [-180, 180]. It
// returns every problem found, each naming its region, or nil.
func ValidateRegions(regions []Region) error {
	var errs []error
	seen := make(map[string]int, len(regions))
	for i, r := range regions {
		label := fmt.Sprintf("region %q", r.Name)
		switch {
		case strings.TrimSpace(r.Name) == "":
			label = fmt.Sprintf("region #%d", i+1)
			errs = append(errs, fmt.Errorf("weather: %s: name is empty", label))
		case strings.TrimSpace(r.Name) != r.Name:
			errs = append(errs, fmt.Errorf("weather: %s: name has leading or trailing spaces", label))
		default:
			if first, dup := seen[r.Name]; dup {
				errs = append(errs, fmt.Errorf("weather: %s: name used by region #%d and #%d", label, first+1, i+1))
			} else {
				seen[r.Name] = i
			}
		}
		if !inRange(r.Latitude, 90) {
			errs = append(errs, fmt.Errorf("weather: %s: latitude %v not in [-90, 90]", label, r.Latitude))
		}
		if !inRange(r.Longitude, 180) {
			errs = append(errs, fmt.Errorf("weather: %s: longitude %v not in [-180, 180]", label, r.Longitude))
		}
	}
	return errors.Join(errs...)
}

// inRange reports whether v is a finite number in [-limit, limit]; NaN is not.
func inRange(v, limit float64) bool {
	return !math.IsNaN(v) && v >= -limit && v <= limit
}
