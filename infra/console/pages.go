package console

import (
	"bytes"
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
	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/monitor"
)

// The health rule the models page applies and states.
const (
	// StaleEvidence: a model whose (decayed) evidence is below it has learned
	// nothing within the catalog's memory: it still scores from its prior.
	StaleEvidence = 1.0
	// ThinEvidence: below it a model's figures are too uncertain to judge.
	ThinEvidence = 100.0
	// UnhealthyAUC: a model with at least ThinEvidence responses, both positives and
	// negatives, whose AUC is below it ranks customers hardly better than chance.
	UnhealthyAUC = 0.55
)

var funcs = template.FuncMap{
	"pct":  func(f float64) string { return fmt.Sprintf("%.2f%%", 100*f) },
	"f2":   func(f float64) string { return fmt.Sprintf("%.2f", f) },
	"f4":   func(f float64) string { return fmt.Sprintf("%.4f", f) },
	"n0":   func(f float64) string { return fmt.Sprintf("%.0f", f) },
	"time": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") },
	"dur":  func(d decision.Duration) string { return d.String() },
	"deref": func(f *float64) string {
		if f == nil {
			return ""
		}
		return fmt.Sprintf("%.2f", *f)
	},
	"value":  func(v any) string { return fmt.Sprint(v) },
	"join":   strings.Join,
	"inc":    func(i int) int { return i + 1 },
	"mul100": func(f float64) float64 { return 100 * f },
	"append": func(rows []actionRow, r actionRow) []actionRow { return append(slices.Clip(rows), r) },
}

// page is what the layout reads; Body is the page's own view.
type page struct {
	Title   string
	Nav     string // which top link is current
	Font    template.CSS
	Version string
	Now     time.Time
	Tables  string
	Elapsed string
	Body    any
}

func (s *server) render(w http.ResponseWriter, r *http.Request, name, title string, start time.Time, version string, body any) {
	s.renderStatus(w, r, http.StatusOK, name, title, start, version, body)
}

// renderStatus renders a page with an answer status other than 200: a form's refusal.
func (s *server) renderStatus(w http.ResponseWriter, r *http.Request, status int, name, title string, start time.Time, version string, body any) {
	p := page{Title: title, Nav: name, Font: s.font, Version: version, Now: s.o.Now(), Body: body,
		Tables: strings.Join(slices.DeleteFunc([]string{s.o.Tables.Catalog, s.o.Tables.Models, s.o.Tables.Customers, s.o.Tables.Decisions}, func(t string) bool { return t == "" }), ", ")}
	switch name {
	case "model":
		p.Nav = "models"
	case "draft", "versions", "rollback":
		p.Nav = "catalog"
	}
	p.Elapsed = time.Since(start).Round(100 * time.Microsecond).String()
	var buf bytes.Buffer
	if err := s.pages[name].Execute(&buf, p); err != nil {
		s.fail(w, r, http.StatusInternalServerError, fmt.Errorf("render %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Server-Timing", fmt.Sprintf("page;dur=%.1f", float64(time.Since(start).Microseconds())/1000))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail answers an error page; the details of a server fault go to the log.
func (s *server) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	if status >= 500 {
		s.log.Error("console page failed", "path", r.URL.Path, "error", err)
	}
	var buf bytes.Buffer
	if terr := s.pages["error"].Execute(&buf, page{Title: http.StatusText(status), Font: s.font, Now: s.o.Now(),
		Body: struct {
			Status  int
			Message string
		}{status, err.Error()}}); terr != nil {
		http.Error(w, err.Error(), status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// liveCatalog returns the live catalog, parsing it again only when its version changed.
func (s *server) liveCatalog(ctx context.Context) (*decision.Catalog, error) {
	version, err := s.o.Store.LiveCatalogVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the live catalog version: %w", err)
	}
	s.mu.Lock()
	c := s.catalog
	s.mu.Unlock()
	if c != nil && c.Version == version {
		return c, nil
	}
	if c, err = s.o.Store.LoadCatalog(ctx); err != nil {
		if decision.ErrorCode(err) == decision.ENotFound {
			return nil, fmt.Errorf("no catalog is live: publish one first (nextbest catalog publish FILE)")
		}
		return nil, fmt.Errorf("load the live catalog: %w", err)
	}
	s.mu.Lock()
	s.catalog = c
	s.mu.Unlock()
	return c, nil
}

// memory says in words what a model remembers.
func memory(m adaptive.Memory) string {
	if m.Bucket == 0 {
		return "every response since the model began, undecayed"
	}
	out := "buckets of " + decision.Duration(m.Bucket).String()
	if m.Window > 0 {
		out += fmt.Sprintf(", the last %d counting", m.Window)
	}
	if m.HalfLife > 0 {
		out += fmt.Sprintf(", halving every %g buckets", m.HalfLife)
	}
	return out
}

// modelRow is one line of the models page.
type modelRow struct {
	monitor.ModelReport
	Path    string
	Flag    string // "", "stale", "thin" or "unhealthy"
	Why     string
	Defined bool
}

// health applies the page's rule to one report.
func health(r monitor.ModelReport) (flag, why string) {
	switch {
	case r.Evidence < StaleEvidence:
		return "stale", "no evidence within the catalog's memory: it scores from its prior"
	case r.Evidence < ThinEvidence:
		return "thin", fmt.Sprintf("fewer than %.0f responses: too few to judge", ThinEvidence)
	case r.AUCDefined() && r.AUC < UnhealthyAUC:
		return "unhealthy", fmt.Sprintf("AUC %.3f below %.2f: ranks hardly better than chance", r.AUC, UnhealthyAUC)
	case !r.AUCDefined():
		return "unhealthy", "no positive or no negative response: AUC undefined"
	}
	return "", ""
}

func (s *server) loadReports(r *http.Request) (*decision.Catalog, []monitor.ModelReport, error) {
	c, err := s.liveCatalog(r.Context())
	if err != nil {
		return nil, nil, err
	}
	models, err := s.o.Store.LoadModels(r.Context(), s.o.Now())
	if err != nil {
		return nil, nil, fmt.Errorf("load the models: %w", err)
	}
	return c, monitor.Reports(c, models), nil
}

func (s *server) models(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c, reports, err := s.loadReports(r)
	if err != nil {
		s.fail(w, r, http.StatusBadGateway, err)
		return
	}
	view := struct {
		Rows                             []modelRow
		Unmodelled                       []string
		Flagged                          int
		StaleEvidence, ThinEvidence, AUC float64
		Memory                           string
	}{StaleEvidence: StaleEvidence, ThinEvidence: ThinEvidence, AUC: UnhealthyAUC}
	view.Memory = memory(c.ModelMemory())
	seen := map[string]bool{}
	for _, rep := range reports {
		flag, why := health(rep)
		if flag != "" {
			view.Flagged++
		}
		seen[rep.Model.ActionID] = true
		view.Rows = append(view.Rows, modelRow{ModelReport: rep, Flag: flag, Why: why, Defined: rep.AUCDefined(),
			Path: "/models/" + rep.Model.ActionID + "/" + rep.Channel()})
	}
	for _, is := range c.Issues {
		for _, g := range is.Groups {
			for _, a := range g.Actions {
				if !seen[a.ID] {
					view.Unmodelled = append(view.Unmodelled, a.ID)
				}
			}
		}
	}
	s.render(w, r, "models", "Models", start, c.Version, view)
}

func (s *server) model(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c, reports, err := s.loadReports(r)
	if err != nil {
		s.fail(w, r, http.StatusBadGateway, err)
		return
	}
	action, channel := r.PathValue("action"), r.PathValue("channel")
	i := slices.IndexFunc(reports, func(m monitor.ModelReport) bool {
		return m.Model.ActionID == action && m.Channel() == channel
	})
	if i < 0 {
		s.fail(w, r, http.StatusNotFound, fmt.Errorf("no model %s/%s has counters in the live catalog's models", action, channel))
		return
	}
	rep := reports[i]
	flag, why := health(rep)
	view := struct {
		modelRow
		Calibration, Importance template.HTML
		Predictors              []adaptive.PredictorStats
	}{modelRow: modelRow{ModelReport: rep, Flag: flag, Why: why, Defined: rep.AUCDefined()}}
	if len(rep.Calibration) > 0 {
		predicted, observed := make([]float64, len(rep.Calibration)), make([]float64, len(rep.Calibration))
		for i, g := range rep.Calibration {
			predicted[i], observed[i] = g.Predicted, g.Observed
		}
		if view.Calibration, err = chart.Calibration("Calibration of "+rep.Name(), predicted, observed, chart.Wide()); err != nil {
			s.fail(w, r, http.StatusInternalServerError, err)
			return
		}
	}
	view.Predictors = slices.Clone(rep.Predictors)
	slices.SortStableFunc(view.Predictors, func(a, b adaptive.PredictorStats) int { return cmp.Compare(b.AUC, a.AUC) })
	if len(view.Predictors) > 0 {
		rows := make([]chart.Interval, len(view.Predictors))
		for i, p := range view.Predictors {
			rows[i] = chart.Interval{Name: p.Name, Value: p.AUC, Lo: p.AUC, Hi: p.AUC, Highlight: p.Active}
		}
		if view.Importance, err = chart.Intervals("Predictor importance (AUC of the predictor alone)", "AUC; active predictors in blue", rows, chart.Tall(len(rows))); err != nil {
			s.fail(w, r, http.StatusInternalServerError, err)
			return
		}
	}
	s.render(w, r, "model", "Model "+rep.Name(), start, c.Version, view)
}

func (s *server) catalogPage(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c, err := s.liveCatalog(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusBadGateway, err)
		return
	}
	s.render(w, r, "catalog", "Catalog", start, c.Version, c)
}

// customerView is the customer page.
type customerView struct {
	ID, Channel, Placement string
	Channels               []decision.Channel
	Looked                 bool
	Profile                decision.Profile
	AttributeNames         []string
	ConsentNames           []string
	History                []decision.ContactEvent
	Decided                bool
	Decision               decision.Decision
	DecideError            string
	DecideTime             string
}

func (s *server) customer(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c, err := s.liveCatalog(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusBadGateway, err)
		return
	}
	q := r.URL.Query()
	v := customerView{ID: strings.TrimSpace(q.Get("id")), Channel: q.Get("channel"), Placement: q.Get("placement"), Channels: c.Channels}
	if v.Channel == "" && len(c.Channels) > 0 {
		v.Channel = c.Channels[0].Name
	}
	if v.ID != "" {
		now := s.o.Now()
		if v.Profile, err = s.o.Store.LoadCustomer(r.Context(), v.ID, now.Add(-c.HistoryWindow())); err != nil {
			s.fail(w, r, http.StatusBadGateway, err)
			return
		}
		v.Looked = true
		v.AttributeNames = slices.Sorted(maps.Keys(v.Profile.Attributes))
		v.ConsentNames = slices.Sorted(maps.Keys(v.Profile.Consents))
		v.History = slices.Clone(v.Profile.History)
		slices.SortFunc(v.History, func(a, b decision.ContactEvent) int { return b.At.Compare(a.At) })
		if q.Has("decide") {
			decideStart := time.Now()
			v.Decided = true
			if err := s.preview(r.Context(), c, &v, now); err != nil {
				v.DecideError = err.Error()
			}
			v.DecideTime = time.Since(decideStart).Round(100 * time.Microsecond).String()
		}
	}
	s.render(w, r, "customer", "Customer", start, c.Version, v)
}

// preview runs the engine's decision in-process with the loaded profile and the live
// models, explained. It is never logged: nothing is written, so a response cannot be
// attributed to it and no model learns from it. A challenger's arm is not previewed:
// the live version decides.
func (s *server) preview(ctx context.Context, c *decision.Catalog, v *customerView, now time.Time) error {
	models, err := s.o.Store.LoadModels(ctx, now)
	if err != nil {
		return fmt.Errorf("load the models: %w", err)
	}
	v.Decision, err = c.Decide(decision.Input{
		Request:    decision.Request{CustomerID: v.ID, Channel: v.Channel, Placement: v.Placement, Explain: true},
		Profile:    v.Profile,
		Models:     models,
		Now:        now,
		DecisionID: fmt.Sprintf("preview-%d", now.UnixNano()),
	})
	return err
}
