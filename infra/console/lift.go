package console

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nextbest/nextbest/infra/chart"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/experiment"
	"github.com/nextbest/nextbest/shared/lift"
	"github.com/nextbest/nextbest/shared/service"
)

// LiftDays is the lift page's window when ?days= is not given, as `nextbest lift`.
const LiftDays = 28

// groupRow is one line of the lift page's groups table.
type groupRow struct {
	Name string
	lift.GroupStats
}

// comparisonRow is one comparison of the lift page, named as `nextbest lift` prints it.
type comparisonRow struct {
	Name string
	lift.Lift
}

// comparisonTable is one table of comparisons of the lift page.
type comparisonTable struct {
	ID, Title string
	Rows      []comparisonRow
}

// liftChart is one chart of the lift page: the comparisons of one metric family.
type liftChart struct {
	ID    string
	Chart template.HTML
}

// cutRow is one cut of the lift report in the page's table of cuts: its headline
// comparisons, engine against each control group on the page's CutMetric.
type cutRow struct {
	Kind, Name, Key string
	Engine          int // the engine's customers in the cut
	Silence, Random *lift.Lift
	Current         bool
}

// liftView is the lift page.
type liftView struct {
	Days      string
	CutKey    string // the cut shown, "kind:name"; "" for the whole base
	Cuts      []cutRow
	CutsChart template.HTML
	// CutMetric is the metric the table of cuts compares: conversions, or responses
	// while no conversion is measured in the whole base (no outcome recorded yet).
	// CutControl is the control group its chart compares the engine with: silence, or
	// random where silence is not measured (responses: silence gets no contact).
	CutMetric, CutControl string
	ReportAge             string
	AsOf                  string
	Err                   string
	Report                *lift.Report
	Cut                   *lift.Cut
	Groups                []groupRow
	Lifts                 []comparisonRow
	Guards                []comparisonRow
	Champion              []comparisonRow
	Charts                []liftChart
	Tables                []comparisonTable
}

// liftFamilies are the lift page's charts: metrics whose differences share a scale.
var liftFamilies = []struct {
	id, title, axis string
	metrics         []string
	// challenger, when set, keeps the challenger's comparisons (true) or the control
	// groups' (false) only: the silence group gets no contact, so the engine's contact
	// difference dwarfs the challenger's.
	challenger *bool
}{
	{"lift-conversions", "Conversions and responses per customer: difference (95% interval)", "difference per customer", []string{lift.MetricConversions, lift.MetricResponses}, nil},
	{"lift-value", "Value per customer: difference (95% interval)", "difference per customer (catalog's currency)", []string{lift.MetricValue}, nil},
	{"lift-contacts", "Contacts per customer, engine against silence: difference (95% interval)", "difference per customer", []string{lift.MetricContacts}, new(false)},
	{"lift-challenger-contacts", "Contacts per customer, challenger against champion: difference (95% interval)", "difference per customer", []string{lift.MetricContacts}, new(true)},
	{"lift-guardrails", "Guardrails per customer: difference (95% interval)", "difference per customer", []string{lift.MetricUnsubscribes, lift.MetricRejects, lift.MetricComplaints}, nil},
}

// lift is the lift and challengers page: the overall cut of the lift report, as
// `nextbest lift` computes it (service.LiftReporter), with ?days= and ?as-of=.
func (s *server) lift(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c, err := s.liveCatalog(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusBadGateway, err)
		return
	}
	q := r.URL.Query()
	v := liftView{Days: strings.TrimSpace(q.Get("days")), AsOf: strings.TrimSpace(q.Get("as-of")), CutKey: strings.TrimSpace(q.Get("cut"))}
	opts, err := liftOptions(v.Days, v.AsOf, s.o.Now())
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err)
		return
	}
	report, at, err := s.lifts.get(r.Context(), liftKey(v.Days, v.AsOf), s.computeLift(opts))
	if err != nil {
		s.fail(w, r, http.StatusBadGateway, err)
		return
	}
	v.Report, v.ReportAge = &report, time.Since(at).Round(time.Second).String()
	if err := v.fill(); err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	if v.Cut == nil && v.CutKey != "" && len(v.Cuts) > 0 {
		s.fail(w, r, http.StatusNotFound, fmt.Errorf("the lift report of this window has no cut %q", v.CutKey))
		return
	}
	s.render(w, r, "lift", "Lift", start, c.Version, v)
}

// liftKey keys the lift reports kept by the page's parameters.
func liftKey(days, asOf string) string { return days + "\x00" + asOf }

// computeLift computes a lift report as `nextbest lift` does: it scans the decision log
// and the outcomes (about 0.8 s against DynamoDB Local with the demo's 10,000
// customers), which is why the console keeps it (reportCache).
func (s *server) computeLift(opts lift.Options) func(context.Context) (lift.Report, error) {
	return func(ctx context.Context) (lift.Report, error) {
		reporter := &service.LiftReporter{Store: s.o.Store, Catalog: s.catalogSnapshot()}
		report, err := reporter.Report(ctx, opts)
		if err != nil {
			s.log.Error("console: lift report failed", "error", err)
		}
		return report, err
	}
}

// liftOptions are the report's options from the page's parameters, defaulting as the
// CLI does: the last 28 days up to now, attribution 7 days, pre-period 28 days.
func liftOptions(days, asOf string, now time.Time) (lift.Options, error) {
	n := LiftDays
	if days != "" {
		var err error
		if n, err = strconv.Atoi(days); err != nil || n <= 0 {
			return lift.Options{}, fmt.Errorf("days %q: want a whole number of days, 1 or more", days)
		}
	}
	o := lift.Options{To: now, From: now.Add(-time.Duration(n) * 24 * time.Hour),
		Attribution: 7 * 24 * time.Hour, PrePeriod: 28 * 24 * time.Hour, Experiment: experiment.Options{MDE: experiment.DefaultMDE}}
	if asOf != "" {
		t, err := decision.ParseTimeValue(asOf)
		if err != nil {
			return lift.Options{}, fmt.Errorf("as-of: %w", err)
		}
		o.AsOf = t
	}
	return o, nil
}

// cutKey names a cut in the page's address.
func cutKey(c lift.Cut) string {
	if c.Kind == "overall" {
		return ""
	}
	return c.Kind + ":" + c.Name
}

func (v *liftView) fill() error {
	for i, c := range v.Report.Cuts {
		if cutKey(c) == v.CutKey {
			v.Cut = &v.Report.Cuts[i]
		}
	}
	if err := v.fillCuts(); err != nil {
		return err
	}
	if v.Cut == nil {
		return nil
	}
	for _, g := range []string{lift.GroupEngine, lift.GroupRandom, lift.GroupSilence, lift.GroupChampion, lift.GroupChallenger} {
		if s, ok := v.Cut.Groups[g]; ok {
			v.Groups = append(v.Groups, groupRow{g, s})
		}
	}
	for _, l := range v.Cut.Lifts {
		v.Lifts = append(v.Lifts, comparisonRow{fmt.Sprintf("%s vs %s, %s", l.Treatment, l.Control, l.Metric), l})
	}
	for _, l := range v.Cut.Guardrails {
		v.Guards = append(v.Guards, comparisonRow{fmt.Sprintf("guardrail %s vs %s, %s", l.Treatment, l.Control, l.Metric), l})
	}
	for _, l := range v.Cut.Challenger {
		v.Champion = append(v.Champion, comparisonRow{"challenger vs champion, " + l.Metric, l})
	}
	v.Tables = []comparisonTable{{"lifts", "Engine against the control groups", v.Lifts}, {"guardrails", "Guardrails", v.Guards}}
	if len(v.Champion) > 0 {
		v.Tables = append(v.Tables, comparisonTable{"challenger", "Challenger against champion", v.Champion})
	}
	all := append(append(append([]comparisonRow(nil), v.Lifts...), v.Guards...), v.Champion...)
	for _, f := range liftFamilies {
		var rows []chart.Interval
		for _, c := range all {
			if !c.Measured || !slices.Contains(f.metrics, c.Metric) || (f.challenger != nil && *f.challenger != (c.Treatment == lift.GroupChallenger)) {
				continue
			}
			rows = append(rows, chart.Interval{Name: strings.TrimPrefix(c.Name, "guardrail "), Value: c.Difference,
				Lo: c.Interval[0], Hi: c.Interval[1], Highlight: c.Significant})
		}
		if len(rows) == 0 {
			continue
		}
		svg, err := chart.Intervals(f.title, f.axis, rows, chart.Tall(len(rows)))
		if err != nil {
			return err
		}
		v.Charts = append(v.Charts, liftChart{f.id, svg})
	}
	return nil
}

// fillCuts lists every cut with its headline comparisons, and charts the engine's lift
// by issue and channel: where the engine adds most (groups and actions are in the
// table, a chart of them all would be too tall to read).
func (v *liftView) fillCuts() error {
	v.CutMetric, v.CutControl = headline(v.Report.Cuts)
	var rows []chart.Interval
	for _, c := range v.Report.Cuts {
		row := cutRow{Kind: c.Kind, Name: c.Name, Key: cutKey(c), Engine: c.Groups[lift.GroupEngine].Customers, Current: cutKey(c) == v.CutKey}
		for i, l := range c.Lifts {
			if l.Metric != v.CutMetric || l.Treatment != lift.GroupEngine {
				continue
			}
			switch l.Control {
			case lift.GroupSilence:
				row.Silence = &c.Lifts[i]
			case lift.GroupRandom:
				row.Random = &c.Lifts[i]
			}
		}
		v.Cuts = append(v.Cuts, row)
		l := row.Silence
		if v.CutControl == lift.GroupRandom {
			l = row.Random
		}
		if l != nil && l.Measured && c.Kind != "group" && c.Kind != "action" {
			name := c.Kind + " " + c.Name
			if c.Kind == "overall" {
				name = "whole base"
			}
			rows = append(rows, chart.Interval{Name: name, Value: l.Difference, Lo: l.Interval[0], Hi: l.Interval[1], Highlight: l.Significant})
		}
	}
	if len(rows) < 2 {
		return nil
	}
	var err error
	v.CutsChart, err = chart.Intervals(fmt.Sprintf("Engine vs %s by issue and channel: %s per customer (95%%)", v.CutControl, v.CutMetric),
		"difference per customer", rows, chart.Tall(len(rows)))
	return err
}

// headline picks the comparison the cuts are summed up by: the first the whole base
// measures of conversions against silence, conversions against random, responses
// against random.
func headline(cuts []lift.Cut) (metric, control string) {
	for _, h := range [][2]string{{lift.MetricConversions, lift.GroupSilence}, {lift.MetricConversions, lift.GroupRandom}, {lift.MetricResponses, lift.GroupRandom}} {
		for _, c := range cuts {
			for _, l := range c.Lifts {
				if c.Kind == "overall" && l.Treatment == lift.GroupEngine && l.Metric == h[0] && l.Control == h[1] && l.Measured {
					return h[0], h[1]
				}
			}
		}
	}
	return lift.MetricConversions, lift.GroupSilence
}
