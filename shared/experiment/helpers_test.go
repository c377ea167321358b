package experiment

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
)

// sampleOf builds a sample of metric values without a pre-period.
func sampleOf(ys ...float64) Sample {
	var s Sample
	for _, y := range ys {
		s.Add(y, 0)
	}
	return s
}

// near fails the test when got is not within tol of want.
func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if !(math.Abs(got-want) <= tol) {
		t.Errorf("%s = %.10g, want %.10g ± %g", name, got, want, tol)
	}
}

// assertFinite fails when any number in c is NaN or infinite: encoding/json refuses both,
// which makes it a complete walk over every field.
func assertFinite(t *testing.T, c Comparison) {
	t.Helper()
	if _, err := json.Marshal(c); err != nil {
		t.Errorf("comparison holds a non-finite number: %v\n%+v", err, c)
	}
}

// newRand is the only source of randomness of the tests: seeded, so every run draws the same
// worlds.
func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}

// countSuccesses draws how many of n customers succeed, each with probability p. It draws
// only the geometric gaps between successes, so a rate of 3% costs 3% of the draws of one draw
// per customer, which keeps thousands of simulated worlds fast under -race.
func countSuccesses(r *rand.Rand, n int64, p float64) int64 {
	switch {
	case p <= 0:
		return 0
	case p >= 1:
		return n
	}
	logFail := math.Log1p(-p)
	var k int64
	for i := int64(0); ; i++ {
		// 1-Float64 is in (0, 1], so the logarithm is finite.
		i += int64(math.Log(1-r.Float64()) / logFail)
		if i >= n {
			return k
		}
		k++
	}
}

// addBernoulli adds n customers whose metric is 1 with probability p and 0 otherwise.
func addBernoulli(s *Sample, r *rand.Rand, n int64, p float64) {
	k := countSuccesses(r, n, p)
	s.AddN(1, 0, k)
	s.AddN(0, 0, n-k)
}

// Revenue-like worlds: a customer buys with a small probability and then spends a lognormal
// amount, so the metric is mostly 0 with a long right tail.
const (
	revenueMu    = 3.5
	revenueSigma = 1.0
)

// revenueMean is the expected spend of one customer who buys with probability p.
func revenueMean(p float64) float64 {
	return p * math.Exp(revenueMu+revenueSigma*revenueSigma/2)
}

// addRevenue adds n customers who buy with probability p.
func addRevenue(s *Sample, r *rand.Rand, n int64, p float64) {
	k := countSuccesses(r, n, p)
	for range k {
		s.Add(math.Exp(revenueMu+revenueSigma*r.NormFloat64()), 0)
	}
	s.AddN(0, 0, n-k)
}
