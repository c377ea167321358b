// Package customers is the operator's side of a customer base: the bulk import of
// customers from a CSV or JSON Lines file, and the export and erasure of everything
// held about one customer.
package customers

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/nextbest/nextbest/shared/decision"
)

// Mapping says how a file's columns (CSV) or keys (JSON Lines) become profiles:
//
//	format: csv                 # or jsonl; by default from the file name
//	delimiter: ";"              # csv only; "," by default
//	decimal: ","                # when numbers are written 12,5
//	customerId: client_no       # the column holding the customer id
//	timeZone: {value: Europe/Paris}   # a column, or one value for every row
//	attributes:                 # profile attribute: column
//	  firstName: prenom
//	  productsHeld: {column: products, separator: "|"}
//	  customerSince: {column: since, layout: "02/01/2006"}
//	consents:                   # outbound channel: column
//	  email: optin_mail
//
// Each attribute is converted to the type the catalog's profile schema declares; an
// empty cell removes the attribute from the profile, so the file stays the truth for
// the attributes it maps, and attributes it does not map are kept. Consent cells read
// yes/no, true/false, 1/0, y/n, oui/non (or the words given under booleans); an empty
// one leaves the consent as it was.
type Mapping struct {
	Format     string           `yaml:"format"`
	Delimiter  string           `yaml:"delimiter"`
	Decimal    string           `yaml:"decimal"`
	CustomerID Field            `yaml:"customerId"`
	TimeZone   Field            `yaml:"timeZone"`
	Attributes map[string]Field `yaml:"attributes"`
	Consents   map[string]Field `yaml:"consents"`
	Booleans   struct {
		True  []string `yaml:"true"`
		False []string `yaml:"false"`
	} `yaml:"booleans"`
}

// Field is where one value of a profile comes from.
type Field struct {
	// Column names the CSV column or the JSON key (dotted for nested objects: address.city).
	Column string `yaml:"column"`
	// Value is a constant for every row instead of a column.
	Value string `yaml:"value"`
	// Separator splits a text cell into a list attribute ("mobile|fibre").
	Separator string `yaml:"separator"`
	// Layout reads a text cell into a time attribute, in Go's layout notation
	// (02/01/2006 for day/month/year); RFC 3339 and plain dates are read without one.
	Layout string `yaml:"layout"`
}

// UnmarshalYAML accepts a bare column name for a field.
func (f *Field) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		f.Column = n.Value
		return nil
	}
	type plain Field
	return n.Decode((*plain)(f))
}

func (f Field) isSet() bool { return f.Column != "" || f.Value != "" }

// Formats of customer files.
const (
	FormatCSV   = "csv"
	FormatJSONL = "jsonl"
)

// ParseMapping reads a mapping file; unknown keys are refused, so a typo in a key
// fails instead of silently importing nothing.
func ParseMapping(data []byte) (*Mapping, error) {
	var m Mapping
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	return &m, nil
}

// Check validates the mapping against the live catalog and the file's name, and fills
// its defaults; every problem is reported together.
func (m *Mapping) Check(c *decision.Catalog, fileName string) error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf("mapping: "+format, args...)) }
	if m.Format == "" {
		switch lower := strings.ToLower(fileName); {
		case strings.HasSuffix(lower, ".csv"):
			m.Format = FormatCSV
		case strings.HasSuffix(lower, ".jsonl"), strings.HasSuffix(lower, ".ndjson"):
			m.Format = FormatJSONL
		default:
			fail("format: say csv or jsonl (the file name %q does not tell)", fileName)
		}
	}
	if m.Format != "" && m.Format != FormatCSV && m.Format != FormatJSONL {
		fail("format %q: want csv or jsonl", m.Format)
	}
	if m.Delimiter == "" {
		m.Delimiter = ","
	}
	if len([]rune(m.Delimiter)) != 1 {
		fail("delimiter %q: want one character", m.Delimiter)
	}
	if m.Decimal != "" && m.Decimal != "." && m.Decimal != "," {
		fail(`decimal %q: want "." or ","`, m.Decimal)
	}
	if m.CustomerID.Column == "" {
		fail("customerId: name the column that holds the customer id")
	}
	if c.Profile == nil {
		fail("the live catalog declares no profile schema (profile.attributes), so the import cannot tell a number from a text; add one and publish it first")
	}
	for _, name := range slices.Sorted(maps.Keys(m.Attributes)) {
		f := m.Attributes[name]
		spec, ok := c.Profile.Attribute(name)
		switch {
		case c.Profile != nil && !ok:
			fail("attributes.%s: the catalog's profile schema declares no such attribute", name)
		case !f.isSet():
			fail("attributes.%s: give a column or a value", name)
		case f.Separator != "" && spec.Type != decision.TypeList:
			fail("attributes.%s: a separator splits list attributes only (this one is %s)", name, spec.Type)
		case f.Layout != "" && spec.Type != decision.TypeTime:
			fail("attributes.%s: a layout reads time attributes only (this one is %s)", name, spec.Type)
		}
	}
	for _, ch := range slices.Sorted(maps.Keys(m.Consents)) {
		if channel, ok := c.Channel(ch); !ok || !channel.Outbound {
			fail("consents.%s: not an outbound channel of the catalog", ch)
		} else if !m.Consents[ch].isSet() {
			fail("consents.%s: give a column or a value", ch)
		}
	}
	if len(m.Booleans.True) == 0 {
		m.Booleans.True = []string{"true", "yes", "y", "1", "oui", "o", "ja", "j"}
	}
	if len(m.Booleans.False) == 0 {
		m.Booleans.False = []string{"false", "no", "n", "0", "non", "nee"}
	}
	return errors.Join(errs...)
}

// record is one row of the file: its cells by column.
type record interface {
	// get returns the value of a column: a string for CSV, any JSON value for JSON Lines.
	get(column string) (any, bool)
}

// row converts one record into a customer id and a profile update, converting each
// mapped value to its attribute's type. The update is checked against the catalog by
// the caller.
func (m *Mapping) row(c *decision.Catalog, r record) (string, decision.ProfileUpdate, error) {
	raw, _ := m.value(m.CustomerID, r)
	id, ok := raw.(string)
	if !ok {
		if f, isNumber := raw.(float64); isNumber {
			id = strconv.FormatFloat(f, 'f', -1, 64) // a JSON number as an id
		}
	}
	id = strings.TrimSpace(id)
	if err := decision.ValidateID("customer id (column "+m.CustomerID.Column+")", id); err != nil {
		return "", decision.ProfileUpdate{}, errors.New(decision.ErrorMessage(err))
	}
	u := decision.ProfileUpdate{Attributes: map[string]any{}, Consents: map[string]bool{}}
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(m.Attributes)) {
		f := m.Attributes[name]
		v, _ := m.value(f, r)
		spec, _ := c.Profile.Attribute(name)
		typed, err := m.convert(spec, f, v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s (column %s): %v", name, f.Column, err))
			continue
		}
		u.Attributes[name] = typed
	}
	for _, ch := range slices.Sorted(maps.Keys(m.Consents)) {
		v, _ := m.value(m.Consents[ch], r)
		if isEmpty(v) {
			continue
		}
		b, err := m.boolean(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("consent %s: %v", ch, err))
			continue
		}
		u.Consents[ch] = b
	}
	if m.TimeZone.isSet() {
		if v, _ := m.value(m.TimeZone, r); !isEmpty(v) {
			if s, ok := v.(string); ok {
				s = strings.TrimSpace(s)
				u.TimeZone = &s
			} else {
				problems = append(problems, "timeZone: want a zone name such as Europe/Paris")
			}
		}
	}
	if len(problems) > 0 {
		return id, u, errors.New(strings.Join(problems, "; "))
	}
	return id, u, nil
}

// value reads a field from a record: its constant, or its column.
func (m *Mapping) value(f Field, r record) (any, bool) {
	if f.Value != "" {
		return f.Value, true
	}
	return r.get(f.Column)
}

func isEmpty(v any) bool {
	s, isString := v.(string)
	return v == nil || (isString && strings.TrimSpace(s) == "")
}

// convert turns a cell into a value of the attribute's type. Text cells are parsed;
// typed JSON values are passed on for the schema to check. An empty cell is nil, which
// removes the attribute.
func (m *Mapping) convert(spec decision.AttributeSpec, f Field, v any) (any, error) {
	if isEmpty(v) {
		return nil, nil
	}
	s, isText := v.(string)
	if !isText {
		return v, nil
	}
	s = strings.TrimSpace(s)
	switch spec.Type {
	case decision.TypeNumber:
		if m.Decimal == "," {
			s = strings.Replace(s, ",", ".", 1)
		}
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return n, nil
	case decision.TypeBool:
		return m.boolean(s)
	case decision.TypeTime:
		if f.Layout != "" {
			t, err := time.Parse(f.Layout, s)
			if err != nil {
				return nil, fmt.Errorf("%q does not read as %s", s, f.Layout)
			}
			return t.UTC().Format(time.RFC3339), nil
		}
		return s, nil // the schema reads RFC 3339 and plain dates
	case decision.TypeList:
		sep := f.Separator
		if sep == "" {
			sep = ","
		}
		var list []any
		for _, part := range strings.Split(s, sep) {
			if part = strings.TrimSpace(part); part != "" {
				list = append(list, part)
			}
		}
		return list, nil
	default:
		return s, nil
	}
}

func (m *Mapping) boolean(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case float64:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case string:
		w := strings.ToLower(strings.TrimSpace(x))
		switch {
		case slices.Contains(m.Booleans.True, w):
			return true, nil
		case slices.Contains(m.Booleans.False, w):
			return false, nil
		}
		return false, fmt.Errorf("%q is neither yes nor no (%s / %s)", x, strings.Join(m.Booleans.True, ","), strings.Join(m.Booleans.False, ","))
	}
	return false, fmt.Errorf("want yes or no")
}
