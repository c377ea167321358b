package experiment

import "math"

// normalCDF is Φ(x), the standard normal distribution function.
func normalCDF(x float64) float64 {
	return 0.5 * math.Erfc(-x/math.Sqrt2)
}

// normalQuantile is Φ⁻¹(p) for p in (0, 1). It goes through Erfcinv rather than Erfinv so
// that small p keep their precision.
func normalQuantile(p float64) float64 {
	return -math.Sqrt2 * math.Erfcinv(2*p)
}

// twoSidedP is the two-sided normal p-value of a z statistic, 2·(1-Φ(|z|)).
func twoSidedP(z float64) float64 {
	return math.Erfc(math.Abs(z) / math.Sqrt2)
}
