package adaptive

import (
	"math"
	"strconv"
	"time"
)

// Model is one adaptive model: its definition, its counters and a cached Snapshot compiled
// from them. It is not safe for concurrent use; concurrent writers each compute Deltas and a
// store sums them (see the package documentation).
type Model struct {
	cfg   Config
	state *State
	// snap is the compiled view of state at snapBucket; nil once state has changed.
	snap       *Snapshot
	snapBucket int64
}

// New returns a model for the config, starting from state (nil for an empty one).
func New(cfg Config, state *State) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if state == nil {
		state = NewState()
	}
	return &Model{cfg: cfg.withDefaults(), state: state}, nil
}

// Config returns the model's config, defaults filled in.
func (m *Model) Config() Config { return m.cfg }

// State returns the model's counters.
func (m *Model) State() *State { return m.state }

// Update returns the counters to add for one labelled example (a response, positive or
// not) of a customer whose predictor values are x, at time at. It does not change the
// model: pass the Delta to Apply. The calibration counter uses the score the model gives x
// now, before learning from it.
func (m *Model) Update(x []Value, positive bool, at time.Time) Delta {
	return m.Snapshot(at).Observe(x, positive, at)
}

// Observe returns the counters to add for one labelled example of a customer whose
// predictor values are x, at time at, scoring x with this snapshot: in memory, where a
// negative is known at once. A store learns in two steps instead (ObserveScored).
func (s *Snapshot) Observe(x []Value, positive bool, at time.Time) Delta {
	l := labelNegative
	if positive {
		l = labelPositive
	}
	return s.observe(x, l, at, s.scorer.contribution(x))
}

// ObserveScored returns the counters a store adds for one response: an impression when
// positive is false, the success that follows it when true (the store keeps impressions
// and successes, see StateFromImpressions). contribution is the Score.Contribution the
// customer had when the decision was made: a response arrives after the decision, often
// after the model has learned more, and binning an impression and its later click by one
// and the same score keeps the calibration table (and the model's AUC read from it)
// honest. (The logistic kind's step uses its regression's score now, which is what it
// learns.)
func (s *Snapshot) ObserveScored(x []Value, positive bool, at time.Time, contribution float64) Delta {
	l := labelImpression
	if positive {
		l = labelSuccess
	}
	return s.observe(x, l, at, contribution)
}

func (s *Snapshot) observe(x []Value, l label, at time.Time, contribution float64) Delta {
	positive := l.positive()
	bucket := s.cfg.Memory.bucketOf(at)
	raw := contribution
	d := make(Delta, 0, 3*len(s.cfg.Predictors)+4)
	d = append(d, Increment{Key: Key{Bucket: bucket, Predictor: totalName, Positive: positive}, N: 1})
	for i, p := range s.cfg.Predictors {
		d = append(d, Increment{
			Key: Key{Bucket: bucket, Predictor: p.Name, Positive: positive, Bin: s.bin(i, valueAt(x, i))},
			N:   1,
		})
	}
	d = append(d, Increment{
		Key: Key{Bucket: bucket, Predictor: calibrationName, Positive: positive, Bin: strconv.Itoa(calibrationBin(raw))},
		N:   1,
	})
	return s.scorer.observe(x, l, bucket, contribution, d)
}

// Apply adds a delta to the model's counters.
func (m *Model) Apply(d Delta) {
	m.state.Apply(d)
	m.snap = nil
}

// Snapshot returns the model compiled for scoring at time at. It is cached until the next
// Apply or until at falls in another time bucket.
func (m *Model) Snapshot(at time.Time) *Snapshot {
	bucket := m.cfg.Memory.bucketOf(at)
	if m.snap == nil || m.snapBucket != bucket {
		m.snap = compile(m.cfg, m.state, bucket)
		m.snapBucket = bucket
	}
	return m.snap
}

// valueAt returns x[i], or a missing value when x is shorter than the predictor list.
func valueAt(x []Value, i int) Value {
	if i < len(x) {
		return x[i]
	}
	return Missing()
}

// binID returns the bin a value is counted in, as it appears in counter keys.
func binID(p Predictor, v Value) string {
	if p.Kind == Symbolic {
		return v.Symbol
	}
	if math.IsNaN(v.Number) {
		return missingBin
	}
	return strconv.Itoa(fineBin(p.Bins, v.Number))
}

// bin is the bin a response with value v is learned in for predictor i: binID, but a
// symbol beyond the predictor's bound is OtherSymbol.
func (s *Snapshot) bin(i int, v Value) string {
	p := s.cfg.Predictors[i]
	if p.Kind != Symbolic || v.Symbol == "" {
		return binID(p, v)
	}
	if len(v.Symbol) > MaxSymbolBytes {
		return OtherSymbol
	}
	counted := s.counted[i]
	if _, ok := counted[v.Symbol]; ok || len(counted) < p.maxSymbols() {
		return v.Symbol
	}
	return OtherSymbol
}

// missingBin is the bin of a missing numeric value.
const missingBin = "na"
