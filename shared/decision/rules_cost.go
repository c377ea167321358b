package decision

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
)

// Rule cost. A rule runs in every decision it can affect, so a rule that is costly to
// evaluate makes every decision slow: before these limits,
// `replace(repeat("a",10000),"a",repeat("b",10000))` allocated 100 MB per decision and
// two nested loops over 1..1000 took 70 ms. Publishing therefore estimates, from the
// rule's syntax tree alone, an upper bound on what one evaluation can cost, and
// refuses rules whose bound is over the limits below; and since a rule's cost can
// depend on its data (a loop over a profile list), the bound is a function of the
// size of the data, checked again at run time before the rule runs.
//
// The cost model, in two measures:
//
//   - steps: one for every expression node evaluated (a loop body counts once per
//     element it runs for), and for the built-in functions and operators that go
//     through a list, a map or a string (`in` on a list, sort, split, replace,
//     matches...) what they cost per element or byte, measured in the machine's
//     steps (see the step constants below);
//   - bytes: the memory an evaluation allocates: the strings, lists and maps it builds
//     (16 bytes a list element, 64 a map entry), an eighth more for the allocator's
//     rounding, plus boxBytes for every number or string an operation computes
//     (arithmetic, #, a member read, a function's result), which the machine boxes
//     into an interface.
//
// Data is measured by its weight (see weigh): a string's length in bytes, a list's or
// map's number of elements plus the weight of each. Every value a rule reads from
// profile, context, channel or placement is an input of unknown weight n; the costs
// are polynomials in n (a loop over a list inside a loop over a list is n²). Numbers
// are costs only when written in the rule: a range's bounds and repeat's count must be
// constants (or derive from constants, like `1..#` inside a loop over `1..10`).
//
// At publish time a rule must stay within the limits with inputs of weight
// minRuleInput. A rule whose cost does not depend on its data is then safe as it is.
// Otherwise the compiled program starts by weighing the inputs it reads, and refuses to
// run, with an error saying the rule exceeded its cost limit, when one is heavier than
// the largest weight for which its bound stays within the limits. The virtual
// machine's own memory budget (see newRuleEvaluator) backs the model up.
const (
	// maxRuleSource is the longest rule source, in bytes.
	maxRuleSource = 1000
	// maxRuleNodes bounds the syntax nodes of a rule (expr's MaxNodes), which bounds the
	// work of compiling it and the size of its program.
	maxRuleNodes = 250
	// maxRuleDepth bounds how deeply a rule's expressions nest; expr's checker and
	// compiler, and this file's estimate, recurse once per level. expr nests a chain of
	// conditions joined by && one level per condition, and a chain within maxRuleNodes
	// (four nodes a comparison) stays within it.
	maxRuleDepth = 64
	// maxRangeLen is the most elements one range (a..b) may have.
	maxRangeLen = 10_000
	// maxRuleSteps and maxRuleBytes bound one evaluation of a rule. A step takes 2 to 7
	// ns as measured (BenchmarkRuleCost), so 50 000 steps take 0.1 to 0.35 ms.
	maxRuleSteps = 50_000
	maxRuleBytes = 1 << 20
	// boxBytes is what boxing a computed number or string header into an interface may
	// allocate. Built-ins that read a list through reflection (`in`, sort, uniq,
	// concat...) box every element of a list of numbers or strings they read.
	boxBytes = 16
	// appendBytes is what gathering a list element by element costs per element: 16
	// bytes, five times over, since append grows a long slice by a quarter at a time
	// and so allocates about five times the final slice in all (measured: 77 bytes an
	// element for map over 8 000 numbers).
	appendBytes = 5 * 16
	// scopeBytes is what entering a loop may allocate: the machine takes a 160-byte
	// scope from a pool that grows by append and is reused only from one evaluation to
	// the next, so every loop entered in an evaluation (an inner loop, once per element
	// of the outer one) takes a new one.
	scopeBytes = 5 * 160
	// minRuleInput is the input weight every published rule must afford: a list of ten
	// short strings, a hundred-character text.
	minRuleInput = 100
	// sortLog bounds log₂ of the length of a list a rule sorts when the length depends on
	// data: a rule that runs visits every element, so no list it sorts is longer than
	// maxRuleSteps < 2^sortLog.
	sortLog = 16
	// maxRepeat is the largest count expr's repeat() accepts, whatever the string.
	maxRepeat = 1_000_000
	// vmBudget is the virtual machine's memory budget for one evaluation. It counts
	// range and list elements, map entries and repeat's bytes, each of which the model
	// charges at least a byte, so an evaluation the model admits never reaches it.
	vmBudget = maxRuleBytes + 1
)

// poly is a polynomial in n, the weight of the heaviest input, with non-negative
// coefficients: term i is the coefficient of nⁱ. It bounds a size or a cost; non-negative
// coefficients make the sum, product and coefficient-wise maximum of bounds bounds
// again. A term above maxPolyDegree folds into an infinite top coefficient: a cost that
// grows that fast fails the limits for any input.
type poly [maxPolyDegree + 1]float64

const maxPolyDegree = 4

// weightOfInput is the polynomial n itself: what an input weighs.
func weightOfInput() poly { return poly{0, 1} }

func constant(c float64) poly { return poly{c} }

func (p poly) plus(q poly) poly {
	for i := range p {
		p[i] += q[i]
	}
	return p
}

func (p poly) scale(c float64) poly {
	for i := range p {
		p[i] *= c
	}
	return p
}

func (p poly) times(q poly) poly {
	var r poly
	for i, a := range p {
		for j, b := range q {
			if a == 0 || b == 0 {
				continue
			}
			if i+j > maxPolyDegree {
				r[maxPolyDegree] = math.Inf(1)
				continue
			}
			r[i+j] += a * b
		}
	}
	return r
}

// or bounds the larger of p and q.
func (p poly) or(q poly) poly {
	for i := range p {
		p[i] = max(p[i], q[i])
	}
	return p
}

// at evaluates p for inputs of weight w.
func (p poly) at(w float64) float64 {
	sum, power := 0.0, 1.0
	for _, c := range p {
		if c != 0 && power != 0 {
			sum += c * power
		}
		power *= w
	}
	return sum
}

// dataDependent tells whether p grows with the weight of the inputs.
func (p poly) dataDependent() bool {
	for _, c := range p[1:] {
		if c != 0 {
			return true
		}
	}
	return false
}

// lesser returns one of p and q, the one that looks smaller: either bounds min(p, q).
func lesser(p, q poly) poly {
	for i := maxPolyDegree; i >= 0; i-- {
		switch {
		case p[i] < q[i]:
			return p
		case p[i] > q[i]:
			return q
		}
	}
	return p
}

// kind is what the estimate knows of a value's type. Only values the estimate built
// itself, and the inputs the evaluator guarantees (now and time attributes), have a
// known kind: the checker's types of profile attributes describe what the schema
// promises, not what a stored profile holds.
type kind uint8

const (
	anyKind   kind = iota // unknown: any value within its weight
	fixedKind             // a number, boolean, time, duration or nil: weight 1
	stringKind
	listKind
	mapKind
)

// shape bounds a value.
type shape struct {
	kind kind
	// count bounds len(): a string's bytes, a list's elements, a map's entries.
	count poly
	// weight bounds the value's weight (see weigh); every part of it weighs no more.
	weight poly
	// elem bounds the elements of a list or the values of a map; nil when only the
	// weight bounds them.
	elem *shape
	// lo and hi bound a number computed from constants, when bounded.
	lo, hi  float64
	bounded bool
}

func fixed() shape { return shape{kind: fixedKind, weight: constant(1)} }

// number is a number known to lie in [lo, hi]. Beyond ±2⁵³ the bounds say nothing:
// float64 no longer holds every integer, and the machine's integer arithmetic may have
// wrapped around where the estimate's did not.
func number(lo, hi float64) shape {
	s := fixed()
	if math.Abs(lo) <= 1<<53 && math.Abs(hi) <= 1<<53 {
		s.lo, s.hi, s.bounded = lo, hi, true
	}
	return s
}

func stringOf(bytes poly) shape { return shape{kind: stringKind, count: bytes, weight: bytes} }

// unknown is a value of any kind that weighs at most w.
func unknown(w poly) shape { return shape{kind: anyKind, count: w, weight: w} }

// listOf is a list of count elements like elem.
func listOf(count poly, elem shape) shape {
	return shape{kind: listKind, count: count, weight: count.plus(count.times(elem.weight)), elem: &elem}
}

// element bounds an element of s, or a value if s is a map.
func (s shape) element() shape {
	if s.elem != nil {
		return *s.elem
	}
	return unknown(s.weight)
}

// join bounds a value that is either a or b.
func join(a, b shape) shape {
	out := shape{kind: a.kind, count: a.count.or(b.count), weight: a.weight.or(b.weight)}
	if a.kind != b.kind {
		out.kind = anyKind
	}
	if a.elem != nil && b.elem != nil {
		e := join(*a.elem, *b.elem)
		out.elem = &e
	}
	if a.bounded && b.bounded {
		out.lo, out.hi, out.bounded = min(a.lo, b.lo), max(a.hi, b.hi), true
	}
	return out
}

// within tells whether a bounds no more than b does, so that a loop accumulating a
// value has reached a fixed point.
func (a shape) within(b shape) bool {
	for i := range a.weight {
		if a.weight[i] > b.weight[i] || a.count[i] > b.count[i] {
			return false
		}
	}
	if b.bounded && (!a.bounded || a.lo < b.lo || a.hi > b.hi) {
		return false
	}
	return a.kind == b.kind || b.kind == anyKind
}

// ruleCost is the estimate of one rule: its bounds and the inputs they depend on.
type ruleCost struct {
	steps, bytes poly
	// inputs are the names, in the decision's environment, of the values the rule reads
	// whose weight may matter.
	inputs []string
	// maxWeight is the heaviest input the rule may read within the limits, or 0 when its
	// cost does not depend on its inputs.
	maxWeight int
}

// costModel walks a checked syntax tree and accumulates the cost of one evaluation.
type costModel struct {
	catalog *Catalog
	steps   poly
	built   poly
	// runs is how often the node being estimated runs in one evaluation: the product of
	// the lengths of the loops around it.
	runs   poly
	loops  []loopScope
	vars   []variable
	inputs []string
	depth  int
	err    error
	// hottest is the loop body that runs most, for the messages.
	hottest     poly
	hottestName string
	// unbounded says why a cost has no bound.
	unbounded string
}

// loopScope is what the pointers of a loop body (#, #index, #acc) refer to.
type loopScope struct{ item, index, acc shape }

type variable struct {
	name  string
	shape shape
}

// estimateCost estimates the cost of one evaluation of a checked rule and checks it
// against the limits. It reads the tree as the checker leaves it, before the flattener
// and the optimizer rewrite it: the optimizer only makes a program cheaper (it folds
// constants, turns `in` over a literal list into a map lookup), so a bound on the
// source bounds the program.
func (c *Catalog) estimateCost(tree ast.Node) (ruleCost, error) {
	m := &costModel{catalog: c, runs: constant(1)}
	m.eval(tree)
	if m.err != nil {
		return ruleCost{}, m.err
	}
	rc := ruleCost{steps: m.steps, bytes: m.built, inputs: m.inputs}
	if err := m.check(rc); err != nil {
		return ruleCost{}, err
	}
	if rc.steps.dataDependent() || rc.bytes.dataDependent() {
		rc.maxWeight = rc.heaviestInput()
	} else {
		rc.inputs = nil
	}
	return rc, nil
}

// check compares the estimate with the limits for inputs of weight minRuleInput.
func (m *costModel) check(rc ruleCost) error {
	steps, bytes := rc.steps.at(minRuleInput), rc.bytes.at(minRuleInput)
	if steps <= maxRuleSteps && bytes <= maxRuleBytes {
		return nil
	}
	if m.unbounded != "" {
		return fmt.Errorf("its cost has no bound: %s", m.unbounded)
	}
	var what string
	if steps > maxRuleSteps {
		what = fmt.Sprintf("may take up to %s steps; the limit is %s", amount(steps), amount(maxRuleSteps))
	} else {
		what = fmt.Sprintf("may allocate up to %s bytes; the limit is %s", amount(bytes), amount(maxRuleBytes))
	}
	if rc.steps.dataDependent() || rc.bytes.dataDependent() {
		what = fmt.Sprintf("with inputs of weight %d (%s), %s: its cost grows too fast with the size of its data",
			minRuleInput, strings.Join(rc.inputs, ", "), what)
	}
	if runs := m.hottest.at(minRuleInput); runs > 1 {
		what += fmt.Sprintf(" (the body of %s runs up to %s times)", m.hottestName, amount(runs))
	}
	return errors.New(what)
}

// heaviestInput finds the largest input weight within the limits, up to maxInputWeight.
// The bounds grow with the weight, so a binary search does; check has made sure that
// minRuleInput fits.
func (rc *ruleCost) heaviestInput() int {
	fits := func(w int) bool {
		return rc.steps.at(float64(w)) <= maxRuleSteps && rc.bytes.at(float64(w)) <= maxRuleBytes
	}
	lo, hi := minRuleInput, maxInputWeight
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// maxInputWeight caps the weight a guard lets through, even for a rule that only reads
// the length of a string: far above any request or profile, so it never refuses real
// data, and small enough that weights fit in an int on every platform.
const maxInputWeight = 1 << 30

func (m *costModel) fail(format string, args ...any) {
	if m.err == nil {
		m.err = fmt.Errorf(format, args...)
	}
}

// charge adds the cost of something that runs once per run of the current node.
func (m *costModel) charge(steps, bytes poly) {
	m.steps = m.steps.plus(steps.times(m.runs))
	m.built = m.built.plus(bytes.times(m.runs))
}

func (m *costModel) step(steps poly) { m.charge(steps, poly{}) }

// box charges boxing a computed value.
func (m *costModel) box() { m.charge(poly{}, constant(boxBytes)) }

// build charges the allocation of a value of the given size, and refuses a single
// value over the byte limit with a message naming what builds it. Go's allocator
// rounds a small object up to its size class and a large one up to whole 8 KiB
// pages: at most an eighth more, and 16 bytes for the smallest.
func (m *costModel) build(what, noun string, size poly) {
	if s := size.at(minRuleInput); s > maxRuleBytes {
		if math.IsInf(s, 1) && m.unbounded != "" {
			m.fail("its cost has no bound: %s", m.unbounded)
		} else if size.dataDependent() {
			m.fail("%s may build a %s of up to %s bytes from inputs of weight %d; the limit is %s", what, noun, amount(s), minRuleInput, amount(maxRuleBytes))
		} else {
			m.fail("%s may build a %s of up to %s bytes; the limit is %s", what, noun, amount(s), amount(maxRuleBytes))
		}
	}
	m.charge(poly{}, size.scale(9.0/8).plus(constant(16)))
}

// input is a value read from the decision's environment.
func (m *costModel) input(name string) shape {
	switch {
	case name == "now":
		return fixed()
	case strings.HasPrefix(name, "profile.") && m.catalog.isTimeAttribute(strings.TrimPrefix(name, "profile.")):
		return fixed() // newRuleEvaluator gives a time or nil
	}
	if !slices.Contains(m.inputs, name) {
		m.inputs = append(m.inputs, name)
	}
	return unknown(weightOfInput())
}

// eval estimates a node: it charges its cost and returns the shape of its value.
func (m *costModel) eval(node ast.Node) shape {
	if m.err != nil || node == nil {
		return fixed()
	}
	m.depth++
	defer func() { m.depth-- }()
	if m.depth > maxRuleDepth {
		m.fail("nests more than %d levels deep; the limit is %d", maxRuleDepth, maxRuleDepth)
		return fixed()
	}
	m.step(constant(1))
	switch n := node.(type) {
	case *ast.NilNode, *ast.BoolNode:
		return fixed()
	case *ast.IntegerNode:
		return number(float64(n.Value), float64(n.Value))
	case *ast.FloatNode:
		return number(n.Value, n.Value)
	case *ast.StringNode:
		return stringOf(constant(float64(len(n.Value))))
	case *ast.BytesNode:
		return stringOf(constant(float64(len(n.Value))))
	case *ast.ConstantNode:
		w := float64(weigh(n.Value, math.MaxInt))
		return unknown(constant(w))
	case *ast.IdentifierNode:
		for i := len(m.vars) - 1; i >= 0; i-- {
			if m.vars[i].name == n.Value {
				return m.vars[i].shape
			}
		}
		return m.input(n.Value)
	case *ast.PointerNode:
		m.box() // an element of a list of numbers is boxed as it is pushed
		if len(m.loops) == 0 {
			return fixed() // the checker refuses a pointer outside a loop
		}
		scope := m.loops[len(m.loops)-1]
		switch n.Name {
		case "index":
			return scope.index
		case "acc":
			return scope.acc
		}
		return scope.item
	case *ast.UnaryNode:
		x := m.eval(n.Node)
		m.box()
		switch n.Operator {
		case "-":
			if x.bounded {
				return number(-x.hi, -x.lo)
			}
			return fixed()
		case "+":
			if x.bounded {
				return number(x.lo, x.hi)
			}
		}
		return fixed()
	case *ast.BinaryNode:
		return m.binary(n)
	case *ast.ChainNode:
		return m.eval(n.Node)
	case *ast.MemberNode:
		if root, key, ok := flatMember(n); ok {
			return m.input(root + "." + key)
		}
		obj := m.eval(n.Node)
		m.eval(n.Property)
		m.box() // read through reflection
		return obj.element()
	case *ast.SliceNode:
		s := m.eval(n.Node)
		m.eval(n.From)
		m.eval(n.To)
		m.build("a slice", "value", constant(32)) // reflection boxes the slice header
		return shape{kind: s.kind, count: s.count, weight: s.weight, elem: s.elem}
	case *ast.CallNode:
		// Methods (now.Hour(), now.Format(layout)): the environment holds no functions,
		// so a call is a method of a value, charged like a built-in the model does not
		// know.
		if member, ok := n.Callee.(*ast.MemberNode); ok && member.Method {
			m.eval(member.Node)
		} else {
			m.eval(n.Callee)
		}
		m.box()
		return m.generic(m.evalAll(n.Arguments))
	case *ast.BuiltinNode:
		return m.builtin(n)
	case *ast.PredicateNode:
		return m.eval(n.Node)
	case *ast.ConditionalNode:
		m.eval(n.Cond)
		return join(m.eval(n.Exp1), m.eval(n.Exp2))
	case *ast.VariableDeclaratorNode:
		v := m.eval(n.Value)
		m.vars = append(m.vars, variable{n.Name, v})
		out := m.eval(n.Expr)
		m.vars = m.vars[:len(m.vars)-1]
		return out
	case *ast.SequenceNode:
		out := fixed()
		for _, node := range n.Nodes {
			out = m.eval(node)
		}
		return out
	case *ast.ArrayNode:
		elems := m.evalAll(n.Nodes)
		count := constant(float64(len(elems)))
		m.build("a list", "list", count.scale(16).plus(constant(24)))
		if len(elems) == 0 {
			return listOf(count, fixed())
		}
		elem := elems[0]
		for _, e := range elems[1:] {
			elem = join(elem, e)
		}
		return listOf(count, elem)
	case *ast.MapNode:
		var weight poly
		var elem *shape
		for _, p := range n.Pairs {
			pair, ok := p.(*ast.PairNode)
			if !ok {
				m.eval(p)
				continue
			}
			k, v := m.eval(pair.Key), m.eval(pair.Value)
			weight = weight.plus(constant(1)).plus(k.weight).plus(v.weight)
			if elem == nil {
				elem = &v
			} else {
				j := join(*elem, v)
				elem = &j
			}
		}
		count := constant(float64(len(n.Pairs)))
		m.build("a map", "map", count.scale(64).plus(constant(48)))
		return shape{kind: mapKind, count: count, weight: weight, elem: elem}
	case *ast.PairNode:
		m.eval(n.Key)
		return m.eval(n.Value)
	}
	m.fail("uses %T, which rules do not support", node)
	return fixed()
}

func (m *costModel) evalAll(nodes []ast.Node) []shape {
	out := make([]shape, len(nodes))
	for i, node := range nodes {
		out[i] = m.eval(node)
	}
	return out
}

// What operators and built-ins cost in steps, as measured on the development VM
// (BenchmarkRuleCost; a step of the machine is 2 to 7 ns, 4 on average), at their worst:
// invalid UTF-8 for upper(), a long cutset for trim(), a list of numbers for fromJSON.
const (
	copiedBytesPerStep   = 64 // repeat(), string +: 0.07 ns a byte
	comparedBytesPerStep = 16 // ==, <: 0.15 ns a byte
	searchedBytesPerStep = 2  // contains, indexOf, hasPrefix, trim: 1.2 ns a byte
	deepCompareSteps     = 2  // a unit of weight of two lists or maps compared
	scanSteps            = 2  // an element `in` visits: 6 ns
	uniqSteps            = 2  // a pair of elements uniq() compares: 7.5 ns
	caseSteps            = 4  // a byte upper() or lower() converts: up to 15 ns
	rewriteSteps         = 2  // a byte replace() or split() reads or writes: up to 8 ns
	jsonDecodeSteps      = 12 // a byte fromJSON() decodes: up to 41 ns
	jsonEncodeSteps      = 16 // a unit of weight toJSON() encodes: 53 ns
	printSteps           = 32 // a unit of weight string() prints: 75 ns
	reflectSteps         = 16 // an element keys(), concat(), flatten() copy: 20 to 55 ns
	pairSteps            = 32 // an entry values() or toPairs() copy: 100 ns
	fromPairsSteps       = 64 // an entry fromPairs() inserts: 254 ns
	groupSteps           = 40 // an element groupBy() files: 140 ns with its loop
	joinSteps            = 8  // an element join() gathers: 33 ns
	aggregateSteps       = 4  // an element max(), min(), mean(), median() visit: up to 10 ns
)

// compare is the cost of comparing two values: strings compare at memory speed, other
// values element by element.
func compare(a, b shape) poly {
	switch {
	case a.kind == fixedKind || b.kind == fixedKind:
		return constant(1)
	case a.kind == stringKind || b.kind == stringKind:
		return constant(1).plus(lesser(a.count, b.count).scale(1.0 / comparedBytesPerStep))
	}
	return constant(1).plus(lesser(a.weight, b.weight).scale(deepCompareSteps))
}

func (m *costModel) binary(b *ast.BinaryNode) shape {
	l, r := m.eval(b.Left), m.eval(b.Right)
	switch b.Operator {
	case "==", "!=", "<", ">", "<=", ">=":
		m.step(compare(l, r))
		return fixed()
	case "and", "&&", "or", "||":
		return fixed()
	case "??":
		return join(l, r)
	case "in":
		if r.kind == mapKind {
			m.step(compare(l, stringOf(l.count))) // a hash of the key
		} else {
			m.charge(scan(l, r), r.count.scale(boxBytes))
		}
		return fixed()
	case "contains", "startsWith", "endsWith":
		m.step(l.count.plus(r.count).scale(1.0 / searchedBytesPerStep))
		return fixed()
	case "matches":
		m.matches(l, b.Right)
		return fixed()
	case "..":
		return m.rangeOf(l, r)
	case "+", "-", "*", "/", "%", "**", "^":
		m.box()
	}
	switch b.Operator {
	case "+":
		if l.kind == fixedKind || r.kind == fixedKind {
			if l.bounded && r.bounded {
				return number(l.lo+r.lo, l.hi+r.hi)
			}
			return fixed() // numbers, or a time and a duration
		}
		size := l.count.plus(r.count)
		m.step(size.scale(1.0 / copiedBytesPerStep))
		m.build("+", "string", size)
		return stringOf(size)
	case "-":
		if l.bounded && r.bounded {
			return number(l.lo-r.hi, l.hi-r.lo)
		}
	case "*":
		if l.bounded && r.bounded {
			p := []float64{l.lo * r.lo, l.lo * r.hi, l.hi * r.lo, l.hi * r.hi}
			return number(min(p[0], p[1], p[2], p[3]), max(p[0], p[1], p[2], p[3]))
		}
	case "%":
		if r.bounded {
			bound := max(math.Abs(r.lo), math.Abs(r.hi))
			return number(-bound, bound)
		}
	case "/", "**", "^":
	default:
		m.fail("uses the operator %s, which rules do not support", b.Operator)
	}
	return fixed()
}

// matches charges matching text against a pattern. Go's regular expressions run in
// time linear in the text times the size of the compiled pattern, which a counted
// repetition makes far larger than the pattern's text (x{1,100}y: 839 ns a byte of
// text), so the pattern must be a literal the estimate can compile; one from data
// would also be compiled on every evaluation.
func (m *costModel) matches(text shape, pattern ast.Node) {
	literal, ok := pattern.(*ast.StringNode)
	if !ok {
		m.fail("the pattern of matches depends on data; write it as a string")
		return
	}
	re, err := syntax.Parse(literal.Value, syntax.Perl)
	if err != nil {
		m.fail("matches: %v", err)
		return
	}
	program, err := syntax.Compile(re.Simplify())
	if err != nil {
		m.fail("matches: %v", err)
		return
	}
	m.step(text.count.plus(constant(1)).scale(float64(len(program.Inst))))
}

// scan is the cost of comparing x with each element of list, as `in` does. An element
// costs scanSteps plus what comparing it costs, which is at most its weight or x's; the
// elements' weights add up to no more than the list's, so the whole scan costs at most
// scanSteps a element plus the lesser of the list's weight and its length × x's.
func scan(x, list shape) poly {
	perElement := compare(x, list.element()).plus(constant(-1)) // beyond the first step
	return list.count.scale(scanSteps).plus(lesser(list.weight.scale(deepCompareSteps), list.count.times(perElement)))
}

// rangeOf is the list a..b, whose bounds must be known.
func (m *costModel) rangeOf(a, b shape) shape {
	if !a.bounded || !b.bounded {
		m.fail("the bounds of a range (a..b) depend on data; write them as numbers (at most 2⁵³)")
		return fixed()
	}
	size := math.Max(0, math.Trunc(b.hi)-math.Trunc(a.lo)+1)
	if size > maxRangeLen {
		m.fail("ranges over up to %s elements; the limit is %s", amount(size), amount(maxRangeLen))
		return fixed()
	}
	m.build("a range", "list", constant(8*size+24))
	return listOf(constant(size), number(math.Trunc(a.lo), math.Trunc(b.hi)))
}

// isLoop tells the built-ins that run a predicate for each element of a collection.
func isLoop(builtin string) bool {
	switch builtin {
	case "all", "none", "any", "one", "filter", "map", "find", "findIndex", "findLast", "findLastIndex",
		"count", "sum", "groupBy", "sortBy", "reduce":
		return true
	}
	return false
}

func (m *costModel) builtin(b *ast.BuiltinNode) shape {
	if isLoop(b.Name) {
		return m.loop(b)
	}
	args := m.evalAll(b.Arguments)
	m.box()
	arg := func(i int) shape {
		if i < len(args) {
			return args[i]
		}
		return fixed()
	}
	s := arg(0)
	name := b.Name + "()"
	searched := func(p poly) { m.step(p.scale(1.0 / searchedBytesPerStep)) }
	switch b.Name {
	case "len":
		if !s.count.dataDependent() {
			return number(0, s.count[0])
		}
		return fixed()
	case "abs":
		if s.bounded {
			return number(0, max(math.Abs(s.lo), math.Abs(s.hi)))
		}
		return fixed()
	case "int", "float", "ceil", "floor", "round":
		searched(s.count) // parsing a string
		if s.bounded {
			return number(math.Floor(s.lo), math.Ceil(s.hi))
		}
		return fixed()
	case "now", "bitand", "bitor", "bitxor", "bitnand", "bitshl", "bitshr", "bitushr", "bitnot":
		return fixed()
	case "type":
		return stringOf(constant(16))
	case "hasPrefix", "hasSuffix", "indexOf", "lastIndexOf":
		searched(s.count.plus(arg(1).count))
		return fixed()
	case "duration":
		m.step(s.count)
		return fixed()
	case "trim", "trimPrefix", "trimSuffix":
		// A cutset is searched for every rune trimmed.
		searched(s.count.times(constant(1).plus(arg(1).count)))
		return stringOf(s.count) // a substring: nothing is copied
	case "upper", "lower":
		// Case mapping can turn an invalid byte into a three-byte replacement rune.
		size := s.count.scale(3)
		m.step(s.count.scale(caseSteps))
		m.build(name, "string", size)
		return stringOf(size)
	case "repeat":
		count := arg(1)
		if !count.bounded {
			m.fail("the count of repeat() depends on data; write it as a number")
			return fixed()
		}
		if count.hi > maxRepeat {
			m.fail("repeat() repeats up to %s times; the limit is %s", amount(count.hi), amount(maxRepeat))
			return fixed()
		}
		size := s.count.scale(max(0, count.hi))
		m.step(size.scale(1.0 / copiedBytesPerStep))
		m.build(name, "string", size)
		return stringOf(size)
	case "replace":
		// The result is the text with each match replaced: at most len(text)+1 matches
		// (an empty pattern matches between runes), fewer with a literal pattern.
		matches := s.count.plus(constant(1))
		if old, ok := literal(b.Arguments, 1); ok && len(old) > 0 {
			matches = s.count.scale(1 / float64(len(old)))
		}
		if limit := arg(3); len(args) == 4 && limit.bounded && limit.lo >= 0 {
			matches = lesser(matches, constant(limit.hi))
		}
		size := s.count.plus(matches.times(arg(2).count))
		m.step(s.count.plus(size).scale(rewriteSteps))
		m.build(name, "string", size)
		return stringOf(size)
	case "split", "splitAfter":
		pieces := s.count.plus(constant(1))
		if sep, ok := literal(b.Arguments, 1); ok && len(sep) > 0 {
			pieces = s.count.scale(1 / float64(len(sep))).plus(constant(1))
		}
		m.step(pieces.plus(s.count).scale(rewriteSteps))
		m.build(name, "list", pieces.scale(16).plus(constant(24)))
		return shape{kind: listKind, count: pieces, weight: pieces.plus(s.count), elem: ptr(stringOf(s.count))}
	case "join":
		glue := arg(1)
		size := s.weight.plus(s.count.times(glue.count))
		m.step(s.count.scale(joinSteps).plus(size.scale(1.0 / searchedBytesPerStep)))
		m.build(name, "string", size)
		m.charge(poly{}, s.count.scale(appendBytes)) // the elements gathered as strings
		return stringOf(size)
	case "toBase64":
		size := s.count.scale(2).plus(constant(4))
		m.step(s.count.plus(size))
		m.build(name, "string", s.count.plus(size.scale(2)))
		return stringOf(size)
	case "fromBase64":
		m.step(s.count.scale(2))
		m.build(name, "string", s.count.scale(3))
		return stringOf(s.count)
	case "toJSON":
		// Indented JSON: each element on its own line, indented by its depth, which is at
		// most the weight; an escaped byte takes six.
		size := s.weight.scale(32).plus(s.weight.times(s.weight).scale(2))
		m.step(s.weight.scale(jsonEncodeSteps).plus(size.scale(1.0 / searchedBytesPerStep)))
		m.build(name, "string", size.scale(3))
		return stringOf(size)
	case "fromJSON":
		// Every JSON value takes at least a byte of text, so the result weighs no more
		// than the text; decoding allocates a map or a boxed value for each.
		m.step(s.count.scale(jsonDecodeSteps))
		m.build(name, "value", s.count.scale(128))
		return unknown(s.count)
	case "string":
		size := s.weight.scale(32).plus(constant(32))
		m.step(s.weight.scale(printSteps))
		m.build(name, "string", size.scale(2))
		return stringOf(size)
	case "date":
		// Without a layout, date() tries seven.
		m.step(s.count.plus(arg(1).count).scale(7.0 / searchedBytesPerStep).plus(constant(7)))
		m.build(name, "time", constant(256))
		if len(args) == 3 {
			m.timezone()
		}
		return fixed()
	case "timezone":
		m.timezone()
		return fixed()
	case "first", "last", "get":
		return s.element()
	case "take":
		m.build(name, "list", constant(32))
		return shape{kind: s.kind, count: s.count, weight: s.weight, elem: s.elem}
	case "keys":
		m.charge(s.count.scale(reflectSteps), s.count.scale(boxBytes))
		m.build(name, "list", s.count.scale(16).plus(constant(24)))
		return listOf(s.count, stringOf(s.weight))
	case "values":
		m.charge(s.count.scale(pairSteps), s.count.scale(boxBytes))
		m.build(name, "list", s.count.scale(16).plus(constant(24)))
		return shape{kind: listKind, count: s.count, weight: s.weight.plus(s.count), elem: ptr(s.element())}
	case "toPairs":
		m.charge(s.count.scale(pairSteps), s.count.scale(2*boxBytes))
		m.build(name, "list", s.count.scale(48).plus(constant(24)))
		pair := shape{kind: listKind, count: constant(2), weight: s.weight.plus(constant(2))}
		return shape{kind: listKind, count: s.count, weight: s.weight.plus(s.count.scale(3)), elem: &pair}
	case "fromPairs":
		m.charge(s.count.scale(fromPairsSteps), s.count.scale(boxBytes))
		m.build(name, "map", s.count.scale(96).plus(constant(48)))
		return shape{kind: mapKind, count: s.count, weight: s.weight}
	case "reverse":
		m.charge(s.count.scale(reflectSteps), s.count.scale(boxBytes))
		m.build(name, "list", s.count.scale(16).plus(constant(24)))
		return shape{kind: listKind, count: s.count, weight: s.weight, elem: s.elem}
	case "uniq":
		// Each element is compared with those kept so far: count² comparisons, which
		// visit each kept element's weight once per element.
		// Each comparison boxes the element again.
		pairs := s.count.times(s.count)
		m.charge(pairs.scale(uniqSteps).plus(s.count.times(work(s.element(), s.weight))), pairs.scale(boxBytes))
		m.build(name, "list", s.count.scale(appendBytes).plus(constant(24)))
		return shape{kind: listKind, count: s.count, weight: s.weight, elem: s.elem}
	case "concat":
		out := shape{kind: listKind}
		for i, a := range args {
			out.count, out.weight = out.count.plus(a.count), out.weight.plus(a.weight)
			if i == 0 {
				out.elem = ptr(a.element())
			} else {
				out.elem = ptr(join(*out.elem, a.element()))
			}
		}
		m.charge(out.count.scale(reflectSteps), out.count.scale(boxBytes))
		m.build(name, "list", out.count.scale(appendBytes).plus(constant(24)))
		return out
	case "flatten":
		m.charge(s.weight.scale(reflectSteps), s.weight.scale(boxBytes))
		m.build(name, "list", s.weight.scale(appendBytes).plus(constant(24)))
		return shape{kind: listKind, count: s.weight, weight: s.weight}
	case "sort":
		m.charge(sorting(s.count, work(s.element(), s.weight)), s.count.scale(boxBytes))
		m.build(name, "list", s.count.scale(16).plus(constant(24)))
		return shape{kind: listKind, count: s.count, weight: s.weight, elem: s.elem}
	case "max", "min", "mean", "median":
		var weight, gathered poly
		for _, a := range args {
			weight = weight.plus(a.weight)
			gathered = gathered.plus(a.weight.times(constant(1).or(nesting(a))))
		}
		m.charge(weight.scale(aggregateSteps), weight.scale(boxBytes))
		if b.Name == "median" {
			// median gathers the numbers of each nested list into a slice of its own (8
			// bytes a number, grown by append) and appends it to its parent's: every
			// level of nesting copies them again.
			m.build(name, "list", gathered.scale(appendBytes/2))
		}
		return unknown(weight)
	}
	return m.generic(args)
}

// generic charges a function the model does not know in proportion to the weight of its
// arguments, which bounds what expr's remaining built-ins and the methods of times and
// durations do.
func (m *costModel) generic(args []shape) shape {
	var weight poly
	for _, a := range args {
		weight = weight.plus(a.weight)
	}
	m.step(weight.scale(reflectSteps))
	size := weight.scale(4).plus(constant(64))
	m.build("a function call", "value", size)
	return unknown(size)
}

// timezone is the cost of loading a time zone, which reads the time zone database on
// every call: measured, 10 to 50 KB and 40 to 60 µs for a known or an unknown name.
func (m *costModel) timezone() {
	m.step(constant(10_000))
	m.build("timezone()", "time zone", constant(64<<10))
}

// sorting bounds the cost of sorting count elements whose comparisons cost at most
// `compared` in all when each element is compared once: count·log₂(count) comparisons,
// each element in about log₂(count) of them.
func sorting(count, compared poly) poly {
	log := float64(sortLog)
	if !count.dataDependent() {
		log = max(1, math.Log2(count[0]))
	}
	return count.plus(compared).scale(log)
}

// work is what comparing every element like elem once costs beyond a step each, when
// the elements weigh `weight` in all: nothing for numbers, a step per
// comparedBytesPerStep bytes of strings, deepCompareSteps per unit of weight otherwise.
func work(elem shape, weight poly) poly {
	switch elem.kind {
	case fixedKind:
		return poly{}
	case stringKind:
		return weight.scale(1.0 / comparedBytesPerStep)
	}
	return weight.scale(deepCompareSteps)
}

// nesting bounds how deeply lists nest in s: none in a number or a string, one in a
// list of numbers; a value of unknown shape nests no deeper than it weighs.
func nesting(s shape) poly {
	switch {
	case s.kind == fixedKind || s.kind == stringKind:
		return poly{}
	case s.kind == listKind && s.elem != nil:
		return constant(1).plus(nesting(*s.elem))
	}
	return s.weight
}

func ptr(s shape) *shape { return &s }

// literal returns argument i when it is a string literal.
func literal(args []ast.Node, i int) (string, bool) {
	if i >= len(args) {
		return "", false
	}
	s, ok := args[i].(*ast.StringNode)
	if !ok {
		return "", false
	}
	return s.Value, true
}

// loop estimates a built-in that runs a predicate for each element of a collection.
func (m *costModel) loop(b *ast.BuiltinNode) shape {
	if len(b.Arguments) == 0 {
		return fixed()
	}
	coll := m.eval(b.Arguments[0])
	runs := coll.count
	scope := loopScope{item: coll.element(), index: fixed()}
	if !runs.dataDependent() {
		scope.index = number(-1, runs[0]) // findIndex answers -1 when nothing matches
	}
	m.step(runs.scale(3)) // moving to the next element and pushing it
	m.charge(poly{}, constant(scopeBytes))
	var body shape
	predicate := func() *ast.PredicateNode {
		if len(b.Arguments) > 1 {
			p, _ := b.Arguments[1].(*ast.PredicateNode)
			return p
		}
		return nil
	}()
	switch {
	case b.Name == "reduce" && predicate != nil:
		scope.acc = scope.item
		if len(b.Arguments) > 2 {
			scope.acc = m.eval(b.Arguments[2])
		}
		scope.acc = m.accumulate(b.Name, runs, scope, predicate.Node)
		body = m.body(b.Name, runs, scope, predicate.Node)
	case predicate != nil:
		body = m.body(b.Name, runs, scope, predicate.Node)
	}
	for _, extra := range b.Arguments[min(len(b.Arguments), 2):] {
		if b.Name != "reduce" {
			m.eval(extra) // sortBy's order
		}
	}
	switch b.Name {
	case "find", "findLast":
		return scope.item
	case "findIndex", "findLastIndex", "count":
		return scope.index
	case "filter":
		// filter and map gather their results on the machine's stack, then copy them
		// into the list.
		m.build("filter()", "list", runs.scale(appendBytes+16).plus(constant(24)))
		return shape{kind: listKind, count: runs, weight: coll.weight, elem: ptr(scope.item)}
	case "map":
		m.build("map()", "list", runs.scale(appendBytes+16).plus(constant(24)))
		return listOf(runs, body)
	case "groupBy":
		m.step(runs.scale(groupSteps))
		m.build("groupBy()", "map", runs.scale(appendBytes+64).plus(constant(48)))
		group := shape{kind: listKind, count: runs, weight: coll.weight, elem: ptr(scope.item)}
		return shape{kind: mapKind, count: runs, weight: runs.times(body.weight).plus(coll.weight).plus(runs.scale(2)), elem: &group}
	case "sortBy":
		m.step(sorting(runs, work(body, runs.times(body.weight))))
		m.build("sortBy()", "list", runs.scale(2*appendBytes).plus(constant(48))) // the elements and their keys
		return shape{kind: listKind, count: runs, weight: coll.weight, elem: ptr(scope.item)}
	case "reduce":
		return scope.acc
	}
	return fixed() // all, none, any, one, sum
}

// body estimates a loop body that runs `runs` times per run of the loop.
func (m *costModel) body(name string, runs poly, scope loopScope, node ast.Node) shape {
	outer := m.runs
	m.runs = m.runs.times(runs)
	if m.runs.at(minRuleInput) > m.hottest.at(minRuleInput) {
		m.hottest, m.hottestName = m.runs, name+"()"
	}
	m.loops = append(m.loops, scope)
	out := m.eval(node)
	m.loops = m.loops[:len(m.loops)-1]
	m.runs = outer
	return out
}

// accumulate finds a bound on reduce's accumulator: the initial value joined with what
// the body makes of it, until that stops growing. An accumulator that keeps growing (a
// string or list built element by element) has no bound the model can express.
func (m *costModel) accumulate(name string, runs poly, scope loopScope, node ast.Node) shape {
	acc := scope.acc
	for range 4 {
		// A dry run: only the body's shape matters here, not its cost.
		steps, built, hottest, hottestName, inputs := m.steps, m.built, m.hottest, m.hottestName, len(m.inputs)
		scope.acc = acc
		next := join(acc, m.body(name, runs, scope, node))
		m.steps, m.built, m.hottest, m.hottestName, m.inputs = steps, built, hottest, hottestName, m.inputs[:inputs]
		if next.within(acc) {
			return acc
		}
		acc = next
	}
	// Still growing: a number loses its bounds; a value that grows in size is unbounded.
	acc.bounded = false
	if acc.kind != fixedKind {
		acc.count[maxPolyDegree], acc.weight[maxPolyDegree] = math.Inf(1), math.Inf(1)
		acc.elem = nil
		m.unbounded = "reduce() builds a value that may grow with every element"
	}
	return acc
}

// flatMember recognises profile.x and context.x, which the decision's environment also
// holds under the flattened name "profile.x" (see compileExpr).
func flatMember(m *ast.MemberNode) (root, key string, ok bool) {
	if m.Optional || m.Method {
		return "", "", false
	}
	id, isIdent := m.Node.(*ast.IdentifierNode)
	prop, isString := m.Property.(*ast.StringNode)
	if !isIdent || !isString || !flattenedRoots[id.Value] {
		return "", "", false
	}
	return id.Value, prop.Value, true
}

// guard makes the program weigh the rule's inputs before anything else when its cost
// depends on them: the root becomes `check(input₁); check(input₂); ...; rule`. It runs
// after the optimizer, on the flattened tree. Each check is a constant function of the
// one signature expr calls without allocating its arguments (a typed call), so that
// the rules that need a guard, like `"mobile" in profile.productsHeld`, stay
// allocation-free; a typed function cannot return an error, so it panics with one,
// which the machine returns from Run like any run-time error.
func (rc *ruleCost) guard(root *ast.Node) {
	if rc.maxWeight == 0 {
		return
	}
	nodes := make([]ast.Node, 0, len(rc.inputs)+1)
	for _, name := range rc.inputs {
		check := inputGuard{name: name, max: rc.maxWeight}.check
		callee := &ast.ConstantNode{Value: check}
		callee.SetType(reflect.TypeOf(check))
		nodes = append(nodes, &ast.CallNode{Callee: callee, Arguments: []ast.Node{&ast.IdentifierNode{Value: name}}})
	}
	*root = &ast.SequenceNode{Nodes: append(nodes, *root)}
}

// inputGuard refuses an input heavier than the rule's cost allows.
type inputGuard struct {
	name string
	max  int
}

func (g inputGuard) check(v any) bool {
	if weigh(v, g.max) > g.max {
		panic(&costError{fmt.Sprintf("%s weighs more than %s, the most this rule's cost allows", g.name, amount(float64(g.max)))})
	}
	return true
}

// costError says a rule stopped, or did not start, because it would exceed its cost
// limit. The rule does not hold.
type costError struct{ detail string }

func (e *costError) Error() string { return "exceeded its cost limit: " + e.detail }

// runError turns the virtual machine's memory budget error into a costError and
// unwraps the guard's, so that explanations read "exceeded its cost limit: ..."
// without expr's source excerpt. Other errors pass unchanged.
func runError(err error) error {
	var ce *costError
	if errors.As(err, &ce) {
		return ce
	}
	var fe *file.Error
	if errors.As(err, &fe) && strings.Contains(fe.Message, "memory budget exceeded") {
		return &costError{fmt.Sprintf("it allocated more than its budget of %s", amount(maxRuleBytes))}
	}
	return err
}

// weigh measures a value for the cost model: a string's length in bytes; a list's or
// map's number of elements plus the weight of each (and of each key); 1 for anything
// else. It stops counting once the weight is over limit, so weighing costs at most the
// limit whatever the value.
func weigh(v any, limit int) int {
	w := weigher{limit: min(limit, math.MaxInt/2)} // so that total+len cannot overflow
	w.add(v, 0)
	return w.total
}

type weigher struct{ total, limit int }

// maxWeighDepth is deeper than any JSON document a request or profile may hold; a
// value nested deeper (only a cycle could) weighs more than any limit.
const maxWeighDepth = 10_000

func (w *weigher) add(v any, depth int) {
	if w.total > w.limit {
		return
	}
	if depth > maxWeighDepth {
		w.total = w.limit + 1
		return
	}
	switch x := v.(type) {
	case nil, bool, float64, int, int64, time.Time, time.Duration:
		w.total++
	case string:
		w.total += len(x)
	case []any:
		w.total += len(x)
		for _, e := range x {
			w.add(e, depth+1)
		}
	case []string:
		w.total += len(x)
		for _, e := range x {
			w.total += len(e)
		}
	case map[string]any:
		w.total += len(x)
		for k, e := range x {
			w.total += len(k)
			w.add(e, depth+1)
			if w.total > w.limit {
				return
			}
		}
	default:
		w.reflected(reflect.ValueOf(v), depth)
	}
}

// reflected weighs the types a decision's environment does not usually hold.
func (w *weigher) reflected(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.String:
		w.total += v.Len()
	case reflect.Slice, reflect.Array:
		w.total += v.Len()
		for i := 0; i < v.Len() && w.total <= w.limit; i++ {
			w.add(v.Index(i).Interface(), depth+1)
		}
	case reflect.Map:
		w.total += v.Len()
		for it := v.MapRange(); it.Next() && w.total <= w.limit; {
			w.add(it.Key().Interface(), depth+1)
			w.add(it.Value().Interface(), depth+1)
		}
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			w.total++
			return
		}
		w.add(v.Elem().Interface(), depth+1)
	case reflect.Struct:
		w.total++
		for i := 0; i < v.NumField() && w.total <= w.limit; i++ {
			if v.Type().Field(i).IsExported() {
				w.add(v.Field(i).Interface(), depth+1)
			}
		}
	default:
		w.total++
	}
}

// amount writes a non-negative quantity with thousands separators, as in 1,048,576.
func amount(v float64) string {
	if math.IsInf(v, 1) || v >= 1e18 {
		return "an unbounded number of"
	}
	s := strconv.FormatInt(int64(math.Ceil(v)), 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
