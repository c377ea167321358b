package experiment

import (
	"math/rand/v2"
	"testing"
)

// coverage is what one simulation of repeated pilots measured.
type coverage struct {
	// fixedFinal is the share of worlds whose fixed-horizon interval, read once at the end,
	// covers the true difference; relativeFinal is the same for the relative lift.
	fixedFinal, relativeFinal float64
	// fixedAll is the share of worlds whose fixed-horizon interval covers the true difference
	// at every weekly look.
	fixedAll float64
	// alwaysValidAll is the same for the always-valid interval, one entry per Options
	// simulated; widthRatio is its mean width over the fixed one at the last look.
	alwaysValidAll, widthRatio []float64
}

// simulatePilots runs worlds 12-week pilots with weeklyControl new control customers and
// twice as many treatment customers a week, reading the report after every week with each of
// opts (the fixed-horizon figures are the same for all). A real split such as 96% / 2%
// draws 24 times as many engine customers for little change in the variance of the
// difference, which the control group dominates; 2:1 keeps the groups unequal and the
// simulation fast. draw adds n customers of a group to a sample.
func simulatePilots(t *testing.T, seed uint64, worlds int, weeklyControl int64, trueDiff, trueRelative float64,
	draw func(s *Sample, r *rand.Rand, n int64, treatment bool), opts ...Options) coverage {
	t.Helper()
	const looks = 12
	weeklyTreatment := 2 * weeklyControl
	cov := coverage{alwaysValidAll: make([]float64, len(opts)), widthRatio: make([]float64, len(opts))}
	alwaysValidAll := make([]bool, len(opts))
	for w := range worlds {
		r := newRand(seed, uint64(w))
		var treatment, control Sample
		fixedAll := true
		for i := range opts {
			alwaysValidAll[i] = true
		}
		for look := range looks {
			draw(&treatment, r, weeklyTreatment, true)
			draw(&control, r, weeklyControl, false)
			for i, o := range opts {
				c := Compare(treatment, control, o)
				if !c.Measurable() {
					t.Fatalf("world %d: %s", w, c.Reason)
				}
				alwaysValidAll[i] = alwaysValidAll[i] && c.Plain.AlwaysValid.Contains(trueDiff)
				if i == 0 {
					fixedAll = fixedAll && c.Plain.CI.Contains(trueDiff)
				}
				if look == looks-1 {
					cov.widthRatio[i] += c.Plain.AlwaysValid.Width() / c.Plain.CI.Width()
					if i == 0 {
						cov.fixedFinal += b2f(c.Plain.CI.Contains(trueDiff))
						cov.relativeFinal += b2f(c.Plain.RelativeCI.Contains(trueRelative))
					}
				}
			}
		}
		cov.fixedAll += b2f(fixedAll)
		for i, ok := range alwaysValidAll {
			cov.alwaysValidAll[i] += b2f(ok)
		}
	}
	n := float64(worlds)
	cov.fixedFinal /= n
	cov.relativeFinal /= n
	cov.fixedAll /= n
	for i := range opts {
		cov.alwaysValidAll[i] /= n
		cov.widthRatio[i] /= n
	}
	return cov
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func TestCoverageUnderRepeatedLooks(t *testing.T) {
	const worlds = 2000
	tests := []struct {
		name          string
		weeklyControl int64
		pT, pC        float64
		// mean is the true mean of the metric when a share p of customers respond or buy.
		mean func(p float64) float64
		draw func(s *Sample, r *rand.Rand, n int64, p float64)
		// mde is the minimum detectable effect an operator would configure for this pilot:
		// the lift it was built to detect.
		mde float64
	}{
		// Positive outcomes at 3.6% for the engine against 3% for control; the control group
		// has 15 responders after the first week, 180 after the last.
		{"bernoulli 3.6% vs 3%", 500, 0.036, 0.03, func(p float64) float64 { return p }, addBernoulli, 0.2},
		// No lift at all, in a pilot built to detect 20%: an interval that excludes the true
		// 0 is a false alarm.
		{"bernoulli A/A 3% vs 3%", 500, 0.03, 0.03, func(p float64) float64 { return p }, addBernoulli, 0.2},
		// Revenue: 5.5% against 5% of customers buy, spending a lognormal amount (mean 54.6 €,
		// standard deviation 71.6 €), so the metric is 0 for 95% of customers, with a long tail.
		{"revenue 5.5% vs 5% buyers", 1000, 0.055, 0.05, revenueMean, addRevenue, 0.1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			trueDiff := tt.mean(tt.pT) - tt.mean(tt.pC)
			trueRelative := tt.mean(tt.pT)/tt.mean(tt.pC) - 1
			// The first Options size τ for the lift the pilot is after, where the always-valid
			// interval is tightest and its coverage least conservative; the second are the
			// defaults (τ for a 5% lift).
			opts := []Options{{MDE: tt.mde}, {}}
			cov := simulatePilots(t, 7, worlds, tt.weeklyControl, trueDiff, trueRelative,
				func(s *Sample, r *rand.Rand, n int64, treatment bool) {
					p := tt.pC
					if treatment {
						p = tt.pT
					}
					tt.draw(s, r, n, p)
				}, opts...)
			t.Logf("fixed 95%% interval read once: %.4f (relative lift %.4f); read at all 12 looks: %.4f; "+
				"always-valid at all 12 looks: %.4f with MDE %g (width %.2f × fixed), %.4f with the default (width %.2f × fixed)",
				cov.fixedFinal, cov.relativeFinal, cov.fixedAll,
				cov.alwaysValidAll[0], tt.mde, cov.widthRatio[0], cov.alwaysValidAll[1], cov.widthRatio[1])
			// One look: a 95% interval. With 2000 worlds the standard error of the coverage is
			// 0.005, so the band is about ±4 standard errors.
			if cov.fixedFinal < 0.93 || cov.fixedFinal > 0.97 {
				t.Errorf("fixed-horizon coverage %.4f, want within [0.93, 0.97]", cov.fixedFinal)
			}
			if cov.relativeFinal < 0.93 || cov.relativeFinal > 0.97 {
				t.Errorf("relative-lift coverage %.4f, want within [0.93, 0.97]", cov.relativeFinal)
			}
			for i, o := range opts {
				// Twelve looks: the always-valid interval keeps its promise...
				if cov.alwaysValidAll[i] < 0.94 {
					t.Errorf("%+v: always-valid coverage at all looks %.4f, want >= 0.94", o, cov.alwaysValidAll[i])
				}
				if cov.widthRatio[i] <= 1 {
					t.Errorf("%+v: always-valid interval narrower than the fixed one: width ratio %.2f", o, cov.widthRatio[i])
				}
			}
			// ...and the fixed one does not: peeking every week misses far more than 5%.
			if cov.fixedAll > 0.90 || cov.fixedAll >= cov.alwaysValidAll[0] {
				t.Errorf("fixed-horizon coverage at all looks %.4f, want well below 0.95 and below the always-valid %.4f",
					cov.fixedAll, cov.alwaysValidAll[0])
			}
		})
	}
}
