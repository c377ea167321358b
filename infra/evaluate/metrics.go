package main

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
)

// auc returns the area under the ROC curve of scores for labels: the probability that a random
// positive scores above a random negative, ties counting one half (the Mann-Whitney statistic
// with average ranks). It is NaN without positives or negatives.
func auc(scores []float64, labels []bool) float64 {
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(scores[a], scores[b]) })
	var rankSum, pos float64
	for i := 0; i < len(order); {
		j := i
		for j < len(order) && scores[order[j]] == scores[order[i]] {
			j++
		}
		// Ranks i+1..j share their average.
		avg := float64(i+1+j) / 2
		for _, k := range order[i:j] {
			if labels[k] {
				rankSum += avg
				pos++
			}
		}
		i = j
	}
	neg := float64(len(scores)) - pos
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// interval is a point estimate with a 95% confidence interval.
type interval struct {
	value, lo, hi float64
}

// pairedBootstrap returns the AUCs of scores a and b on the same rows, and of their difference
// a−b, with 95% percentile intervals from n resamples of the rows drawn with replacement by
// rng. Both scores are evaluated on the same resample, so the interval of the difference
// accounts for their correlation. Resamples without a positive or a negative are redrawn.
func pairedBootstrap(a, b []float64, labels []bool, n int, rng *rand.Rand) (aucA, aucB, diff interval) {
	aucA.value, aucB.value = auc(a, labels), auc(b, labels)
	diff.value = aucA.value - aucB.value
	ra, rb, rd := make([]float64, 0, n), make([]float64, 0, n), make([]float64, 0, n)
	sa, sb, sl := make([]float64, len(labels)), make([]float64, len(labels)), make([]bool, len(labels))
	for attempts := 0; len(rd) < n && attempts < 10*n; attempts++ {
		for i := range sl {
			k := rng.IntN(len(labels))
			sa[i], sb[i], sl[i] = a[k], b[k], labels[k]
		}
		x, y := auc(sa, sl), auc(sb, sl)
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

// bootstrapAUC returns the AUC of scores with a 95% percentile interval from n resamples.
func bootstrapAUC(scores []float64, labels []bool, n int, rng *rand.Rand) interval {
	a, _, _ := pairedBootstrap(scores, scores, labels, n, rng)
	return a
}
