package adaptive

import (
	"math"
	"strconv"
	"strings"
)

// The logistic kind: an online logistic regression over the same bins (and, unless
// Config.BinsOnly, each numeric predictor's standardised value), fitted by
// FTRL-Proximal (McMahan et al., "Ad Click Prediction: a View from the Trenches", 2013)
// with per-bin learning rates, and blended with the naive Bayes score while evidence
// is thin.
//
// Why a blend: naive Bayes learns from few responses (it only counts), a regression
// needs many but does not double-count correlated predictors (Ng and Jordan, 2002).
// The score is λ·regression + (1−λ)·naive Bayes in log-odds, λ = P/(P+BlendPositives)
// for P positive responses, so a new model starts as naive Bayes and becomes a
// regression as positives accumulate; the snapshot's calibration curve, built from
// responses counted by the blend's score, then calibrates it. Both parts are sums over
// bins, so the blend is one table of weights per bin, compiled once: scoring reads one
// weight per predictor, as naive Bayes does, and explanations are its weights.
//
// Why it stays lossless: FTRL keeps, per bin, two sums, z (gradients less a
// proximal correction) and n (squared gradients), and computes the weight from them
// when a snapshot is compiled. Learning from a response adds to those sums, so they
// are counters like the naive Bayes ones: each is kept as an integer number of
// millionths (linearScale), added atomically by the store, merged across shards and
// writers in any order with the same result. A writer computes its gradient against
// the snapshot it holds, as asynchronous SGD on a parameter server does.
//
// Responses arrive as a store sees them: first an impression, learned as a negative
// (gradient p), then, if it comes, a success, which turns it into a positive by adding
// the difference (gradient p − 1 in all). In memory, Model.Update learns one labelled
// example at once.

// linearScale is how many counter units make one unit of z or n.
const linearScale = 1e6

// Counter names of the logistic sums: the prefix, then the predictor's name ("*" for
// the bias), with the bin as the key's bin.
const (
	zPrefix = "~z."
	nPrefix = "~n."
)

// IsSum reports whether a counter holds a sum a kind keeps (the logistic kind's) rather
// than a count of responses: a store passes it through as it is, whatever its Positive.
func (k Key) IsSum() bool {
	return strings.HasPrefix(k.Predictor, zPrefix) || strings.HasPrefix(k.Predictor, nPrefix)
}

// linear is the logistic kind compiled: the regression's own weights (which learning
// steps from, with the sums they come from) and the blend's (which score).
type linear struct {
	cfg        *Config
	nb         *Snapshot
	regression weights
	blend      weights
	sums       map[linearSumKey]sums
}

// weights are a bias and, per predictor, a weight per bin (and per numeric value).
type weights struct {
	bias       float64
	predictors []binWeights
}

type binWeights struct {
	numeric bool
	// fine holds a numeric predictor's weight per fine bin, missing its missing bin's.
	fine    []float64
	missing float64
	// slope is the weight of the value term (valueTerm), if the predictor has one.
	slope     float64
	valueTerm bool
	// symbols holds a symbolic predictor's weight per symbol, other the weight of any
	// other. Up to maxScannedSymbols of them are scanned in symbolList by interned id
	// instead, as naive Bayes does: hundreds of models score each customer.
	symbols    map[string]float64
	symbolList []weightedSymbol
	other      float64
	// byID holds the symbols' weights by interned id, for tables too large to scan:
	// an integer key hashes faster than a string.
	byID map[uint32]float64
}

type weightedSymbol struct {
	symbol string
	id     uint32
	weight float64
}

// positivesName counts, among the logistic sums, the positive responses the regression
// has learned from (in the same millionths): the blend's λ is read from it, so that a
// model switched to this kind with years of naive Bayes counts starts as naive Bayes
// rather than as an untrained regression.
const positivesName = "+"

// linearBin is the bin name of a numeric predictor's value term.
const linearBin = "value"

// sums are one bin's FTRL sums.
type sums struct{ z, n float64 }

// linearSumKey names one bin's sums: a predictor's index (-1 for the bias) and a bin.
type linearSumKey struct {
	predictor int
	bin       string
}

// ftrlWeight is the weight FTRL-Proximal gives a bin with sums s: L2-regularised, with
// learning rate alpha/(1+sqrt(n)).
func ftrlWeight(s sums, alpha, l2 float64) float64 {
	return -s.z / ((1+math.Sqrt(s.n))/alpha + l2)
}

// compileLinear reads the logistic sums of state at bucket now, weighed as Memory
// says, and blends the regression with the snapshot's naive Bayes part.
func compileLinear(s *Snapshot, state *State, now int64) scorer {
	cfg := &s.cfg
	sums, positives := readSums(cfg, state, now)
	l := &linear{cfg: cfg, nb: s, sums: sums}
	l.regression = newWeights(cfg)
	for key, sm := range l.sums {
		w := ftrlWeight(sm, cfg.LearningRate, cfg.L2)
		if key.predictor < 0 {
			l.regression.bias = w
			continue
		}
		bw := &l.regression.predictors[key.predictor]
		switch {
		case !bw.numeric:
			bw.symbols[key.bin] = w
		case key.bin == missingBin:
			bw.missing = w
		case key.bin == linearBin:
			bw.slope = w
		default:
			if b, err := strconv.Atoi(key.bin); err == nil && b >= 0 && b < len(bw.fine) {
				bw.fine[b] = w
			}
		}
	}
	lambda := positives / (positives + cfg.BlendPositives)
	l.blend = newWeights(cfg)
	l.blend.bias = lambda * l.regression.bias
	for i := range l.blend.predictors {
		r, b, nb := &l.regression.predictors[i], &l.blend.predictors[i], &s.predictors[i]
		// What naive Bayes adds for a bin; nothing from an inactive predictor.
		nbOf := func(v Value) float64 {
			if !nb.active {
				return 0
			}
			c, _ := nb.lookup(v)
			return c
		}
		if b.numeric {
			for f := range b.fine {
				b.fine[f] = lambda*r.fine[f] + (1-lambda)*nbOf(Value{fineBin: int32(f) + 1})
			}
			b.missing = lambda*r.missing + (1-lambda)*nbOf(Missing())
			b.slope = lambda * r.slope
			continue
		}
		for sym, w := range r.symbols {
			b.symbols[sym] = lambda*w + (1-lambda)*nbOf(Value{Symbol: sym})
		}
		for _, sym := range nb.standingSymbols() {
			if _, ok := b.symbols[sym]; !ok {
				b.symbols[sym] = (1 - lambda) * nbOf(Value{Symbol: sym})
			}
		}
		// A symbol the regression has no weight for is beyond the bound (or new): it
		// weighs what OtherSymbol does, and rare in naive Bayes.
		b.other = lambda*r.symbols[OtherSymbol] + (1-lambda)*nbOf(Value{Symbol: OtherSymbol})
	}
	l.regression.index()
	l.blend.index()
	return l
}

// readSums gathers the logistic sums of state by bin, weighed as Memory says, and the
// positives the regression has learned from.
func readSums(cfg *Config, state *State, now int64) (all map[linearSumKey]sums, positives float64) {
	index := make(map[string]int, len(cfg.Predictors))
	for i, p := range cfg.Predictors {
		index[p.Name] = i
	}
	all = map[linearSumKey]sums{}
	for k, v := range state.counts {
		var name string
		var isZ bool
		switch {
		case strings.HasPrefix(k.Predictor, zPrefix):
			name, isZ = k.Predictor[len(zPrefix):], true
		case strings.HasPrefix(k.Predictor, nPrefix):
			name = k.Predictor[len(nPrefix):]
		default:
			continue
		}
		w := cfg.Memory.weight(k.Bucket, now)
		if w == 0 || v == 0 {
			continue
		}
		if name == positivesName {
			positives += w * float64(v) / linearScale
			continue
		}
		key := linearSumKey{predictor: -1}
		if name != totalName {
			i, ok := index[name]
			if !ok {
				continue // a predictor removed from the config
			}
			key = linearSumKey{predictor: i, bin: k.Bin}
		}
		sm := all[key]
		if isZ {
			sm.z += w * float64(v) / linearScale
		} else {
			sm.n += w * float64(v) / linearScale
		}
		all[key] = sm
	}
	return all, positives
}

func newWeights(cfg *Config) weights {
	ws := weights{predictors: make([]binWeights, len(cfg.Predictors))}
	for i, p := range cfg.Predictors {
		bw := binWeights{numeric: p.Kind == Numeric}
		if bw.numeric {
			bw.fine = make([]float64, len(p.Bins)+1)
			bw.valueTerm = !cfg.BinsOnly && hasValueTerm(p.Bins)
		} else {
			bw.symbols = map[string]float64{}
		}
		ws.predictors[i] = bw
	}
	return ws
}

// index moves small symbol tables to a scanned list and keys larger ones by interned
// id as well.
func (ws *weights) index() {
	for i := range ws.predictors {
		bw := &ws.predictors[i]
		switch {
		case bw.numeric:
		case len(bw.symbols) <= maxScannedSymbols:
			for sym, w := range bw.symbols {
				bw.symbolList = append(bw.symbolList, weightedSymbol{symbol: sym, id: internSymbol(sym), weight: w})
			}
			bw.symbols = nil
		default:
			bw.byID = make(map[uint32]float64, len(bw.symbols))
			for sym, w := range bw.symbols {
				bw.byID[internSymbol(sym)] = w
			}
		}
	}
}

// hasValueTerm says whether a numeric predictor's bins give its value a scale: two
// distinct edges at least.
func hasValueTerm(bins []float64) bool { return len(bins) >= 2 && bins[len(bins)-1] > bins[0] }

// valueTerm is a numeric value standardised by its predictor's fine edges, which are
// quantiles of its first observations: (x − the middle edge) / (the last edge − the
// first), within ±3, so that one learning rate fits every predictor's scale.
func valueTerm(bins []float64, x float64) float64 {
	if !hasValueTerm(bins) {
		return 0
	}
	return max(-3, min(3, (x-bins[len(bins)/2])/(bins[len(bins)-1]-bins[0])))
}

// standardised is v's value term for predictor i; 0 without one or without a value.
func (l *linear) standardised(i int, v *Value) float64 {
	switch {
	case !l.regression.predictors[i].valueTerm || math.IsNaN(v.Number):
		return 0
	case v.prepared:
		return v.standard
	default:
		return valueTerm(l.cfg.Predictors[i].Bins, v.Number)
	}
}

// of is what predictor i's value v adds to the log-odds.
func (l *linear) of(ws *weights, i int, v *Value) float64 {
	bw := &ws.predictors[i]
	if !bw.numeric {
		if bw.symbols != nil {
			w, ok := 0.0, false
			if v.symbolID != 0 {
				w, ok = bw.byID[v.symbolID]
			} else {
				w, ok = bw.symbols[v.Symbol]
			}
			if !ok {
				return bw.other
			}
			return w
		}
		for j := range bw.symbolList {
			if s := &bw.symbolList[j]; v.is(s.symbol, s.id) {
				return s.weight
			}
		}
		return bw.other
	}
	if math.IsNaN(v.Number) {
		return bw.missing
	}
	b := int(v.fineBin) - 1
	if b < 0 || b >= len(bw.fine) {
		b = fineBin(l.cfg.Predictors[i].Bins, v.Number)
	}
	if bw.slope == 0 {
		return bw.fine[b]
	}
	return bw.fine[b] + bw.slope*l.standardised(i, v)
}

// sum is the log-odds of x relative to the base by a table of weights.
func (l *linear) sum(ws *weights, x []Value) float64 {
	sum := ws.bias
	for i := range ws.predictors {
		v := valueAt(x, i)
		sum += l.of(ws, i, &v)
	}
	return sum
}

// contribution is the blend's log-odds relative to the base, before calibration.
func (l *linear) contribution(x []Value) float64 { return l.sum(&l.blend, x) }

// weight is what predictor i's value adds in the blend; the bias is no predictor's.
func (l *linear) weight(i int, v Value) (float64, bool) { return l.of(&l.blend, i, &v), true }

// observe appends the sums to add for one response of x. The gradient is the
// regression's own (its propensity now, not the blend's, which is what it learns),
// so the contribution the decision logged is not used. label says what the response
// teaches: an impression (learned as a negative), the success that follows an
// impression (the difference that turns it into a positive), or, in memory, one whole
// labelled example.
func (l *linear) observe(x []Value, lb label, bucket int64, _ float64, d Delta) Delta {
	p := sigmoid(l.nb.baseLogOdds + l.sum(&l.regression, x))
	var g, g0 float64 // the gradient for the log-odds, and the one it replaces
	switch lb {
	case labelImpression, labelNegative:
		g = p
	case labelPositive:
		g = p - 1
	case labelSuccess:
		g, g0 = p-1, p
	}
	alpha := l.cfg.LearningRate
	add := func(key linearSumKey, name string, scale float64) {
		sm := l.sums[key]
		w := ftrlWeight(sm, alpha, l.cfg.L2)
		// FTRL's step for gradient gi: z += gi − σ·w, n += gi², σ the change of
		// sqrt(n)/alpha; a success replaces the impression's step by its own.
		stepOf := func(gi float64) (dz, dn float64) {
			sigma := (math.Sqrt(sm.n+gi*gi) - math.Sqrt(sm.n)) / alpha
			return gi - sigma*w, gi * gi
		}
		z1, n1 := stepOf(g * scale)
		z0, n0 := stepOf(g0 * scale)
		d = append(d,
			Increment{Key: Key{Bucket: bucket, Predictor: zPrefix + name, Bin: key.bin}, N: int64(math.Round((z1 - z0) * linearScale))},
			Increment{Key: Key{Bucket: bucket, Predictor: nPrefix + name, Bin: key.bin}, N: int64(math.Round((n1 - n0) * linearScale))})
	}
	if lb.positive() {
		d = append(d, Increment{Key: Key{Bucket: bucket, Predictor: nPrefix + positivesName}, N: linearScale})
	}
	add(linearSumKey{predictor: -1}, totalName, 1)
	for i, pr := range l.cfg.Predictors {
		v := valueAt(x, i)
		add(linearSumKey{predictor: i, bin: l.nb.bin(i, v)}, pr.Name, 1)
		if l.regression.predictors[i].valueTerm && !math.IsNaN(v.Number) {
			add(linearSumKey{predictor: i, bin: linearBin}, pr.Name, l.standardised(i, &v))
		}
	}
	return d
}
