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

// Calibration compares predicted rates with observed outcomes: the predictions, in order
// of score, are cut into up to groups equal-count groups (equal scores are never split,
// so a tie larger than a group makes fewer, larger groups), and each group's mean
// prediction is set beside its observed rate. ECE, the expected calibration error, is the
// groups' mean absolute gap weighted by their sizes; 0 for no predictions.
func Calibration(scores []float64, labels []bool, groups int) (out []CalibrationGroup, ece float64) {
	if len(scores) == 0 || groups <= 0 {
		return nil, 0
	}
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(scores[a], scores[b]) })
	size := float64(len(order)) / float64(groups)
	var g CalibrationGroup
	var predictedSum float64
	flush := func() {
		if g.Responses == 0 {
			return
		}
		g.Predicted, g.Observed = predictedSum/g.Responses, g.Positives/g.Responses
		ece += g.Responses * math.Abs(g.Predicted-g.Observed)
		out = append(out, g)
		g, predictedSum = CalibrationGroup{}, 0
	}
	for i, k := range order {
		// A group closes once it holds its share, unless the next score ties with this one.
		if g.Responses > 0 && float64(i) >= float64(len(out)+1)*size && scores[k] != scores[order[i-1]] {
			flush()
		}
		g.Responses++
		predictedSum += scores[k]
		if labels[k] {
			g.Positives++
		}
	}
	flush()
	return out, ece / float64(len(scores))
}
