package template

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// openAPIPseudoParameters are the pseudo parameters OpenAPI resolves: those of a stack
// named "nextbest" in a made-up account. The document only names the stack (in its
// title); the others are here so that a document that names them still resolves.
var openAPIPseudoParameters = map[string]string{
	"AWS::StackName": "nextbest",
	"AWS::Region":    "us-east-1",
	"AWS::AccountId": "123456789012",
	"AWS::Partition": "aws",
	"AWS::URLSuffix": "amazonaws.com",
}

// OpenAPI returns the HTTP API's OpenAPI document as JSON: the DefinitionBody of the
// template's one AWS::Serverless::HttpApi, its intrinsic functions resolved as
// CloudFormation would for a stack whose ApiAuthorization is AWS_IAM (iam) or NONE,
// every other parameter at its default. The document is inline in the template because
// its security follows that parameter; this is how a validator or a contract test sees
// what API Gateway gets. The intrinsics it resolves are Ref (parameters, pseudo
// parameters, AWS::NoValue), Fn::If (with the template's Conditions), Fn::Sub and
// Fn::Join; anything else, a reference to a resource included, is an error.
func (t *Template) OpenAPI(iam bool) ([]byte, error) {
	apis := t.ofType("AWS::Serverless::HttpApi")
	if len(apis) != 1 {
		return nil, fmt.Errorf("openapi: want one AWS::Serverless::HttpApi in the template, found %d", len(apis))
	}
	props, err := t.properties(apis[0])
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	body, ok := props["DefinitionBody"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("openapi: %s has no inline DefinitionBody", apis[0])
	}
	if _, ok := t.parameter("ApiAuthorization"); !ok {
		return nil, fmt.Errorf("openapi: the template has no ApiAuthorization parameter")
	}
	auth := "NONE"
	if iam {
		auth = "AWS_IAM"
	}
	e, err := t.newEvaluator(map[string]string{"ApiAuthorization": auth}, openAPIPseudoParameters)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	doc, present, err := e.value(body, apis[0]+".DefinitionBody")
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	if !present {
		return nil, fmt.Errorf("openapi: %s.DefinitionBody resolves to nothing", apis[0])
	}
	return json.Marshal(doc)
}

// evaluator resolves intrinsic functions for one set of parameter values.
type evaluator struct {
	t          *Template
	params     map[string]string
	pseudo     map[string]string
	conditions map[string]bool // evaluated so far
	evaluating map[string]bool // to refuse conditions that refer to themselves
}

// newEvaluator takes every parameter's Default, overridden by given.
func (t *Template) newEvaluator(given, pseudo map[string]string) (*evaluator, error) {
	e := &evaluator{t: t, params: map[string]string{}, pseudo: pseudo, conditions: map[string]bool{}, evaluating: map[string]bool{}}
	declared, _ := t.doc["Parameters"].(map[string]any)
	for name, raw := range declared {
		p, _ := raw.(map[string]any)
		if def, ok := scalar(p["Default"]); ok {
			e.params[name] = def
		}
	}
	for name, v := range given {
		if _, ok := declared[name]; !ok {
			return nil, fmt.Errorf("no parameter %s in the template", name)
		}
		e.params[name] = v
	}
	return e, nil
}

// intrinsic returns the function name and argument of a one-key mapping that is an
// intrinsic function call. Other one-key mappings ({"$ref": ...}) are plain values.
func intrinsic(v any) (string, any, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", nil, false
	}
	for k, arg := range m {
		if k == "Ref" || strings.HasPrefix(k, "Fn::") {
			return k, arg, true
		}
	}
	return "", nil, false
}

// value resolves every intrinsic in v. present is false for AWS::NoValue, which drops the
// key or list element that holds it.
func (e *evaluator) value(v any, where string) (out any, present bool, err error) {
	if fn, arg, ok := intrinsic(v); ok {
		return e.call(fn, arg, where)
	}
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for _, k := range slices.Sorted(maps.Keys(v)) {
			val, present, err := e.value(v[k], where+"."+k)
			if err != nil {
				return nil, false, err
			}
			if present {
				m[k] = val
			}
		}
		return m, true, nil
	case []any:
		l := make([]any, 0, len(v))
		for i, elem := range v {
			val, present, err := e.value(elem, fmt.Sprintf("%s[%d]", where, i))
			if err != nil {
				return nil, false, err
			}
			if present {
				l = append(l, val)
			}
		}
		return l, true, nil
	}
	return v, true, nil
}

func (e *evaluator) call(fn string, arg any, where string) (any, bool, error) {
	switch fn {
	case "Ref":
		name, _ := arg.(string)
		if name == "AWS::NoValue" {
			return nil, false, nil
		}
		s, err := e.ref(name, where)
		return s, err == nil, err
	case "Fn::If":
		args, ok := arg.([]any)
		if !ok || len(args) != 3 {
			return nil, false, fmt.Errorf("%s: Fn::If takes [condition, then, else]", where)
		}
		name, _ := args[0].(string)
		holds, err := e.condition(name)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", where, err)
		}
		if holds {
			return e.value(args[1], where)
		}
		return e.value(args[2], where)
	case "Fn::Sub":
		s, err := e.sub(arg, where)
		return s, err == nil, err
	case "Fn::Join":
		args, ok := arg.([]any)
		if !ok || len(args) != 2 {
			return nil, false, fmt.Errorf("%s: Fn::Join takes [delimiter, list]", where)
		}
		delim, _ := args[0].(string)
		list, _, err := e.value(args[1], where)
		if err != nil {
			return nil, false, err
		}
		elems, ok := list.([]any)
		if !ok {
			return nil, false, fmt.Errorf("%s: Fn::Join needs a list", where)
		}
		parts := make([]string, len(elems))
		for i, el := range elems {
			if parts[i], ok = scalar(el); !ok {
				return nil, false, fmt.Errorf("%s: Fn::Join element %d is not a scalar", where, i)
			}
		}
		return strings.Join(parts, delim), true, nil
	}
	return nil, false, fmt.Errorf("%s: %s is not resolved here", where, fn)
}

// ref gives a parameter's or a pseudo parameter's value; resources have no value before
// a deployment.
func (e *evaluator) ref(name, where string) (string, error) {
	if v, ok := e.pseudo[name]; ok {
		return v, nil
	}
	if v, ok := e.params[name]; ok {
		return v, nil
	}
	if _, ok := e.t.parameter(name); ok {
		return "", fmt.Errorf("%s: parameter %s has no Default and no value was given", where, name)
	}
	if _, ok := e.t.resources[name]; ok {
		return "", fmt.Errorf("%s: a reference to the resource %s has no value before a deployment", where, name)
	}
	return "", fmt.Errorf("%s: no parameter %s", where, name)
}

var subVariable = regexp.MustCompile(`\$\{([^}]*)\}`)

// sub resolves Fn::Sub: "text ${Name}" or ["text ${Name}", {Name: value}].
func (e *evaluator) sub(arg any, where string) (string, error) {
	src, vars := "", map[string]any{}
	switch a := arg.(type) {
	case string:
		src = a
	case []any:
		if len(a) != 2 {
			return "", fmt.Errorf("%s: Fn::Sub takes a string or [string, variables]", where)
		}
		src, _ = a[0].(string)
		vars, _ = a[1].(map[string]any)
	default:
		return "", fmt.Errorf("%s: Fn::Sub takes a string or [string, variables]", where)
	}
	var err error
	out := subVariable.ReplaceAllStringFunc(src, func(m string) string {
		name := m[2 : len(m)-1]
		if literal, ok := strings.CutPrefix(name, "!"); ok {
			return "${" + literal + "}"
		}
		if v, ok := vars[name]; ok {
			val, _, verr := e.value(v, where)
			s, isScalar := scalar(val)
			if verr == nil && !isScalar {
				verr = fmt.Errorf("%s: Fn::Sub variable %s is not a scalar", where, name)
			}
			if verr != nil && err == nil {
				err = verr
			}
			return s
		}
		s, rerr := e.ref(name, where)
		if rerr != nil && err == nil {
			err = rerr
		}
		return s
	})
	return out, err
}

// condition evaluates one of the template's Conditions.
func (e *evaluator) condition(name string) (bool, error) {
	if v, ok := e.conditions[name]; ok {
		return v, nil
	}
	if e.evaluating[name] {
		return false, fmt.Errorf("condition %s refers to itself", name)
	}
	conds, _ := e.t.doc["Conditions"].(map[string]any)
	expr, ok := conds[name]
	if !ok {
		return false, fmt.Errorf("no condition %s in the template", name)
	}
	e.evaluating[name] = true
	defer delete(e.evaluating, name)
	v, err := e.boolean(expr, "Conditions."+name)
	if err != nil {
		return false, err
	}
	e.conditions[name] = v
	return v, nil
}

// boolean evaluates a condition function: Fn::Equals, Fn::Not, Fn::And, Fn::Or or a
// {"Condition": name}.
func (e *evaluator) boolean(expr any, where string) (bool, error) {
	if m, ok := expr.(map[string]any); ok && len(m) == 1 {
		if name, ok := m["Condition"].(string); ok {
			return e.condition(name)
		}
	}
	fn, arg, ok := intrinsic(expr)
	args, isList := arg.([]any)
	if !ok || !isList {
		return false, fmt.Errorf("%s: %v is not a condition function", where, expr)
	}
	switch fn {
	case "Fn::Equals":
		if len(args) != 2 {
			return false, fmt.Errorf("%s: Fn::Equals takes two values", where)
		}
		var sides [2]string
		for i, a := range args {
			v, _, err := e.value(a, where)
			if err != nil {
				return false, err
			}
			if sides[i], ok = scalar(v); !ok {
				return false, fmt.Errorf("%s: Fn::Equals compares scalars", where)
			}
		}
		return sides[0] == sides[1], nil
	case "Fn::Not":
		if len(args) != 1 {
			return false, fmt.Errorf("%s: Fn::Not takes one condition", where)
		}
		v, err := e.boolean(args[0], where)
		return !v, err
	case "Fn::And", "Fn::Or":
		and := fn == "Fn::And"
		for _, a := range args {
			v, err := e.boolean(a, where)
			if err != nil {
				return false, err
			}
			if v != and {
				return v, nil
			}
		}
		return and, nil
	}
	return false, fmt.Errorf("%s: %s is not a condition function", where, fn)
}
