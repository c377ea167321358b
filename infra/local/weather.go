package local

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
)

// WeatherServer stands in for the Open-Meteo forecast API, which the local stack cannot
// reach: it answers /v1/forecast for any coordinates with the conditions set for the
// nearest place, or mild, dry weather, observed at the environment's clock. Tests and
// the demo set the weather they want to show a decision depending on it.
type WeatherServer struct {
	URL string

	now    func() time.Time
	server *http.Server
	mu     sync.Mutex
	places map[string]placeWeather // by place name
}

type placeWeather struct {
	place   decision.Place
	weather Weather
}

// Weather is what Set makes a place's weather: °C, mm of rain an hour, and minutes of
// sun in the last hour.
type Weather struct {
	TemperatureC, PrecipitationMm, SunshineMinutes float64
}

// mild is the weather of places nobody set.
var mild = Weather{TemperatureC: 12, PrecipitationMm: 0, SunshineMinutes: 20}

func startWeatherServer(now func() time.Time) (*WeatherServer, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("weather stand-in: %w", err)
	}
	w := &WeatherServer{URL: "http://" + l.Addr().String(), now: now, places: map[string]placeWeather{}}
	w.server = &http.Server{Handler: http.HandlerFunc(w.forecast), ReadHeaderTimeout: 5 * time.Second}
	go w.server.Serve(l)
	return w, nil
}

// Set makes the weather of a place; the answer for coordinates goes to the nearest
// place set.
func (w *WeatherServer) Set(p decision.Place, c Weather) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.places[p.Name] = placeWeather{place: p, weather: c}
}

// Close stops the server.
func (w *WeatherServer) Close() error { return w.server.Close() }

// forecast answers like Open-Meteo's /v1/forecast?latitude=..&longitude=..&current=...:
// an array of locations for several coordinates, one object for one, with 15-minute
// sums (precipitation in mm, sunshine in seconds) as the real API gives them.
func (w *WeatherServer) forecast(rw http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/forecast" {
		http.Error(rw, `{"error":true,"reason":"unknown path"}`, http.StatusNotFound)
		return
	}
	lats, lons := strings.Split(r.URL.Query().Get("latitude"), ","), strings.Split(r.URL.Query().Get("longitude"), ",")
	if len(lats) != len(lons) {
		http.Error(rw, `{"error":true,"reason":"latitude and longitude must have the same number of elements"}`, http.StatusBadRequest)
		return
	}
	const interval = 900.0
	observed := w.now().UTC().Truncate(15 * time.Minute).Format("2006-01-02T15:04")
	var out []map[string]any
	for i := range lats {
		lat, err1 := strconv.ParseFloat(lats[i], 64)
		lon, err2 := strconv.ParseFloat(lons[i], 64)
		if err1 != nil || err2 != nil {
			http.Error(rw, `{"error":true,"reason":"invalid coordinates"}`, http.StatusBadRequest)
			return
		}
		c := w.weatherAt(lat, lon)
		out = append(out, map[string]any{
			"latitude": lat, "longitude": lon, "utc_offset_seconds": 0,
			"current_units": map[string]string{"time": "iso8601", "interval": "seconds", "temperature_2m": "°C", "precipitation": "mm", "sunshine_duration": "s"},
			"current": map[string]any{"time": observed, "interval": interval, "temperature_2m": c.TemperatureC,
				"precipitation": c.PrecipitationMm * interval / 3600, "sunshine_duration": c.SunshineMinutes * 60 * interval / 3600},
		})
	}
	rw.Header().Set("Content-Type", "application/json")
	if len(out) == 1 {
		json.NewEncoder(rw).Encode(out[0])
		return
	}
	json.NewEncoder(rw).Encode(out)
}

// weatherAt is the weather set for the nearest place within a degree, or mild weather.
func (w *WeatherServer) weatherAt(lat, lon float64) Weather {
	w.mu.Lock()
	defer w.mu.Unlock()
	best, bestDist := mild, 1.0
	for _, p := range w.places {
		if d := math.Hypot(p.place.Latitude-lat, p.place.Longitude-lon); d < bestDist {
			best, bestDist = p.weather, d
		}
	}
	return best
}
