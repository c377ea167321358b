package experiment

import (
	"math"
	"testing"
)

func TestSampleMoments(t *testing.T) {
	// Metric 1..5 with pre-period 2,1,4,3,5:
	// mean Y = 3, Σ(y-3)² = 4+1+0+1+4 = 10, variance 10/4 = 2.5;
	// mean X = 3, Σ(x-3)² = 1+4+1+0+4 = 10, variance 2.5;
	// Σ(x-3)(y-3) = (-1)(-2) + (-2)(-1) + (1)(0) + (0)(1) + (2)(2) = 8, covariance 8/4 = 2.
	var s Sample
	for i, x := range []float64{2, 1, 4, 3, 5} {
		s.Add(float64(i+1), x)
	}
	near(t, "Mean", s.Mean(), 3, 1e-12)
	near(t, "Variance", s.Variance(), 2.5, 1e-12)
	near(t, "PreMean", s.PreMean(), 3, 1e-12)
	near(t, "PreVariance", s.PreVariance(), 2.5, 1e-12)
	near(t, "Covariance", s.Covariance(), 2, 1e-12)
}

func TestSampleSmallAndEmpty(t *testing.T) {
	var empty Sample
	one := sampleOf(7)
	for name, s := range map[string]Sample{"empty": empty, "one": one} {
		if s.Variance() != 0 || s.PreVariance() != 0 || s.Covariance() != 0 {
			t.Errorf("%s: variances %v %v %v, want 0", name, s.Variance(), s.PreVariance(), s.Covariance())
		}
	}
	if empty.Mean() != 0 || empty.PreMean() != 0 {
		t.Errorf("empty means %v %v, want 0", empty.Mean(), empty.PreMean())
	}
	if one.Mean() != 7 {
		t.Errorf("one mean %v, want 7", one.Mean())
	}
}

func TestSampleConstantHasExactlyZeroVariance(t *testing.T) {
	// 49.99 is not a binary fraction: summing it a million times leaves rounding noise in
	// SumY2 - SumY²/N, which must read as no spread at all.
	var s Sample
	for range 1_000_000 {
		s.Add(49.99, 12.34)
	}
	if v := s.Variance(); v != 0 {
		t.Errorf("Variance = %g, want exactly 0", v)
	}
	if v := s.PreVariance(); v != 0 {
		t.Errorf("PreVariance = %g, want exactly 0", v)
	}
	if v := s.Covariance(); v != 0 {
		t.Errorf("Covariance = %g, want exactly 0", v)
	}
}

func TestSampleMergeEqualsAddingEverything(t *testing.T) {
	r := newRand(1, 1)
	var all, a, b Sample
	for i := range 1000 {
		y, x := r.NormFloat64()*3+10, r.NormFloat64()
		all.Add(y, x)
		if i%3 == 0 {
			a.Add(y, x)
		} else {
			b.Add(y, x)
		}
	}
	a.Merge(b)
	if a.N != all.N {
		t.Fatalf("N = %d, want %d", a.N, all.N)
	}
	near(t, "Mean", a.Mean(), all.Mean(), 1e-12)
	near(t, "Variance", a.Variance(), all.Variance(), 1e-10)
	near(t, "Covariance", a.Covariance(), all.Covariance(), 1e-10)
}

func TestSampleAddN(t *testing.T) {
	var bulk, single Sample
	bulk.AddN(0, 0, 970)
	bulk.AddN(1, 2, 30)
	bulk.AddN(5, 5, 0)  // nothing
	bulk.AddN(5, 5, -3) // nothing
	for i := range 1000 {
		if i < 30 {
			single.Add(1, 2)
		} else {
			single.Add(0, 0)
		}
	}
	if bulk != single {
		t.Errorf("AddN sample %+v, want %+v", bulk, single)
	}
}

func TestSampleRefusesNonFiniteValues(t *testing.T) {
	var s Sample
	s.Add(1, 0)
	s.Add(math.NaN(), 0)
	s.Add(2, math.Inf(1))
	s.AddN(math.Inf(-1), 0, 5)
	if s.N != 1 || s.Invalid != 7 || s.Mean() != 1 {
		t.Errorf("N = %d, Invalid = %d, Mean = %v; want 1, 7, 1", s.N, s.Invalid, s.Mean())
	}
}
