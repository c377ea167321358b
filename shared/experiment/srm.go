package experiment

import "math"

// SRMThreshold is the p-value below which SampleRatioMismatch flags a mismatch. Experimentation
// platforms use 0.001 rather than 0.05 because the check runs on every report of every
// experiment: at 0.05 one healthy experiment in twenty would raise a false alarm, while a real
// assignment bug over thousands of customers gives p-values far below 0.001.
const SRMThreshold = 0.001

// SampleRatioMismatch tests whether the observed group sizes fit the configured shares, with
// a chi-square goodness-of-fit test: chi2 = Σ (observed - expected)² / expected, with
// expected = total × share / Σ shares (shares are normalised, so percentages or shares that
// do not sum exactly to 1 both work) and one degree of freedom less than the number of
// groups. mismatch is pValue < SRMThreshold: the assignment or the logging of the groups is
// broken, and a lift computed from them cannot be trusted.
//
// Groups with a zero share and no customers are left out. A group with a zero share but
// customers cannot happen under the configuration: chi2 is +Inf, pValue 0, mismatch true. No
// customers at all is nothing to test: chi2 0, pValue 1, mismatch false. Malformed input
// (lengths that differ, a negative count, a negative or non-finite share, no positive share)
// gives chi2 and pValue NaN and mismatch true, so that a broken check is never mistaken for a
// passed one.
func SampleRatioMismatch(observed []int, shares []float64) (chi2, pValue float64, mismatch bool) {
	if len(observed) != len(shares) {
		return math.NaN(), math.NaN(), true
	}
	var total, shareSum float64
	for i, o := range observed {
		s := shares[i]
		if o < 0 || !(s >= 0) || math.IsInf(s, 1) {
			return math.NaN(), math.NaN(), true
		}
		total += float64(o)
		shareSum += s
	}
	if !(shareSum > 0) {
		return math.NaN(), math.NaN(), true
	}
	if total == 0 {
		return 0, 1, false
	}
	groups := 0
	for i, o := range observed {
		if shares[i] == 0 {
			if o > 0 {
				return math.Inf(1), 0, true
			}
			continue
		}
		groups++
		expected := total * shares[i] / shareSum
		d := float64(o) - expected
		chi2 += d * d / expected
	}
	pValue = ChiSquareSurvival(chi2, groups-1)
	return chi2, pValue, pValue < SRMThreshold
}

// ChiSquareSurvival is P(χ² > x) for a chi-square distribution with df degrees of freedom:
// the regularized upper incomplete gamma function Q(df/2, x/2). With df <= 0 the statistic
// is identically 0, so the probability is 1 for any x.
func ChiSquareSurvival(x float64, df int) float64 {
	if df <= 0 || !(x > 0) {
		return 1
	}
	return upperGammaRegularized(float64(df)/2, x/2)
}

// upperGammaRegularized is Q(a, x) = Γ(a, x) / Γ(a) for a > 0, x > 0, by the series for the
// lower function where it converges fast (x < a+1) and by Lentz's continued fraction
// otherwise, as in Numerical Recipes §6.2. Both reach full double precision in at most a few
// hundred terms for the degrees of freedom of a group split.
func upperGammaRegularized(a, x float64) float64 {
	if math.IsInf(x, 1) {
		return 0
	}
	lgammaA, _ := math.Lgamma(a)
	// prefactor is x^a e^-x / Γ(a), computed in logs to avoid overflow.
	prefactor := math.Exp(a*math.Log(x) - x - lgammaA)
	const eps = 1e-16
	const maxTerms = 10000
	if x < a+1 {
		// P(a, x) = x^a e^-x / Γ(a) · Σ_n x^n / (a (a+1) ... (a+n)).
		term := 1 / a
		sum := term
		for n := 1; n < maxTerms; n++ {
			term *= x / (a + float64(n))
			sum += term
			if math.Abs(term) < math.Abs(sum)*eps {
				break
			}
		}
		return max(0, 1-sum*prefactor)
	}
	// Q(a, x) = x^a e^-x / Γ(a) · 1/(x+1-a- 1·(1-a)/(x+3-a- 2·(2-a)/(x+5-a- ...))).
	const tiny = 1e-300
	b := x + 1 - a
	c := 1 / tiny
	d := 1 / b
	h := d
	for i := 1; i < maxTerms; i++ {
		an := -float64(i) * (float64(i) - a)
		b += 2
		d = an*d + b
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = b + an/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		delta := d * c
		h *= delta
		if math.Abs(delta-1) < eps {
			break
		}
	}
	return min(1, prefactor*h)
}
