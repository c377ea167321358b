package local

import (
	"time"

	"github.com/nextbest/nextbest/shared/platform"
)

// DemoClock is the instant the demo, `make up` and the integration tests start at
// unless NEXTBEST_CLOCK (platform.ClockEnv) names another: Wednesday of Black Friday
// week 2026, when the demo catalog tells its story (the Black Friday bundle runs from
// 20 November to 1 December, the summer roaming bonus has expired and the New Year 5G
// launch is still ahead). Running at a fixed instant makes the demo show the same
// thing every month and keeps the calendar out of every test.
const DemoClock = "2026-11-25T10:00:00Z"

// StartInstant is the instant a local environment starts at: the one ClockEnv names,
// or DemoClock when it is unset. An anchored setting (one the local stack handed a
// child process) gives the instant its clock reads now.
func StartInstant(getenv func(string) string) (time.Time, error) {
	setting := getenv(platform.ClockEnv)
	if setting == "" {
		setting = DemoClock
	}
	at, anchor, err := platform.ParseClock(setting)
	if err != nil {
		return time.Time{}, err
	}
	if !anchor.IsZero() {
		return platform.ShiftedClock(at, anchor, time.Now)(), nil
	}
	return at, nil
}
