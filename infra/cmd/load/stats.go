package main

import (
	"math"
	"slices"
	"time"
)

// Summary is one scenario's latency distribution and throughput.
type Summary struct {
	Name     string
	Count    int
	Failures int
	P50      time.Duration
	P95      time.Duration
	P99      time.Duration
	Max      time.Duration
	// PerSecond is completed calls per second of wall time over the whole run, so it
	// includes the load generator's own overhead between calls.
	PerSecond float64
	Note      string
}

// Percentile returns the nearest-rank percentile q (0 < q ≤ 1) of sorted: the
// smallest sample with at least q of all samples at or below it. Nearest rank never
// interpolates, so every reported figure is a latency that was really observed.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(q * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// Summarize computes a scenario's figures from its per-call latencies and the wall
// time the whole run took.
func Summarize(name string, latencies []time.Duration, wall time.Duration, failures int) Summary {
	sorted := slices.Clone(latencies)
	slices.Sort(sorted)
	s := Summary{Name: name, Count: len(sorted), Failures: failures}
	if len(sorted) == 0 {
		return s
	}
	s.P50 = Percentile(sorted, 0.50)
	s.P95 = Percentile(sorted, 0.95)
	s.P99 = Percentile(sorted, 0.99)
	s.Max = sorted[len(sorted)-1]
	if wall > 0 {
		s.PerSecond = float64(len(sorted)) / wall.Seconds()
	}
	return s
}

// Median is the middle value (the mean of the two middle ones for an even count); it
// is used for the few repetitions of a cold start, where nearest rank would be coarse.
func Median(values []time.Duration) time.Duration {
	if len(values) == 0 {
		return 0
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	mid := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[mid]
	}
	return (sorted[mid-1] + sorted[mid]) / 2
}

// Millis formats a duration in milliseconds with two decimals.
func Millis(d time.Duration) float64 {
	return float64(d) / float64(time.Millisecond)
}
