package adaptive

import "fmt"

// ModelKind names how a model turns its counters into scores.
type ModelKind string

// The kinds of model. Every kind keeps the naive Bayes counters (evidence, success
// rates by bin, calibration), which reports and explanations read; a kind adds its own
// counters and its own scoring.
const (
	// NaiveBayes scores by the bins' shrunk log-odds, summed over the active predictors
	// and calibrated (the package documentation describes it).
	NaiveBayes ModelKind = "naive-bayes"
	// Logistic scores by an online logistic regression over the same bins (logistic.go):
	// it does not double-count correlated predictors, at the cost of more counters.
	Logistic ModelKind = "logistic"
)

// scorer is a kind compiled into a snapshot: what Score, Explain and learning ask of it.
type scorer interface {
	// contribution is x's log-odds relative to the snapshot's calibration base.
	contribution(x []Value) float64
	// weight is what predictor i's value v adds, and whether the predictor is active.
	weight(i int, v Value) (float64, bool)
	// observe appends to d the kind's own counters for one response (the naive Bayes
	// ones are added by the snapshot for every kind).
	observe(x []Value, l label, bucket int64, contribution float64, d Delta) Delta
}

// kinds is where a kind is registered: its compile function reads the state (the
// snapshot's naive Bayes part is compiled already) and may set the calibration.
// Adding a kind is one entry here and its file; TestModelKindConformance holds each
// kind to the package's guarantees.
var kinds = map[ModelKind]func(s *Snapshot, state *State, now int64) scorer{
	NaiveBayes: func(s *Snapshot, _ *State, _ int64) scorer { return naiveBayes{s} },
	Logistic:   compileLinear,
}

// Kinds returns the kinds of model, for validation messages and docs.
func Kinds() []ModelKind { return []ModelKind{NaiveBayes, Logistic} }

func (k ModelKind) validate() error {
	if _, ok := kinds[k]; !ok {
		return fmt.Errorf("adaptive config: model kind %q: want one of %v", k, Kinds())
	}
	return nil
}

// label is what one observation teaches a model.
type label int

const (
	labelImpression label = iota // shown; a negative until a success says otherwise
	labelSuccess                 // the success that follows an impression
	labelNegative                // in memory: a whole negative example
	labelPositive                // in memory: a whole positive example
)

// positive says whether the observation counts as a positive response.
func (l label) positive() bool { return l == labelPositive || l == labelSuccess }

// naiveBayes is the naive Bayes kind: the snapshot's own compiled predictors.
type naiveBayes struct{ s *Snapshot }

func (nb naiveBayes) contribution(x []Value) float64 { return nb.s.nbContribution(x) }

func (nb naiveBayes) weight(i int, v Value) (float64, bool) {
	p := &nb.s.predictors[i]
	c, _ := p.lookup(v)
	return c, p.active
}

func (naiveBayes) observe(_ []Value, _ label, _ int64, _ float64, d Delta) Delta { return d }
