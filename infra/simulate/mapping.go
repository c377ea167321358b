// Package simulate replays a log of past interactions through the engine's own decision
// and learning code (shared/decision: Decide, Log, Attribute; the adaptive models'
// counters kept as the DynamoDB store keeps them) and values the engine's policy on the
// log with the off-policy estimators of shared/offpolicy.
//
// A Mapping says how a CSV's columns become a log: which column holds the action the
// logging policy took (and which of its values mean "nothing"), with what probability,
// the outcome and its value, the timestamp, and which columns become profile attributes
// that the catalog's predictors read.
package simulate

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Mapping maps a CSV of logged interactions onto the engine's terms.
type Mapping struct {
	// Dataset names the log in reports.
	Dataset string `yaml:"dataset"`
	// Channel is the catalog channel the engine decides on.
	Channel string `yaml:"channel"`
	// Time is the timestamp column (RFC 3339, or "2006-01-02 15:04:05.999999-07:00");
	// without it the rows are in file order, one second apart.
	Time string `yaml:"time"`
	// Treatment is the column of the logged action and what its values mean: a catalog
	// action id, or "" for "nothing was sent".
	Treatment struct {
		Column  string            `yaml:"column"`
		Actions map[string]string `yaml:"actions"`
	} `yaml:"treatment"`
	// Propensity is the logging policy's probability of the logged action: a column,
	// or one value for every row (a uniform randomized test).
	Propensity struct {
		Column string  `yaml:"column"`
		Value  float64 `yaml:"value"`
	} `yaml:"propensity"`
	// Outcome is the 0/1 column of the response the engine learns from and is valued on.
	Outcome string `yaml:"outcome"`
	// Value is an optional column of the revenue that came with the outcome.
	Value string `yaml:"value"`
	// Attributes become profile attributes, by type: number, string or bool ("1",
	// "true", "yes" are true).
	Attributes []Attribute `yaml:"attributes"`
	// Train is the share of the rows, in time order, the engine learns from before its
	// policy is valued on the rest (it keeps learning from them, one row after another,
	// as it would live). Default 0.5.
	Train float64 `yaml:"train"`
}

// Attribute is one column read into the profile.
type Attribute struct {
	Column string `yaml:"column"`
	Name   string `yaml:"name"`
	Type   string `yaml:"type"`
}

// ReadMapping reads and checks a mapping file.
func ReadMapping(path string) (Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Mapping{}, err
	}
	return ParseMapping(path, data)
}

// ParseMapping checks a mapping; name is used in errors. Unknown keys are errors.
func ParseMapping(name string, data []byte) (Mapping, error) {
	var m Mapping
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return Mapping{}, fmt.Errorf("mapping %s: %w", name, err)
	}
	if err := m.check(); err != nil {
		return Mapping{}, fmt.Errorf("mapping %s: %w", name, err)
	}
	return m, nil
}

func (m *Mapping) check() error {
	var errs []error
	if m.Channel == "" {
		errs = append(errs, errors.New("channel is required"))
	}
	if m.Treatment.Column == "" || len(m.Treatment.Actions) == 0 {
		errs = append(errs, errors.New("treatment needs a column and its actions"))
	}
	if (m.Propensity.Column == "") == (m.Propensity.Value == 0) {
		errs = append(errs, errors.New("propensity needs either a column or a value"))
	}
	if m.Propensity.Value < 0 || m.Propensity.Value > 1 {
		errs = append(errs, fmt.Errorf("propensity value %v is not a probability", m.Propensity.Value))
	}
	if m.Outcome == "" {
		errs = append(errs, errors.New("outcome is required"))
	}
	for _, a := range m.Attributes {
		if a.Column == "" || a.Name == "" || !slices.Contains([]string{"number", "string", "bool"}, a.Type) {
			errs = append(errs, fmt.Errorf("attribute %+v needs a column, a name and a type (number, string, bool)", a))
		}
	}
	if m.Train == 0 {
		m.Train = 0.5
	}
	if m.Train < 0 || m.Train >= 1 {
		errs = append(errs, fmt.Errorf("train share %v is not in [0, 1)", m.Train))
	}
	return errors.Join(errs...)
}

// Actions are the log's actions in a fixed order: "" (nothing) first when the log has
// it, then the catalog's action ids sorted.
func (m Mapping) Actions() []string {
	var out []string
	for _, a := range m.Treatment.Actions {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}

// Row is one logged interaction.
type Row struct {
	// Index is the row's position among the log's data rows (0 for the first after the
	// header), which ordering by time does not change: rankings name rows by it.
	Index      int
	At         time.Time
	Attributes map[string]any
	// Logged is the index of the logged action in Mapping.Actions.
	Logged     int
	Propensity float64
	Outcome    bool
	Value      float64
}

// reward is the row's outcome as a number, 1 or 0.
func (r Row) reward() float64 {
	if r.Outcome {
		return 1
	}
	return 0
}

// timeLayouts are the timestamps a log may use.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999-07:00", "2006-01-02 15:04:05", "2006-01-02"}

// origin is the first row's time when the log has no timestamps.
var origin = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// ReadRows reads a CSV log with a header line. A row that does not fit the mapping is an
// error naming its line: a simulation on a silently filtered log would value another
// policy than the one logged.
func (m Mapping) ReadRows(r io.Reader, name string) ([]Row, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	need := []string{m.Treatment.Column, m.Outcome}
	for _, c := range []string{m.Propensity.Column, m.Time, m.Value} {
		if c != "" {
			need = append(need, c)
		}
	}
	for _, a := range m.Attributes {
		need = append(need, a.Column)
	}
	for _, c := range need {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("%s: no column %q", name, c)
		}
	}
	actions := m.Actions()
	var rows []Row
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		row, err := m.row(rec, col, actions, len(rows))
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", name, line, err)
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no rows", name)
	}
	slices.SortStableFunc(rows, func(a, b Row) int { return a.At.Compare(b.At) })
	return rows, nil
}

func (m Mapping) row(rec []string, col map[string]int, actions []string, index int) (Row, error) {
	cell := func(c string) string { return strings.TrimSpace(rec[col[c]]) }
	row := Row{Index: index, At: origin.Add(time.Duration(index) * time.Second), Attributes: map[string]any{}}
	action, ok := m.Treatment.Actions[cell(m.Treatment.Column)]
	if !ok {
		return row, fmt.Errorf("treatment %q is not in the mapping", cell(m.Treatment.Column))
	}
	row.Logged = slices.Index(actions, action)
	row.Propensity = m.Propensity.Value
	if m.Propensity.Column != "" {
		p, err := strconv.ParseFloat(cell(m.Propensity.Column), 64)
		if err != nil || !(p > 0 && p <= 1) {
			return row, fmt.Errorf("propensity %q is not in (0, 1]", cell(m.Propensity.Column))
		}
		row.Propensity = p
	}
	switch cell(m.Outcome) {
	case "1", "true":
		row.Outcome = true
	case "0", "false":
	default:
		return row, fmt.Errorf("outcome %q is not 0 or 1", cell(m.Outcome))
	}
	if m.Value != "" {
		v, err := strconv.ParseFloat(cell(m.Value), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return row, fmt.Errorf("value %q is not a number", cell(m.Value))
		}
		row.Value = v
	}
	if m.Time != "" {
		at, err := parseTime(cell(m.Time))
		if err != nil {
			return row, err
		}
		row.At = at
	}
	for _, a := range m.Attributes {
		v := cell(a.Column)
		switch a.Type {
		case "number":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return row, fmt.Errorf("%s (column %s): %q is not a number", a.Name, a.Column, v)
			}
			row.Attributes[a.Name] = f
		case "bool":
			row.Attributes[a.Name] = v == "1" || strings.EqualFold(v, "true") || strings.EqualFold(v, "yes")
		default:
			row.Attributes[a.Name] = v
		}
	}
	return row, nil
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q is in none of the layouts %s", s, strings.Join(timeLayouts, ", "))
}
