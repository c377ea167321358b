package decision

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/nextbest/nextbest/shared/adaptive"
)

// ModelKey names one propensity model: an action on a channel (or on every channel,
// when the catalog's model settings say perChannel: false).
type ModelKey struct {
	ActionID string
	Channel  string
}

func (k ModelKey) String() string { return k.ActionID + "/" + k.Channel }

// ModelSettings configure the adaptive models (package adaptive) of every action.
type ModelSettings struct {
	// Predictors are what the models learn from, evaluated once per decision.
	Predictors []PredictorSpec `yaml:"predictors"`
	// PerChannel keeps one model per action and channel (the default), since the same
	// offer rarely draws the same response on a banner and in an e-mail.
	PerChannel *bool `yaml:"perChannel"`
	// Memory makes models forget: counters are kept per time bucket, buckets older than
	// Window are ignored and, with a HalfLife (in buckets), older ones weigh less.
	Memory struct {
		Bucket   Duration `yaml:"bucket"`
		Window   int      `yaml:"window"`
		HalfLife float64  `yaml:"halfLife"`
	} `yaml:"memory"`
	// Explore ranks actions by a Thompson draw from each model's uncertainty instead
	// of its mean propensity, so actions with little evidence get tried.
	Explore bool `yaml:"explore"`
	// Kind is how the models score (adaptive.ModelKind): "naive-bayes" (the default),
	// or "logistic", an online logistic regression blended with naive Bayes while
	// positives are few, which ranks better on real data (docs/model-quality.md) for
	// about three times the counters. LearningRate and BlendPositives tune the logistic
	// kind (0: the package defaults, chosen by `make eval`).
	Kind           string  `yaml:"kind"`
	LearningRate   float64 `yaml:"learningRate"`
	BlendPositives float64 `yaml:"blendPositives"`
	// MaxSymbols bounds the values a symbolic predictor counts apart (default 100; a
	// predictor may set its own): values beyond it, and any longer than 64 bytes, are
	// counted together as "other", so no caller can grow a model without bound by
	// sending a new context value with every request.
	MaxSymbols int `yaml:"maxSymbols"`
}

// defaultModelKind is the kind a catalog gets when it names none. Naive Bayes stays
// the default although the logistic kind ranks better in docs/model-quality.md: on the
// Hillstrom simulation it ranks uplift worse (docs/results.md), and the demo world's
// forecasts and lift were measured with naive Bayes; a catalog opts in with
// `kind: logistic`.
const defaultModelKind = adaptive.NaiveBayes

// PredictorSpec declares one predictor: an expr expression over profile, context,
// channel, placement and now, such as `profile.tenureMonths`, `context.device` or
// `"fibre" in (profile.productsHeld ?? [])`. Numeric predictors need Bins, the fine
// edges the model merges adaptively; symbolic ones take the value's text.
type PredictorSpec struct {
	Name       string    `yaml:"name"`
	Source     string    `yaml:"source"`
	Kind       string    `yaml:"kind"`
	Bins       []float64 `yaml:"bins"`
	MaxSymbols int       `yaml:"maxSymbols"`

	program *vm.Program
}

// compileModelSettings checks the predictors and builds the adaptive configuration
// shared by every action; each action then only sets its own prior.
func (c *Catalog) compileModelSettings() []error {
	var errs []error
	m := &c.Settings.Model
	base := adaptive.Config{Memory: adaptive.Memory{
		Bucket: m.Memory.Bucket.Std(), Window: m.Memory.Window, HalfLife: m.Memory.HalfLife,
	}, Kind: adaptive.ModelKind(m.Kind), LearningRate: m.LearningRate, BlendPositives: m.BlendPositives}
	if base.Kind == "" {
		base.Kind = defaultModelKind
	}
	for i := range m.Predictors {
		p := &m.Predictors[i]
		where := fmt.Sprintf("settings.model.predictors[%d] %q", i, p.Name)
		kind := adaptive.Symbolic
		switch p.Kind {
		case "", "symbolic":
		case "numeric":
			kind = adaptive.Numeric
		default:
			errs = append(errs, fmt.Errorf("%s: kind must be symbolic or numeric", where))
		}
		program, perChannel, out, err := c.compileExpr(p.Source, false)
		c.predictorsPerChannel = c.predictorsPerChannel || perChannel
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: source %q: %w", where, p.Source, err))
		case kind == adaptive.Numeric && out != nil && !isNumericType(out):
			errs = append(errs, fmt.Errorf("%s: source %q is %s, but a numeric predictor needs a number", where, p.Source, typeWord(out)))
		}
		p.program = program
		maxSymbols := m.MaxSymbols
		if p.MaxSymbols != 0 {
			maxSymbols = p.MaxSymbols
		}
		base.Predictors = append(base.Predictors, adaptive.Predictor{Name: p.Name, Kind: kind, Bins: p.Bins, MaxSymbols: maxSymbols})
	}
	if len(base.Predictors) == 0 {
		// Without predictors a model is its base rate: one always-missing predictor keeps
		// the adaptive machinery (prior, evidence, exploration) uniform.
		base.Predictors = []adaptive.Predictor{{Name: "none", Kind: adaptive.Symbolic}}
	}
	base.PriorRate, base.PriorStrength = c.Settings.Prior.Rate, c.Settings.Prior.Strength
	if err := base.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("settings.model: %w", err))
	}
	c.modelConfig = base
	return errs
}

// isNumericType tells whether the checker's type for an expression is a number.
func isNumericType(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	case reflect.Interface:
		return true // any: only known at run time
	}
	return false
}

// typeWord names a checked type in the catalog's words.
func typeWord(t reflect.Type) string {
	switch {
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "a bool"
	case t.Kind() == reflect.Slice:
		return "a list"
	case t == reflect.TypeOf(time.Time{}):
		return "a time"
	default:
		return t.String()
	}
}

// perChannel reports whether models are kept per channel.
func (c *Catalog) perChannel() bool {
	return c.Settings.Model.PerChannel == nil || *c.Settings.Model.PerChannel
}

// ModelKey names the model an action is scored with on a channel.
func (c *Catalog) ModelKey(actionID, channel string) ModelKey {
	if !c.perChannel() {
		channel = ""
	}
	return ModelKey{ActionID: actionID, Channel: channel}
}

// ModelMemory is how the catalog's models forget, which a store's compaction follows.
func (c *Catalog) ModelMemory() adaptive.Memory { return c.modelConfig.Memory }

// ModelConfig is the adaptive configuration of an action's model.
func (c *Catalog) ModelConfig(actionID string) (adaptive.Config, bool) {
	ca := c.action(actionID)
	if ca == nil {
		return adaptive.Config{}, false
	}
	return ca.modelConfig, true
}

// features evaluates the predictors for one decision. A predictor that fails or
// yields nothing is missing, which the model handles like any other value.
func (c *Catalog) features(rules *ruleEvaluator) []adaptive.Value {
	if rules.features != nil {
		return rules.features
	}
	specs := c.Settings.Model.Predictors
	x := make([]adaptive.Value, len(specs))
	for i := range specs {
		out, err := rules.machine.Run(specs[i].program, rules.env)
		if err != nil {
			x[i] = adaptive.Missing()
			continue
		}
		x[i] = toValue(out, specs[i].Kind == "numeric")
	}
	adaptive.Prepare(c.modelConfig.Predictors, x)
	rules.features = x
	return x
}

// namedFeatures keys a decision's predictor values by predictor name, for the log.
func (c *Catalog) namedFeatures(x []adaptive.Value) map[string]adaptive.Value {
	if len(x) == 0 {
		return nil
	}
	named := make(map[string]adaptive.Value, len(x))
	for i, p := range c.Settings.Model.Predictors {
		if i < len(x) {
			named[p.Name] = x[i]
		}
	}
	return named
}

// alignFeatures orders logged predictor values as the catalog's predictors are now; a
// predictor added since the decision is missing.
func (c *Catalog) alignFeatures(named map[string]adaptive.Value) []adaptive.Value {
	x := make([]adaptive.Value, len(c.Settings.Model.Predictors))
	for i, p := range c.Settings.Model.Predictors {
		v, ok := named[p.Name]
		if !ok {
			v = adaptive.Missing()
		}
		x[i] = v
	}
	return x
}

func toValue(v any, numeric bool) adaptive.Value {
	if numeric {
		switch n := v.(type) {
		case float64:
			return adaptive.Number(n)
		case int:
			return adaptive.Number(float64(n))
		case int64:
			return adaptive.Number(float64(n))
		}
		return adaptive.Missing()
	}
	if s, ok := formatAttribute(v); ok {
		return adaptive.Symbol(s)
	}
	return adaptive.Missing()
}

// Models is a read-only snapshot of every model's counters, with each model compiled
// for scoring on first use.
type Models struct {
	states map[ModelKey]*adaptive.State
	at     time.Time
	// compiled holds, per catalog, the snapshots compiled so far: a catalog version
	// may change the predictors, so snapshots compiled for one never serve another.
	compiled sync.Map // *Catalog → *modelTable
}

// modelTable holds one catalog's compiled snapshots by channel and action index, so
// that scoring 200 actions costs one map lookup per decision, not one per action.
type modelTable struct {
	byChannel map[string][]atomic.Pointer[adaptive.Snapshot]
}

// NewModels wraps counters loaded from a store at time at (which sets the memory's
// current bucket). The map and the states must not change afterwards.
func NewModels(states map[ModelKey]*adaptive.State, at time.Time) *Models {
	return &Models{states: states, at: at}
}

// slots returns the compiled-snapshot slots of the catalog's actions on a channel.
func (m *Models) slots(c *Catalog, channel string) []atomic.Pointer[adaptive.Snapshot] {
	t, ok := m.compiled.Load(c)
	if !ok {
		table := &modelTable{byChannel: map[string][]atomic.Pointer[adaptive.Snapshot]{}}
		for _, ch := range c.Channels {
			// One slot per action, and the baseline's after them.
			table.byChannel[c.ModelKey("", ch.Name).Channel] = make([]atomic.Pointer[adaptive.Snapshot], len(c.actions)+1)
		}
		t, _ = m.compiled.LoadOrStore(c, table)
	}
	return t.(*modelTable).byChannel[c.ModelKey("", channel).Channel]
}

// Len is the number of models with counters.
func (m *Models) Len() int {
	if m == nil {
		return 0
	}
	return len(m.states)
}

// Keys lists the models with counters.
func (m *Models) Keys() []ModelKey {
	if m == nil {
		return nil
	}
	keys := make([]ModelKey, 0, len(m.states))
	for k := range m.states {
		keys = append(keys, k)
	}
	return keys
}

// Totals returns a model's counted successes and failures over all time buckets, for
// reports and checks; a success reported without an impression counts no failure.
func (m *Models) Totals(k ModelKey) (successes, failures int64) {
	if m == nil || m.states[k] == nil {
		return 0, 0
	}
	m.states[k].Each(func(key adaptive.Key, n int64) {
		if key.Predictor != "*" {
			return
		}
		if key.Positive {
			successes += n
		} else {
			failures += n
		}
	})
	return successes, failures
}

// modelFor returns the compiled model of an action on a channel; actions without
// counters get their prior. A nil Models serves priors only.
func (c *Catalog) modelFor(m *Models, ca *compiledAction, channel string) *adaptive.Snapshot {
	if m == nil {
		return ca.emptyModel()
	}
	return m.snapshot(c, m.slots(c, channel), ca, channel)
}

// snapshot compiles an action's model on first use and keeps it in its slot.
func (m *Models) snapshot(c *Catalog, slots []atomic.Pointer[adaptive.Snapshot], ca *compiledAction, channel string) *adaptive.Snapshot {
	if s := slots[ca.index].Load(); s != nil {
		return s
	}
	s := ca.emptyModel()
	if state, ok := m.states[c.ModelKey(ca.ID, channel)]; ok {
		if model, err := adaptive.New(ca.modelConfig, state); err == nil { // validated with the catalog
			s = model.Snapshot(m.at)
		}
	}
	slots[ca.index].Store(s)
	return s
}

// emptyModel is the action's model before any response: its prior.
func (ca *compiledAction) emptyModel() *adaptive.Snapshot {
	ca.emptyOnce.Do(func() {
		model, _ := adaptive.New(ca.modelConfig, nil)
		ca.empty = model.Snapshot(time.Time{})
	})
	return ca.empty
}

// PredictorContribution is what one predictor adds to an action's score for this
// customer, for explanations.
type PredictorContribution struct {
	Predictor string  `json:"predictor"`
	LogOdds   float64 `json:"logOdds"`
	Evidence  float64 `json:"evidence"`
}

// topContributions is how many predictors an explanation lists.
const topContributions = 3

func contributions(s *adaptive.Snapshot, x []adaptive.Value) []PredictorContribution {
	var buf [8]adaptive.Contribution
	all := s.Explain(x, buf[:0])
	out := make([]PredictorContribution, 0, min(topContributions, len(all)))
	for _, c := range all {
		if len(out) == topContributions || c.LogOdds == 0 {
			break
		}
		out = append(out, PredictorContribution{Predictor: c.Predictor, LogOdds: round4(c.LogOdds), Evidence: c.Evidence})
	}
	return out
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// propensityReason explains where a propensity comes from.
func propensityReason(score adaptive.Score, prior Prior) string {
	if score.Evidence == 0 {
		return "propensity " + strconv.FormatFloat(score.Propensity, 'f', 4, 64) + " is the prior (no responses yet)"
	}
	return fmt.Sprintf("propensity %.4f learned from %.0f responses (prior %.4f)", score.Propensity, score.Evidence, prior.Rate)
}
