package experiment

import (
	"math"
	"strings"
	"testing"
)

func TestCompareHandComputed(t *testing.T) {
	// Treatment 1,2,3,4,5: mean 3, variance Σ(y-3)²/4 = 10/4 = 2.5.
	// Control 0,1,2,3: mean 1.5, variance (2.25+0.25+0.25+2.25)/3 = 5/3.
	// Difference 3 - 1.5 = 1.5.
	// V = 2.5/5 + (5/3)/4 = 0.5 + 0.416667 = 0.916667, SE = √V = 0.957427.
	// z(0.975) = 1.959964, so CI = 1.5 ± 1.876524 = [-0.376523, 3.376523];
	// z = 1.5/0.957427 = 1.566699, p = 2·(1-Φ(1.566699)) = 0.117185.
	// Relative 1.5/1.5 = 1; delta method Var = 0.5/1.5² + 3²·0.416667/1.5⁴
	// = 0.222222 + 0.740741 = 0.962963, SE 0.981307, CI 1 ± 1.923326 = [-0.923326, 2.923326].
	// Always valid with τ = 1 (set explicitly so the arithmetic stays readable):
	// V(V+τ²)/τ² = 0.916667·1.916667 = 1.756944; 2·ln 20 = 5.991465;
	// ln((V+τ²)/V) = ln(2.090909) = 0.737599; half-width = √(1.756944·6.729063) = 3.438399,
	// interval [-1.938399, 4.938399];
	// p = √(2.090909)·exp(-1.5²/(2·1.756944)) = 1.446002·exp(-0.640316) = 0.762223.
	treatment := sampleOf(1, 2, 3, 4, 5)
	control := sampleOf(0, 1, 2, 3)
	c := Compare(treatment, control, Options{Tau: 1})
	if !c.Measurable() {
		t.Fatalf("not measurable: %s", c.Reason)
	}
	if c.CUPEDApplied {
		t.Errorf("CUPED applied without a pre-period")
	}
	e := c.Plain
	const tol = 1e-6
	near(t, "TreatmentMean", e.TreatmentMean, 3, tol)
	near(t, "ControlMean", e.ControlMean, 1.5, tol)
	near(t, "Diff", e.Diff, 1.5, tol)
	near(t, "StdErr", e.StdErr, 0.957427, tol)
	near(t, "CI.Low", e.CI.Low, -0.376523, tol)
	near(t, "CI.High", e.CI.High, 3.376523, tol)
	near(t, "PValue", e.PValue, 0.117185, tol)
	near(t, "Relative", e.Relative, 1, tol)
	near(t, "RelativeStdErr", e.RelativeStdErr, 0.981307, tol)
	near(t, "RelativeCI.Low", e.RelativeCI.Low, -0.923326, tol)
	near(t, "RelativeCI.High", e.RelativeCI.High, 2.923326, tol)
	near(t, "AlwaysValid.Low", e.AlwaysValid.Low, -1.938399, tol)
	near(t, "AlwaysValid.High", e.AlwaysValid.High, 4.938399, tol)
	near(t, "AlwaysValidPValue", e.AlwaysValidPValue, 0.762223, tol)
	if c.Significant {
		t.Errorf("significant with an always-valid interval that contains 0")
	}
	if c.Best() != c.Plain || c.CUPED != c.Plain {
		t.Errorf("without CUPED, Best and CUPED must be the plain estimate")
	}
	assertFinite(t, c)
}

func TestCompareIdenticalGroups(t *testing.T) {
	r := newRand(2, 1)
	var s Sample
	addBernoulli(&s, r, 5000, 0.03)
	c := Compare(s, s, Options{})
	if !c.Measurable() {
		t.Fatalf("not measurable: %s", c.Reason)
	}
	b := c.Best()
	if b.Diff != 0 || b.Relative != 0 || b.PValue != 1 || b.AlwaysValidPValue != 1 {
		t.Errorf("diff %v, relative %v, p %v, always-valid p %v; want 0, 0, 1, 1", b.Diff, b.Relative, b.PValue, b.AlwaysValidPValue)
	}
	if c.Significant {
		t.Errorf("identical groups are significant")
	}
	if !b.CI.Contains(0) || !b.AlwaysValid.Contains(0) {
		t.Errorf("intervals %+v, %+v exclude 0", b.CI, b.AlwaysValid)
	}
	if c.MoreNeeded == 0 {
		t.Errorf("5,000 customers at 3%% are enough for a 5%% lift?")
	}
}

func TestCompareNotMeasurable(t *testing.T) {
	var empty Sample
	zeros := Sample{}
	zeros.AddN(0, 0, 1000)
	ones := Sample{}
	ones.AddN(1, 0, 1000)
	moreOnes := Sample{}
	moreOnes.AddN(1, 3, 400)
	some := sampleOf(0, 1, 0, 2, 5, 0)
	tests := []struct {
		name               string
		treatment, control Sample
		opts               Options
		status             Status
		reason             string
	}{
		{"empty control", some, empty, Options{}, NotMeasurable, "the control group is empty"},
		{"empty treatment", empty, some, Options{}, NotMeasurable, "the treatment group is empty"},
		{"both empty", empty, empty, Options{}, NotMeasurable, "both groups are empty"},
		{"one customer", some, sampleOf(3), Options{}, NotYetMeasurable, "the control group has only 1 customer (at least 2 are needed)"},
		{"one treated customer", sampleOf(3), some, Options{}, NotYetMeasurable, "the treatment group has only 1 customer (at least 2 are needed)"},
		{"below the configured minimum", some, some, Options{MinPerGroup: 100}, NotYetMeasurable, "the treatment group has only 6 customers (at least 100 are needed)"},
		{"zero-outcome cut", zeros, zeros, Options{}, NotYetMeasurable, "no customer in either group has an outcome yet (zero-outcome cut)"},
		{"zero variance in both groups", ones, moreOnes, Options{}, NotYetMeasurable, "every customer of a group has the same value so far, so chance cannot be told from an effect"},
		{"constant but different groups", ones, zeros, Options{}, NotYetMeasurable, "every customer of a group has the same value so far, so chance cannot be told from an effect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Compare(tt.treatment, tt.control, tt.opts)
			if c.Status != tt.status || c.Reason != tt.reason {
				t.Errorf("got %v %q, want %v %q", c.Status, c.Reason, tt.status, tt.reason)
			}
			if c.Measurable() || c.Significant || c.MoreNeeded != 0 {
				t.Errorf("unmeasured comparison claims measurable %v, significant %v, more needed %d", c.Measurable(), c.Significant, c.MoreNeeded)
			}
			for _, e := range []Estimate{c.Plain, c.CUPED} {
				if e.PValue != 1 || e.AlwaysValidPValue != 1 || e.RelativeDefined {
					t.Errorf("unmeasured estimate %+v should have p-values 1 and no relative lift", e)
				}
			}
			assertFinite(t, c)
			v := Verdict(c, UnitPoints)
			want := tt.status.String() + ": " + tt.reason
			if v != want {
				t.Errorf("Verdict = %q, want %q", v, want)
			}
		})
	}
}

func TestCompareControlWithoutOutcomes(t *testing.T) {
	// A silence control group cannot respond to an action it never got: its mean is 0, the
	// absolute difference is still measurable, the relative one is not.
	var treatment, control Sample
	treatment.AddN(1, 0, 300)
	treatment.AddN(0, 0, 9700)
	control.AddN(0, 0, 10000)
	c := Compare(treatment, control, Options{})
	if !c.Measurable() {
		t.Fatalf("not measurable: %s", c.Reason)
	}
	b := c.Best()
	if b.RelativeDefined || b.Relative != 0 || b.RelativeCI != (Interval{}) {
		t.Errorf("relative lift defined against a zero control mean: %+v", b)
	}
	near(t, "Diff", b.Diff, 0.03, 1e-12)
	// MDE falls back to 5% of the pooled mean, 0.015.
	near(t, "MDEAbsolute", c.MDEAbsolute, 0.05*0.015, 1e-12)
	if !c.Significant {
		t.Errorf("300 responses against none is not significant: %+v", b)
	}
	assertFinite(t, c)
	if v := Verdict(c, UnitPoints); v != "+3.0 points, significant" {
		t.Errorf("Verdict = %q", v)
	}
}

func TestAlwaysValidIsWiderAndAgreesWithItsPValue(t *testing.T) {
	r := newRand(3, 1)
	for i := range 10000 {
		v := math.Exp(r.NormFloat64() * 5)
		tau2 := v * math.Exp(r.NormFloat64()*5)
		alpha := []float64{0.5, 0.2, 0.1, 0.05, 0.01, 0.001}[i%6]
		d := r.NormFloat64() * math.Sqrt(v) * 4
		w := mixtureHalfWidth(v, tau2, alpha)
		if fixed := normalQuantile(1-alpha/2) * math.Sqrt(v); !(w > fixed) {
			t.Fatalf("V %g τ² %g α %g: always-valid half-width %g not wider than fixed %g", v, tau2, alpha, w, fixed)
		}
		p := mixturePValue(d, v, tau2)
		// Skip the knife edge, where rounding decides.
		if math.Abs(math.Abs(d)-w) > 1e-9*w && (p < alpha) != (math.Abs(d) > w) {
			t.Fatalf("V %g τ² %g α %g d %g: p %g but half-width %g", v, tau2, alpha, d, p, w)
		}
	}
}

func TestMixingScaleIsNearlyOptimalWhereThePilotDecides(t *testing.T) {
	// The package documentation claims that the half-width at fixed V is smallest at
	// τ²/V ≈ 8.2 and that τ = MDE puts the decision point (τ²/V ≈ 15.2) within 1% of it.
	const alpha = 0.05
	best, bestRatio := math.Inf(1), 0.0
	for ratio := 1.0; ratio < 50; ratio += 0.01 {
		if w := mixtureHalfWidth(1, ratio, alpha); w < best {
			best, bestRatio = w, ratio
		}
	}
	near(t, "optimal τ²/V", bestRatio, 8.21, 0.02)
	vStar := sequentialTargetVariance(1, 1, alpha, 0.8)
	near(t, "τ²/V* with τ = MDE", 1/vStar, 15.2106, 0.001)
	if loss := mixtureHalfWidth(1, 1/vStar, alpha)/best - 1; loss > 0.01 {
		t.Errorf("half-width at the decision point is %.2f%% above its optimum", 100*loss)
	}
}

func TestSampleSizeGuidance(t *testing.T) {
	// Equal groups at exactly 3%: σ² = 0.03·0.97·n/(n-1) per customer, V = 2σ²/n.
	// δ = τ = 5% of 0.03 = 0.0015. The always-valid interval excludes 0 with power 0.8 when
	// δ = w(V*) + 0.841621·√V*; with τ = δ this is τ²/V* = 15.2106 (solved numerically), so
	// each group needs n* = 2σ²·15.2106/δ² ≈ 393,000 customers, about twice the 203,000 of
	// a fixed-horizon test, the price of reading the report every week.
	const n = 10000
	var s Sample
	s.AddN(1, 0, 300)
	s.AddN(0, 0, n-300)
	c := Compare(s, s, Options{})
	sigma2 := 0.03 * 0.97 * n / (n - 1)
	want := 2 * sigma2 * 15.2106 / (0.0015 * 0.0015)
	near(t, "NeededControl", float64(c.NeededControl), want, want*1e-5)
	near(t, "NeededTreatment", float64(c.NeededTreatment), want, want*1e-5)
	if c.MoreNeeded != c.NeededControl-n {
		t.Errorf("MoreNeeded = %d, want %d", c.MoreNeeded, c.NeededControl-n)
	}

	// With 40 times as many customers, nothing more is needed.
	var big Sample
	big.AddN(1, 0, 40*300)
	big.AddN(0, 0, 40*(n-300))
	if c := Compare(big, big, Options{}); c.MoreNeeded != 0 || c.NeededControl >= big.N {
		t.Errorf("MoreNeeded = %d, NeededControl = %d with %d customers per group", c.MoreNeeded, c.NeededControl, big.N)
	}

	// A 96% / 2% split needs about half as many control customers as equal groups, since
	// the engine group's variance all but vanishes; the engine group grows in proportion.
	var engine Sample
	engine.AddN(1, 0, 48*300)
	engine.AddN(0, 0, 48*(n-300))
	split := Compare(engine, s, Options{})
	ratio := float64(split.NeededControl) / float64(c.NeededControl)
	near(t, "needed control, 96/2 split vs equal groups", ratio, (1+1.0/48)/2, 1e-4)
	near(t, "needed engine / needed control", float64(split.NeededTreatment)/float64(split.NeededControl), 48, 1e-3)
	if split.MoreNeeded != split.NeededControl-n {
		t.Errorf("MoreNeeded = %d counts the smaller group: want %d", split.MoreNeeded, split.NeededControl-n)
	}
}

func TestSampleSizeGuidanceDeliversItsPower(t *testing.T) {
	// Simulate worlds whose true lift is exactly the MDE (20% on a 3% rate, large so the
	// worlds are small), at the size Compare says is needed: the always-valid interval must
	// exclude 0 in about 80% of them.
	const (
		pC   = 0.03
		mde  = 0.2
		seed = 11
	)
	// A pilot read with exactly the true rates, 3.6% and 3%: the guidance uses both groups'
	// variances, and the treatment's is 10% larger than the control's.
	var pilotT, pilotC Sample
	pilotT.AddN(1, 0, 72)
	pilotT.AddN(0, 0, 1928)
	pilotC.AddN(1, 0, 60)
	pilotC.AddN(0, 0, 1940)
	n := Compare(pilotT, pilotC, Options{MDE: mde}).NeededControl
	const worlds = 1000
	significant := 0
	for w := range worlds {
		r := newRand(seed, uint64(w))
		var treatment, control Sample
		addBernoulli(&treatment, r, n, pC*(1+mde))
		addBernoulli(&control, r, n, pC)
		if Compare(treatment, control, Options{MDE: mde}).Significant {
			significant++
		}
	}
	power := float64(significant) / worlds
	t.Logf("n = %d per group, power %.3f", n, power)
	if power < 0.76 || power > 0.86 {
		t.Errorf("power at the advised sample size = %.3f, want about 0.8", power)
	}
}

func TestOptionsDefaults(t *testing.T) {
	got := Options{Alpha: 2, Power: 0.2, MDE: -1, Tau: math.NaN(), MinPerGroup: -5}.withDefaults()
	want := Options{Alpha: DefaultAlpha, Power: DefaultPower, MDE: DefaultMDE, MinPerGroup: DefaultMinPerGroup}
	if got != want {
		t.Errorf("withDefaults = %+v, want %+v", got, want)
	}
	keep := Options{Alpha: 0.01, Power: 0.9, MDE: 0.1, Tau: 0.5, MinPerGroup: 300}
	if got := keep.withDefaults(); got != keep {
		t.Errorf("withDefaults changed valid options: %+v", got)
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[Status]string{Measured: "measured", NotYetMeasurable: "not yet measurable", NotMeasurable: "not measurable", Status(9): "Status(9)"} {
		if got := s.String(); got != want {
			t.Errorf("%d: %q, want %q", int(s), got, want)
		}
	}
	if !strings.HasPrefix(Verdict(Comparison{Status: Status(9)}, ""), "not measurable") {
		t.Errorf("unknown status must not read as a result")
	}
}

func TestCompareCorruptSamples(t *testing.T) {
	good := sampleOf(0, 1, 1, 0, 2)
	tests := []struct {
		name               string
		treatment, control Sample
		reason             string
	}{
		{"negative count", Sample{N: -3}, good, "the treatment group's sums are corrupt (a negative count, or a sum that is not a finite number)"},
		{"NaN sum", good, Sample{N: 10, SumY: math.NaN()}, "the control group's sums are corrupt (a negative count, or a sum that is not a finite number)"},
		{"negative sum of squares", good, Sample{N: 10, SumY: 1, SumY2: -1}, "the control group's sums are corrupt (a negative count, or a sum that is not a finite number)"},
		{"infinite cross-product", Sample{N: 10, SumY: 1, SumY2: 1, SumXY: math.Inf(-1)}, good, "the treatment group's sums are corrupt (a negative count, or a sum that is not a finite number)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Compare(tt.treatment, tt.control, Options{})
			if c.Status != NotMeasurable || c.Reason != tt.reason {
				t.Errorf("got %v %q, want not measurable %q", c.Status, c.Reason, tt.reason)
			}
			assertFinite(t, c)
		})
	}
}

func TestCompareExtremeScalesStayFinite(t *testing.T) {
	// Metrics at absurd scales must give either a comparison or a reason, never an infinity
	// or a NaN. Values beyond 1e154 cannot even be squared: Add refuses them.
	r := newRand(5, 1)
	for _, scale := range []float64{1e-300, 1e-200, 1e-160, 1e-100, 1e-20, 1, 1e20, 1e100, 1e150, 1e160} {
		var treatment, control Sample
		for range 50 {
			treatment.Add(scale*(1.1+r.Float64()), scale*r.Float64())
			control.Add(scale*r.Float64(), scale*r.Float64())
		}
		c := Compare(treatment, control, Options{})
		t.Logf("scale %g: %v %s, invalid %d", scale, c.Status, c.Reason, treatment.Invalid+control.Invalid)
		assertFinite(t, c)
		if scale >= 1e-100 && scale <= 1e150 && !c.Measurable() {
			t.Errorf("scale %g: not measurable: %s", scale, c.Reason)
		}
	}
}
