package experiment

import "math"

// mixtureHalfWidth is the half-width of the normal-mixture mSPRT confidence sequence of
// Johari, Pekelis & Walsh for an estimate with variance v and mixing variance tau2:
//
//	√( v·(v+τ²)/τ² · (2·ln(1/α) + ln((v+τ²)/v)) )
//
// It is the set of true differences whose mixture likelihood ratio stays below 1/α, which by
// Ville's inequality holds at all sample sizes at once with probability 1-α.
func mixtureHalfWidth(v, tau2, alpha float64) float64 {
	// v·(1 + v/τ²) rather than v·(v+τ²)/τ², so that metrics in the billions do not overflow.
	return math.Sqrt(v * (1 + v/tau2) * (2*math.Log(1/alpha) + math.Log1p(tau2/v)))
}

// mixturePValue is the always-valid p-value of the same test for the difference d: the
// inverse of the mixture likelihood ratio against a true difference of 0, capped at 1,
//
//	√((v+τ²)/v) · exp(-τ²·d² / (2·v·(v+τ²)))
//
// It is below α exactly when the always-valid interval excludes 0.
func mixturePValue(d, v, tau2 float64) float64 {
	logP := 0.5*math.Log1p(tau2/v) - d*(d/v)/(2*(1+v/tau2))
	return math.Exp(min(0, logP))
}

// sequentialTargetVariance returns the variance V* of the difference at which a true
// difference delta makes the always-valid interval exclude 0 with probability power:
// delta = w(V*) + z(power)·√V*, w being mixtureHalfWidth. The left side grows with V (w² has
// derivative (1+2V/τ²)·(2·ln(1/α) + ln(1+τ²/V)) - 1 > 0 for α < 0.6, and z(power) >= 0 for
// power >= 0.5, which Options guarantees), so the root is unique; it is found on log V, where
// the equation is nearly linear, by the Illinois variant of regula falsi, which keeps the
// root bracketed and converges in a handful of steps (Compare runs it on every report).
func sequentialTargetVariance(delta, tau2, alpha, power float64) float64 {
	zPower := normalQuantile(power)
	logDelta := math.Log(delta)
	f := func(logV float64) float64 {
		v := math.Exp(logV)
		return math.Log(mixtureHalfWidth(v, tau2, alpha)+zPower*math.Sqrt(v)) - logDelta
	}
	// The fixed-horizon answer is an upper bracket: the always-valid interval is wider, so it
	// needs a smaller variance (more customers).
	hi := 2 * math.Log(delta/(normalQuantile(1-alpha/2)+zPower))
	fHi := f(hi)
	lo, fLo := hi, fHi
	for range 100 {
		if fLo < 0 {
			break
		}
		lo -= math.Ln2
		fLo = f(lo)
	}
	if fLo >= 0 || fHi <= 0 {
		// Only reachable with non-finite inputs; the bracket is the best answer there is.
		return math.Exp(lo)
	}
	side := 0
	for range 100 {
		mid := (lo*fHi - hi*fLo) / (fHi - fLo)
		fMid := f(mid)
		switch {
		case fMid == 0:
			return math.Exp(mid)
		case fMid < 0:
			lo, fLo = mid, fMid
			if side == -1 {
				fHi /= 2 // the same end moved twice: halve the other's weight (Illinois)
			}
			side = -1
		default:
			hi, fHi = mid, fMid
			if side == 1 {
				fLo /= 2
			}
			side = 1
		}
		if hi-lo < 1e-12 {
			break
		}
	}
	return math.Exp((lo + hi) / 2)
}
