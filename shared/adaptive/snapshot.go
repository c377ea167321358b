package adaptive

import (
	"math"
	"strconv"
)

// Snapshot is a model compiled for scoring at one time bucket: decayed counts, bin groups,
// contributions, predictor AUCs and the calibration curve, all precomputed so that Score does
// no allocation. A Snapshot is immutable and safe for concurrent use.
type Snapshot struct {
	cfg         Config
	total       counts
	baseRate    float64
	baseLogOdds float64
	predictors  []compiledPredictor
	calibration curve
	// calibrationBins are the decayed calibration counters by raw-score bin, kept for
	// Report.
	calibrationBins []counts
	// scorer is the model's kind, compiled.
	scorer scorer
	// counted are, per symbolic predictor, the symbols with evidence in memory (nil for
	// a numeric one): learning keeps to them once they reach the predictor's bound.
	counted []map[string]counts
}

// compiledPredictor holds what scoring needs for one predictor.
type compiledPredictor struct {
	name   string
	kind   Kind
	active bool
	auc    float64
	groups int
	// evidence is the weighted responses counted for the predictor.
	evidence float64

	// Numeric predictors: the edges between merged bin groups, each group's contribution and
	// evidence, and the missing bin's. Searching the group edges rather than the fine ones keeps
	// scoring fast when merging has left few groups.
	edges           []float64
	fineGroup       []int32 // fine bin → bin group, for values Prepare has binned
	groupContrib    []float64
	groupEvidence   []float64
	missingContrib  float64
	missingEvidence float64

	// Symbolic predictors: the symbols that stand alone, and the pooled rare symbols.
	// A handful of symbols are scanned in a slice, which beats hashing the value for a
	// map lookup; many symbols use the map.
	symbols      map[string]scoredBin
	symbolList   []symbolBin
	rareContrib  float64
	rareEvidence float64
}

// scoredBin is a group's log-odds contribution and the responses behind it.
type scoredBin struct{ contrib, evidence float64 }

// symbolBin is a standing-alone symbol with its group.
type symbolBin struct {
	symbol string
	id     uint32
	scoredBin
}

// maxScannedSymbols is the number of symbols up to which a linear scan is faster than
// a map lookup.
const maxScannedSymbols = 16

// rawCounts gathers one predictor's weighted counters before grouping.
type rawCounts struct {
	fine    []counts
	missing counts
	symbols map[string]counts
}

// compile builds the snapshot of state read at bucket now.
func compile(cfg Config, state *State, now int64) *Snapshot {
	index := make(map[string]int, len(cfg.Predictors))
	raws := make([]rawCounts, len(cfg.Predictors))
	for i, p := range cfg.Predictors {
		index[p.Name] = i
		if p.Kind == Numeric {
			raws[i].fine = make([]counts, len(p.Bins)+1)
		} else {
			raws[i].symbols = make(map[string]counts)
		}
	}
	s := &Snapshot{cfg: cfg}
	cal := make([]counts, len(calibrationEdges)+1)

	for k, n := range state.counts {
		w := cfg.Memory.weight(k.Bucket, now)
		if w == 0 || n == 0 || k.IsSum() {
			continue
		}
		c := counts{neg: w * float64(n)}
		if k.Positive {
			c = counts{pos: w * float64(n)}
		}
		switch k.Predictor {
		case totalName:
			s.total.add(c)
		case calibrationName:
			if b, err := strconv.Atoi(k.Bin); err == nil && b >= 0 && b < len(cal) {
				cal[b].add(c)
			}
		default:
			i, ok := index[k.Predictor]
			if !ok {
				continue // A predictor removed from the config: its counters are ignored.
			}
			raws[i].add(cfg.Predictors[i].Kind, k.Bin, c)
		}
	}

	s.baseRate = (s.total.pos + cfg.PriorStrength*cfg.PriorRate) / (s.total.n() + cfg.PriorStrength)
	s.baseLogOdds = logit(s.baseRate)
	s.predictors = make([]compiledPredictor, len(cfg.Predictors))
	s.counted = make([]map[string]counts, len(cfg.Predictors))
	for i, p := range cfg.Predictors {
		s.predictors[i] = s.compilePredictor(p, raws[i])
		s.counted[i] = raws[i].symbols
	}
	s.calibration = buildCurve(cal, s.baseLogOdds, cfg.BinStrength, cfg.CalibrationStrength)
	s.calibrationBins = cal
	s.scorer = kinds[cfg.Kind](s, state, now)
	return s
}

// add counts c in the bin named by a counter key. Numeric bins outside the configured edges
// (the edges were changed under existing counters) are ignored.
func (r *rawCounts) add(kind Kind, bin string, c counts) {
	if kind == Symbolic {
		old := r.symbols[bin]
		old.add(c)
		r.symbols[bin] = old
		return
	}
	if bin == missingBin {
		r.missing.add(c)
		return
	}
	if b, err := strconv.Atoi(bin); err == nil && b >= 0 && b < len(r.fine) {
		r.fine[b].add(c)
	}
}

// contribution is the log-odds a group adds to the base: its response rate shrunk towards the
// base rate by BinStrength pseudo-responses, relative to the base.
func (s *Snapshot) contribution(c counts) float64 {
	m := s.cfg.BinStrength
	return logit((c.pos+m*s.baseRate)/(c.n()+m)) - s.baseLogOdds
}

// compilePredictor groups one predictor's bins, scores the groups and decides if it is active.
func (s *Snapshot) compilePredictor(p Predictor, r rawCounts) compiledPredictor {
	cp := compiledPredictor{name: p.Name, kind: p.Kind}
	var groups []counts
	if p.Kind == Numeric {
		groupOf, merged := mergeAdjacent(r.fine, s.cfg.MinBinEvidence)
		groupOf, merged = mergeSimilar(groupOf, merged, s.cfg.MinBinChiSquare)
		cp.fineGroup = make([]int32, len(groupOf))
		for i, g := range groupOf {
			cp.fineGroup[i] = int32(g)
		}
		for i := 0; i+1 < len(groupOf); i++ {
			if groupOf[i] != groupOf[i+1] {
				cp.edges = append(cp.edges, p.Bins[i])
			}
		}
		for _, g := range merged {
			cp.groupContrib = append(cp.groupContrib, s.contribution(g))
			cp.groupEvidence = append(cp.groupEvidence, g.n())
		}
		cp.missingContrib = s.contribution(r.missing)
		cp.missingEvidence = r.missing.n()
		groups = append(merged, r.missing)
	} else {
		cp.symbols = make(map[string]scoredBin)
		var rare counts
		for sym, c := range r.symbols {
			// The symbols beyond the bound are unknown ones, which score as rare.
			if c.n() >= s.cfg.MinBinEvidence && sym != OtherSymbol {
				cp.symbols[sym] = scoredBin{contrib: s.contribution(c), evidence: c.n()}
				groups = append(groups, c)
			} else {
				rare.add(c)
			}
		}
		cp.rareContrib = s.contribution(rare)
		cp.rareEvidence = rare.n()
		groups = append(groups, rare)
		if len(cp.symbols) <= maxScannedSymbols {
			for sym, sb := range cp.symbols {
				cp.symbolList = append(cp.symbolList, symbolBin{symbol: sym, id: internSymbol(sym), scoredBin: sb})
			}
			cp.symbols = nil
		}
	}
	for _, g := range groups {
		cp.evidence += g.n()
		if g.n() > 0 {
			cp.groups++
		}
	}
	cp.auc = groupAUC(groups, s.contribution)
	cp.active = cp.evidence < s.cfg.MinEvidenceToInactivate || cp.auc >= s.cfg.MinAUC
	return cp
}

// Evidence returns the (decayed) number of responses the model has learned from.
func (s *Snapshot) Evidence() float64 { return s.total.n() }

// BaseRate returns the model's base response rate, the prior included.
func (s *Snapshot) BaseRate() float64 { return s.baseRate }

func logit(p float64) float64 { return math.Log(p / (1 - p)) }

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }
