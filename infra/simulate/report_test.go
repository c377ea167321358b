package simulate_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/nextbest/nextbest/infra/simulate"
)

// worldResult replays the randomized test world, which has a value column and
// "nothing", so that every part of a report has something to show.
func worldResult(t *testing.T) simulate.Result {
	t.Helper()
	m := mapping(t, worldMapping)
	rows, err := m.ReadRows(strings.NewReader(worldLog(11, 3000)), "world.csv")
	if err != nil {
		t.Fatal(err)
	}
	res, err := simulate.Replay("world.yaml", []byte(worldCatalog), m, rows, simulate.Options{Bootstrap: 100, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestReportHasEveryChart(t *testing.T) {
	var page bytes.Buffer
	if err := simulate.WriteReport(&page, worldResult(t)); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	for _, id := range []string{"values-outcome", "values-value", "qini", "auc", "calibration"} {
		start := strings.Index(html, `<figure id="`+id+`">`)
		if start < 0 {
			t.Errorf("no figure %q", id)
			continue
		}
		figure := html[start:]
		figure = figure[:strings.Index(figure, "</figure>")]
		if !strings.Contains(figure, "<svg") || !strings.Contains(figure, "</svg>") {
			t.Errorf("figure %q has no chart", id)
		}
	}
	for _, table := range []string{`id="policies"`, `id="uplift"`} {
		if !strings.Contains(html, table) {
			t.Errorf("no table %s", table)
		}
	}
	// Self-contained: the font travels inside, nothing is fetched (the SVG namespace is
	// a name, not an address that is loaded).
	if !strings.Contains(html, "@font-face") {
		t.Error("the charts' font is not embedded")
	}
	if refs := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?|ftp|file)?:?//`).FindAllString(html, -1); len(refs) > 0 {
		t.Errorf("the report loads from elsewhere: %v", refs)
	}
}

func TestReportEscapesTheLogsNames(t *testing.T) {
	res := simulate.Result{
		Dataset: `<script>alert("dataset")</script>`, Rows: 2, Learned: 1, Valued: 1,
		Choices:  map[string]int{`<img src=x onerror=alert(1)>`: 1},
		Policies: []simulate.Policy{{Name: "everyone: <b>bold</b>", Metric: simulate.MetricOutcome, Estimator: "dr", Value: 0.1, CI: [2]float64{0, 0.2}}},
	}
	var page bytes.Buffer
	if err := simulate.WriteReport(&page, res); err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"<script>", "<img", "<b>bold"} {
		if strings.Contains(page.String(), raw) {
			t.Errorf("the report carries %q unescaped", raw)
		}
	}
}
