package decision

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/vm"

	"github.com/nextbest/nextbest/shared/adaptive"
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
//
// A rule's cost is bounded: publishing refuses a rule whose evaluation could take too
// many steps or allocate too much, and a rule whose cost grows with its data does not
// hold for data too large for its limit (see rules_cost.go and docs/catalog.md).

// ruleKinds in evaluation order: cheap "may they have it at all" first.
var ruleKinds = [...]string{"eligibility", "applicability", "suitability"}

type compiledRule struct {
	kind    string
	source  string
	program *vm.Program
	// id indexes the rule in a decision's memo: rules of an issue or a group are
	// shared by all its actions and evaluated once per decision.
	id int
	// perChannel says the rule reads channel or placement, so a batch planning one
	// customer on several channels evaluates it again on each.
	perChannel bool
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

func (c *Catalog) compileRules(r Rules) ([]compiledRule, error) {
	var out []compiledRule
	var errs []error
	for i, src := range [...]string{r.Eligibility, r.Applicability, r.Suitability} {
		if src == "" {
			continue
		}
		program, perChannel, _, err := c.compileExpr(src, true)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s rule %s: %w", ruleKinds[i], quoteRule(src), err))
			continue
		}
		out = append(out, compiledRule{kind: ruleKinds[i], source: src, program: program, id: c.ruleCount, perChannel: perChannel})
		if perChannel {
			c.channelRules = append(c.channelRules, c.ruleCount)
		}
		c.ruleCount++
	}
	return out, errors.Join(errs...)
}

// quoteRule quotes a rule's source for an error message, shortened when it is long: a
// rule refused for its length would otherwise fill the message.
func quoteRule(src string) string {
	const shown = 80
	if len(src) <= maxRuleSource {
		return strconv.Quote(src)
	}
	cut := shown
	for cut > 0 && !utf8.RuneStart(src[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%s bytes)", strconv.Quote(src[:cut]), amount(float64(len(src))))
}

// compileExpr type-checks an expression against the rule environment, then compiles
// it with profile.x and context.x read as top-level names. expr reads a top-level
// name of a map environment with a direct map access, but a member of a nested map
// through reflection, which allocated on every read and dominated decide's cost; the
// decision's environment therefore also holds each attribute the catalog reads under
// its flattened name (see newRuleEvaluator). Checking happens before the rewrite, so
// misspelt top-level names still fail at publish time. It also reports whether the
// expression reads channel or placement, and the type the checker found for its
// result (nil when it cannot tell, as for a free-form attribute).
//
// Every expression is held to the rule cost limits (see rules_cost.go): its source
// length and syntax nodes before it is parsed, its estimated cost once checked; a
// program whose cost depends on its inputs weighs them first.
func (c *Catalog) compileExpr(src string, asBool bool) (program *vm.Program, perChannel bool, out reflect.Type, err error) {
	e, err := c.compileCosted(src, asBool)
	return e.program, e.perChannel, e.out, err
}

// compiledExpr is an expression compiled with its cost estimate.
type compiledExpr struct {
	program    *vm.Program
	perChannel bool
	out        reflect.Type
	cost       ruleCost
}

// compileCosted is compileExpr with the cost estimate, which tests and benchmarks read.
func (c *Catalog) compileCosted(src string, asBool bool) (compiledExpr, error) {
	if len(src) > maxRuleSource {
		return compiledExpr{}, fmt.Errorf("is %s bytes long; the limit is %s", amount(float64(len(src))), amount(maxRuleSource))
	}
	config := conf.CreateNew()
	expr.Env(c.ruleEnv())(config)
	expr.MaxNodes(maxRuleNodes)(config)
	if asBool {
		expr.AsBool()(config)
	}
	config.Check()
	tree, err := checker.ParseCheck(src, config)
	if err != nil {
		// expr reports its node limit as text only; say it in the catalog's words.
		if strings.Contains(err.Error(), "exceeds maximum allowed nodes") {
			return compiledExpr{}, fmt.Errorf("has more than %d terms; the limit is %d", maxRuleNodes, maxRuleNodes)
		}
		return compiledExpr{}, err
	}
	e := compiledExpr{out: tree.Node.Type()}
	if e.cost, err = c.estimateCost(tree.Node); err != nil {
		return compiledExpr{}, err
	}
	f := &flattener{catalog: c}
	ast.Walk(&tree.Node, f)
	if err := optimizer.Optimize(&tree.Node, config); err != nil {
		return compiledExpr{}, err
	}
	e.cost.guard(&tree.Node)
	e.perChannel = f.perChannel
	e.program, err = compiler.Compile(tree, config)
	return e, err
}

// flattener rewrites profile.x and context.x into the top-level names "profile.x" and
// "context.x", and records them so the environment can provide them. It also notes
// whether the expression reads channel or placement.
type flattener struct {
	catalog    *Catalog
	perChannel bool
}

// flattenedRoots are the nested maps whose members become top-level names.
var flattenedRoots = map[string]bool{"profile": true, "context": true}

// Visit is called for every node, children first.
func (f *flattener) Visit(node *ast.Node) {
	if id, ok := (*node).(*ast.IdentifierNode); ok && (id.Value == "channel" || id.Value == "placement") {
		f.perChannel = true
	}
	m, ok := (*node).(*ast.MemberNode)
	if !ok {
		return
	}
	root, key, ok := flatMember(m)
	if !ok {
		return
	}
	name := root + "." + key
	if f.catalog.flatNames == nil {
		f.catalog.flatNames = map[string]flatName{}
	}
	f.catalog.flatNames[name] = flatName{root: root, key: key}
	ast.Patch(node, &ast.IdentifierNode{Value: name})
}

// flatName is one flattened name and where its value comes from.
type flatName struct{ root, key string }

// ruleEvaluator evaluates rules for one decision, reusing one virtual machine and
// one environment map across all actions to keep the decision allocation-light, and
// remembering each rule's result.
type ruleEvaluator struct {
	machine vm.VM
	env     map[string]any
	memo    []ruleResult
	// errs holds the error of each rule whose memo is failed; made on the first.
	errs map[int]error
	// features caches the predictor values (see Catalog.features).
	features []adaptive.Value
}

type ruleResult uint8

const (
	unevaluated ruleResult = iota
	holds
	fails
	failed // could not be evaluated; errs says why
)

func newRuleEvaluator(c *Catalog, p *Profile, req *Request, now time.Time, weather ContextFeed) *ruleEvaluator {
	attrs := p.Attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	ctx := c.withFeeds(req.Context, p, weather, now)
	if ctx == nil {
		ctx = map[string]any{}
	}
	env := make(map[string]any, len(ruleEnvShape)+len(c.flatNames))
	env["profile"], env["context"], env["channel"], env["placement"], env["now"] = attrs, ctx, req.Channel, req.Placement, now
	for name, f := range c.flatNames {
		source := attrs
		if f.root == "context" {
			source = ctx
		}
		v := source[f.key]
		if f.root == "profile" && c.isTimeAttribute(f.key) {
			v = timeOrNil(v) // profiles store times as text; rules compare time.Time
		}
		env[name] = v
	}
	// The machine's memory budget backs up the cost estimate, for rules and predictors
	// alike: an evaluation the estimate admits stays below it (see vmBudget).
	return &ruleEvaluator{machine: vm.VM{MemoryBudget: vmBudget}, memo: make([]ruleResult, c.ruleCount), env: env}
}

// timeOrNil reads a stored time attribute; an unreadable one is missing.
func timeOrNil(v any) any {
	t, err := ParseTimeValue(v)
	if err != nil {
		return nil
	}
	return t
}

// setChannel moves the evaluator to another channel of the same customer: only the
// rules and predictors that read channel or placement are evaluated again.
func (e *ruleEvaluator) setChannel(c *Catalog, channel, placement string) {
	e.env["channel"], e.env["placement"] = channel, placement
	for _, id := range c.channelRules {
		e.memo[id] = unevaluated
	}
	if c.predictorsPerChannel {
		e.features = nil
	}
}

// holds returns whether the rule is satisfied, and an error when it could not be
// evaluated; a rule that errors does not hold. Errors are remembered with the result,
// so that an explanation can show them and a rule shared by many actions that exceeds
// its cost limit pays it once per decision.
func (e *ruleEvaluator) holds(r *compiledRule) (bool, error) {
	switch e.memo[r.id] {
	case holds:
		return true, nil
	case fails:
		return false, nil
	case failed:
		return false, e.errs[r.id]
	}
	out, err := e.run(r.program)
	if err != nil {
		if e.errs == nil {
			e.errs = map[int]error{}
		}
		e.memo[r.id], e.errs[r.id] = failed, err
		return false, err
	}
	ok, _ := out.(bool)
	e.memo[r.id] = fails
	if ok {
		e.memo[r.id] = holds
	}
	return ok, nil
}

// run evaluates a program in the decision's environment; an evaluation stopped by the
// cost limits returns a *costError.
func (e *ruleEvaluator) run(p *vm.Program) (any, error) {
	out, err := e.machine.Run(p, e.env)
	if err != nil {
		return nil, runError(err)
	}
	return out, nil
}
