// Package offpolicy values a decision policy on interactions another policy logged: what
// the engine would have earned had it decided instead of the policy that did, read from
// the logs alone (Dudík, Langford & Li, "Doubly robust policy evaluation and learning",
// 2011; Swaminathan & Joachims, "The self-normalized estimator for counterfactual
// learning", 2015).
//
// Each logged Round says which action the logging policy took and with what probability,
// the reward that followed, the probability the evaluated policy gives each action in
// that context, and optionally a reward model's prediction for each action. Three
// estimators of the evaluated policy's mean reward per round:
//
//   - IPW, inverse propensity weighting: mean of w·r, w = π(logged)/μ(logged). Unbiased
//     when the logged propensities are right, but its variance grows with the weights.
//   - SNIPS, self-normalised IPW: Σ w·r / Σ w. Slightly biased, far steadier when the
//     weights are large or the policy rarely agrees with the log.
//   - DR, doubly robust: mean of Σ_a π(a)·r̂(a) + w·(r − r̂(logged)). Unbiased when either
//     the propensities or the reward model are right, and with a fair reward model its
//     variance is lower than IPW's.
//
// Intervals are percentile bootstrap intervals over rounds, from a seeded random source,
// so an evaluation is reproducible. The package is pure Go and does no I/O.
package offpolicy

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Round is one logged interaction.
type Round struct {
	// Logged is the index of the action the logging policy took; Propensity its
	// probability under the logging policy, in (0, 1].
	Logged     int
	Propensity float64
	// Reward is what followed (a visit, a click, revenue).
	Reward float64
	// Target is the evaluated policy's probability of each action in this context; a
	// deterministic policy puts 1 on its choice.
	Target []float64
	// Predicted is a reward model's estimate of each action's reward in this context,
	// used by DR; nil counts as zero everywhere (DR is then IPW).
	Predicted []float64
}

// Estimators, by name.
const (
	IPW   = "ipw"
	SNIPS = "snips"
	DR    = "dr"
	// OnPolicy is Mean's estimator: the plain mean of a policy's own outcomes.
	OnPolicy = "mean"
)

// Estimate is one estimator's value of the evaluated policy, per round, with its interval.
type Estimate struct {
	Estimator string     `json:"estimator"`
	Value     float64    `json:"value"`
	CI        [2]float64 `json:"ci"`
}

// Options tune Evaluate. Zero fields take the defaults.
type Options struct {
	// Bootstrap is the number of bootstrap resamples (default 1000).
	Bootstrap int
	// Level is the intervals' coverage (default 0.95).
	Level float64
	// Seed seeds the bootstrap's random source.
	Seed uint64
}

func (o Options) withDefaults() Options {
	if o.Bootstrap <= 0 {
		o.Bootstrap = 1000
	}
	if o.Level <= 0 || o.Level >= 1 {
		o.Level = 0.95
	}
	return o
}

// Validate checks the rounds: every propensity in (0, 1], the logged action among the
// target's, target probabilities that sum to 1, predictions aligned with them.
func Validate(rounds []Round) error {
	if len(rounds) == 0 {
		return errors.New("no rounds to evaluate")
	}
	for i, r := range rounds {
		switch {
		case !(r.Propensity > 0 && r.Propensity <= 1):
			return fmt.Errorf("round %d: logging propensity %v is not in (0, 1]", i, r.Propensity)
		case r.Logged < 0 || r.Logged >= len(r.Target):
			return fmt.Errorf("round %d: logged action %d is not one of the %d actions", i, r.Logged, len(r.Target))
		case r.Predicted != nil && len(r.Predicted) != len(r.Target):
			return fmt.Errorf("round %d: %d predictions for %d actions", i, len(r.Predicted), len(r.Target))
		case math.IsNaN(r.Reward) || math.IsInf(r.Reward, 0):
			return fmt.Errorf("round %d: reward %v", i, r.Reward)
		}
		sum := 0.0
		for _, p := range r.Target {
			if p < 0 || math.IsNaN(p) {
				return fmt.Errorf("round %d: target probability %v", i, p)
			}
			sum += p
		}
		if math.Abs(sum-1) > 1e-6 {
			return fmt.Errorf("round %d: target probabilities sum to %v, not 1", i, sum)
		}
	}
	return nil
}

// terms are one round's parts of the three estimators: the weight w, w·r, and the DR term.
type terms struct{ weight, weighted, dr float64 }

func termsOf(r Round) terms {
	w := r.Target[r.Logged] / r.Propensity
	t := terms{weight: w, weighted: w * r.Reward}
	t.dr = t.weighted
	if r.Predicted != nil {
		direct := 0.0
		for a, p := range r.Target {
			direct += p * r.Predicted[a]
		}
		t.dr = direct + w*(r.Reward-r.Predicted[r.Logged])
	}
	return t
}

// sums accumulate terms; the estimators are ratios of them.
type sums struct{ n, weight, weighted, dr float64 }

func (s *sums) add(t terms, times float64) {
	s.n += times
	s.weight += times * t.weight
	s.weighted += times * t.weighted
	s.dr += times * t.dr
}

func (s sums) value(estimator string) float64 {
	switch estimator {
	case IPW:
		return s.weighted / s.n
	case SNIPS:
		if s.weight == 0 {
			return 0 // the policy never agrees with the log: nothing to weigh
		}
		return s.weighted / s.weight
	default:
		return s.dr / s.n
	}
}

// Evaluate returns the IPW, SNIPS and DR estimates of the evaluated policy's mean reward
// per round, with bootstrap intervals.
func Evaluate(rounds []Round, o Options) ([]Estimate, error) {
	if err := Validate(rounds); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	ts := make([]terms, len(rounds))
	var total sums
	for i, r := range rounds {
		ts[i] = termsOf(r)
		total.add(ts[i], 1)
	}
	estimators := []string{IPW, SNIPS, DR}
	resampled := bootstrap(ts, o, estimators)
	out := make([]Estimate, len(estimators))
	for k, name := range estimators {
		out[k] = Estimate{Estimator: name, Value: total.value(name), CI: percentiles(resampled[k], o.Level)}
	}
	return out, nil
}

// Mean is the mean of values with a bootstrap interval: the logging policy's own value
// (its mean reward), or a fixed policy's on a randomized log.
func Mean(values []float64, o Options) (Estimate, error) {
	if len(values) == 0 {
		return Estimate{}, errors.New("no values")
	}
	o = o.withDefaults()
	ts := make([]terms, len(values))
	var total sums
	for i, v := range values {
		ts[i] = terms{weight: 1, weighted: v, dr: v}
		total.add(ts[i], 1)
	}
	return Estimate{Estimator: OnPolicy, Value: total.value(IPW), CI: percentiles(bootstrap(ts, o, []string{IPW})[0], o.Level)}, nil
}

// bootstrap resamples the rounds with replacement o.Bootstrap times and returns each
// estimator's values over the resamples. A resample draws each round's count from the
// multinomial by drawing n indices, the plain bootstrap.
func bootstrap(ts []terms, o Options, estimators []string) [][]float64 {
	rng := rand.New(rand.NewPCG(o.Seed, 0x6f6666706f6c6963)) // "offpolic"
	out := make([][]float64, len(estimators))
	for k := range out {
		out[k] = make([]float64, o.Bootstrap)
	}
	counts := make([]float64, len(ts))
	for b := range o.Bootstrap {
		clear(counts)
		for range ts {
			counts[rng.IntN(len(ts))]++
		}
		var s sums
		for i, c := range counts {
			if c > 0 {
				s.add(ts[i], c)
			}
		}
		for k, name := range estimators {
			out[k][b] = s.value(name)
		}
	}
	return out
}

// percentiles is the central interval of the given coverage of values.
func percentiles(values []float64, level float64) [2]float64 {
	sorted := slices.Sorted(slices.Values(values))
	at := func(q float64) float64 {
		pos := q * float64(len(sorted)-1)
		lo := int(math.Floor(pos))
		hi := min(lo+1, len(sorted)-1)
		return sorted[lo] + (pos-float64(lo))*(sorted[hi]-sorted[lo])
	}
	tail := (1 - level) / 2
	return [2]float64{at(tail), at(1 - tail)}
}

// Difference is the doubly robust estimate of how much policy a earns over policy b per
// round, with a paired bootstrap interval: a and b are the same logged rounds with each
// policy's Target (and the same predictions), resampled together, so the interval is
// that of the difference, narrower than the two intervals side by side.
func Difference(a, b []Round, o Options) (Estimate, error) {
	if len(a) != len(b) {
		return Estimate{}, fmt.Errorf("%d rounds against %d", len(a), len(b))
	}
	if err := errors.Join(Validate(a), Validate(b)); err != nil {
		return Estimate{}, err
	}
	o = o.withDefaults()
	ts := make([]terms, len(a))
	var total sums
	for i := range a {
		if a[i].Logged != b[i].Logged || a[i].Reward != b[i].Reward {
			return Estimate{}, fmt.Errorf("round %d differs between the two policies' logs", i)
		}
		d := termsOf(a[i]).dr - termsOf(b[i]).dr
		ts[i] = terms{weight: 1, dr: d}
		total.add(ts[i], 1)
	}
	return Estimate{Estimator: DR, Value: total.value(DR), CI: percentiles(bootstrap(ts, o, []string{DR})[0], o.Level)}, nil
}
