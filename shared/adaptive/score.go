package adaptive

import (
	"cmp"
	"math"
	"slices"
)

// Score is the model's answer for one customer and context.
type Score struct {
	// Propensity is the calibrated probability of a positive response.
	Propensity float64
	// LogOdds is the calibrated log-odds, logit(Propensity).
	LogOdds float64
	// RawLogOdds is the log-odds before calibration: base plus the kind's contribution.
	RawLogOdds float64
	// Evidence is the (decayed) number of responses the model has learned from.
	Evidence float64
	// Contribution is the sum of the active predictors' contributions, the raw score
	// by which responses are counted in calibration bins. A store logs it with the
	// decision so that the responses to it are binned by the score the customer had
	// then (see ObserveScored).
	Contribution float64
	// sampleSize is the effective sample size of the Beta posterior used by Sample.
	sampleSize float64
}

// Contribution is what one active predictor adds to the raw log-odds, for explanations.
type Contribution struct {
	Predictor string
	// LogOdds is the predictor's contribution: positive raises the propensity.
	LogOdds float64
	// Evidence is the responses behind the bin group the value fell in.
	Evidence float64
}

// Score returns the propensity of x, a slice of values aligned with Config.Predictors (missing
// values may be omitted at the end). It does not allocate.
func (s *Snapshot) Score(x []Value) Score {
	raw := s.scorer.contribution(x)
	calibrated := s.calibration.apply(raw)
	return Score{
		Propensity:   sigmoid(calibrated),
		LogOdds:      calibrated,
		RawLogOdds:   s.baseLogOdds + raw,
		Contribution: raw,
		Evidence:     s.total.n(),
		sampleSize:   s.total.n() + s.cfg.PriorStrength,
	}
}

// Explain appends to buf the contributions of the active predictors for x, largest in absolute
// value first, and returns it; pass a reused buf to avoid allocating.
func (s *Snapshot) Explain(x []Value, buf []Contribution) []Contribution {
	start := len(buf)
	for i := range s.predictors {
		v := valueAt(x, i)
		c, active := s.scorer.weight(i, v)
		if !active {
			continue
		}
		_, n := s.predictors[i].lookup(v)
		buf = append(buf, Contribution{Predictor: s.predictors[i].name, LogOdds: c, Evidence: n})
	}
	slices.SortStableFunc(buf[start:], func(a, b Contribution) int {
		return cmp.Compare(math.Abs(b.LogOdds), math.Abs(a.LogOdds))
	})
	return buf
}

// nbContribution returns the sum of the active predictors' naive Bayes contributions.
func (s *Snapshot) nbContribution(x []Value) float64 {
	var sum float64
	for i := range s.predictors {
		p := &s.predictors[i]
		if p.active {
			c, _ := p.lookup(valueAt(x, i))
			sum += c
		}
	}
	return sum
}

// lookup returns the contribution and evidence of the bin group v falls in.
func (p *compiledPredictor) lookup(v Value) (contrib, evidence float64) {
	if p.kind == Numeric {
		if math.IsNaN(v.Number) {
			return p.missingContrib, p.missingEvidence
		}
		g := 0
		if f := int(v.fineBin) - 1; f >= 0 && f < len(p.fineGroup) {
			g = int(p.fineGroup[f])
		} else {
			g = fineBin(p.edges, v.Number)
		}
		return p.groupContrib[g], p.groupEvidence[g]
	}
	if p.symbols == nil {
		for i := range p.symbolList {
			if sb := &p.symbolList[i]; v.is(sb.symbol, sb.id) {
				return sb.contrib, sb.evidence
			}
		}
	} else if sb, ok := p.symbols[v.Symbol]; ok {
		return sb.contrib, sb.evidence
	}
	return p.rareContrib, p.rareEvidence
}

// standingSymbols are the symbols that stand alone in the predictor's groups (the
// others share the rare group's contribution).
func (p *compiledPredictor) standingSymbols() []string {
	var out []string
	for sym := range p.symbols {
		out = append(out, sym)
	}
	for i := range p.symbolList {
		out = append(out, p.symbolList[i].symbol)
	}
	return out
}
