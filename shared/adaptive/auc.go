package adaptive

import (
	"cmp"
	"math"
	"slices"
)

// PredictorStats describes how one predictor performs, for model reports.
type PredictorStats struct {
	Name string
	Kind Kind
	// Active says whether the predictor contributes to scores.
	Active bool
	// AUC is the in-sample AUC of the predictor alone, ranking customers by its contribution.
	AUC float64
	// Evidence is the (decayed) number of responses counted for the predictor.
	Evidence float64
	// Groups is the number of non-empty bin groups after adaptive merging.
	Groups int
}

// Predictors returns the performance of every predictor, in config order.
func (s *Snapshot) Predictors() []PredictorStats {
	out := make([]PredictorStats, len(s.predictors))
	for i, p := range s.predictors {
		out[i] = PredictorStats{Name: p.name, Kind: p.kind, Active: p.active, AUC: p.auc, Evidence: p.evidence, Groups: p.groups}
	}
	return out
}

// groupAUC returns the AUC of a score that gives every member of a group the same value
// score(group): the probability that a random positive outranks a random negative, ties counting
// one half. It is exact from the counts alone. With no positives or no negatives it is 0.5.
func groupAUC(groups []counts, score func(counts) float64) float64 {
	type scored struct {
		c     counts
		value float64
	}
	ranked := make([]scored, 0, len(groups))
	var total counts
	for _, g := range groups {
		if g.n() > 0 {
			ranked = append(ranked, scored{c: g, value: score(g)})
			total.add(g)
		}
	}
	if total.pos == 0 || total.neg == 0 {
		return 0.5
	}
	slices.SortFunc(ranked, func(a, b scored) int { return cmp.Compare(a.value, b.value) })
	var wins, negBelow float64
	for i := 0; i < len(ranked); {
		// Groups with equal scores are one tie block.
		var block counts
		j := i
		for ; j < len(ranked) && ranked[j].value == ranked[i].value; j++ {
			block.add(ranked[j].c)
		}
		wins += block.pos*negBelow + 0.5*block.pos*block.neg
		negBelow += block.neg
		i = j
	}
	return wins / (total.pos * total.neg)
}

// AUC returns the area under the ROC curve of scores for labels: the probability that a random
// positive scores above a random negative, ties counting one half (the Mann-Whitney statistic
// with average ranks). It is NaN without positives or negatives.
func AUC(scores []float64, labels []bool) float64 {
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
