package platform

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nextbest/nextbest/shared/service"
)

// ClockEnv names the one setting that moves the clock of the functions, the operator
// commands, the local stack and the integration tests together. Deciding, planning and
// recording all read the time: which dated offers are valid, which contacts fall
// inside a cap's window, which weekly bucket a response counts in. A test or a demo
// that ran on the wall clock would tell a different story every month, so these run
// at an instant this setting names:
//
//	NEXTBEST_CLOCK=2026-11-25T10:00:00Z  the clock reads that instant when the process
//	                                     starts, then runs on at the wall clock's pace
//	NEXTBEST_CLOCK=2027-06-15            the same, from midnight UTC that day
//	NEXTBEST_CLOCK=<instant>@<unix ns>   the clock read <instant> when the wall clock
//	                                     read <unix ns>: the form the local stack hands
//	                                     every process it starts, so they share one clock
//
// It is honoured only against local stand-ins (see IsLocalEndpoint): a deployed
// function runs on the wall clock whatever its environment says.
const ClockEnv = "NEXTBEST_CLOCK"

// SeedEnv names the setting that makes a local function's decision ids, and with them
// its Thompson draws and random control-group choices, a deterministic sequence:
// NEXTBEST_SEED=7. Like the clock, it is honoured only against local stand-ins.
const SeedEnv = "NEXTBEST_SEED"

// ParseClock reads a ClockEnv value. It returns the instant the clock is set to and
// the wall-clock reading that instant corresponds to (zero when the setting has no
// anchor, meaning "when the process starts").
func ParseClock(setting string) (at, anchor time.Time, err error) {
	instant, wall, anchored := strings.Cut(strings.TrimSpace(setting), "@")
	at, err = time.Parse(time.RFC3339Nano, instant)
	if err != nil {
		at, err = time.Parse(time.DateOnly, instant)
	}
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("%s=%q: want an RFC 3339 instant such as 2026-11-25T10:00:00Z or a date such as 2026-11-25", ClockEnv, setting)
	}
	if anchored {
		ns, err := strconv.ParseInt(wall, 10, 64)
		if err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("%s=%q: the part after @ must be Unix nanoseconds", ClockEnv, setting)
		}
		anchor = time.Unix(0, ns)
	}
	return at.UTC(), anchor, nil
}

// FormatClock is the anchored ClockEnv value for a clock that reads at when the wall
// clock reads anchor.
func FormatClock(at, anchor time.Time) string {
	return at.UTC().Format(time.RFC3339Nano) + "@" + strconv.FormatInt(anchor.UnixNano(), 10)
}

// ShiftedClock returns a clock that read at when wall() read anchor and advances with
// wall from there. Timeouts and cache ages measured on it stay real durations.
func ShiftedClock(at, anchor time.Time, wall func() time.Time) func() time.Time {
	offset := at.Sub(anchor)
	return func() time.Time { return wall().Add(offset) }
}

// IsLocalEndpoint reports whether an endpoint URL names this machine: the settings
// that only tests and demos may use are honoured when the store is a local stand-in.
func IsLocalEndpoint(endpoint string) bool {
	if endpoint == "" {
		return false
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// errIgnoredOutsideLocal says a test-only setting was found in a deployed environment.
var errIgnoredOutsideLocal = errors.New("ignored: honoured only against local stand-ins (a loopback AWS_ENDPOINT_URL_DYNAMODB)")

// Clock returns the clock a process decides, plans and records by: the wall clock,
// or the one ClockEnv sets when local is true (the process talks to local
// stand-ins). A setting found where it is not honoured comes back as a warning, with
// the wall clock, so the caller can log it; a malformed one is an error.
func Clock(getenv func(string) string, local bool) (now func() time.Time, warning, err error) {
	return clockOn(time.Now, getenv, local)
}

// clockOn is Clock over a given wall clock.
func clockOn(wall func() time.Time, getenv func(string) string, local bool) (now func() time.Time, warning, err error) {
	setting := getenv(ClockEnv)
	if setting == "" {
		return wall, nil, nil
	}
	if !local {
		return wall, fmt.Errorf("%s: %w", ClockEnv, errIgnoredOutsideLocal), nil
	}
	at, anchor, err := ParseClock(setting)
	if err != nil {
		return nil, nil, err
	}
	if anchor.IsZero() {
		anchor = wall()
	}
	return ShiftedClock(at, anchor, wall), nil, nil
}

// IDs returns the source of decision and message ids: random 128-bit ids, or, when
// local is true and SeedEnv is set, a deterministic sequence from that seed.
func IDs(getenv func(string) string, local bool) (newID func() string, warning, err error) {
	setting := getenv(SeedEnv)
	if setting == "" {
		return service.NewID, nil, nil
	}
	if !local {
		return service.NewID, fmt.Errorf("%s: %w", SeedEnv, errIgnoredOutsideLocal), nil
	}
	seed, err := strconv.ParseUint(setting, 10, 64)
	if err != nil {
		return nil, nil, fmt.Errorf("%s=%q: want an unsigned integer", SeedEnv, setting)
	}
	return SeededIDs(seed), nil, nil
}

// SeededIDs returns a generator of ids in the same 32-hex-digit form as service.NewID,
// drawn from a seeded source: two processes given the same seed repeat each other, so
// the local stack gives each process its own.
func SeededIDs(seed uint64) func() string {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, 0x6e6578746265737))
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		return fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
	}
}
