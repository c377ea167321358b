package experiment

import (
	"math"
	"testing"
)

// cupedWorlds simulates worlds pairs of groups of n customers each whose pre-period X is
// N(100, 20²) and whose metric is Y = slope·X + N(0, noise²) (+ effect in the treatment
// group), and returns the mean plain and CUPED differences, the mean CUPED/plain width ratio
// of the fixed-horizon interval, its largest value, the CUPED coverage of the effect and the
// mean reported variance reduction and correlation.
func cupedWorlds(t *testing.T, seed uint64, worlds, n int, slope, noise, effect float64) (plainDiff, cupedDiff, widthRatio, maxRatio, cupedCoverage, reduction, correlation float64) {
	t.Helper()
	for w := range worlds {
		r := newRand(seed, uint64(w))
		var treatment, control Sample
		for i := range 2 * n {
			x := 100 + 20*r.NormFloat64()
			y := slope*x + noise*r.NormFloat64()
			if i%2 == 0 {
				treatment.Add(y+effect, x)
			} else {
				control.Add(y, x)
			}
		}
		c := Compare(treatment, control, Options{})
		if !c.Measurable() || !c.CUPEDApplied {
			t.Fatalf("world %d: measurable %v, CUPED applied %v (%s)", w, c.Measurable(), c.CUPEDApplied, c.Reason)
		}
		if c.Best() != c.CUPED {
			t.Fatalf("Best is not the CUPED estimate")
		}
		plainDiff += c.Plain.Diff
		cupedDiff += c.CUPED.Diff
		ratio := c.CUPED.CI.Width() / c.Plain.CI.Width()
		widthRatio += ratio
		maxRatio = max(maxRatio, ratio)
		cupedCoverage += b2f(c.CUPED.CI.Contains(effect))
		reduction += c.VarianceReduction
		correlation += c.Correlation
		assertFinite(t, c)
	}
	k := float64(worlds)
	return plainDiff / k, cupedDiff / k, widthRatio / k, maxRatio, cupedCoverage / k, reduction / k, correlation / k
}

func TestCUPEDWithCorrelatedPrePeriod(t *testing.T) {
	// Y = 0.8·X + N(0, 12²) with sd(X) = 20: var(Y) = 256 + 144 = 400, cov = 0.8·400 = 320,
	// ρ = 320/(20·20) = 0.8, so CUPED leaves 1-ρ² = 36% of the variance: intervals 60% as wide.
	// Per world the CUPED difference has standard error √(2·144/1000) = 0.54, so over 400
	// worlds its mean has standard error 0.027 around the true effect of 2.
	plainDiff, cupedDiff, ratio, maxRatio, coverage, reduction, rho := cupedWorlds(t, 21, 400, 1000, 0.8, 12, 2)
	t.Logf("mean diff plain %.3f, CUPED %.3f; width ratio %.3f (max %.3f); CUPED coverage %.3f; variance reduction %.3f, ρ %.3f",
		plainDiff, cupedDiff, ratio, maxRatio, coverage, reduction, rho)
	near(t, "mean CUPED difference", cupedDiff, 2, 0.1)
	near(t, "mean plain difference", plainDiff, 2, 0.2)
	near(t, "width ratio", ratio, 0.6, 0.02)
	if maxRatio >= 0.7 {
		t.Errorf("CUPED interval %.3f as wide as the plain one in some world, want narrower everywhere", maxRatio)
	}
	near(t, "variance reduction", reduction, 0.64, 0.02)
	near(t, "correlation", rho, 0.8, 0.01)
	if coverage < 0.92 || coverage > 0.98 {
		t.Errorf("CUPED coverage %.3f, want about 0.95", coverage)
	}
}

func TestCUPEDWithUselessPrePeriod(t *testing.T) {
	// Y does not depend on X: CUPED can only estimate θ ≈ 0 and must not widen the interval
	// by more than the noise of that estimate (about 1/n of the variance).
	plainDiff, cupedDiff, ratio, maxRatio, coverage, reduction, rho := cupedWorlds(t, 22, 400, 1000, 0, 20, 2)
	t.Logf("mean diff plain %.3f, CUPED %.3f; width ratio %.4f (max %.4f); CUPED coverage %.3f; variance reduction %.4f, ρ %.4f",
		plainDiff, cupedDiff, ratio, maxRatio, coverage, reduction, rho)
	near(t, "mean CUPED difference", cupedDiff, 2, 0.1)
	if ratio > 1.001 || maxRatio > 1.005 {
		t.Errorf("useless covariate widened the interval: mean ratio %.4f, max %.4f", ratio, maxRatio)
	}
	near(t, "variance reduction", reduction, 0, 0.005)
	if coverage < 0.92 || coverage > 0.98 {
		t.Errorf("CUPED coverage %.3f, want about 0.95", coverage)
	}
}

func TestCUPEDHandComputed(t *testing.T) {
	// Treatment (y, x): (3, 2), (5, 3), (4, 4); control: (1, 1), (2, 2), (4, 3).
	// Pre-period means: treatment 3, control 2, overall 2.5; Σ(x-x̄)² = 2 in both groups.
	// Treatment ȳ = 4, Σ(x-3)(y-4) = (-1)(-1) + 0 + (1)(0) = 1, Σ(y-4)² = 1+1+0 = 2.
	// Control ȳ = 7/3, Σ(x-2)(y-7/3) = (-1)(-4/3) + 0 + (1)(5/3) = 3,
	// Σ(y-7/3)² = 16/9 + 1/9 + 25/9 = 42/9.
	// θ = (1+3)/(2+2) = 1. Adjusted means: treatment 4 - 1·(3-2.5) = 3.5, control
	// 7/3 - 1·(2-2.5) = 17/6; difference 2/3 (the raw 5/3, less the 1 the treatment group
	// already had more before the experiment).
	// Residuals y - θx: treatment 1, 2, 0 (variance 1); control 0, 0, 1 (variance 1/3).
	// V = 1/3 + (1/3)/3 = 4/9, SE = 2/3. Plain V = (2/2)/3 + (42/9/2)/3 = 1/3 + 7/9 = 10/9.
	// Variance reduction 1 - (4/9)/(10/9) = 0.6; ρ = 4/√(4·(2+42/9)) = 4/√(80/3) = 0.774597.
	var treatment, control Sample
	for _, p := range [][2]float64{{3, 2}, {5, 3}, {4, 4}} {
		treatment.Add(p[0], p[1])
	}
	for _, p := range [][2]float64{{1, 1}, {2, 2}, {4, 3}} {
		control.Add(p[0], p[1])
	}
	c := Compare(treatment, control, Options{})
	if !c.CUPEDApplied {
		t.Fatalf("CUPED not applied")
	}
	const tol = 1e-9
	near(t, "Theta", c.Theta, 1, tol)
	near(t, "CUPED.TreatmentMean", c.CUPED.TreatmentMean, 3.5, tol)
	near(t, "CUPED.ControlMean", c.CUPED.ControlMean, 17.0/6, tol)
	near(t, "CUPED.Diff", c.CUPED.Diff, 2.0/3, tol)
	near(t, "CUPED.StdErr", c.CUPED.StdErr, 2.0/3, tol)
	near(t, "Plain.Diff", c.Plain.Diff, 5.0/3, tol)
	near(t, "Plain.StdErr", c.Plain.StdErr, math.Sqrt(10.0/9), tol)
	near(t, "VarianceReduction", c.VarianceReduction, 0.6, tol)
	near(t, "Correlation", c.Correlation, 0.774597, 1e-6)
}

func TestCUPEDFallsBack(t *testing.T) {
	t.Run("no pre-period variation", func(t *testing.T) {
		var treatment, control Sample
		for i := range 100 {
			treatment.Add(float64(i%7), 5)
			control.Add(float64(i%5), 5)
		}
		c := Compare(treatment, control, Options{})
		if c.CUPEDApplied || c.CUPED != c.Plain || c.Theta != 0 || c.VarianceReduction != 0 {
			t.Errorf("CUPED applied without pre-period variation: %+v", c)
		}
	})
	t.Run("pre-period predicts the metric exactly", func(t *testing.T) {
		var treatment, control Sample
		for i := range 100 {
			treatment.Add(float64(i%7)+1, float64(i%7))
			control.Add(float64(i%5), float64(i%5))
		}
		c := Compare(treatment, control, Options{})
		if c.CUPEDApplied || c.CUPED != c.Plain {
			t.Errorf("CUPED applied with no residual spread: %+v", c)
		}
		if !c.Measurable() || c.Plain.StdErr == 0 {
			t.Errorf("plain estimate lost: %+v", c.Plain)
		}
		assertFinite(t, c)
	})
}
