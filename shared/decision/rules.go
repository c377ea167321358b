package decision

import (
	"errors"
	"fmt"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// Engagement rules are written in expr (github.com/expr-lang/expr): a small, typed,
// side-effect-free expression language that compiles once to bytecode and evaluates in
// tens of nanoseconds without reflection-heavy interpretation. A rule sees:
//
//	profile    map of the customer's attributes (profile.tenureMonths, profile.segment, ...)
//	context    map of what the caller sent (context.device, context.intent, ...)
//	channel    the channel asked about, as a string
//	placement  the placement asked about, or ""
//	now        the decision time (time.Time)
//
// Missing attributes read as nil; use `profile.age ?? 0` to give a default. A rule
// that fails at run time (for example comparing nil with a number) does not hold, and
// the explanation says why, so an unknown customer simply gets the actions whose rules
// need no profile data.

// ruleKinds in evaluation order: cheap "may they have it at all" first.
var ruleKinds = [...]string{"eligibility", "applicability", "suitability"}

type compiledRule struct {
	kind    string
	source  string
	program *vm.Program
}

// ruleEnvShape declares the variables rules may use, so typos in names fail at publish
// time instead of silently never matching.
var ruleEnvShape = map[string]any{
	"profile":   map[string]any{},
	"context":   map[string]any{},
	"channel":   "",
	"placement": "",
	"now":       time.Time{},
}

func compileRules(r Rules) ([]compiledRule, error) {
	var out []compiledRule
	var errs []error
	for i, src := range [...]string{r.Eligibility, r.Applicability, r.Suitability} {
		if src == "" {
			continue
		}
		program, err := expr.Compile(src, expr.Env(ruleEnvShape), expr.AsBool())
		if err != nil {
			errs = append(errs, fmt.Errorf("%s rule %q: %w", ruleKinds[i], src, err))
			continue
		}
		out = append(out, compiledRule{kind: ruleKinds[i], source: src, program: program})
	}
	return out, errors.Join(errs...)
}

// ruleEvaluator evaluates rules for one decision, reusing one virtual machine and
// one environment map across all actions to keep the decision allocation-light.
type ruleEvaluator struct {
	machine vm.VM
	env     map[string]any
}

func newRuleEvaluator(p *Profile, req *Request, now time.Time) *ruleEvaluator {
	attrs := p.Attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	ctx := req.Context
	if ctx == nil {
		ctx = map[string]any{}
	}
	return &ruleEvaluator{env: map[string]any{
		"profile":   attrs,
		"context":   ctx,
		"channel":   req.Channel,
		"placement": req.Placement,
		"now":       now,
	}}
}

// holds returns whether the rule is satisfied, and an error when it could not be
// evaluated; a rule that errors does not hold.
func (e *ruleEvaluator) holds(r *compiledRule) (bool, error) {
	out, err := e.machine.Run(r.program, e.env)
	if err != nil {
		return false, err
	}
	ok, _ := out.(bool)
	return ok, nil
}
