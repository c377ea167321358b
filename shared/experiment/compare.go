package experiment

import (
	"fmt"
	"math"
)

// Defaults for the zero fields of Options.
const (
	// DefaultAlpha gives 95% intervals.
	DefaultAlpha = 0.05
	// DefaultPower is the conventional 80% chance of seeing an effect of the MDE.
	DefaultPower = 0.8
	// DefaultMDE is a 5% relative lift. Set Options.MDE to the lift the pilot was built to
	// show: it also tunes the always-valid interval to be tightest for effects of that size.
	DefaultMDE = 0.05
	// DefaultMinPerGroup is the fewest customers with which a group has a variance at all.
	DefaultMinPerGroup = 2
)

// Options tune Compare. The zero value uses the defaults above; so does any field set to a
// value outside its valid range, so that a mistyped configuration degrades to the standard
// analysis rather than to nonsense.
type Options struct {
	// Alpha is the error rate of every interval: they cover the truth with probability
	// 1-Alpha. Valid in (0, 0.5].
	Alpha float64
	// Power is the probability with which the sample-size guidance expects to detect a lift
	// of MDE. Valid in [0.5, 1).
	Power float64
	// MDE is the minimum detectable effect relative to the control mean (0.05 = a 5% lift).
	// It sets the sample-size guidance and, unless Tau is set, the mixing scale of the
	// always-valid interval. Valid above 0.
	MDE float64
	// Tau is the mixing standard deviation of the always-valid interval, in metric units (an
	// absolute difference of means). 0 means MDE times the larger of the two groups' means
	// in the current look (see the package documentation); set it before the pilot for the
	// strict guarantee.
	// Valid above 0.
	Tau float64
	// MinPerGroup is the fewest customers a group needs before it is compared. Below 2 it
	// is 2. Raise it (to a few hundred, say) to keep the normal approximation away from tiny
	// groups with rare outcomes.
	MinPerGroup int64
}

// withDefaults replaces every unset or invalid field by its default.
func (o Options) withDefaults() Options {
	if !(o.Alpha > 0 && o.Alpha <= 0.5) {
		o.Alpha = DefaultAlpha
	}
	if !(o.Power >= 0.5 && o.Power < 1) {
		o.Power = DefaultPower
	}
	if !(o.MDE > 0 && !math.IsInf(o.MDE, 1)) {
		o.MDE = DefaultMDE
	}
	if !(o.Tau > 0 && !math.IsInf(o.Tau, 1)) {
		o.Tau = 0
	}
	o.MinPerGroup = max(o.MinPerGroup, DefaultMinPerGroup)
	return o
}

// Status says whether a comparison could be made.
type Status int

const (
	// Measured means the comparison has intervals and a significance decision.
	Measured Status = iota
	// NotYetMeasurable means the groups do not yet allow a comparison, but more customers
	// or a longer window may: too few customers, no outcomes yet, no spread yet.
	NotYetMeasurable
	// NotMeasurable means waiting will not help as things stand: a group is empty, so the
	// assignment or the configured shares need looking at.
	NotMeasurable
)

// String is the status in plain words.
func (s Status) String() string {
	switch s {
	case Measured:
		return "measured"
	case NotYetMeasurable:
		return "not yet measurable"
	case NotMeasurable:
		return "not measurable"
	default:
		return fmt.Sprintf("Status(%d)", int(s))
	}
}

// Interval is a closed interval [Low, High].
type Interval struct {
	Low, High float64
}

// Contains says whether v lies in the interval, bounds included.
func (i Interval) Contains(v float64) bool {
	return i.Low <= v && v <= i.High
}

// Width is High - Low.
func (i Interval) Width() float64 {
	return i.High - i.Low
}

// Estimate is the difference between the two groups under one estimator (plain or CUPED).
// It never holds NaN or an infinity, so it can be encoded as JSON as it is; what cannot be
// computed is 0 with a flag saying so.
type Estimate struct {
	// TreatmentMean and ControlMean are the groups' means (adjusted, under CUPED).
	TreatmentMean, ControlMean float64
	// Diff is TreatmentMean - ControlMean.
	Diff float64
	// StdErr is the standard error of Diff, √(s²_T/n_T + s²_C/n_C).
	StdErr float64
	// CI is the fixed-horizon interval Diff ± z(1-α/2)·StdErr, valid for one look only.
	CI Interval
	// PValue is the fixed-horizon two-sided p-value of Diff against 0 (1 when unmeasured).
	PValue float64
	// AlwaysValid is the mSPRT confidence sequence for Diff, valid however many times the
	// report is read; always wider than CI.
	AlwaysValid Interval
	// AlwaysValidPValue is the always-valid p-value of Diff against 0: below α exactly when
	// AlwaysValid excludes 0 (1 when unmeasured).
	AlwaysValidPValue float64
	// RelativeDefined is false when the control mean is 0: a lift relative to nothing is not
	// a number, and Relative, RelativeStdErr and RelativeCI are then 0.
	RelativeDefined bool
	// Relative is Diff / ControlMean (0.05 = the treatment is 5% above control). For a
	// metric that can be negative (a margin, say), a negative control mean flips its sign.
	Relative float64
	// RelativeStdErr is the delta-method standard error of Relative.
	RelativeStdErr float64
	// RelativeCI is the fixed-horizon interval Relative ± z(1-α/2)·RelativeStdErr.
	RelativeCI Interval
}

// Comparison is the outcome of Compare. Read Status first: only a Measured comparison has
// intervals, a significance decision and sample-size guidance; otherwise Reason says why,
// in words fit for an operator.
type Comparison struct {
	// Status says whether the groups could be compared.
	Status Status
	// Reason says why the comparison is not measured, for example "the control group is
	// empty"; empty when Status is Measured.
	Reason string
	// NTreatment and NControl are the group sizes.
	NTreatment, NControl int64
	// Plain is the comparison of the raw metric.
	Plain Estimate
	// CUPED is the comparison after CUPED adjustment; equal to Plain when CUPEDApplied is
	// false.
	CUPED Estimate
	// CUPEDApplied says whether the pre-period covariate varied, so CUPED could be used.
	CUPEDApplied bool
	// Theta is the CUPED coefficient, pooled within-group cov(Y,X) / var(X).
	Theta float64
	// Correlation is the pooled within-group correlation ρ of the metric and its pre-period.
	Correlation float64
	// VarianceReduction is 1 - Var_CUPED/Var_plain for the difference, about ρ²: the share of
	// the variance CUPED removed (equivalently, CUPED needs about 1-ρ² as many customers).
	// It can be slightly negative when the covariate is useless.
	VarianceReduction float64
	// Significant says whether the always-valid interval of Best excludes 0: a decision that
	// stays honest however many times the report has been read.
	Significant bool
	// MDEAbsolute is Options.MDE in metric units: MDE times the control mean (or, when that is
	// 0, the pooled mean of both groups, or else their pooled standard deviation).
	MDEAbsolute float64
	// Tau is the mixing standard deviation used by the always-valid intervals.
	Tau float64
	// NeededTreatment and NeededControl are the group sizes at which a true lift of MDE would
	// make the always-valid interval exclude 0 with probability Options.Power, keeping the
	// current split between the groups and Best's variance per customer. They can be below
	// the current sizes: the sample is then already large enough.
	NeededTreatment, NeededControl int64
	// MoreNeeded is how many more customers the smaller group needs to reach that size (the
	// other group grows in proportion); 0 when it is already large enough. Counts are
	// capped at 10¹⁵, which means "not in this pilot".
	MoreNeeded int64
	// Options are the options used, defaults filled in.
	Options Options
}

// Measurable says whether Status is Measured.
func (c Comparison) Measurable() bool {
	return c.Status == Measured
}

// Best is the estimate Significant and the sample-size guidance rely on: CUPED when it could
// be applied, since it is as unbiased as the plain one and narrower, the plain one otherwise.
func (c Comparison) Best() Estimate {
	if c.CUPEDApplied {
		return c.CUPED
	}
	return c.Plain
}

// maxCount caps customer counts derived from ratios of variances, which can be astronomically
// large when the effect sought is tiny, before they are converted to integers.
const maxCount = 1e15

// Compare compares the metric of treatment against control: difference of means, relative
// lift, both with and without CUPED, fixed-horizon and always-valid intervals, significance
// and sample-size guidance. See the package documentation for the formulas. It never panics
// and never returns NaN: groups that cannot be compared give a Comparison whose Status says
// so and whose Reason says why.
func Compare(treatment, control Sample, opts Options) Comparison {
	o := opts.withDefaults()
	if status, reason := measurability(treatment, control, o.MinPerGroup); status != Measured {
		return unmeasured(treatment, control, o, status, reason)
	}
	c := Comparison{Status: Measured, Options: o, NTreatment: treatment.N, NControl: control.N}

	c.MDEAbsolute = o.MDE * baselineScale(treatment, control)
	c.Tau = o.Tau
	if c.Tau == 0 {
		c.Tau = o.MDE * mixingScale(treatment, control)
	}
	tau2 := c.Tau * c.Tau

	nT, nC := float64(treatment.N), float64(control.N)
	c.Plain = estimate(treatment.Mean(), control.Mean(), treatment.Variance()/nT, control.Variance()/nC, tau2, o.Alpha)
	c.CUPED = c.Plain
	c.applyCUPED(treatment, control, tau2)

	best := c.Best()
	c.Significant = !best.AlwaysValid.Contains(0)

	// Sample size: scale both groups by k so that the variance of the difference falls to V*.
	k := best.StdErr * best.StdErr / sequentialTargetVariance(c.MDEAbsolute, tau2, o.Alpha, o.Power)
	c.NeededTreatment, c.NeededControl = ceilCount(k*nT), ceilCount(k*nC)
	smaller := min(treatment.N, control.N)
	c.MoreNeeded = max(0, ceilCount(k*float64(smaller))-smaller)

	if !c.finite() {
		// Only sums at the edge of floating point (means near 1e-150 or 1e150) get here; a
		// comparison holding infinities would be worse than none.
		return unmeasured(treatment, control, o, NotMeasurable, "the values are too large or too small to compare in floating point")
	}
	return c
}

// unmeasured is the Comparison of groups that cannot be compared: the means of the groups
// that have customers, p-values of 1 (no evidence of anything) and zeros elsewhere.
func unmeasured(t, ctl Sample, o Options, status Status, reason string) Comparison {
	c := Comparison{Status: status, Reason: reason, Options: o, NTreatment: t.N, NControl: ctl.N}
	c.Plain = Estimate{PValue: 1, AlwaysValidPValue: 1}
	if t.valid() && ctl.valid() {
		c.Plain.TreatmentMean, c.Plain.ControlMean = t.Mean(), ctl.Mean()
		if d := c.Plain.TreatmentMean - c.Plain.ControlMean; t.N > 0 && ctl.N > 0 && isFinite(d) {
			c.Plain.Diff = d
		}
	}
	c.CUPED = c.Plain
	return c
}

// finite says whether every number of a measured comparison is finite.
func (c Comparison) finite() bool {
	for _, e := range []Estimate{c.Plain, c.CUPED} {
		for _, v := range []float64{e.TreatmentMean, e.ControlMean, e.Diff, e.StdErr, e.CI.Low, e.CI.High, e.PValue,
			e.AlwaysValid.Low, e.AlwaysValid.High, e.AlwaysValidPValue, e.Relative, e.RelativeStdErr, e.RelativeCI.Low, e.RelativeCI.High} {
			if !isFinite(v) {
				return false
			}
		}
	}
	for _, v := range []float64{c.Theta, c.Correlation, c.VarianceReduction, c.MDEAbsolute, c.Tau} {
		if !isFinite(v) {
			return false
		}
	}
	return true
}

// measurability decides whether the two samples can be compared, and if not, why.
func measurability(t, c Sample, minPerGroup int64) (Status, string) {
	switch {
	case !t.valid():
		return NotMeasurable, "the treatment group's sums are corrupt (a negative count, or a sum that is not a finite number)"
	case !c.valid():
		return NotMeasurable, "the control group's sums are corrupt (a negative count, or a sum that is not a finite number)"
	case t.N == 0 && c.N == 0:
		return NotMeasurable, "both groups are empty"
	case t.N == 0:
		return NotMeasurable, "the treatment group is empty"
	case c.N == 0:
		return NotMeasurable, "the control group is empty"
	case t.N < minPerGroup:
		return NotYetMeasurable, fmt.Sprintf("the treatment group has only %s (at least %d are needed)", customers(t.N), minPerGroup)
	case c.N < minPerGroup:
		return NotYetMeasurable, fmt.Sprintf("the control group has only %s (at least %d are needed)", customers(c.N), minPerGroup)
	case t.SumY2 == 0 && t.SumY != 0 || c.SumY2 == 0 && c.SumY != 0:
		return NotMeasurable, "the values are too large or too small to compare in floating point"
	case t.SumY2 == 0 && c.SumY2 == 0:
		return NotYetMeasurable, "no customer in either group has an outcome yet (zero-outcome cut)"
	case t.ssY() == 0 && c.ssY() == 0:
		return NotYetMeasurable, "every customer of a group has the same value so far, so chance cannot be told from an effect"
	}
	return Measured, ""
}

// customers is "1 customer" or "n customers".
func customers(n int64) string {
	if n == 1 {
		return "1 customer"
	}
	return fmt.Sprintf("%d customers", n)
}

// baselineScale is the metric level the relative MDE applies to: the control mean; when that
// is 0 (a control group that cannot have outcomes, say), the pooled mean of both groups; when
// that is 0 too (a metric centred on 0), the pooled standard deviation, which makes MDE a
// standardised effect. It is positive for measurable groups, at least one of which has
// spread.
// mixingScale is the level the default τ is a share of: the larger of the groups'
// means, or baselineScale when both are 0. A control group with almost no outcomes
// (customers held out of every message) would otherwise put τ far below any lift worth
// reporting, and the always-valid interval, though still valid, would be needlessly wide.
func mixingScale(t, c Sample) float64 {
	if m := max(math.Abs(t.Mean()), math.Abs(c.Mean())); m > 0 {
		return m
	}
	return baselineScale(t, c)
}

func baselineScale(t, c Sample) float64 {
	if m := math.Abs(c.Mean()); m > 0 {
		return m
	}
	pooled := t
	pooled.Merge(c)
	if m := math.Abs(pooled.Mean()); m > 0 {
		return m
	}
	return math.Sqrt(pooled.Variance())
}

// estimate computes an Estimate from the groups' means and the variances of those means
// (vT + vC > 0).
func estimate(mT, mC, vT, vC, tau2, alpha float64) Estimate {
	z := normalQuantile(1 - alpha/2)
	d := mT - mC
	v := vT + vC
	se := math.Sqrt(v)
	w := mixtureHalfWidth(v, tau2, alpha)
	e := Estimate{
		TreatmentMean:     mT,
		ControlMean:       mC,
		Diff:              d,
		StdErr:            se,
		CI:                Interval{d - z*se, d + z*se},
		PValue:            twoSidedP(d / se),
		AlwaysValid:       Interval{d - w, d + w},
		AlwaysValidPValue: mixturePValue(d, v, tau2),
	}
	// Delta method for mT/mC - 1 with independent groups: Var ≈ vT/mC² + mT²·vC/mC⁴, computed
	// as (vT + (mT/mC)²·vC) / mC² so that large metrics do not overflow. A control mean so
	// close to 0 that it still does leaves the relative lift undefined, as 0 does.
	ratio := mT / mC
	r := d / mC
	rse := math.Sqrt(vT+ratio*ratio*vC) / math.Abs(mC)
	if mC != 0 && isFinite(r) && isFinite(rse) {
		e.RelativeDefined = true
		e.Relative = r
		e.RelativeStdErr = rse
		e.RelativeCI = Interval{r - z*rse, r + z*rse}
	}
	return e
}

// applyCUPED fills the CUPED fields when the pre-period covariate varies within the groups.
func (c *Comparison) applyCUPED(t, ctl Sample, tau2 float64) {
	sxx := t.ssX() + ctl.ssX()
	if sxx == 0 {
		return // no pre-period variation: nothing to adjust with
	}
	sxy := t.sXY() + ctl.sXY()
	theta := sxy / sxx
	xbar := (t.SumX + ctl.SumX) / float64(t.N+ctl.N)
	// residualVariance is the sample variance of Y - θX within a group, from the centred sums.
	residualVariance := func(s Sample) float64 {
		return max(0, s.ssY()-2*theta*s.sXY()+theta*theta*s.ssX()) / float64(s.N-1)
	}
	vT := residualVariance(t) / float64(t.N)
	vC := residualVariance(ctl) / float64(ctl.N)
	plainV := c.Plain.StdErr * c.Plain.StdErr
	if vT+vC <= cancellation*plainV {
		// The pre-period predicts the metric exactly: no spread is left to judge chance by,
		// so stay with the plain estimate rather than report a zero-width interval.
		return
	}
	c.CUPED = estimate(t.Mean()-theta*(t.PreMean()-xbar), ctl.Mean()-theta*(ctl.PreMean()-xbar), vT, vC, tau2, c.Options.Alpha)
	c.CUPEDApplied = true
	c.Theta = theta
	if syy := t.ssY() + ctl.ssY(); syy > 0 {
		// Square roots taken apart, so that tiny metrics do not underflow to 0/0.
		c.Correlation = max(-1, min(1, sxy/(math.Sqrt(sxx)*math.Sqrt(syy))))
	}
	c.VarianceReduction = 1 - (vT+vC)/plainV
}

// ceilCount rounds a customer count up, capped at maxCount.
func ceilCount(x float64) int64 {
	if !(x < maxCount) {
		return maxCount
	}
	return int64(math.Ceil(x))
}
