package console

import (
	"cmp"
	"context"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/nextbest/nextbest/infra/chart"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/dynamo"
	"github.com/nextbest/nextbest/shared/service"
)

// count is one line of a breakdown.
type count struct {
	Name string
	N    int
}

// sortedCounts returns a breakdown largest first.
func sortedCounts(m map[string]int) []count {
	out := make([]count, 0, len(m))
	for k, n := range m {
		out = append(out, count{k, n})
	}
	slices.SortFunc(out, func(a, b count) int { return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Name, b.Name)) })
	return out
}

// actionRow is one action of the forecast-against-actual table.
type actionRow struct {
	Action string
	service.ActionReport
	ResponsesError, ValueError float64
}

// RunsListed is how many of the latest runs the runs page lists.
const RunsListed = 30

// runView is the runs page: the latest runs, or one run.
type runView struct {
	Runs      []dynamo.RunListing
	ID        string
	Looked    bool
	Found     bool
	Record    service.RunRecord
	Summary   *service.RunSummary
	ByChannel []count
	ByAction  []count
	Silences  []count
	Volume    []string
	Report    *service.RunReport
	Rows      []actionRow
	Total     actionRow
	ReportErr string
	Chart     template.HTML
}

func (s *server) runs(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c, err := s.liveCatalog(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusBadGateway, err)
		return
	}
	v := runView{ID: strings.TrimSpace(r.URL.Query().Get("id"))}
	if v.ID == "" {
		if v.Runs, err = s.o.Store.ListRuns(r.Context(), RunsListed); err != nil {
			s.fail(w, r, http.StatusBadGateway, err)
			return
		}
	} else {
		v.Looked = true
		if v.Record, v.Found, err = s.o.Store.GetRun(r.Context(), v.ID); err != nil {
			s.fail(w, r, http.StatusBadGateway, err)
			return
		}
		if v.Found {
			if err := s.runDetail(r.Context(), &v); err != nil {
				s.fail(w, r, http.StatusInternalServerError, err)
				return
			}
		}
	}
	s.render(w, r, "runs", "Runs", start, c.Version, v)
}

// ChartActions is how many actions the forecast chart shows, the largest forecasts.
const ChartActions = 10

// catalogSnapshot serves the live catalog to the service layer's reports, through the
// console's own copy.
func (s *server) catalogSnapshot() *service.Snapshot[*decision.Catalog] {
	return service.NewSnapshot(time.Minute, s.o.Now, func(ctx context.Context, _ *decision.Catalog) (*decision.Catalog, error) {
		return s.liveCatalog(ctx)
	})
}

// runDetail fills the run's summary and, for a complete run, its forecast against the
// responses recorded so far (service.Planner.Report, as `nextbest runs report` does).
func (s *server) runDetail(ctx context.Context, v *runView) error {
	v.Summary = v.Record.Summary
	if v.Summary == nil {
		// An incomplete run: the segments that finished, added up.
		sum := v.Record.SummarySoFar()
		v.Summary = &sum
	}
	v.ByChannel, v.ByAction, v.Silences = sortedCounts(v.Summary.ByChannel), sortedCounts(v.Summary.ByAction), sortedCounts(v.Summary.Silences)
	for _, name := range slices.Sorted(maps.Keys(v.Summary.Volume)) {
		u := v.Summary.Volume[name]
		line := fmt.Sprintf("%s: %d sent of %d candidates", name, u.Sent, u.Candidates)
		if u.Max > 0 {
			line += fmt.Sprintf(", at most %d", u.Max)
		}
		if u.Min > 0 {
			line += fmt.Sprintf(", at least %d", u.Min)
		}
		if u.BelowMin {
			line += " — below its minimum: too few customers had it as their best offer"
		}
		v.Volume = append(v.Volume, line)
	}
	// Against what the run's counters say happened so far (dynamo.Store.RunResponses:
	// one Query of a few items, however large the run).
	planner := &service.Planner{Now: s.o.Now, Catalog: s.catalogSnapshot()}
	report, err := planner.ReportOf(ctx, v.Record, s.o.Store)
	if err != nil {
		v.ReportErr = err.Error()
		return nil
	}
	v.Report = &report
	row := func(name string, a service.ActionReport) actionRow {
		re, ve := a.Error()
		return actionRow{Action: name, ActionReport: a, ResponsesError: re, ValueError: ve}
	}
	v.Total = row("total", report.Total)
	for id, a := range report.Actions {
		v.Rows = append(v.Rows, row(id, a))
	}
	slices.SortFunc(v.Rows, func(a, b actionRow) int {
		return cmp.Or(cmp.Compare(b.ExpectedResponses, a.ExpectedResponses), cmp.Compare(a.Action, b.Action))
	})
	// The chart shows the actions with the largest forecasts; the table lists them all.
	var rows []chart.Interval
	for _, a := range v.Rows[:min(len(v.Rows), ChartActions)] {
		rows = append(rows,
			chart.Interval{Name: a.Action + " forecast", Value: a.ExpectedResponses, Lo: a.ResponsesInterval[0], Hi: a.ResponsesInterval[1]},
			chart.Interval{Name: a.Action + " actual", Value: float64(a.Responses), Lo: float64(a.Responses), Hi: float64(a.Responses), Highlight: true})
	}
	if len(rows) > 0 {
		if v.Chart, err = chart.Intervals(fmt.Sprintf("Responses of the %d actions forecast most: forecast (95%% interval) against actual", len(rows)/2), "positive responses", rows, chart.Tall(len(rows))); err != nil {
			return err
		}
	}
	return nil
}
