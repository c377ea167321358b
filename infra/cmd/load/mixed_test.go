package main

import (
	"math"
	"strings"
	"testing"
)

func TestVisitGen(t *testing.T) {
	rates := mixRates{click: 0.2, convert: 0.25, resend: 0.05}
	const n = 20000
	draw := func(app int) []visitPlan {
		g := newVisitGen(42, app, 10000, rates)
		out := make([]visitPlan, n)
		for i := range out {
			out[i] = g.next()
		}
		return out
	}
	visits := draw(0)
	var clicks, converts, resends, unknown int
	for _, v := range visits {
		if v.click {
			clicks++
		}
		if v.convert {
			converts++
		}
		if v.resendImpression {
			resends++
		}
		if strings.HasPrefix(v.req.CustomerID, "visitor-") {
			unknown++
		} else if v.req.CustomerID < "C000001" || v.req.CustomerID > "C010000" {
			t.Fatalf("customer %q is outside the seeded base", v.req.CustomerID)
		}
	}
	tests := []struct {
		name  string
		count int
		share float64
	}{
		{"clicks", clicks, rates.click},
		{"conversions", converts, rates.convert},
		{"resends", resends, rates.resend},
		{"unknown visitors", unknown, unknownShare},
	}
	for _, tt := range tests {
		got := float64(tt.count) / n
		// Five standard deviations of a binomial share: never flaky, still a real check.
		if tol := 5 * math.Sqrt(tt.share*(1-tt.share)/n); math.Abs(got-tt.share) > tol {
			t.Errorf("%s: share %.4f, want %.4f ± %.4f", tt.name, got, tt.share, tol)
		}
	}
	again := draw(0)
	for i := range visits {
		if !sameVisit(visits[i], again[i]) {
			t.Fatalf("visit %d differs for the same seed and app: %+v, %+v", i, visits[i], again[i])
		}
	}
	other := draw(1)
	same := 0
	for i := range visits {
		if sameVisit(visits[i], other[i]) {
			same++
		}
	}
	if same > n/10 {
		t.Errorf("apps 0 and 1 share %d of %d visits; want sequences of their own", same, n)
	}
}

func TestVisitGenWithoutCustomers(t *testing.T) {
	g := newVisitGen(1, 0, 0, mixRates{})
	for range 100 {
		v := g.next()
		if !strings.HasPrefix(v.req.CustomerID, "visitor-") || v.click || v.convert || v.resendImpression || v.resendClick {
			t.Fatalf("with no customers and zero rates, visit = %+v", v)
		}
	}
}

func TestSettingsFlags(t *testing.T) {
	s := settings{customers: 10, n: 5, warmup: 1, concurrency: 2, seed: 7, scenarios: "mixed,outage", apps: 3, visits: 100,
		mixedTime: 5e9, clickRate: 0.5, convertRate: 0.1, resendRate: 0, outageN: 4, outageResponses: 2, outageCustomers: 50,
		cacheAge: 2e9, recordBudget: 5e8}
	if !s.runs("mixed") || !s.runs("outage") || s.runs("latency") || s.runs("cold") {
		t.Errorf("runs(%q) wrong", s.scenarios)
	}
	want := "-customers 10 -n 5 -warmup 1 -concurrency 2 -seed 7 -apps 3 -visits 100 -mixed-time 5s -click 0.5 -convert 0.1 -resend 0 " +
		"-outage-n 4 -outage-responses 2 -outage-customers 50 -cache-age 2s -record-budget 500ms -scenarios mixed,outage"
	if got := s.flags(); got != want {
		t.Errorf("flags =\n%s\nwant\n%s", got, want)
	}
	s.scenarios = allScenarios
	if strings.Contains(s.flags(), "-scenarios") {
		t.Errorf("flags of a full run name -scenarios: %s", s.flags())
	}
}

func sameVisit(a, b visitPlan) bool {
	return a.req.CustomerID == b.req.CustomerID && a.req.Channel == b.req.Channel && a.req.Placement == b.req.Placement &&
		a.click == b.click && a.convert == b.convert && a.resendImpression == b.resendImpression && a.resendClick == b.resendClick
}
