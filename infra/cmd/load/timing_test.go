package main

import (
	"errors"
	"sync"
	"testing"
	"time"
)

func TestTimeConcurrentCallsEveryIndexOnce(t *testing.T) {
	var mu sync.Mutex
	seen := map[int]int{}
	workersSeen := map[int]bool{}
	r := TimeConcurrent(100, 4, func(w, i int) error {
		mu.Lock()
		seen[i]++
		workersSeen[w] = true
		mu.Unlock()
		time.Sleep(100 * time.Microsecond)
		if i%10 == 0 {
			return errors.New("boom")
		}
		return nil
	})
	for i := range 100 {
		if seen[i] != 1 {
			t.Fatalf("index %d called %d times, want 1", i, seen[i])
		}
	}
	for w := range workersSeen {
		if w < 0 || w >= 4 {
			t.Errorf("worker index %d outside [0, 4)", w)
		}
	}
	if r.Failures() != 10 || len(r.Errors) != maxKeptErrors {
		t.Errorf("Failures, kept errors = %d, %d; want 10, %d", r.Failures(), len(r.Errors), maxKeptErrors)
	}
	if len(r.Latencies) != 100 || r.Wall <= 0 {
		t.Errorf("got %d latencies and wall %v, want 100 and > 0", len(r.Latencies), r.Wall)
	}
	for i, l := range r.Latencies {
		if l < 100*time.Microsecond {
			t.Fatalf("latency %d = %v, shorter than the call's sleep", i, l)
		}
	}
}

func TestTimeSequentialRunsInOrder(t *testing.T) {
	var order []int
	TimeSequential(5, func(i int) error { order = append(order, i); return nil })
	for i, got := range order {
		if got != i {
			t.Fatalf("call order = %v, want 0..4", order)
		}
	}
}
