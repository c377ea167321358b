package main

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/nextbest/nextbest/shared/adaptive"
)

// interval is a point estimate with a 95% confidence interval.
type interval struct {
	value, lo, hi float64
}

// pairedBootstrap returns the AUCs of scores a and b on the same rows, and of their difference
// a−b, with 95% percentile intervals from n resamples of the rows drawn with replacement by
// rng. Both scores are evaluated on the same resample, so the interval of the difference
// accounts for their correlation. Resamples without a positive or a negative are redrawn.
func pairedBootstrap(a, b []float64, labels []bool, n int, rng *rand.Rand) (aucA, aucB, diff interval) {
	aucA.value, aucB.value = adaptive.AUC(a, labels), adaptive.AUC(b, labels)
	diff.value = aucA.value - aucB.value
	ra, rb, rd := make([]float64, 0, n), make([]float64, 0, n), make([]float64, 0, n)
	sa, sb, sl := make([]float64, len(labels)), make([]float64, len(labels)), make([]bool, len(labels))
	for attempts := 0; len(rd) < n && attempts < 10*n; attempts++ {
		for i := range sl {
			k := rng.IntN(len(labels))
			sa[i], sb[i], sl[i] = a[k], b[k], labels[k]
		}
		x, y := adaptive.AUC(sa, sl), adaptive.AUC(sb, sl)
		if math.IsNaN(x) || math.IsNaN(y) {
			continue
		}
		ra, rb, rd = append(ra, x), append(rb, y), append(rd, x-y)
	}
	aucA.lo, aucA.hi = percentiles(ra)
	aucB.lo, aucB.hi = percentiles(rb)
	diff.lo, diff.hi = percentiles(rd)
	return aucA, aucB, diff
}

// percentiles returns the 2.5th and 97.5th percentiles of xs (sorting it), NaN when empty.
func percentiles(xs []float64) (lo, hi float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	slices.Sort(xs)
	at := func(q float64) float64 { return xs[int(math.Round(q*float64(len(xs)-1)))] }
	return at(0.025), at(0.975)
}
