package decision

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr/types"
)

// ProfileSchema declares the customer attributes a catalog uses, with their types.
// With a schema, rules, predictors and treatment placeholders are checked against it
// when the catalog is published (a rule comparing a number with a string, or reading
// an attribute nobody declared, is refused with the action and the rule named), and
// everything that writes a profile (the bulk import, the customers API) is validated
// against it. A catalog without one keeps profiles free-form and unchecked.
type ProfileSchema struct {
	Attributes []AttributeSpec `yaml:"attributes"`
	// Retention is how long a profile with no activity (no response, outcome event,
	// update or import) is kept before it expires; zero keeps profiles until erased.
	Retention Duration `yaml:"retention"`

	byName map[string]*AttributeSpec
}

// AttributeSpec is one declared profile attribute.
type AttributeSpec struct {
	Name string `yaml:"name"`
	// Type is string, number, bool, time (an RFC 3339 instant or a date) or list (a
	// list of strings, such as the products a customer holds).
	Type string `yaml:"type"`
	// Values, when set, are the only values a string attribute, or each element of a
	// list, may take.
	Values []string `yaml:"values"`
	// Personal marks personal data (a name, an address): it is what an export shows a
	// customer and what must never reach a log.
	Personal    bool   `yaml:"personal"`
	Description string `yaml:"description"`
}

// Attribute types.
const (
	TypeString = "string"
	TypeNumber = "number"
	TypeBool   = "bool"
	TypeTime   = "time"
	TypeList   = "list"
)

var attributeTypes = []string{TypeString, TypeNumber, TypeBool, TypeTime, TypeList}

// attributeName is what a rule can read as profile.<name> and a placeholder as {{name}}.
var attributeName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// compile checks the schema itself and indexes it.
func (s *ProfileSchema) compile() []error {
	var errs []error
	s.byName = make(map[string]*AttributeSpec, len(s.Attributes))
	for i := range s.Attributes {
		a := &s.Attributes[i]
		where := fmt.Sprintf("profile.attributes[%d] %q", i, a.Name)
		switch {
		case !attributeName.MatchString(a.Name):
			errs = append(errs, fmt.Errorf("%s: a name is letters, digits and _, not starting with a digit", where))
		case s.byName[a.Name] != nil:
			errs = append(errs, fmt.Errorf("%s: declared twice", where))
		}
		if !slices.Contains(attributeTypes, a.Type) {
			errs = append(errs, fmt.Errorf("%s: type %q is not one of %s", where, a.Type, strings.Join(attributeTypes, ", ")))
		}
		if len(a.Values) > 0 && a.Type != TypeString && a.Type != TypeList {
			errs = append(errs, fmt.Errorf("%s: allowed values apply to string and list attributes only", where))
		}
		s.byName[a.Name] = a
	}
	if s.Retention < 0 {
		errs = append(errs, errors.New("profile.retention must be ≥ 0"))
	}
	return errs
}

// checkRetention makes sure nothing about a customer outlives an expired profile:
// every activity moves the profile's expiry, so when the retention exceeds how long
// each record of that activity is kept, the records are gone before the profile.
func (c *Catalog) checkRetention() []error {
	if c.Profile == nil || c.Profile.Retention == 0 {
		return nil
	}
	var errs []error
	for _, kept := range []struct {
		what string
		d    time.Duration
	}{
		{"settings.outcomes.retention", c.Settings.Outcomes.Retention.Std()},
		{"settings.decisionRetention", c.Settings.DecisionRetention.Std()},
		{"the contact history (90d)", ContactHistoryRetention},
	} {
		if c.Profile.Retention.Std() < kept.d {
			errs = append(errs, fmt.Errorf("profile.retention %s is shorter than %s (%s): a customer's records would outlive their expired profile",
				c.Profile.Retention, kept.what, Duration(kept.d)))
		}
	}
	return errs
}

// Attribute returns the declared attribute with this name.
func (s *ProfileSchema) Attribute(name string) (AttributeSpec, bool) {
	if s == nil || s.byName[name] == nil {
		return AttributeSpec{}, false
	}
	return *s.byName[name], true
}

// exprType is how the rule checker sees an attribute. Missing attributes still read as
// nil at run time, so `profile.age ?? 0` keeps working.
func (a *AttributeSpec) exprType() types.Type {
	switch a.Type {
	case TypeNumber:
		return types.Float64
	case TypeBool:
		return types.Bool
	case TypeTime:
		return types.TypeOf(time.Time{})
	case TypeList:
		return types.Array(types.String)
	default:
		return types.String
	}
}

// weatherShape is what the weather feed adds to the context of a customer whose region
// it knows (see the service layer's context feeds).
var weatherShape = types.Map{
	"temperature":   types.Float64,
	"precipitation": types.Float64,
	"sunshine":      types.Float64,
	"observedAt":    types.String,
}

// ruleEnv is the environment rules and predictors are checked against: the profile
// typed by the schema when the catalog has one, free-form otherwise; the caller's
// context free-form but for the weather the feeds add.
func (c *Catalog) ruleEnv() any {
	if c.Profile == nil {
		return ruleEnvShape
	}
	profile := make(types.Map, len(c.Profile.Attributes))
	for i := range c.Profile.Attributes {
		a := &c.Profile.Attributes[i]
		profile[a.Name] = a.exprType()
	}
	return types.Map{
		"profile":   profile,
		"context":   types.Map{types.Extra: types.Any, "weather": weatherShape},
		"channel":   types.String,
		"placement": types.String,
		"now":       types.TypeOf(time.Time{}),
	}
}

// ValidateAttributes checks attributes about to be written to a profile against the
// schema and returns them normalised (times as RFC 3339 in UTC, whole lists of
// strings), or every problem found, each naming the attribute. Without a schema every
// JSON value is accepted as it is. A nil value means "remove the attribute" and is
// kept as nil.
func (s *ProfileSchema) ValidateAttributes(attrs map[string]any) (map[string]any, error) {
	if s == nil {
		return attrs, nil
	}
	out := make(map[string]any, len(attrs))
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		v := attrs[name]
		a := s.byName[name]
		if a == nil {
			errs = append(errs, fmt.Errorf("attribute %q is not declared in the catalog's profile schema", name))
			continue
		}
		if v == nil {
			out[name] = nil
			continue
		}
		norm, err := a.normalise(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("attribute %q: %w", name, err))
			continue
		}
		out[name] = norm
	}
	return out, errors.Join(errs...)
}

// normalise checks one value against the attribute's type.
func (a *AttributeSpec) normalise(v any) (any, error) {
	switch a.Type {
	case TypeNumber:
		f, ok := v.(float64)
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("want a number, got %s", describeValue(v))
		}
		return f, nil
	case TypeBool:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("want true or false, got %s", describeValue(v))
		}
		return b, nil
	case TypeTime:
		t, err := ParseTimeValue(v)
		if err != nil {
			return nil, err
		}
		return t.UTC().Format(time.RFC3339), nil
	case TypeList:
		list, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("want a list of strings, got %s", describeValue(v))
		}
		if len(list) > MaxAttributeListLength {
			return nil, fmt.Errorf("a list of %d values; the limit is %d", len(list), MaxAttributeListLength)
		}
		out := make([]any, len(list))
		for i, e := range list {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("element %d: want a string, got %s", i, describeValue(e))
			}
			if err := a.allowed(s); err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			out[i] = s
		}
		return out, nil
	default:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a string, got %s", describeValue(v))
		}
		return s, a.allowed(s)
	}
}

// Bounds of profile attribute values: a profile is read on every decision, and a
// rule may walk a list, so neither may grow without limit.
const (
	MaxAttributeStringBytes = 1024
	MaxAttributeListLength  = 100
)

func (a *AttributeSpec) allowed(s string) error {
	if len(s) > MaxAttributeStringBytes {
		return fmt.Errorf("%s is %d bytes long; the limit is %d", quoteShort(s), len(s), MaxAttributeStringBytes)
	}
	if len(a.Values) > 0 && !slices.Contains(a.Values, s) {
		return fmt.Errorf("%s is not an allowed value (%s)", quoteShort(s), strings.Join(a.Values, ", "))
	}
	return nil
}

// ParseTimeValue reads a time attribute: an RFC 3339 instant, or a date (midnight UTC).
func ParseTimeValue(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("want an RFC 3339 time or a date, got %s", describeValue(v))
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time (2026-11-25T10:00:00Z) or a date (2026-11-25)", s)
}

// describeValue names a JSON value's kind for an error message, in the product's
// words rather than Go's.
func describeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "the text " + quoteShort(x)
	case float64:
		return fmt.Sprintf("the number %v", x)
	case bool:
		return fmt.Sprintf("%v", x)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	default:
		return "an unsupported value"
	}
}

// timeAttributes are the declared time attributes, which profiles store as text and
// rules read as time.Time.
func (c *Catalog) isTimeAttribute(name string) bool {
	if c.Profile == nil {
		return false
	}
	a := c.Profile.byName[name]
	return a != nil && a.Type == TypeTime
}

// checkPlaceholders refuses a treatment placeholder that names no declared attribute:
// it would always render its fallback.
func (c *Catalog) checkPlaceholders(treatment string, content []compiledField) []error {
	if c.Profile == nil {
		return nil
	}
	var errs []error
	for _, f := range content {
		for _, p := range f.parts {
			if p.field != "" && c.Profile.byName[p.field] == nil {
				errs = append(errs, fmt.Errorf("treatment %q: content %q: placeholder {{%s}} names no attribute of the profile schema", treatment, f.key, p.field))
			}
		}
	}
	return errs
}
