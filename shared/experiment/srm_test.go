package experiment

import (
	"math"
	"testing"
)

func TestChiSquareSurvivalKnownValues(t *testing.T) {
	// Critical values from chi-square tables.
	tests := []struct {
		x    float64
		df   int
		want float64
	}{
		{3.841459, 1, 0.05},
		{6.634897, 1, 0.01},
		{10.827566, 1, 0.001},
		{5.991465, 2, 0.05},
		{13.815511, 2, 0.001},
		{7.814728, 3, 0.05},
		{18.307038, 10, 0.05},
		{124.342113, 100, 0.05},
		{0.5, 4, 0.973501}, // e^-0.25·(1 + 0.25), the closed form for 4 degrees of freedom
		{0, 3, 1},
		{-1, 3, 1},
		{5, 0, 1},
		{math.Inf(1), 2, 0},
	}
	for _, tt := range tests {
		got := ChiSquareSurvival(tt.x, tt.df)
		if math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("ChiSquareSurvival(%g, %d) = %.8f, want %.6f", tt.x, tt.df, got, tt.want)
		}
	}
}

func TestChiSquareSurvivalClosedForms(t *testing.T) {
	// For 1, 2 and 3 degrees of freedom the survival function has closed forms; sweeping x
	// from 0.01 to 400 exercises both the series and the continued fraction, and the far
	// tail, where only a relative error makes sense.
	closed := map[int]func(x float64) float64{
		1: func(x float64) float64 { return math.Erfc(math.Sqrt(x / 2)) },
		2: func(x float64) float64 { return math.Exp(-x / 2) },
		3: func(x float64) float64 {
			return math.Erfc(math.Sqrt(x/2)) + math.Sqrt(2*x/math.Pi)*math.Exp(-x/2)
		},
	}
	for df, f := range closed {
		for x := 0.01; x < 400; x *= 1.1 {
			got, want := ChiSquareSurvival(x, df), f(x)
			if math.Abs(got-want) > 1e-12+1e-9*want {
				t.Errorf("df %d, x %g: %.15g, want %.15g", df, x, got, want)
			}
		}
	}
}

func TestNormalHelpers(t *testing.T) {
	near(t, "Φ(0)", normalCDF(0), 0.5, 1e-15)
	near(t, "Φ(-1.5)", normalCDF(-1.5), 0.0668072013, 1e-10)
	near(t, "Φ⁻¹(0.975)", normalQuantile(0.975), 1.959963985, 1e-9)
	near(t, "Φ⁻¹(0.8)", normalQuantile(0.8), 0.8416212336, 1e-9)
	near(t, "Φ⁻¹(0.001)", normalQuantile(0.001), -3.090232306, 1e-9)
	near(t, "Φ⁻¹(1e-10)", normalQuantile(1e-10), -6.361340902, 1e-7)
	near(t, "two-sided p of 1.959964", twoSidedP(1.959964), 0.05, 1e-7)
	for p := 0.001; p < 1; p += 0.001 {
		near(t, "Φ(Φ⁻¹(p))", normalCDF(normalQuantile(p)), p, 1e-12)
	}
}

func TestSampleRatioMismatch(t *testing.T) {
	// A correct assignment: 100,000 customers, each drawn into engine / random / silence with
	// the configured 96% / 2% / 2%.
	r := newRand(31, 1)
	observed := make([]int, 3)
	for range 100_000 {
		switch u := r.Float64(); {
		case u < 0.02:
			observed[2]++
		case u < 0.04:
			observed[1]++
		default:
			observed[0]++
		}
	}
	chi2, p, mismatch := SampleRatioMismatch(observed, []float64{0.96, 0.02, 0.02})
	t.Logf("correct assignment %v: chi2 %.3f, p %.3f", observed, chi2, p)
	if mismatch {
		t.Errorf("correct assignment %v flagged: chi2 %.3f, p %.3g", observed, chi2, p)
	}

	tests := []struct {
		name     string
		observed []int
		shares   []float64
		chi2, p  float64
		mismatch bool
	}{
		// Exactly the expected counts.
		{"perfect", []int{96000, 2000, 2000}, []float64{0.96, 0.02, 0.02}, 0, 1, false},
		// 2.6% in a group configured at 2% of 100,000, the shares given in percent:
		// chi2 = 600²/96000 + 600²/2000 + 0 = 3.75 + 180 = 183.75, p = e^(-183.75/2) with 2
		// degrees of freedom.
		{"broken random group", []int{95400, 2600, 2000}, []float64{96, 2, 2}, 183.75, 1.2565925e-40, true},
		// Shares that do not sum to 1 (rounded in a configuration file, say) are normalised:
		// expected 1000 and 1000, chi2 = 40²/1000 + 40²/1000 = 3.2, p = erfc(√1.6) with 1
		// degree of freedom.
		{"unnormalised shares", []int{1040, 960}, []float64{0.49, 0.49}, 3.2, 0.07363827, false},
		// A zero-share group without customers is left out (one degree of freedom remains).
		{"unused group", []int{1040, 960, 0}, []float64{0.5, 0.5, 0}, 3.2, 0.07363827, false},
		{"customers in a group that should not exist", []int{1000, 1000, 5}, []float64{0.5, 0.5, 0}, math.Inf(1), 0, true},
		{"no customers", []int{0, 0}, []float64{0.5, 0.5}, 0, 1, false},
		{"one group", []int{500}, []float64{1}, 0, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chi2, p, mismatch := SampleRatioMismatch(tt.observed, tt.shares)
			if mismatch != tt.mismatch {
				t.Errorf("mismatch = %v, want %v (chi2 %g, p %g)", mismatch, tt.mismatch, chi2, p)
			}
			if math.IsInf(tt.chi2, 1) {
				if !math.IsInf(chi2, 1) {
					t.Errorf("chi2 = %g, want +Inf", chi2)
				}
			} else {
				near(t, "chi2", chi2, tt.chi2, 1e-6)
			}
			near(t, "p", p, tt.p, 1e-6*max(tt.p, 1e-40))
		})
	}
}

func TestSampleRatioMismatchMalformedInput(t *testing.T) {
	tests := []struct {
		name     string
		observed []int
		shares   []float64
	}{
		{"lengths differ", []int{1, 2}, []float64{1}},
		{"negative count", []int{10, -1}, []float64{0.5, 0.5}},
		{"negative share", []int{10, 10}, []float64{1.5, -0.5}},
		{"NaN share", []int{10, 10}, []float64{0.5, math.NaN()}},
		{"infinite share", []int{10, 10}, []float64{0.5, math.Inf(1)}},
		{"no positive share", []int{10, 10}, []float64{0, 0}},
	}
	for _, tt := range tests {
		chi2, p, mismatch := SampleRatioMismatch(tt.observed, tt.shares)
		if !math.IsNaN(chi2) || !math.IsNaN(p) || !mismatch {
			t.Errorf("%s: got %g, %g, %v; want NaN, NaN, true", tt.name, chi2, p, mismatch)
		}
	}
}
