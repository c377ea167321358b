package adaptive

import "math"

// ModelReport is what monitoring shows of one model. It is computed from the counters a
// Snapshot was compiled from, so reading it costs no extra state and no extra writes.
type ModelReport struct {
	// Evidence is the (decayed) number of responses the model has learned from.
	Evidence float64
	// Positives is the (decayed) number of positive responses among them.
	Positives float64
	// SuccessRate is Positives / Evidence, the observed rate; 0 without evidence.
	SuccessRate float64
	// BaseRate is the rate every score starts from: the observed rate shrunk towards the
	// prior, so it differs from SuccessRate while evidence is thin.
	BaseRate float64
	// AUC is the test-then-train AUC of the model's own scores: every response is ranked by
	// the raw score the model gave it before learning from it, read from the calibration
	// counters. Scores are known only to their calibration bin (a quarter of a log-odds
	// unit), so responses in one bin count as ties; the figure is exact at that resolution.
	// It is 0.5 without both positives and negatives.
	AUC float64
	// Predictors are the predictors' own performance, in config order.
	Predictors []PredictorStats
	// Calibration compares predicted and observed rates over the responses in order of
	// their score, in up to CalibrationGroups groups; empty without evidence.
	Calibration []CalibrationGroup
}

// CalibrationGroup is a slice of the responses, in order of the score the model gave
// them, holding about 1/CalibrationGroups of them (a calibration bin is never split, so a
// bin holding many responses makes its group larger and the groups fewer).
type CalibrationGroup struct {
	// Responses and Positives are the group's (decayed) counts.
	Responses float64 `json:"responses"`
	Positives float64 `json:"positives"`
	// Predicted is the mean propensity the current calibration curve gives the group's
	// responses, each taken at its calibration bin's midpoint.
	Predicted float64 `json:"predicted"`
	// Observed is Positives / Responses.
	Observed float64 `json:"observed"`
}

// CalibrationGroups is how many groups a report's calibration table aims for: deciles.
const CalibrationGroups = 10

// Report returns the model's monitoring figures.
func (s *Snapshot) Report() ModelReport {
	r := ModelReport{
		Evidence:    s.total.n(),
		Positives:   s.total.pos,
		BaseRate:    s.baseRate,
		AUC:         orderedAUC(s.calibrationBins),
		Predictors:  s.Predictors(),
		Calibration: s.calibrationGroups(),
	}
	if r.Evidence > 0 {
		r.SuccessRate = r.Positives / r.Evidence
	}
	return r
}

// orderedAUC returns the AUC of a score known only by its bin, for bins given in
// ascending order of score: the probability that a random positive is in a higher bin
// than a random negative, a shared bin counting one half. With no positives or no
// negatives it is 0.5. groupAUC ranks groups by a function of their counts, which cannot
// express a bin's position, hence this ordered variant.
func orderedAUC(bins []counts) float64 {
	var wins, negBelow, pos float64
	for _, b := range bins {
		wins += b.pos*negBelow + 0.5*b.pos*b.neg
		negBelow += b.neg
		pos += b.pos
	}
	if pos == 0 || negBelow == 0 {
		return 0.5
	}
	return wins / (pos * negBelow)
}

// calibrationGroups pools the calibration bins, in order of score, into groups that end
// where the running count of responses crosses a multiple of 1/CalibrationGroups of the
// total.
func (s *Snapshot) calibrationGroups() []CalibrationGroup {
	var total float64
	for _, b := range s.calibrationBins {
		total += b.n()
	}
	if total == 0 {
		return nil
	}
	// decile is the tenth the running count has reached; the small tolerance keeps a sum
	// landing exactly on a boundary, such as 0.1+0.2, from falling short of it.
	decile := func(cum float64) float64 { return math.Floor(cum/total*CalibrationGroups + 1e-9) }
	var (
		groups    []CalibrationGroup
		g         CalibrationGroup
		predicted float64 // sum of the group's predicted propensities
		cum       float64
	)
	for i, b := range s.calibrationBins {
		if b.n() == 0 {
			continue
		}
		start := cum
		cum += b.n()
		g.Responses += b.n()
		g.Positives += b.pos
		predicted += b.n() * sigmoid(s.calibration.apply(calibrationMidpoint(i)))
		if decile(cum) > decile(start) {
			g.Predicted, g.Observed = predicted/g.Responses, g.Positives/g.Responses
			groups = append(groups, g)
			g, predicted = CalibrationGroup{}, 0
		}
	}
	return groups
}
