package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/nextbest/nextbest/infra/simulate"
	"github.com/nextbest/nextbest/shared/adaptive"
)

// column is one predictor of a task, read from a CSV column.
type column struct {
	name string
	kind adaptive.Kind
}

// example is one logged response: the group whose model learns from it (an e-mail arm, an
// item), its predictor values aligned with the task's columns, and its outcome.
type example struct {
	group string
	x     []adaptive.Value
	y     bool
}

// task is one evaluation: examples in time order, learned by one model per group.
type task struct {
	// dataset groups tasks whose settings are chosen together.
	dataset string
	name    string
	columns []column
	rows    []example
	// order says how the rows are ordered, for the report.
	order string
}

// table is a CSV file read whole, with its columns looked up by header name.
type table struct {
	header map[string]int
	rows   [][]string
}

// readTable reads a CSV file with a header line. encoding/csv handles Hillstrom's quoted
// history_segment values, which contain commas.
func readTable(path string) (*table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseTable(f, path)
}

// parseTable reads CSV from r; name is used in error messages.
func parseTable(r io.Reader, name string) (*table, error) {
	records, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(records) == 0 {
		return nil, fmt.Errorf("read %s: no header", name)
	}
	t := &table{header: make(map[string]int), rows: records[1:]}
	for i, h := range records[0] {
		t.header[strings.TrimSpace(h)] = i
	}
	return t, nil
}

// col returns the index of a named column.
func (t *table) col(name string) (int, error) {
	i, ok := t.header[name]
	if !ok {
		return 0, fmt.Errorf("no column %q", name)
	}
	return i, nil
}

// values converts a row's cells into predictor values for the columns.
func values(row []string, cols []column, idx []int) ([]adaptive.Value, error) {
	x := make([]adaptive.Value, len(cols))
	for j, c := range cols {
		cell := strings.TrimSpace(row[idx[j]])
		if c.kind == adaptive.Symbolic {
			x[j] = adaptive.Symbol(cell)
			continue
		}
		f, err := strconv.ParseFloat(cell, 64)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.name, err)
		}
		x[j] = adaptive.Number(f)
	}
	return x, nil
}

// indexes looks up the columns' positions in the table.
func (t *table) indexes(cols []column) ([]int, error) {
	idx := make([]int, len(cols))
	for j, c := range cols {
		i, err := t.col(c.name)
		if err != nil {
			return nil, err
		}
		idx[j] = i
	}
	return idx, nil
}

// hillstromColumns are the customer profile columns of the Hillstrom data.
var hillstromColumns = []column{
	{"recency", adaptive.Numeric},
	{"history_segment", adaptive.Symbolic},
	{"history", adaptive.Numeric},
	{"mens", adaptive.Symbolic},
	{"womens", adaptive.Symbolic},
	{"zip_code", adaptive.Symbolic},
	{"newbie", adaptive.Symbolic},
	{"channel", adaptive.Symbolic},
}

// hillstromArms are the e-mail treatments, each learned by its own model.
var hillstromArms = []string{"Mens E-Mail", "Womens E-Mail", "No E-Mail"}

// loadHillstrom returns one task per e-mail arm, outcome visit, rows in file order.
func loadHillstrom(dir string) ([]task, error) {
	path := filepath.Join(dir, "hillstrom", "hillstrom-dev.csv")
	t, err := readTable(path)
	if err != nil {
		return nil, err
	}
	idx, err := t.indexes(hillstromColumns)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	segment, err := t.col("segment")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	visit, err := t.col("visit")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	byArm := make(map[string]*task, len(hillstromArms))
	var tasks []task
	for _, arm := range hillstromArms {
		tasks = append(tasks, task{
			dataset: "Hillstrom",
			name:    "Hillstrom " + arm + " (visit)",
			columns: hillstromColumns,
			order:   "file order (no timestamp; the file is a fixed random split)",
		})
	}
	for i := range tasks {
		byArm[hillstromArms[i]] = &tasks[i]
	}
	for n, row := range t.rows {
		tk, ok := byArm[row[segment]]
		if !ok {
			return nil, fmt.Errorf("%s line %d: unknown segment %q", path, n+2, row[segment])
		}
		x, err := values(row, hillstromColumns, idx)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, n+2, err)
		}
		tk.rows = append(tk.rows, example{group: row[segment], x: x, y: row[visit] == "1"})
	}
	return tasks, nil
}

// obdColumns are the predictors of the Open Bandit men campaign; "affinity" is the user's
// affinity with the item shown, read from user-item_affinity_<item_id>.
var obdColumns = []column{
	{"user_feature_0", adaptive.Symbolic},
	{"user_feature_1", adaptive.Symbolic},
	{"user_feature_2", adaptive.Symbolic},
	{"user_feature_3", adaptive.Symbolic},
	{"position", adaptive.Symbolic},
	{"affinity", adaptive.Numeric},
}

// loadOBD returns two tasks on the random log, outcome click, rows in timestamp order: one
// model per item (as the issue asks) and one model with the item as a predictor.
func loadOBD(dir string) ([]task, error) {
	path := filepath.Join(dir, "obd-men", "random.csv")
	t, err := readTable(path)
	if err != nil {
		return nil, err
	}
	profile := obdColumns[:len(obdColumns)-1]
	idx, err := t.indexes(profile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var cols [3]int
	for j, name := range []string{"timestamp", "item_id", "click"} {
		if cols[j], err = t.col(name); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	timestamp, item, click := cols[0], cols[1], cols[2]
	rows := slices.Clone(t.rows)
	// ISO timestamps in one time zone sort as strings; the sort is stable for equal ones.
	slices.SortStableFunc(rows, func(a, b []string) int { return strings.Compare(a[timestamp], b[timestamp]) })

	perItem := task{dataset: "Open Bandit men", name: "OBD men random, one model per item (click)", columns: obdColumns, order: "timestamp order"}
	withItem := task{
		dataset: "Open Bandit men",
		name:    "OBD men random, one model, item as predictor (click)",
		columns: append(slices.Clone(obdColumns), column{"item_id", adaptive.Symbolic}),
		order:   "timestamp order",
	}
	for n, row := range rows {
		x, err := values(row, profile, idx)
		if err != nil {
			return nil, fmt.Errorf("%s row %d: %w", path, n+1, err)
		}
		affCol, err := t.col("user-item_affinity_" + row[item])
		if err != nil {
			return nil, fmt.Errorf("%s row %d: %w", path, n+1, err)
		}
		aff, err := strconv.ParseFloat(row[affCol], 64)
		if err != nil {
			return nil, fmt.Errorf("%s row %d: affinity: %w", path, n+1, err)
		}
		x = append(x, adaptive.Number(aff))
		y := row[click] == "1"
		perItem.rows = append(perItem.rows, example{group: row[item], x: x, y: y})
		withItem.rows = append(withItem.rows, example{group: "all", x: append(slices.Clone(x), adaptive.Symbol(row[item])), y: y})
	}
	return []task{perItem, withItem}, nil
}

// loadTasks loads every evaluation task; a missing dataset is reported, not fatal.
func loadTasks(dir string, logf func(string, ...any)) ([]task, error) {
	var tasks []task
	for _, load := range []struct {
		name string
		fn   func(string) ([]task, error)
	}{{"Hillstrom", loadHillstrom}, {"Open Bandit men", loadOBD}} {
		ts, err := load.fn(dir)
		if errors.Is(err, os.ErrNotExist) {
			logf("skipping %s: %v", load.name, err)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", load.name, err)
		}
		tasks = append(tasks, ts...)
	}
	return tasks, nil
}

// loadMapped reads any log with its simulation mapping (infra/simulate.Mapping): one
// task per logged action, learning from the rows where it was sent (or where nothing
// was), in the mapping's time order, with the mapping's attributes as predictors:
// numbers numeric, strings and booleans symbolic.
func loadMapped(mappingPath, logPath string) ([]task, error) {
	m, err := simulate.ReadMapping(mappingPath)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := m.ReadRows(f, logPath)
	if err != nil {
		return nil, err
	}
	var cols []column
	for _, a := range m.Attributes {
		kind := adaptive.Symbolic
		if a.Type == "number" {
			kind = adaptive.Numeric
		}
		cols = append(cols, column{name: a.Name, kind: kind})
	}
	order := "file order"
	if m.Time != "" {
		order = "time order (" + m.Time + ")"
	}
	actions := m.Actions()
	byAction := map[int]*task{}
	var tasks []*task
	for _, r := range rows {
		tk := byAction[r.Logged]
		if tk == nil {
			action := actions[r.Logged]
			if action == "" {
				action = "nothing sent"
			}
			tk = &task{dataset: m.Dataset, name: fmt.Sprintf("%s %s (%s)", m.Dataset, action, m.Outcome), columns: cols, order: order}
			byAction[r.Logged] = tk
			tasks = append(tasks, tk)
		}
		x := make([]adaptive.Value, len(cols))
		for j, c := range cols {
			switch v := r.Attributes[c.name].(type) {
			case float64:
				x[j] = adaptive.Number(v)
			case bool:
				x[j] = adaptive.Symbol(strconv.FormatBool(v))
			case string:
				x[j] = adaptive.Symbol(v)
			default:
				x[j] = adaptive.Missing()
			}
		}
		tk.rows = append(tk.rows, example{group: tk.name, x: x, y: r.Outcome})
	}
	out := make([]task, len(tasks))
	for i, tk := range tasks {
		out[i] = *tk
	}
	return out, nil
}
