package weather_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nextbest/nextbest/shared/weather"
)

var (
	berlin = weather.Region{Name: "Berlin", Latitude: 52.52, Longitude: 13.41}
	munich = weather.Region{Name: "Munich", Latitude: 48.14, Longitude: 11.58}
	sydney = weather.Region{Name: "Sydney", Latitude: -33.87, Longitude: 151.21}
)

// observed is the current.time of the fake answers.
var observed = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// location is an Open-Meteo-shaped answer for one location: temperature in °C, precipitation
// in mm and sunshine in seconds over a 900 s interval.
func location(r weather.Region, temp, precip, sun float64) map[string]any {
	return map[string]any{
		"latitude": r.Latitude + 0.002, "longitude": r.Longitude - 0.004, // the model's grid cell
		"generationtime_ms": 0.07, "utc_offset_seconds": 0, "timezone": "GMT", "timezone_abbreviation": "GMT", "elevation": 38.0,
		"current_units": map[string]any{"time": "iso8601", "interval": "seconds", "temperature_2m": "°C", "precipitation": "mm", "sunshine_duration": "s"},
		"current":       map[string]any{"time": "2026-11-25T10:00", "interval": 900, "temperature_2m": temp, "precipitation": precip, "sunshine_duration": sun},
	}
}

// with returns loc changed by edit, for answers with something wrong.
func with(loc map[string]any, edit func(loc, current map[string]any)) map[string]any {
	edit(loc, loc["current"].(map[string]any))
	return loc
}

func jsonOf(t testing.TB, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// fakeAPI is a local Open-Meteo: respond answers the n-th request (from 0) with a status and
// a body; the requests are recorded.
type fakeAPI struct {
	respond func(n int, r *http.Request) (int, string)

	mu       sync.Mutex
	requests []*http.Request
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	n := len(f.requests)
	f.requests = append(f.requests, r)
	f.mu.Unlock()
	status, body := f.respond(n, r)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func (f *fakeAPI) queries() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var qs []string
	for _, r := range f.requests {
		qs = append(qs, r.URL.Path+"?"+r.URL.RawQuery)
	}
	return qs
}

// start serves f on a local server and returns an OpenMeteo for it that does not wait between
// attempts and records the retries it makes.
func start(t *testing.T, f http.Handler) (*weather.OpenMeteo, *[]int) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	var mu sync.Mutex
	retries := new([]int)
	return &weather.OpenMeteo{
		BaseURL: srv.URL + "/",
		Client:  srv.Client(),
		Timeout: 5 * time.Second,
		Backoff: func(retry int) time.Duration {
			mu.Lock()
			defer mu.Unlock()
			*retries = append(*retries, retry)
			return 0
		},
		Now: func() time.Time { return testNow },
	}, retries
}

const query = "current=temperature_2m,precipitation,sunshine_duration&timezone=GMT"

func TestOpenMeteoCurrent(t *testing.T) {
	ok := func(locs ...map[string]any) func(int, *http.Request) (int, string) {
		return func(_ int, r *http.Request) (int, string) {
			if len(locs) == 1 {
				return 200, jsonOf(t, locs[0])
			}
			return 200, jsonOf(t, locs)
		}
	}
	berlinConditions := weather.Conditions{TemperatureC: 7.3, PrecipitationMm: 0.4, SunshineMinutes: 30, ObservedAt: observed}
	tests := []struct {
		name        string
		regions     []weather.Region
		configure   func(*weather.OpenMeteo)
		respond     func(n int, r *http.Request) (int, string)
		wantQueries []string
		wantRetries []int
		want        map[string]weather.Conditions
		wantFailed  map[string]string // region → substring of its error text
		wantErr     string            // substring; empty for no error
	}{
		{
			name:        "one region",
			regions:     []weather.Region{berlin},
			respond:     ok(location(berlin, 7.3, 0.1, 450)),
			wantQueries: []string{"/v1/forecast?latitude=52.52&longitude=13.41&" + query},
			want:        map[string]weather.Conditions{"Berlin": berlinConditions},
		},
		{
			name:        "one region answered as an array",
			regions:     []weather.Region{berlin},
			respond:     func(int, *http.Request) (int, string) { return 200, jsonOf(t, []any{location(berlin, 7.3, 0.1, 450)}) },
			wantQueries: []string{"/v1/forecast?latitude=52.52&longitude=13.41&" + query},
			want:        map[string]weather.Conditions{"Berlin": berlinConditions},
		},
		{
			name:        "several regions in one request",
			regions:     []weather.Region{berlin, munich, sydney},
			respond:     ok(location(berlin, 7.3, 0.1, 450), location(munich, -2.5, 0, 0), location(sydney, 24, 1.5, 900)),
			wantQueries: []string{"/v1/forecast?latitude=52.52,48.14,-33.87&longitude=13.41,11.58,151.21&" + query},
			want: map[string]weather.Conditions{
				"Berlin": berlinConditions,
				"Munich": {TemperatureC: -2.5, PrecipitationMm: 0, SunshineMinutes: 0, ObservedAt: observed},
				"Sydney": {TemperatureC: 24, PrecipitationMm: 6, SunshineMinutes: 60, ObservedAt: observed},
			},
		},
		{
			name:      "batches",
			regions:   []weather.Region{berlin, munich, sydney},
			configure: func(o *weather.OpenMeteo) { o.BatchSize = 2 },
			respond: func(n int, _ *http.Request) (int, string) {
				if n == 0 {
					return 200, jsonOf(t, []any{location(berlin, 7.3, 0.1, 450), location(munich, -2.5, 0, 0)})
				}
				return 200, jsonOf(t, location(sydney, 24, 1.5, 900))
			},
			wantQueries: []string{
				"/v1/forecast?latitude=52.52,48.14&longitude=13.41,11.58&" + query,
				"/v1/forecast?latitude=-33.87&longitude=151.21&" + query,
			},
			want: map[string]weather.Conditions{
				"Berlin": berlinConditions,
				"Munich": {TemperatureC: -2.5, ObservedAt: observed},
				"Sydney": {TemperatureC: 24, PrecipitationMm: 6, SunshineMinutes: 60, ObservedAt: observed},
			},
		},
		{
			name:      "a failed batch does not fail the others",
			regions:   []weather.Region{berlin, munich, sydney},
			configure: func(o *weather.OpenMeteo) { o.BatchSize = 2 },
			respond: func(n int, r *http.Request) (int, string) {
				if strings.Contains(r.URL.RawQuery, "52.52") {
					return 400, `{"error":true,"reason":"Cannot initialize WeatherVariable from invalid String value sunshine"}`
				}
				return 200, jsonOf(t, location(sydney, 24, 1.5, 900))
			},
			wantQueries: []string{
				"/v1/forecast?latitude=52.52,48.14&longitude=13.41,11.58&" + query,
				"/v1/forecast?latitude=-33.87&longitude=151.21&" + query,
			},
			want: map[string]weather.Conditions{"Sydney": {TemperatureC: 24, PrecipitationMm: 6, SunshineMinutes: 60, ObservedAt: observed}},
			wantFailed: map[string]string{
				"Berlin": `regions "Berlin", "Munich": open-meteo: HTTP 400 Bad Request: Cannot initialize WeatherVariable`,
				"Munich": `regions "Berlin", "Munich": open-meteo: HTTP 400 Bad Request: Cannot initialize WeatherVariable`,
			},
		},
		{
			name:    "500 then success",
			regions: []weather.Region{berlin},
			respond: func(n int, _ *http.Request) (int, string) {
				if n == 0 {
					return 500, `{"error":true,"reason":"Internal server error"}`
				}
				return 200, jsonOf(t, location(berlin, 7.3, 0.1, 450))
			},
			wantQueries: slices.Repeat([]string{"/v1/forecast?latitude=52.52&longitude=13.41&" + query}, 2),
			wantRetries: []int{1},
			want:        map[string]weather.Conditions{"Berlin": berlinConditions},
		},
		{
			name:        "persistent 500",
			regions:     []weather.Region{berlin},
			respond:     func(int, *http.Request) (int, string) { return 502, "<html>Bad Gateway</html>" },
			wantQueries: slices.Repeat([]string{"/v1/forecast?latitude=52.52&longitude=13.41&" + query}, 3),
			wantRetries: []int{1, 2},
			wantFailed:  map[string]string{"Berlin": "after 3 attempts: open-meteo: HTTP 502 Bad Gateway: <html>Bad Gateway</html>"},
			wantErr:     `no region could be fetched: weather: region "Berlin": after 3 attempts: open-meteo: HTTP 502`,
		},
		{
			name:    "400 with reason",
			regions: []weather.Region{berlin},
			respond: func(int, *http.Request) (int, string) {
				return 400, `{"error":true,"reason":"Latitude must be in range of -90 to 90°. Given: 152.52."}`
			},
			wantQueries: []string{"/v1/forecast?latitude=52.52&longitude=13.41&" + query},
			wantFailed:  map[string]string{"Berlin": "open-meteo: HTTP 400 Bad Request: Latitude must be in range of -90 to 90°. Given: 152.52."},
			wantErr:     `region "Berlin": open-meteo: HTTP 400 Bad Request: Latitude must be in range`,
		},
		{
			name:    "429 is not retried",
			regions: []weather.Region{berlin},
			respond: func(int, *http.Request) (int, string) {
				return 429, `{"error":true,"reason":"Daily API request limit exceeded"}`
			},
			wantQueries: []string{"/v1/forecast?latitude=52.52&longitude=13.41&" + query},
			wantErr:     "HTTP 429 Too Many Requests: Daily API request limit exceeded",
			wantFailed:  map[string]string{"Berlin": "Daily API request limit exceeded"},
		},
		{
			name:    "error page that is not JSON",
			regions: []weather.Region{berlin},
			respond: func(int, *http.Request) (int, string) {
				return 404, "<html>\n" + strings.Repeat("Not Found ", 100) + "</html>"
			},
			wantQueries: []string{"/v1/forecast?latitude=52.52&longitude=13.41&" + query},
			wantFailed:  map[string]string{"Berlin": "HTTP 404 Not Found: <html> Not Found Not Found"},
			wantErr:     "Not Found Not…",
		},
		{
			name:        "malformed JSON",
			regions:     []weather.Region{berlin},
			respond:     func(int, *http.Request) (int, string) { return 200, `{"latitude": 52.52, "current": {` },
			wantQueries: []string{"/v1/forecast?latitude=52.52&longitude=13.41&" + query},
			wantFailed:  map[string]string{"Berlin": "malformed response"},
			wantErr:     `region "Berlin": open-meteo: malformed response`,
		},
		{
			name:        "not JSON",
			regions:     []weather.Region{berlin},
			respond:     func(int, *http.Request) (int, string) { return 200, `OK` },
			wantQueries: []string{"/v1/forecast?latitude=52.52&longitude=13.41&" + query},
			wantFailed:  map[string]string{"Berlin": "not a JSON object or array"},
			wantErr:     "malformed response: not a JSON object or array",
		},
		{
			name:        "wrong array length",
			regions:     []weather.Region{berlin, munich, sydney},
			respond:     ok(location(berlin, 7.3, 0.1, 450), location(munich, -2.5, 0, 0)),
			wantQueries: []string{"/v1/forecast?latitude=52.52,48.14,-33.87&longitude=13.41,11.58,151.21&" + query},
			wantFailed:  map[string]string{"Berlin": "2 locations for 3 regions", "Munich": "2 locations for 3 regions", "Sydney": "2 locations for 3 regions"},
			wantErr:     `regions "Berlin", "Munich", "Sydney": open-meteo: response has 2 locations for 3 regions`,
		},
		{
			name:        "single object for several regions",
			regions:     []weather.Region{berlin, munich},
			respond:     ok(location(berlin, 7.3, 0.1, 450)),
			wantQueries: []string{"/v1/forecast?latitude=52.52,48.14&longitude=13.41,11.58&" + query},
			wantFailed:  map[string]string{"Berlin": "1 locations for 2 regions", "Munich": "1 locations for 2 regions"},
			wantErr:     "response has 1 locations for 2 regions",
		},
		{
			name:        "body too large",
			regions:     []weather.Region{berlin},
			configure:   func(o *weather.OpenMeteo) { o.MaxBodyBytes = 200 },
			respond:     ok(location(berlin, 7.3, 0.1, 450)),
			wantQueries: []string{"/v1/forecast?latitude=52.52&longitude=13.41&" + query},
			wantFailed:  map[string]string{"Berlin": "response body larger than 200 bytes"},
			wantErr:     "response body larger than 200 bytes",
		},
		{
			name:    "a bad location fails only its region",
			regions: []weather.Region{berlin, munich, sydney},
			respond: ok(
				location(berlin, 7.3, 0.1, 450),
				with(location(munich, -2.5, 0, 0), func(_, c map[string]any) { delete(c, "temperature_2m") }),
				location(sydney, 24, 1.5, 900)),
			wantQueries: []string{"/v1/forecast?latitude=52.52,48.14,-33.87&longitude=13.41,11.58,151.21&" + query},
			want: map[string]weather.Conditions{
				"Berlin": berlinConditions,
				"Sydney": {TemperatureC: 24, PrecipitationMm: 6, SunshineMinutes: 60, ObservedAt: observed},
			},
			wantFailed: map[string]string{"Munich": `region "Munich": open-meteo: current.temperature_2m missing`},
		},
		{
			name:        "invalid regions are not fetched",
			regions:     []weather.Region{berlin, {Name: "Berlin", Latitude: 1, Longitude: 2}},
			respond:     ok(),
			wantErr:     `region "Berlin": name used by region #1 and #2`,
			wantQueries: nil,
		},
		{
			name:    "no regions",
			regions: nil,
			respond: ok(),
			want:    map[string]weather.Conditions{},
		},
		{
			name:      "no clock",
			regions:   []weather.Region{berlin},
			configure: func(o *weather.OpenMeteo) { o.Now = nil },
			respond:   ok(location(berlin, 7.3, 0.1, 450)),
			wantErr:   "OpenMeteo.Now is not set",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeAPI{respond: tt.respond}
			o, retries := start(t, api)
			if tt.configure != nil {
				tt.configure(o)
			}
			snap, err := o.Current(context.Background(), tt.regions)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("Current() error = %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Current() error = %v, want it to contain %q", err, tt.wantErr)
			}
			if got := api.queries(); !slices.Equal(got, tt.wantQueries) {
				t.Errorf("requests:\n got %q\nwant %q", got, tt.wantQueries)
			}
			if !slices.Equal(*retries, tt.wantRetries) {
				t.Errorf("retries = %v, want %v", *retries, tt.wantRetries)
			}
			if tt.want != nil && !reflect.DeepEqual(snap.ByRegion, tt.want) {
				t.Errorf("ByRegion:\n got %+v\nwant %+v", snap.ByRegion, tt.want)
			}
			if tt.want == nil && len(snap.ByRegion) != 0 {
				t.Errorf("ByRegion = %+v, want none", snap.ByRegion)
			}
			if len(snap.Failed) != len(tt.wantFailed) {
				t.Errorf("Failed = %q, want regions of %q", snap.Failed, tt.wantFailed)
			}
			for region, want := range tt.wantFailed {
				if got, ok := snap.Failed[region]; !ok || !strings.Contains(got, want) {
					t.Errorf("Failed[%q] = %q, want it to contain %q", region, got, want)
				}
			}
			if err == nil && !snap.FetchedAt.Equal(testNow) {
				t.Errorf("FetchedAt = %v, want %v", snap.FetchedAt, testNow)
			}
		})
	}
}

// TestOpenMeteoLocationValidation checks each way one location can be wrong: the error names
// the region and the other region of the batch is unaffected.
func TestOpenMeteoLocationValidation(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(loc, current map[string]any)
		raw     string // replaces the marshalled location when set
		wantErr string
	}{
		{"current missing", func(l, _ map[string]any) { delete(l, "current") }, "", "current missing"},
		{"time missing", func(_, c map[string]any) { delete(c, "time") }, "", "current.time missing"},
		{"time malformed", func(_, c map[string]any) { c["time"] = "25.11.2026 10:00" }, "", `current.time "25.11.2026 10:00" is not an ISO 8601 time`},
		{"interval missing", func(_, c map[string]any) { delete(c, "interval") }, "", "current.interval missing"},
		{"interval zero", func(_, c map[string]any) { c["interval"] = 0 }, "", "current.interval 0 s not in (0, 3600]"},
		{"temperature null", func(_, c map[string]any) { c["temperature_2m"] = nil }, "", "current.temperature_2m missing"},
		{"temperature a string", func(_, c map[string]any) { c["temperature_2m"] = "7.3" }, "", "malformed location"},
		{"temperature implausible", func(_, c map[string]any) { c["temperature_2m"] = 150.0 }, "", "current.temperature_2m 150 °C is not plausible"},
		{"precipitation missing", func(_, c map[string]any) { delete(c, "precipitation") }, "", "current.precipitation missing"},
		{"precipitation negative", func(_, c map[string]any) { c["precipitation"] = -0.1 }, "", "current.precipitation -0.1 mm is negative"},
		{"sunshine null", func(_, c map[string]any) { c["sunshine_duration"] = nil }, "", "current.sunshine_duration missing"},
		{"sunshine longer than the interval", func(_, c map[string]any) { c["sunshine_duration"] = 1800.0 }, "", "current.sunshine_duration 1800 s not in [0, interval 900 s]"},
		{"sunshine negative", func(_, c map[string]any) { c["sunshine_duration"] = -1.0 }, "", "current.sunshine_duration -1 s"},
		{"not finite", nil, `{"latitude":48.14,"longitude":11.58,"current_units":{"temperature_2m":"°C","precipitation":"mm","sunshine_duration":"s"},` +
			`"current":{"time":"2026-11-25T10:00","interval":900,"temperature_2m":1e999,"precipitation":0,"sunshine_duration":0}}`, "malformed location"},
		{"units missing", func(l, _ map[string]any) { delete(l, "current_units") }, "", "current_units."},
		{"wrong temperature unit", func(l, _ map[string]any) { l["current_units"].(map[string]any)["temperature_2m"] = "°F" }, "", `current_units.temperature_2m is "°F", want "°C"`},
		{"wrong sunshine unit", func(l, _ map[string]any) { l["current_units"].(map[string]any)["sunshine_duration"] = "h" }, "", `current_units.sunshine_duration is "h", want "s"`},
		{"not GMT", func(l, _ map[string]any) { l["utc_offset_seconds"] = 3600 }, "", "utc_offset_seconds is 3600, want 0 (GMT)"},
		{"coordinates missing", func(l, _ map[string]any) { delete(l, "latitude") }, "", "latitude or longitude missing"},
		{"another place", func(l, _ map[string]any) { l["latitude"], l["longitude"] = sydney.Latitude, sydney.Longitude }, "", "answered for -33.87,151.21, asked for 48.14,11.58"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := jsonOf(t, with(location(munich, -2.5, 0, 0), func(l, c map[string]any) {
				if tt.edit != nil {
					tt.edit(l, c)
				}
			}))
			if tt.raw != "" {
				bad = tt.raw
			}
			body := "[" + jsonOf(t, location(berlin, 7.3, 0.1, 450)) + "," + bad + "]"
			o, _ := start(t, &fakeAPI{respond: func(int, *http.Request) (int, string) { return 200, body }})
			snap, err := o.Current(context.Background(), []weather.Region{berlin, munich})
			if err != nil {
				t.Fatalf("Current() error = %v, want only Munich to fail", err)
			}
			if _, ok := snap.ByRegion["Berlin"]; !ok || len(snap.ByRegion) != 1 {
				t.Errorf("ByRegion = %+v, want Berlin alone", snap.ByRegion)
			}
			got := snap.Failed["Munich"]
			if !strings.Contains(got, `region "Munich"`) || !strings.Contains(got, tt.wantErr) {
				t.Errorf("Failed[Munich] = %q, want it to name the region and contain %q", got, tt.wantErr)
			}
		})
	}
}

func TestOpenMeteoUnitConversion(t *testing.T) {
	tests := []struct {
		name                 string
		interval             float64
		precipMm, sunSeconds float64
		wantPrecip, wantSun  float64
	}{
		{"no sun, no rain", 900, 0, 0, 0, 0},
		{"a quarter sunny", 900, 0, 225, 0, 15},
		{"half sunny", 900, 0.1, 450, 0.4, 30},
		{"a third sunny", 900, 0, 300, 0, 20},
		{"all sunny", 900, 0, 900, 0, 60},
		{"rounding above the interval", 900, 0, 900.5, 0, 60},
		{"heavy rain", 900, 2.5, 0, 10, 0},
		{"hourly interval", 3600, 1.2, 1800, 1.2, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := with(location(berlin, 7.3, tt.precipMm, tt.sunSeconds), func(_, c map[string]any) { c["interval"] = tt.interval })
			o, _ := start(t, &fakeAPI{respond: func(int, *http.Request) (int, string) { return 200, jsonOf(t, loc) }})
			snap, err := o.Current(context.Background(), []weather.Region{berlin})
			if err != nil {
				t.Fatal(err)
			}
			c := snap.ByRegion["Berlin"]
			if c.PrecipitationMm != tt.wantPrecip || c.SunshineMinutes != tt.wantSun || c.TemperatureC != 7.3 {
				t.Errorf("conditions = %+v, want %v mm/h and %v min/h", c, tt.wantPrecip, tt.wantSun)
			}
		})
	}
}

func TestOpenMeteoTimeout(t *testing.T) {
	api := &blockingAPI{}
	o, retries := start(t, api)
	o.Timeout = 20 * time.Millisecond
	snap, err := o.Current(context.Background(), []weather.Region{berlin})
	var netErr net.Error
	if !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Fatalf("Current() error = %v, want a timeout", err)
	}
	if !strings.Contains(err.Error(), "after 3 attempts") || !slices.Equal(*retries, []int{1, 2}) {
		t.Errorf("error = %v, retries %v; want three attempts", err, *retries)
	}
	if n := api.count(); n != 3 {
		t.Errorf("server saw %d requests, want 3", n)
	}
	if _, ok := snap.Failed["Berlin"]; !ok {
		t.Errorf("Failed = %v, want Berlin", snap.Failed)
	}
}

func TestOpenMeteoCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api := &blockingAPI{onRequest: cancel} // the caller gives up while the request is on its way
	o, retries := start(t, api)
	_, err := o.Current(ctx, []weather.Region{berlin, munich})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Current() error = %v, want context.Canceled", err)
	}
	if len(*retries) != 0 || api.count() != 1 {
		t.Errorf("retries %v after %d requests, want none after 1", *retries, api.count())
	}
}

func TestOpenMeteoBackoffWaits(t *testing.T) {
	t.Run("waits, then retries", func(t *testing.T) {
		o, _ := start(t, &fakeAPI{respond: func(n int, _ *http.Request) (int, string) {
			if n == 0 {
				return 503, ""
			}
			return 200, jsonOf(t, location(berlin, 7.3, 0.1, 450))
		}})
		o.Backoff = func(int) time.Duration { return time.Millisecond }
		if _, err := o.Current(context.Background(), []weather.Region{berlin}); err != nil {
			t.Fatalf("Current() error = %v", err)
		}
	})
	t.Run("a canceled context cuts the wait short", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		api := &fakeAPI{respond: func(int, *http.Request) (int, string) { return 503, "" }}
		o, _ := start(t, api)
		o.Backoff = func(int) time.Duration { cancel(); return time.Hour }
		_, err := o.Current(ctx, []weather.Region{berlin})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Current() error = %v, want context.Canceled", err)
		}
		if n := len(api.queries()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
}

// blockingAPI answers no request: each waits until the client gives up.
type blockingAPI struct {
	onRequest func()

	mu sync.Mutex
	n  int
}

func (b *blockingAPI) ServeHTTP(_ http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.n++
	b.mu.Unlock()
	if b.onRequest != nil {
		b.onRequest()
	}
	<-r.Context().Done()
}

func (b *blockingAPI) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n
}

func TestOpenMeteoRequestURL(t *testing.T) {
	tests := []struct {
		base string
		want string
	}{
		{"", "https://api.open-meteo.com/v1/forecast?latitude=52.52,-33.87&longitude=13.41,151.21&" + query},
		{"http://localhost:8080/", "http://localhost:8080/v1/forecast?latitude=52.52,-33.87&longitude=13.41,151.21&" + query},
	}
	for _, tt := range tests {
		o := &weather.OpenMeteo{BaseURL: tt.base}
		if got := o.RequestURL([]weather.Region{berlin, sydney}); got != tt.want {
			t.Errorf("RequestURL() with base %q = %s, want %s", tt.base, got, tt.want)
		}
	}
}

func TestAPIErrorAs(t *testing.T) {
	o, _ := start(t, &fakeAPI{respond: func(int, *http.Request) (int, string) {
		return 400, `{"error":true,"reason":"Parameter 'current' is invalid"}`
	}})
	_, err := o.Current(context.Background(), []weather.Region{berlin})
	var apiErr *weather.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Reason != "Parameter 'current' is invalid" {
		t.Fatalf("Current() error = %v, want an APIError 400 with the reason", err)
	}
}
