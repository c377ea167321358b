package catalogcheck

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/nextbest/nextbest/shared/decision"
)

// Change is one semantic difference between two catalogs.
type Change struct {
	Op   string // "+" added, "-" removed, "~" changed
	Kind string // "catalog", "channel", "settings", "issue", "group", "action"
	ID   string
	// Details lists what changed, one field per line ("value: 10 → 12"), or for an
	// added action where it sits and its treatments.
	Details []string
}

// Diff compares two catalogs field by field, by id rather than by position: moving an
// action within the file is no change, and a renamed id is a removal and an addition.
// Fields are compared by their YAML names, so fields added to the catalog format later
// are compared without changing this code. old may be nil (nothing published yet).
func Diff(old, new *decision.Catalog) []Change {
	first := old == nil // everything is new: list the hierarchy, not every setting
	if first {
		old = &decision.Catalog{}
	}
	var out []Change
	if d := fieldDiffs("", reflect.ValueOf(old.Name), reflect.ValueOf(new.Name), "name"); len(d) > 0 && !first {
		out = append(out, Change{Op: "~", Kind: "catalog", Details: d})
	}
	out = append(out, diffByID("channel", old.Channels, new.Channels, func(c decision.Channel) string { return c.Name },
		func(c decision.Channel) []string { return nil }, nil)...)
	if d := fieldDiffs("", reflect.ValueOf(old.Settings), reflect.ValueOf(new.Settings), ""); len(d) > 0 && !first {
		out = append(out, Change{Op: "~", Kind: "settings", Details: d})
	}

	type placedGroup struct {
		decision.Group
		issue string
	}
	type placedAction struct {
		decision.Action
		issue, group string
	}
	flatten := func(c *decision.Catalog) ([]decision.Issue, []placedGroup, []placedAction) {
		var groups []placedGroup
		var actions []placedAction
		for _, is := range c.Issues {
			for _, g := range is.Groups {
				groups = append(groups, placedGroup{g, is.ID})
				for _, a := range g.Actions {
					actions = append(actions, placedAction{a, is.ID, g.ID})
				}
			}
		}
		return c.Issues, groups, actions
	}
	oldIssues, oldGroups, oldActions := flatten(old)
	newIssues, newGroups, newActions := flatten(new)

	out = append(out, diffByID("issue", oldIssues, newIssues, func(i decision.Issue) string { return i.ID },
		func(decision.Issue) []string { return nil },
		func(a, b decision.Issue) []string {
			return fieldDiffs("", reflect.ValueOf(a), reflect.ValueOf(b), "", "id", "groups")
		})...)
	out = append(out, diffByID("group", oldGroups, newGroups, func(g placedGroup) string { return g.ID },
		func(g placedGroup) []string { return []string{"in issue " + g.issue} },
		func(a, b placedGroup) []string {
			d := fieldDiffs("", reflect.ValueOf(a.Group), reflect.ValueOf(b.Group), "", "id", "actions")
			if a.issue != b.issue {
				d = append([]string{fmt.Sprintf("moved from issue %s to %s", a.issue, b.issue)}, d...)
			}
			return d
		})...)
	out = append(out, diffByID("action", oldActions, newActions, func(a placedAction) string { return a.ID },
		func(a placedAction) []string {
			ids := make([]string, len(a.Treatments))
			for i, t := range a.Treatments {
				ids[i] = t.ID
			}
			return []string{"in " + a.issue + "/" + a.group, "treatments " + strings.Join(ids, ", ")}
		},
		func(a, b placedAction) []string {
			var d []string
			if a.issue != b.issue || a.group != b.group {
				d = append(d, fmt.Sprintf("moved from %s/%s to %s/%s", a.issue, a.group, b.issue, b.group))
			}
			d = append(d, fieldDiffs("", reflect.ValueOf(a.Action), reflect.ValueOf(b.Action), "", "id", "treatments")...)
			for _, c := range diffByID("treatment", a.Treatments, b.Treatments, func(t decision.Treatment) string { return t.ID },
				func(decision.Treatment) []string { return nil }, nil) {
				switch c.Op {
				case "+":
					d = append(d, "treatment "+c.ID+" added")
				case "-":
					d = append(d, "treatment "+c.ID+" removed")
				default:
					for _, f := range c.Details {
						d = append(d, "treatment "+c.ID+": "+f)
					}
				}
			}
			return d
		})...)
	return out
}

// diffByID matches two lists by id: removed items first (in the old order), then
// added and changed ones (in the new order). describe adds details to an added item;
// compare lists a matched pair's differences (every exported field when nil).
func diffByID[T any](kind string, old, new []T, id func(T) string, describe func(T) []string, compare func(a, b T) []string) []Change {
	if compare == nil {
		compare = func(a, b T) []string { return fieldDiffs("", reflect.ValueOf(a), reflect.ValueOf(b), "") }
	}
	index := func(items []T) map[string]T {
		m := make(map[string]T, len(items))
		for _, it := range items {
			m[id(it)] = it
		}
		return m
	}
	oldByID, newByID := index(old), index(new)
	var out []Change
	for _, it := range old {
		if _, ok := newByID[id(it)]; !ok {
			out = append(out, Change{Op: "-", Kind: kind, ID: id(it)})
		}
	}
	for _, it := range new {
		prev, ok := oldByID[id(it)]
		switch {
		case !ok:
			out = append(out, Change{Op: "+", Kind: kind, ID: id(it), Details: describe(it)})
		default:
			if d := compare(prev, it); len(d) > 0 {
				out = append(out, Change{Op: "~", Kind: kind, ID: id(it), Details: d})
			}
		}
	}
	return out
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[decision.Duration]()
)

// fieldDiffs lists the differences between two values of the same type as
// "path: old → new" lines. Structs are walked by their YAML field names (inline
// fields keep the path, fields named in skip are left out), maps with string keys
// key by key; anything else is compared by its rendering, so unexported state such as
// compiled rules never counts.
func fieldDiffs(path string, a, b reflect.Value, name string, skip ...string) []string {
	if name != "" {
		path = joinPath(path, name)
	}
	t := a.Type()
	switch {
	case t.Kind() == reflect.Struct && t != timeType:
		var out []string
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag, inline := yamlName(f)
			if tag == "-" || slices.Contains(skip, tag) {
				continue
			}
			if inline {
				out = append(out, fieldDiffs(path, a.Field(i), b.Field(i), "")...)
			} else {
				out = append(out, fieldDiffs(path, a.Field(i), b.Field(i), tag)...)
			}
		}
		return out
	case t.Kind() == reflect.Pointer && !a.IsNil() && !b.IsNil():
		return fieldDiffs(path, a.Elem(), b.Elem(), "")
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		var out []string
		keys := map[string]bool{}
		for _, k := range a.MapKeys() {
			keys[k.String()] = true
		}
		for _, k := range b.MapKeys() {
			keys[k.String()] = true
		}
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range keys {
				if !yield(k) {
					return
				}
			}
		}) {
			key := reflect.ValueOf(k).Convert(t.Key())
			av, bv := a.MapIndex(key), b.MapIndex(key)
			switch {
			case !av.IsValid():
				out = append(out, fmt.Sprintf("%s: added %s", joinPath(path, k), render(bv)))
			case !bv.IsValid():
				out = append(out, fmt.Sprintf("%s: removed (was %s)", joinPath(path, k), render(av)))
			default:
				out = append(out, fieldDiffs(path, av, bv, k)...)
			}
		}
		return out
	}
	if ra, rb := render(a), render(b); ra != rb {
		return []string{fmt.Sprintf("%s: %s → %s", path, ra, rb)}
	}
	return nil
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// yamlName is a field's name in catalog files and whether it is inlined.
func yamlName(f reflect.StructField) (string, bool) {
	tag := f.Tag.Get("yaml")
	name, opts, _ := strings.Cut(tag, ",")
	inline := slices.Contains(strings.Split(opts, ","), "inline")
	if name == "" && !inline {
		name = strings.ToLower(f.Name[:1]) + f.Name[1:]
	}
	return name, inline
}

// maxRendered keeps long texts (treatment bodies) to one readable line.
const maxRendered = 100

// render writes a value the way a catalog file would state it, on one line.
func render(v reflect.Value) string {
	s := renderFull(v)
	if r := []rune(s); len(r) > maxRendered {
		s = string(r[:maxRendered-1]) + "…"
	}
	return s
}

func renderFull(v reflect.Value) string {
	if !v.IsValid() {
		return "(none)"
	}
	switch t := v.Type(); {
	case t == timeType:
		return v.Interface().(time.Time).Format(time.RFC3339)
	case t == durationType:
		d := v.Interface().(decision.Duration).Std()
		if d != 0 && d%(24*time.Hour) == 0 {
			return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
		}
		return d.String()
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "(none)"
		}
		return renderFull(v.Elem())
	case reflect.String:
		return strconv.Quote(v.String())
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case reflect.Slice, reflect.Array:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = renderFull(v.Index(i))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprint(k) + ": " + renderFull(v.MapIndex(k))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case reflect.Struct:
		var parts []string
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			name, _ := yamlName(f)
			if !f.IsExported() || name == "-" || v.Field(i).IsZero() {
				continue
			}
			parts = append(parts, name+": "+renderFull(v.Field(i)))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v.Interface())
}

// loadForDiff compiles a catalog for comparison. A published version that no longer
// compiles with this tool's catalog format is still compared as it was written.
func LoadForDiff(name string, src []byte) (c *decision.Catalog, note string, err error) {
	c, err = decision.ParseCatalog(name, src)
	if err == nil {
		return c, "", nil
	}
	var raw decision.Catalog
	if yaml.Unmarshal(src, &raw) != nil {
		return nil, "", err
	}
	return &raw, fmt.Sprintf("%s does not compile with this version of the tool (%v); compared as written, without defaults", name, firstLine(err)), nil
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
