package main

import (
	"sync"
	"time"
)

// Run is the outcome of a timed loop: every call's latency, the loop's wall time and
// the errors of the calls that failed (a failed call's latency is still counted, as a
// client would have waited for it).
type Run struct {
	Latencies []time.Duration
	Wall      time.Duration
	Errors    []error // at most maxKeptErrors of them
	failures  int
}

// maxKeptErrors bounds how many failures a run keeps to print; the count is exact.
const maxKeptErrors = 5

// Failures is the number of calls that failed.
func (r Run) Failures() int { return r.failures }

// TimeSequential calls call(i) for i in [0, n), one after another, and times each.
func TimeSequential(n int, call func(i int) error) Run {
	return TimeConcurrent(n, 1, func(_, i int) error { return call(i) })
}

// TimeConcurrent calls call(worker, i) for i in [0, n) from workers goroutines, each
// taking the next index as soon as it is free, as a fleet of independent clients
// would; worker tells the call which of the workers' own resources to use.
func TimeConcurrent(n, workers int, call func(worker, i int) error) Run {
	workers = max(1, min(workers, n))
	lat := make([]time.Duration, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			for i := range next {
				t0 := time.Now()
				errs[i] = call(w, i)
				lat[i] = time.Since(t0)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	r := Run{Latencies: lat, Wall: time.Since(start)}
	for _, err := range errs {
		if err != nil {
			r.failures++
			if len(r.Errors) < maxKeptErrors {
				r.Errors = append(r.Errors, err)
			}
		}
	}
	return r
}
