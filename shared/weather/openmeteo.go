package weather

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Defaults of OpenMeteo's optional fields.
const (
	DefaultBaseURL      = "https://api.open-meteo.com"
	DefaultTimeout      = 5 * time.Second
	DefaultBatchSize    = 50
	DefaultMaxBodyBytes = 1 << 20
)

// maxRetries is how many times a request is repeated after a 5xx answer or a transport error
// such as a timeout: at most three attempts in all.
const maxRetries = 2

// currentVariables are the current conditions asked for, in the order they are asked.
const currentVariables = "temperature_2m,precipitation,sunshine_duration"

// wantUnits are the units the answer must state in current_units.
var wantUnits = map[string]string{"temperature_2m": "°C", "precipitation": "mm", "sunshine_duration": "s"}

// coordinateTolerance is how far, in degrees, the grid cell Open-Meteo answers for may lie from
// the coordinates asked for. Open-Meteo snaps to its model grid, a fraction of a degree; a larger
// distance means the answers are not in the order of the question.
const coordinateTolerance = 1.0

// OpenMeteo is the Provider for the Open-Meteo forecast API (https://open-meteo.com), which
// needs no key. Only Now is required; every other field has a default. It is safe for
// concurrent use once configured.
type OpenMeteo struct {
	// BaseURL is the API's scheme and host, DefaultBaseURL when empty.
	BaseURL string
	// Client sends the requests; nil means a new http.Client. If its Timeout is zero, a copy
	// with Timeout is used instead.
	Client *http.Client
	// Timeout bounds each attempt, the response body included; DefaultTimeout when zero.
	Timeout time.Duration
	// BatchSize is the most regions asked for in one request; DefaultBatchSize when zero.
	BatchSize int
	// MaxBodyBytes is the largest response body read; DefaultMaxBodyBytes when zero.
	MaxBodyBytes int64
	// Backoff is the wait before retry n (1 or 2); nil means 200 ms, then 400 ms.
	Backoff func(retry int) time.Duration
	// Now is the clock that stamps Snapshot.FetchedAt. Required.
	Now func() time.Time
}

var _ Provider = (*OpenMeteo)(nil)

// APIError is an HTTP error answer from Open-Meteo, with the reason it gave.
type APIError struct {
	StatusCode int
	// Reason is the reason of Open-Meteo's {"error":true,"reason":"..."} body, or the start of
	// the body when it is not that.
	Reason string
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("open-meteo: HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

// Current fetches the current conditions of regions, BatchSize regions per request, one batch
// after the other. See the package documentation for how failures are reported.
func (o *OpenMeteo) Current(ctx context.Context, regions []Region) (Snapshot, error) {
	if o.Now == nil {
		return Snapshot{}, errors.New("weather: OpenMeteo.Now is not set")
	}
	if err := ValidateRegions(regions); err != nil {
		return Snapshot{}, err
	}
	client := o.client()
	size := o.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	snap := Snapshot{ByRegion: make(map[string]Conditions, len(regions))}
	var errs []error
	fail := func(name string, err error) {
		if snap.Failed == nil {
			snap.Failed = make(map[string]string)
		}
		snap.Failed[name] = err.Error()
	}
	for start := 0; start < len(regions); start += size {
		batch := regions[start:min(start+size, len(regions))]
		conds, regionErrs, err := o.fetchBatch(ctx, client, batch)
		if err != nil {
			err = fmt.Errorf("weather: %s: %w", regionList(batch), err)
			errs = append(errs, err)
			for _, r := range batch {
				fail(r.Name, err)
			}
			continue
		}
		for i, r := range batch {
			if regionErrs[i] != nil {
				errs = append(errs, regionErrs[i])
				fail(r.Name, regionErrs[i])
				continue
			}
			snap.ByRegion[r.Name] = conds[i]
		}
	}
	snap.FetchedAt = o.Now().UTC()
	if len(snap.ByRegion) == 0 && len(regions) > 0 {
		return snap, fmt.Errorf("weather: no region could be fetched: %w", errors.Join(errs...))
	}
	return snap, nil
}

// client returns the HTTP client to use, its Timeout set.
func (o *OpenMeteo) client() *http.Client {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if o.Client == nil {
		return &http.Client{Timeout: timeout}
	}
	if o.Client.Timeout > 0 {
		return o.Client
	}
	c := *o.Client
	c.Timeout = timeout
	return &c
}

// RequestURL is the URL OpenMeteo asks for the current conditions of batch:
//
//	<BaseURL>/v1/forecast?latitude=<lat1>,<lat2>&longitude=<lon1>,<lon2>&current=temperature_2m,precipitation,sunshine_duration&timezone=GMT
func (o *OpenMeteo) RequestURL(batch []Region) string {
	base := o.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	lats := make([]string, len(batch))
	lons := make([]string, len(batch))
	for i, r := range batch {
		lats[i] = strconv.FormatFloat(r.Latitude, 'f', -1, 64)
		lons[i] = strconv.FormatFloat(r.Longitude, 'f', -1, 64)
	}
	return strings.TrimRight(base, "/") + "/v1/forecast?latitude=" + strings.Join(lats, ",") +
		"&longitude=" + strings.Join(lons, ",") + "&current=" + currentVariables + "&timezone=GMT"
}

// fetchBatch asks for one batch, retrying as documented, and decodes the answer. A non-nil
// error fails the whole batch; otherwise regionErrs[i] non-nil fails batch[i] alone.
func (o *OpenMeteo) fetchBatch(ctx context.Context, client *http.Client, batch []Region) (conds []Conditions, regionErrs []error, err error) {
	url := o.RequestURL(batch)
	var body []byte
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if err := o.wait(ctx, attempt); err != nil {
				return nil, nil, err
			}
		}
		var retryable bool
		body, retryable, err = o.get(ctx, client, url)
		if err == nil {
			break
		}
		if !retryable || attempt == maxRetries || ctx.Err() != nil {
			if attempt > 0 {
				err = fmt.Errorf("after %d attempts: %w", attempt+1, err)
			}
			return nil, nil, err
		}
	}
	conds, regionErrs, err = decode(body, batch)
	return conds, regionErrs, err
}

// wait sleeps before the given retry, or returns the context's error if it ends first.
func (o *OpenMeteo) wait(ctx context.Context, retry int) error {
	d := 200 * time.Millisecond << (retry - 1)
	if o.Backoff != nil {
		d = o.Backoff(retry)
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// get makes one attempt. retryable says whether another attempt may succeed: after a transport
// error (a timeout included) or a 5xx answer.
func (o *OpenMeteo) get(ctx context.Context, client *http.Client, url string) (body []byte, retryable bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "nextbest-weather/1")
	resp, err := client.Do(req)
	if err != nil {
		return nil, true, err
	}
	defer resp.Body.Close()
	limit := o.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, true, fmt.Errorf("open-meteo: reading the response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode >= 500, &APIError{StatusCode: resp.StatusCode, Reason: reason(body)}
	}
	if int64(len(body)) > limit {
		return nil, false, fmt.Errorf("open-meteo: response body larger than %d bytes", limit)
	}
	return body, false, nil
}

// reason extracts Open-Meteo's error reason from an error body, or returns the start of the
// body as printable text.
func reason(body []byte) string {
	var e struct {
		Error  bool   `json:"error"`
		Reason string `json:"reason"`
	}
	if json.Unmarshal(body, &e) == nil && e.Reason != "" {
		return e.Reason
	}
	const maxReason = 200
	s := strings.ToValidUTF8(string(body), "")
	if len(s) > maxReason {
		s = s[:maxReason]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return strings.Join(strings.Fields(s), " ")
}

// location is one location of an Open-Meteo answer; pointers tell missing fields from zeros.
type location struct {
	Latitude         *float64          `json:"latitude"`
	Longitude        *float64          `json:"longitude"`
	UTCOffsetSeconds *float64          `json:"utc_offset_seconds"`
	CurrentUnits     map[string]string `json:"current_units"`
	Current          *struct {
		Time             *string  `json:"time"`
		Interval         *float64 `json:"interval"`
		Temperature      *float64 `json:"temperature_2m"`
		Precipitation    *float64 `json:"precipitation"`
		SunshineDuration *float64 `json:"sunshine_duration"`
	} `json:"current"`
}

// decode reads an answer for batch: a JSON array with one object per region, in order, or a
// single object when the batch has one region.
func decode(body []byte, batch []Region) ([]Conditions, []error, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	var raws []json.RawMessage
	switch {
	case len(trimmed) > 0 && trimmed[0] == '[':
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return nil, nil, fmt.Errorf("open-meteo: malformed response: %w", err)
		}
	case len(trimmed) > 0 && trimmed[0] == '{':
		var raw json.RawMessage
		if err := json.Unmarshal(trimmed, &raw); err != nil {
			return nil, nil, fmt.Errorf("open-meteo: malformed response: %w", err)
		}
		raws = []json.RawMessage{raw}
	default:
		return nil, nil, errors.New("open-meteo: malformed response: not a JSON object or array")
	}
	if len(raws) != len(batch) {
		return nil, nil, fmt.Errorf("open-meteo: response has %d locations for %d regions", len(raws), len(batch))
	}
	conds := make([]Conditions, len(batch))
	errs := make([]error, len(batch))
	for i, raw := range raws {
		c, err := decodeLocation(raw, batch[i])
		if err != nil {
			errs[i] = fmt.Errorf("weather: region %q: %w", batch[i].Name, err)
			continue
		}
		conds[i] = c
	}
	return conds, errs, nil
}

// decodeLocation decodes and checks the answer for one region.
func decodeLocation(raw json.RawMessage, r Region) (Conditions, error) {
	var loc location
	if err := json.Unmarshal(raw, &loc); err != nil {
		return Conditions{}, fmt.Errorf("open-meteo: malformed location: %w", err)
	}
	if loc.Latitude == nil || loc.Longitude == nil {
		return Conditions{}, errors.New("open-meteo: latitude or longitude missing")
	}
	if !near(*loc.Latitude, r.Latitude) || (math.Abs(r.Latitude) < 89 && !near(*loc.Longitude, r.Longitude)) {
		return Conditions{}, fmt.Errorf("open-meteo: answered for %v,%v, asked for %v,%v", *loc.Latitude, *loc.Longitude, r.Latitude, r.Longitude)
	}
	if loc.UTCOffsetSeconds != nil && *loc.UTCOffsetSeconds != 0 {
		return Conditions{}, fmt.Errorf("open-meteo: utc_offset_seconds is %v, want 0 (GMT)", *loc.UTCOffsetSeconds)
	}
	cur := loc.Current
	if cur == nil {
		return Conditions{}, errors.New("open-meteo: current missing")
	}
	for name, want := range wantUnits {
		got, ok := loc.CurrentUnits[name]
		if !ok {
			return Conditions{}, fmt.Errorf("open-meteo: current_units.%s missing", name)
		}
		if got != want {
			return Conditions{}, fmt.Errorf("open-meteo: current_units.%s is %q, want %q", name, got, want)
		}
	}
	if cur.Time == nil {
		return Conditions{}, errors.New("open-meteo: current.time missing")
	}
	observed, err := parseTime(*cur.Time)
	if err != nil {
		return Conditions{}, err
	}
	fields := []struct {
		name string
		v    *float64
	}{
		{"interval", cur.Interval},
		{"temperature_2m", cur.Temperature},
		{"precipitation", cur.Precipitation},
		{"sunshine_duration", cur.SunshineDuration},
	}
	for _, f := range fields {
		if f.v == nil {
			return Conditions{}, fmt.Errorf("open-meteo: current.%s missing", f.name)
		}
		if math.IsNaN(*f.v) || math.IsInf(*f.v, 0) {
			return Conditions{}, fmt.Errorf("open-meteo: current.%s is not a finite number", f.name)
		}
	}
	interval, temp, precip, sun := *cur.Interval, *cur.Temperature, *cur.Precipitation, *cur.SunshineDuration
	switch {
	case interval <= 0 || interval > 3600:
		return Conditions{}, fmt.Errorf("open-meteo: current.interval %v s not in (0, 3600]", interval)
	case temp < -100 || temp > 100:
		return Conditions{}, fmt.Errorf("open-meteo: current.temperature_2m %v °C is not plausible", temp)
	case precip < 0:
		return Conditions{}, fmt.Errorf("open-meteo: current.precipitation %v mm is negative", precip)
	case sun < 0 || sun > interval+1: // 1 s for rounding
		return Conditions{}, fmt.Errorf("open-meteo: current.sunshine_duration %v s not in [0, interval %v s]", sun, interval)
	}
	return Conditions{
		TemperatureC:    temp,
		PrecipitationMm: precip * (3600 / interval),
		SunshineMinutes: min(sun*60/interval, 60),
		ObservedAt:      observed,
	}, nil
}

// parseTime reads Open-Meteo's ISO 8601 local time, which is GMT as asked.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("open-meteo: current.time %q is not an ISO 8601 time", s)
}

// near reports whether two coordinates are within coordinateTolerance, longitudes wrapping
// at ±180.
func near(a, b float64) bool {
	d := math.Mod(math.Abs(a-b), 360)
	return min(d, 360-d) <= coordinateTolerance
}

// regionList names the regions of a batch for an error message.
func regionList(batch []Region) string {
	names := make([]string, len(batch))
	for i, r := range batch {
		names[i] = strconv.Quote(r.Name)
	}
	if len(batch) == 1 {
		return "region " + names[0]
	}
	return "regions " + strings.Join(names, ", ")
}
