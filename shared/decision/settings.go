package decision

import (
	"fmt"
	"time"
)

// compileSettings checks the catalog-wide policies and prepares them for decisions.
func (c *Catalog) compileSettings() []error {
	var errs []error
	s := &c.Settings
	if s.Suppression.AfterImpressions > 0 && s.Suppression.Within <= 0 {
		errs = append(errs, fmt.Errorf("settings.suppression: afterImpressions needs a window (within)"))
	}
	if _, err := time.LoadLocation(s.DefaultTimeZone); err != nil {
		errs = append(errs, fmt.Errorf("settings.defaultTimeZone: unknown time zone %q", s.DefaultTimeZone))
	}
	if q := s.QuietHours; q != nil {
		var err1, err2 error
		q.start, err1 = parseClock(q.Start)
		q.end, err2 = parseClock(q.End)
		if err1 != nil || err2 != nil || q.start == q.end {
			errs = append(errs, fmt.Errorf("settings.quietHours: want start and end as distinct HH:MM, got %q and %q", q.Start, q.End))
		}
	}
	for i := range s.ContextWeights {
		w := &s.ContextWeights[i]
		if w.Weight < 0 {
			errs = append(errs, fmt.Errorf("settings.contextWeights[%d]: weight must be ≥ 0", i))
		}
		if w.When == "" {
			errs = append(errs, fmt.Errorf("settings.contextWeights[%d]: when is required", i))
			continue
		}
		rules, err := c.compileRules(Rules{Applicability: w.When})
		if err != nil {
			errs = append(errs, fmt.Errorf("settings.contextWeights[%d]: %w", i, err))
			continue
		}
		w.rule = rules[0]
		w.rule.kind = "context weight"
	}
	errs = append(errs, c.compileVolume()...)
	errs = append(errs, s.Outcomes.compile()...)
	errs = append(errs, c.compileFeeds()...)
	errs = append(errs, c.compileModelSettings()...)
	g := s.ControlGroups
	if g.RandomShare < 0 || g.SilenceShare < 0 || g.RandomShare+g.SilenceShare > 0.5 {
		errs = append(errs, fmt.Errorf("settings.controlGroups: shares must be ≥ 0 and hold out at most half of the customers"))
	}
	return errs
}

// parseClock reads "HH:MM" as minutes after midnight.
func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

// contains reports whether a local clock time falls inside the quiet hours.
func (q *QuietHours) contains(local time.Time) bool {
	m := local.Hour()*60 + local.Minute()
	if q.start < q.end {
		return m >= q.start && m < q.end
	}
	return m >= q.start || m < q.end // the window wraps over midnight
}

// selector is the id a context weight applies to, the most specific first.
func (w *ContextWeight) selector() string {
	switch {
	case w.Action != "":
		return w.Action
	case w.Group != "":
		return w.Group
	default:
		return w.Issue
	}
}

func (w *ContextWeight) selectorName() string {
	switch {
	case w.Action != "":
		return fmt.Sprintf("action %q", w.Action)
	case w.Group != "":
		return fmt.Sprintf("group %q", w.Group)
	default:
		return fmt.Sprintf("issue %q", w.Issue)
	}
}

// selects reports whether the weight applies to the action.
func (w *ContextWeight) selects(ca *compiledAction) bool {
	return (w.Action == "" || w.Action == ca.ID) && (w.Group == "" || w.Group == ca.group) && (w.Issue == "" || w.Issue == ca.issue)
}
