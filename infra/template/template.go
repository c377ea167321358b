// Package template reads the project's AWS SAM template so that the local stack can be
// built from the same resource definitions that are deployed: the DynamoDB tables and SQS
// queues it creates, and the environment each function is started with, come from
// template.yaml itself and cannot drift from it.
package template

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is a parsed CloudFormation/SAM template. Short-form intrinsic tags are stored in
// their long form ({"Ref": x}, {"Fn::GetAtt": [a, b]}, ...), so the rest of the package sees
// the same generic maps it would get from a JSON template.
type Template struct {
	doc       map[string]any
	resources map[string]map[string]any
}

// Load reads and parses the template at path.
func Load(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Parse parses a template given as YAML or JSON.
func Parse(data []byte) (*Template, error) {
	// Decoding into a yaml.Node rather than into a map keeps the custom tags (!Ref, !Sub...)
	// that a plain decode would reject or silently drop.
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("parse template: empty document")
	}
	v, err := convert(root.Content[0])
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parse template: top level is not a mapping")
	}
	rawResources, ok := doc["Resources"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parse template: Resources is missing or not a mapping")
	}
	resources := make(map[string]map[string]any, len(rawResources))
	for id, raw := range rawResources {
		r, ok := raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("parse template: resource %s is not a mapping", id)
		}
		if _, ok := r["Type"].(string); !ok {
			return nil, fmt.Errorf("parse template: resource %s has no Type", id)
		}
		resources[id] = r
	}
	return &Template{doc: doc, resources: resources}, nil
}

// shortForms maps each CloudFormation short-form tag to the key of its long form.
var shortForms = map[string]string{
	"!Ref":          "Ref",
	"!Condition":    "Condition",
	"!GetAtt":       "Fn::GetAtt",
	"!Base64":       "Fn::Base64",
	"!Cidr":         "Fn::Cidr",
	"!FindInMap":    "Fn::FindInMap",
	"!GetAZs":       "Fn::GetAZs",
	"!ImportValue":  "Fn::ImportValue",
	"!Join":         "Fn::Join",
	"!Select":       "Fn::Select",
	"!Split":        "Fn::Split",
	"!Sub":          "Fn::Sub",
	"!Transform":    "Fn::Transform",
	"!And":          "Fn::And",
	"!Equals":       "Fn::Equals",
	"!If":           "Fn::If",
	"!Not":          "Fn::Not",
	"!Or":           "Fn::Or",
	"!Length":       "Fn::Length",
	"!ToJsonString": "Fn::ToJsonString",
}

// convert turns a YAML node into plain Go values (map[string]any, []any, string, int,
// float64, bool, nil), rewriting short-form intrinsic tags into their long form.
func convert(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.AliasNode:
		return convert(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			val, err := convert(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = val
		}
		v = m
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			val, err := convert(c)
			if err != nil {
				return nil, err
			}
			l = append(l, val)
		}
		v = l
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!int", "!!float", "!!bool", "!!null":
			if err := n.Decode(&v); err != nil {
				return nil, fmt.Errorf("line %d: %w", n.Line, err)
			}
		default:
			// Strings, timestamps and the operands of short-form tags stay text, as
			// CloudFormation reads them.
			v = n.Value
		}
	default:
		return nil, fmt.Errorf("line %d: unexpected YAML node kind %v", n.Line, n.Kind)
	}

	if !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") {
		return v, nil
	}
	key, ok := shortForms[n.Tag]
	if !ok {
		return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
	}
	// !GetAtt accepts the dotted form "Resource.Attribute"; the long form is a list. Only
	// the first dot separates them, since attribute names may themselves contain dots.
	if s, isString := v.(string); key == "Fn::GetAtt" && isString {
		id, attr, found := strings.Cut(s, ".")
		if !found {
			return nil, fmt.Errorf("line %d: !GetAtt %q is not of the form Resource.Attribute", n.Line, s)
		}
		v = []any{id, attr}
	}
	return map[string]any{key: v}, nil
}

// Functions returns the logical ids of the template's AWS::Serverless::Function resources,
// sorted.
func (t *Template) Functions() []string {
	return t.ofType("AWS::Serverless::Function")
}

// ofType returns the sorted logical ids of the resources of the given type.
func (t *Template) ofType(typ string) []string {
	var ids []string
	for id, r := range t.resources {
		if r["Type"] == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// properties returns a resource's Properties, which may be absent.
func (t *Template) properties(id string) (map[string]any, error) {
	raw, ok := t.resources[id]["Properties"]
	if !ok {
		return map[string]any{}, nil
	}
	props, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s.Properties is not a mapping", id)
	}
	return props, nil
}

// FunctionEnv returns the environment a function is deployed with: its
// Environment.Variables merged over those in Globals.Function, with every Ref resolved.
// A Ref to a table gives its physical name and a Ref to a queue its URL, both from r; a
// Ref to a template parameter gives params[name] or else the parameter's Default. params
// may also carry pseudo parameters such as AWS::Region. Any other intrinsic is an error,
// because the local stack has no way to evaluate it.
func (t *Template) FunctionEnv(logicalID string, r *Resources, params map[string]string) (map[string]string, error) {
	res, ok := t.resources[logicalID]
	if !ok || res["Type"] != "AWS::Serverless::Function" {
		return nil, fmt.Errorf("function env: %s is not an AWS::Serverless::Function in the template", logicalID)
	}
	props, err := t.properties(logicalID)
	if err != nil {
		return nil, fmt.Errorf("function env: %w", err)
	}
	var globals any
	if g, ok := t.doc["Globals"].(map[string]any); ok {
		if f, ok := g["Function"].(map[string]any); ok {
			globals = f["Environment"]
		}
	}

	env := map[string]string{}
	for _, src := range []struct {
		where string
		value any
	}{
		{"Globals.Function.Environment", globals},
		{logicalID + ".Properties.Environment", props["Environment"]},
	} {
		vars, err := variables(src.value, src.where)
		if err != nil {
			return nil, fmt.Errorf("function env: %w", err)
		}
		for name, raw := range vars {
			val, err := t.resolve(raw, r, params)
			if err != nil {
				return nil, fmt.Errorf("function env: %s variable %s: %w", logicalID, name, err)
			}
			env[name] = val
		}
	}
	return env, nil
}

// variables returns the Variables mapping of an Environment property, which may be absent.
func variables(environment any, where string) (map[string]any, error) {
	if environment == nil {
		return nil, nil
	}
	e, ok := environment.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s is not a mapping", where)
	}
	raw, ok := e["Variables"]
	if !ok {
		return nil, nil
	}
	vars, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s.Variables is not a mapping", where)
	}
	return vars, nil
}

// resolve evaluates an environment variable's value: a literal, or a Ref.
func (t *Template) resolve(v any, r *Resources, params map[string]string) (string, error) {
	if s, ok := scalar(v); ok {
		return s, nil
	}
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", fmt.Errorf("value %v is neither a literal nor an intrinsic function", v)
	}
	var fn string
	for k := range m {
		fn = k
	}
	target, ok := m["Ref"].(string)
	if !ok {
		return "", fmt.Errorf("intrinsic %s is not supported locally; use a literal or a Ref", fn)
	}
	if p, isParam := t.parameter(target); isParam {
		if val, given := params[target]; given {
			return val, nil
		}
		def, ok := scalar(p["Default"])
		if !ok {
			return "", fmt.Errorf("parameter %s has no Default and no value was given", target)
		}
		return def, nil
	}
	if res, isResource := t.resources[target]; isResource {
		if r == nil {
			r = &Resources{}
		}
		var physical map[string]string
		switch res["Type"] {
		case "AWS::DynamoDB::Table":
			physical = r.Tables
		case "AWS::SQS::Queue":
			physical = r.QueueURLs
		default:
			return "", fmt.Errorf("reference to %s: resources of type %v are not provisioned locally", target, res["Type"])
		}
		val, ok := physical[target]
		if !ok {
			return "", fmt.Errorf("reference to %s: resource was not provisioned", target)
		}
		return val, nil
	}
	if val, given := params[target]; given {
		return val, nil
	}
	return "", fmt.Errorf("reference to %s: no such parameter or resource in the template", target)
}

// parameter returns the declaration of a template parameter.
func (t *Template) parameter(name string) (map[string]any, bool) {
	params, _ := t.doc["Parameters"].(map[string]any)
	p, ok := params[name].(map[string]any)
	return p, ok
}

// scalar formats a literal YAML scalar as CloudFormation would pass it on: as text.
func scalar(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case int, float64, bool:
		return fmt.Sprint(v), true
	}
	return "", false
}
