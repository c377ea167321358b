// Package experiment does the statistics of nextbest's lift reports: it compares a metric per
// customer (positive outcomes, revenue, ... within a window) between two groups of customers,
// the engine's own decisions ("treatment") against a control group (random action or silence),
// or a challenger against a champion.
//
// The package is pure Go, uses only the standard library and performs no I/O. Everything it
// needs about a group is a Sample: a handful of sums that only grow, so a report can fold
// customers in one at a time, persist the sums and add segments or shards together (Merge).
//
// # What Compare reports, and why
//
// For the difference of means d = mean_T - mean_C, with per-customer sample variances s²_T,
// s²_C and V = s²_T/n_T + s²_C/n_C (Welch's unpooled variance, so unequal group sizes such
// as 96% against 2% and unequal spreads are fine):
//
//   - a fixed-horizon interval d ± z(1-α/2)·√V and its two-sided p-value. The normal
//     approximation is used rather than Student's t because lift groups hold thousands of
//     customers; Options.MinPerGroup keeps tiny groups out.
//
//   - the relative lift r = d / mean_C with the delta-method variance
//     V_r = s²_T/(n_T·mean_C²) + mean_T²·s²_C/(n_C·mean_C⁴); undefined (flagged, never NaN)
//     when the control mean is 0.
//
//   - the same after CUPED (Deng et al. 2013) when the samples carry a pre-period covariate
//     X: θ = Σ_g cov_g(Y,X) / Σ_g var_g(X), pooled within the two groups so that the treatment
//     effect itself does not leak into θ; adjusted means mean_g - θ·(x̄_g - x̄); per-customer
//     variance var_g(Y - θX). The variance of the difference shrinks by about ρ², ρ being the
//     pooled within-group correlation of Y and X. Without pre-period variation CUPED is not
//     applied and its estimate equals the plain one.
//
//   - an always-valid interval, the normal-mixture mSPRT confidence sequence of Johari,
//     Pekelis & Walsh ("Always valid inference", 2017/2022):
//
//     d ± √( V·(V+τ²)/τ² · (2·ln(1/α) + ln((V+τ²)/V)) )
//
//     which covers the true difference at every look with probability 1-α however often the
//     report is read. The fixed interval does not: read every week of a 12-week pilot, it
//     misses the true difference at some look in about 21% of simulated pilots instead of
//     5% (see the coverage tests). Significance is decided on the always-valid interval,
//     so reading the report weekly does not inflate false alarms. The guarantee is for the
//     cumulative samples of one pilot read with the same Options; changing MDE or Tau in
//     the middle of a pilot voids it. V is estimated from the data, as in the paper's
//     practical version, so the guarantee is asymptotic, like the normal approximation.
//
// # The mixing scale τ
//
// τ is the standard deviation of the normal mixture over true differences, in metric units.
// At a given V the interval is narrowest when τ²/V = r*, the root of r = 2·ln(1/α) + ln(1+r)
// (r* ≈ 8.2 for α = 0.05). The default is τ = MDE·max(|control mean|, |treatment mean|),
// the smallest lift the operator cares about in metric units (the larger mean, so that a
// control group with almost no outcomes, held out of every message, does not shrink τ
// far below any lift worth reporting): τ²/V reaches r* close to the sample size a
// fixed-horizon test needs to detect that effect (τ²/V = (z(1-α/2)+z(power))² ≈ 7.85), and
// at the sample size the always-valid interval itself needs (τ²/V ≈ 15) its width is within
// 1% of its optimum, so the interval is tightest exactly when the pilot is supposed to
// decide. Strictly, τ must not depend on the data; the default plugs in the means of the
// current look, which settle after a few hundred customers, and the width is flat in τ
// near the optimum: in the simulations the interval still covers at all 12 looks in more
// than 99% of pilots. Set Options.Tau to fix τ in advance (for example from last quarter's
// rate) for the strict guarantee.
//
// # Sample size
//
// Compare also says how many more customers are needed before a lift of Options.MDE
// (relative to the control mean) would make the always-valid interval exclude 0 with
// probability Options.Power, keeping the current split between the groups and the variance
// per customer observed in each: it solves w(V*) + z(power)·√V* = MDE·|mean_C| for V*, w
// being the half-width above, and scales both groups by V/V*. Because significance is
// decided on the always-valid interval, this is about twice what a fixed-horizon power
// calculation gives ((z(1-α/2)+z(power))² ≈ 7.85 against τ²/V* ≈ 15.2 with the default τ).
//
// # Sample ratio mismatch
//
// SampleRatioMismatch checks the group sizes themselves against the configured shares with a
// chi-square goodness-of-fit test: a mismatch (p < 0.001) means the assignment or the logging
// is broken and no lift computed from those groups can be trusted.
package experiment
