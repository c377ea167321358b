package simulate

import (
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/nextbest/nextbest/infra/chart"
	"github.com/nextbest/nextbest/shared/offpolicy"
)

//go:embed report.html.tmpl
var reportTemplate string

// reportPage parses once; the template is part of the binary, so a parse error is a bug
// every test catches.
var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":  func(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) },
	"num":  func(x float64) string { return fmt.Sprintf("%.4f", x) },
	"sign": func(x float64) string { return fmt.Sprintf("%+.1f%%", 100*x) },
}).Parse(reportTemplate))

// fixedInChart is how many everyone-one-action policies a value chart shows (the best
// ones); a log of 34 items would otherwise bury the engine. The table lists them all.
const fixedInChart = 8

// reportView is what the template shows.
type reportView struct {
	Result
	Font    template.CSS
	Charts  []figure
	Choices []choice
	// Gap is the forecast's relative error.
	Gap float64
	// Budgets are the uplift curve's rows, with each peer's share at that budget.
	Budgets []budgetRow
}

type budgetRow struct {
	UpliftPoint
	PeerShares []float64
}

type figure struct {
	ID, Caption string
	SVG         template.HTML
}

type choice struct {
	Action string
	Rows   int
	Share  float64
}

// WriteReport writes the replay's result as one self-contained HTML page: the figures
// of the text report, and charts of the policies' values with their intervals, the
// uplift (Qini) curve, the prequential AUC over time and the calibration. It needs
// nothing else to be viewed: no script, no file, no network.
func WriteReport(w io.Writer, r Result) error {
	v := reportView{Result: r}
	var err error
	if v.Font, err = chart.FontCSS(); err != nil {
		return err
	}
	for _, a := range slices.Sorted(maps.Keys(r.Choices)) {
		name := a
		if name == "" {
			name = "nothing"
		}
		v.Choices = append(v.Choices, choice{Action: name, Rows: r.Choices[a], Share: float64(r.Choices[a]) / float64(max(r.Valued, 1))})
	}
	for i, u := range r.Uplift {
		row := budgetRow{UpliftPoint: u}
		for _, p := range r.Peers {
			row.PeerShares = append(row.PeerShares, p.Uplift[i].Share)
		}
		v.Budgets = append(v.Budgets, row)
	}
	if r.Forecast != nil && r.Forecast.Actual != 0 {
		v.Gap = (r.Forecast.Predicted - r.Forecast.Actual) / r.Forecast.Actual
	}
	add := func(id, caption string, svg template.HTML, err error) error {
		if err != nil {
			return err
		}
		v.Charts = append(v.Charts, figure{ID: id, Caption: caption, SVG: svg})
		return nil
	}
	for _, metric := range []string{MetricOutcome, MetricValue} {
		rows := valueRows(r.Policies, metric)
		if len(rows) == 0 {
			continue
		}
		svg, err := chart.Intervals("Value per row of each policy ("+metric+")", metric+" per row, 95% interval", rows, chart.Tall(len(rows)))
		if err := add("values-"+metric, "The engine's policy by each estimator, beside the logging policy and fixed policies (doubly robust), with bootstrap 95% intervals.", svg, err); err != nil {
			return err
		}
	}
	if len(r.Uplift) > 0 {
		svg, err := chart.Lines("Uplift (Qini) curve", "share of the rows sent their best action", "added outcomes per row over sending nothing", qiniSeries(r.Uplift, r.Peers), chart.Wide())
		if err := add("qini", "The rows ranked by the uplift of their best action: the top share sent it, the rest nothing. The band is the engine's 95% interval; the dashed line is random targeting; other lines are outside models ranking the same rows, valued by the same estimator.", svg, err); err != nil {
			return err
		}
	}
	if len(r.AUCOverTime) > 0 {
		points := make([]chart.Point, len(r.AUCOverTime))
		for i, p := range r.AUCOverTime {
			points[i] = chart.Point{X: float64(p.Rows), Y: p.AUC}
		}
		last := float64(r.AUCOverTime[len(r.AUCOverTime)-1].Rows)
		svg, err := chart.Lines("Prequential AUC over time", "valued rows so far (those with a scored action)", "AUC", []chart.Series{
			{Name: "no ranking (0.5)", Points: []chart.Point{{X: 0, Y: 0.5}, {X: last, Y: 0.5}}, Dashed: true},
			{Name: "AUC of the logged action's propensity", Points: points},
		}, chart.Wide())
		if err := add("auc", "Each row is scored before the engine learns from it; the AUC of those scores against the outcomes, from the start of the valued rows.", svg, err); err != nil {
			return err
		}
	}
	if len(r.Calibration) > 0 {
		predicted, observed := make([]float64, len(r.Calibration)), make([]float64, len(r.Calibration))
		for i, g := range r.Calibration {
			predicted[i], observed[i] = g.Predicted, g.Observed
		}
		svg, err := chart.Calibration("Calibration", predicted, observed, chart.Wide())
		if err := add("calibration", fmt.Sprintf("The logged action's propensity in deciles against the outcome rate observed; expected calibration error %.4f.", r.ECE), svg, err); err != nil {
			return err
		}
	}
	return reportPage.Execute(w, v)
}

// valueRows are the chart's rows for one metric: the engine by every estimator, the
// logging policy, no one, random and the best fixed policies by the doubly robust value.
func valueRows(policies []Policy, metric string) []chart.Interval {
	var engine, others, fixed []chart.Interval
	for _, p := range policies {
		if p.Metric != metric {
			continue
		}
		row := chart.Interval{Name: p.Name + " (" + p.Estimator + ")", Value: p.Value, Lo: p.CI[0], Hi: p.CI[1]}
		switch {
		case p.Name == "engine":
			row.Highlight = true
			engine = append(engine, row)
		case p.Estimator != offpolicy.DR && p.Estimator != offpolicy.OnPolicy:
		case strings.HasPrefix(p.Name, "everyone: "):
			fixed = append(fixed, row)
		default:
			others = append(others, row)
		}
	}
	slices.SortStableFunc(fixed, func(a, b chart.Interval) int { return cmp.Compare(b.Value, a.Value) })
	return slices.Concat(engine, others, fixed[:min(len(fixed), fixedInChart)])
}

// qiniSeries are the engine's uplift curve from the origin, with its band, the peers'
// curves, and random targeting: the best everyone-one-action increment times the budget.
func qiniSeries(curve []UpliftPoint, peers []PeerCurve) []chart.Series {
	reference := 0.0
	for _, u := range curve {
		if u.Share != 0 {
			reference = u.Incremental / u.Share
		}
	}
	series := []chart.Series{{Name: "random targeting", Points: []chart.Point{{}, {X: 1, Y: reference}}, Dashed: true}}
	engine := curveSeries("engine, ranked by uplift", curve)
	engine.Lo, engine.Hi = []float64{0}, []float64{0}
	for _, u := range curve {
		engine.Lo, engine.Hi = append(engine.Lo, u.CI[0]), append(engine.Hi, u.CI[1])
	}
	series = append(series, engine)
	for _, p := range peers {
		series = append(series, curveSeries(p.Name, p.Uplift))
	}
	return series
}

// curveSeries is an uplift curve as a line from the origin.
func curveSeries(name string, curve []UpliftPoint) chart.Series {
	s := chart.Series{Name: name, Points: []chart.Point{{}}}
	for _, u := range curve {
		s.Points = append(s.Points, chart.Point{X: u.Budget, Y: u.Incremental})
	}
	return s
}
