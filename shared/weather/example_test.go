package weather_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/nextbest/nextbest/shared/weather"
)

func Example() {
	// A local stand-in for api.open-meteo.com.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"latitude":52.52,"longitude":13.419998,"utc_offset_seconds":0,"timezone":"GMT",
			"current_units":{"time":"iso8601","interval":"seconds","temperature_2m":"°C","precipitation":"mm","sunshine_duration":"s"},
			"current":{"time":"2026-11-25T10:00","interval":900,"temperature_2m":7.3,"precipitation":0.1,"sunshine_duration":450.0}}`)
	}))
	defer srv.Close()

	now := time.Date(2026, 11, 25, 10, 5, 0, 0, time.UTC)
	provider := &weather.OpenMeteo{BaseURL: srv.URL, Now: func() time.Time { return now }}
	regions := []weather.Region{{Name: "Berlin", Latitude: 52.52, Longitude: 13.41}}
	if err := weather.ValidateRegions(regions); err != nil {
		panic(err)
	}

	// The scheduled job: fetch and store the snapshot.
	snap, err := provider.Current(context.Background(), regions)
	if err != nil {
		panic(err)
	}

	// A decision: read context.weather from the stored snapshot, if fresh.
	if w, ok := snap.For("Berlin", now, 2*time.Hour); ok {
		fmt.Println(w)
	}
	c := snap.ByRegion["Berlin"]
	fmt.Printf("%.1f °C, %.1f mm/h, %.0f min of sun per hour\n", c.TemperatureC, c.PrecipitationMm, c.SunshineMinutes)
	_, ok := snap.For("Berlin", now.Add(3*time.Hour), 2*time.Hour)
	fmt.Println("fresh three hours later:", ok)
	// Output:
	// map[observedAt:2026-11-25T10:00:00Z precipitation:0.4 sunshine:30 temperature:7.3]
	// 7.3 °C, 0.4 mm/h, 30 min of sun per hour
	// fresh three hours later: false
}
