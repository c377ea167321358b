// Package catalogcheck holds the checks a catalog passes before it is published, and
// the semantic difference between two catalogs: the same for `nextbest catalog` and for
// the console's catalog page, so that both refuse and show exactly the same things.
package catalogcheck

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/nextbest/nextbest/infra/seed"
	"github.com/nextbest/nextbest/shared/decision"
)

// Options configure the reachability check.
type Options struct {
	Profiles         int    // synthetic profiles to probe with
	Seed             uint64 // their seed
	Now              time.Time
	AllowUnreachable bool // report unreachable actions as warnings instead of errors
}

// Report is what validating a catalog found. Every line names the file; problems with
// an action name the action and, when a rule is at fault, the rule.
type Report struct {
	Catalog  *decision.Catalog // nil when the catalog does not compile
	Errors   []string
	Warnings []string
	// Probes describes the reachability search, for the summary line.
	Probes string
}

// The reachability check's defaults: enough synthetic customers to meet every common
// rule, drawn from a fixed seed so that a catalog is judged the same way every time.
const (
	DefaultProfiles = 500
	DefaultSeed     = 1
)

// Defaults returns the options `nextbest catalog validate` uses without flags, at now.
func Defaults(now time.Time) Options {
	return Options{Profiles: DefaultProfiles, Seed: DefaultSeed, Now: now}
}

// OK reports whether the catalog may be published.
func (r *Report) OK() bool { return len(r.Errors) == 0 }

// baseContexts stand for common callers: none (outbound batch, anonymous web), the two
// device classes and a customer about to leave.
var baseContexts = []map[string]any{
	nil,
	{"device": "mobile"},
	{"device": "desktop"},
	{"intent": "cancel"},
}

// contextLiteral finds `context.key == "value"` (or 'value', either side, or != which
// needs the value to be tested too) in rule sources.
var contextLiteral = regexp.MustCompile(`context\.(\w+)\s*[!=]=\s*(?:"([^"\\]*)"|'([^'\\]*)')|(?:"([^"\\]*)"|'([^'\\]*)')\s*[!=]=\s*context\.(\w+)`)

// probeContexts returns the base contexts plus one context per literal value the
// catalog's rules compare a context key with. It reads the source text (rules in
// double-quoted YAML strings have their quotes escaped), so a comparison in a comment
// adds a harmless extra context.
func probeContexts(src []byte) []map[string]any {
	contexts := slices.Clone(baseContexts)
	seen := map[string]bool{"device=mobile": true, "device=desktop": true, "intent=cancel": true}
	text := strings.ReplaceAll(string(src), `\"`, `"`)
	for _, m := range contextLiteral.FindAllStringSubmatch(text, -1) {
		key := m[1] + m[6]
		value := m[2] + m[3] + m[4] + m[5]
		if seen[key+"="+value] {
			continue
		}
		seen[key+"="+value] = true
		contexts = append(contexts, map[string]any{key: value})
	}
	return contexts
}

// Validate compiles a catalog and searches for actions no probe customer reaches.
func Validate(name string, src []byte, opt Options) *Report {
	r := &Report{}
	c, err := decision.ParseCatalog(name, src)
	if err != nil {
		r.Errors = CompileErrors(name, err)
		return r
	}
	r.Catalog = c
	if c.Settings.Arbitration == decision.ArbitrationUplift && c.Settings.ControlGroups.SilenceShare == 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s: settings.arbitration: uplift learns what customers do without any action from "+
			"the silence control group, and settings.controlGroups.silenceShare is 0: live decisions subtract the prior (%.4f)",
			name, c.Settings.Prior.Rate))
	}

	profiles := seed.Profiles(opt.Seed, opt.Profiles, opt.Now)
	// An anonymous visitor as well: only actions without profile rules reach them.
	profiles = append(profiles, decision.Profile{CustomerID: "anonymous"})
	contexts := probeContexts(src)
	r.Probes = fmt.Sprintf("%d synthetic customers and an anonymous one × every channel and placement × %d contexts at %s",
		opt.Profiles, len(contexts), opt.Now.UTC().Format(time.RFC3339))

	unreachable := func(u decision.Unreachable, format string, args ...any) {
		msg := fmt.Sprintf("%s: action %q (%s/%s): ", name, u.ActionID, u.Issue, u.Group) + fmt.Sprintf(format, args...)
		msg = strings.ReplaceAll(msg, "\n", "\n    ") // expr's errors point at the rule on extra lines
		if opt.AllowUnreachable {
			r.Warnings = append(r.Warnings, msg)
		} else {
			r.Errors = append(r.Errors, msg)
		}
	}
	later := map[time.Time][]string{} // actions not valid yet, by the time they become valid
	for _, u := range c.Unreachable(profiles, contexts, opt.Now) {
		a, _, _, _ := c.Action(u.ActionID)
		switch {
		case u.Policy == "validity" && a.ValidUntil != nil && !opt.Now.Before(*a.ValidUntil):
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s: action %q (%s/%s): expired at %s, so it is never offered; remove it or extend validUntil",
				name, u.ActionID, u.Issue, u.Group, a.ValidUntil.Format(time.RFC3339)))
		case u.Policy == "validity" && a.ValidFrom != nil && opt.Now.Before(*a.ValidFrom):
			later[*a.ValidFrom] = append(later[*a.ValidFrom], u.ActionID)
		default:
			unreachable(u, "no probe customer reaches it: %s %s (%d of %d probes)", u.Policy, u.Detail, u.Count, u.Probes)
		}
	}
	// An action that is not valid yet is checked at the moment it becomes valid.
	for _, at := range slices.SortedFunc(maps.Keys(later), time.Time.Compare) {
		for _, u := range c.Unreachable(profiles, contexts, at) {
			if slices.Contains(later[at], u.ActionID) {
				unreachable(u, "no probe customer reaches it once valid (from %s): %s %s (%d of %d probes)",
					at.Format(time.RFC3339), u.Policy, u.Detail, u.Count, u.Probes)
			}
		}
	}
	return r
}

// CompileErrors splits ParseCatalog's error into one line per problem, each prefixed
// with the file name.
func CompileErrors(name string, err error) []string {
	prefix := "catalog " + name + ": "
	var errs []error
	if joined, ok := errors.Unwrap(err).(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	} else {
		errs = []error{errors.Unwrap(err)}
		if errs[0] == nil {
			errs[0] = err
		}
	}
	var out []string
	for _, e := range errs {
		msg := strings.TrimPrefix(e.Error(), prefix)
		// yaml's unmarshal errors come as one error with a line per problem.
		if rest, ok := strings.CutPrefix(msg, "yaml: unmarshal errors:\n"); ok {
			for _, line := range strings.Split(rest, "\n") {
				out = append(out, name+": "+strings.TrimSpace(line))
			}
			continue
		}
		out = append(out, name+": "+strings.ReplaceAll(msg, "\n", "\n    "))
	}
	return out
}
