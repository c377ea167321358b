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

// liftView is the lift page.
type liftView struct {
	Days      string
	ReportAge string
	AsOf      string
	Err       string
	Report    *lift.Report
	Cut       *lift.Cut
	Groups    []groupRow
	Lifts     []comparisonRow
	Guards    []comparisonRow
	Champion  []comparisonRow
	Charts    []liftChart
	Tables    []comparisonTable
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
	v := liftView{Days: strings.TrimSpace(q.Get("days")), AsOf: strings.TrimSpace(q.Get("as-of"))}
	opts, err := liftOptions(v.Days, v.AsOf, s.o.Now())
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err)
		return
	}
	report, at, err := s.liftReport(r.Context(), v.Days+"\x00"+v.AsOf, opts)
	if err != nil {
		s.fail(w, r, http.StatusBadGateway, err)
		return
	}
	v.Report, v.ReportAge = &report, time.Since(at).Round(time.Second).String()
	if err := v.fill(); err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	s.render(w, r, "lift", "Lift", start, c.Version, v)
}

// liftReport returns the lift report of the page's parameters (key), computed again
// when the one kept is older than ReportMaxAge: it scans the decision log and the
// outcomes (about 0.8 s against DynamoDB Local with the demo's 10,000 customers).
func (s *server) liftReport(ctx context.Context, key string, opts lift.Options) (lift.Report, time.Time, error) {
	return s.lifts.get(key, func() (lift.Report, error) {
		reporter := &service.LiftReporter{Store: s.o.Store, Catalog: s.catalogSnapshot()}
		return reporter.Report(ctx, opts)
	})
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

func (v *liftView) fill() error {
	for i := range v.Report.Cuts {
		if v.Report.Cuts[i].Kind == "overall" {
			v.Cut = &v.Report.Cuts[i]
			break
		}
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
