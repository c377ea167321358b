package main

import (
	"testing"
	"time"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = ms(i + 1) // 1 … 100 ms
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"single", []time.Duration{ms(7)}, 0.99, ms(7)},
		{"p50 of 1..100", hundred, 0.50, ms(50)},
		{"p95 of 1..100", hundred, 0.95, ms(95)},
		{"p99 of 1..100", hundred, 0.99, ms(99)},
		{"p100 is the max", hundred, 1, ms(100)},
		{"tiny q is the min", hundred, 0.0001, ms(1)},
		{"p50 of two is the lower", []time.Duration{ms(1), ms(2)}, 0.5, ms(1)},
		{"p99 of ten is the max", []time.Duration{ms(1), ms(2), ms(3), ms(4), ms(5), ms(6), ms(7), ms(8), ms(9), ms(10)}, 0.99, ms(10)},
	}
	for _, tt := range tests {
		if got := Percentile(tt.sorted, tt.q); got != tt.want {
			t.Errorf("%s: Percentile(q=%v) = %v, want %v", tt.name, tt.q, got, tt.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	// Unsorted input with one outlier: the outlier is the max and p99 of 100 samples.
	var lat []time.Duration
	for i := 99; i >= 1; i-- {
		lat = append(lat, ms(i))
	}
	lat = append(lat, ms(500))
	s := Summarize("x", lat, 2*time.Second, 3)
	if s.Count != 100 || s.Failures != 3 {
		t.Errorf("Count, Failures = %d, %d; want 100, 3", s.Count, s.Failures)
	}
	if s.P50 != ms(50) || s.P95 != ms(95) || s.P99 != ms(99) || s.Max != ms(500) {
		t.Errorf("p50/p95/p99/max = %v/%v/%v/%v, want 50ms/95ms/99ms/500ms", s.P50, s.P95, s.P99, s.Max)
	}
	if s.PerSecond != 50 {
		t.Errorf("PerSecond = %v, want 50", s.PerSecond)
	}
	if lat[0] != ms(99) {
		t.Error("Summarize sorted the caller's slice")
	}
	if empty := Summarize("e", nil, time.Second, 0); empty.Count != 0 || empty.P99 != 0 {
		t.Errorf("Summarize(no samples) = %+v, want zeros", empty)
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{ms(3), ms(1), ms(2)}, ms(2)},
		{[]time.Duration{ms(4), ms(1), ms(2), ms(3)}, 2500 * time.Microsecond},
	}
	for _, tt := range tests {
		if got := Median(tt.in); got != tt.want {
			t.Errorf("Median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
