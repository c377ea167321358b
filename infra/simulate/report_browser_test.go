//go:build integration

package simulate_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/nextbest/nextbest/infra/browser"
	"github.com/nextbest/nextbest/infra/simulate"
)

// The report renders in a real browser: every chart drawn at a readable size, no
// script error, nothing loaded from elsewhere. The screenshot is for a person to look
// at (NEXTBEST_SCREENSHOTS=docs/simulate keeps it).
func TestReportRendersInChromium(t *testing.T) {
	var page bytes.Buffer
	if err := simulate.WriteReport(&page, worldResult(t)); err != nil {
		t.Fatal(err)
	}
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page.Bytes())
	}))
	defer server.Close()

	p := browser.Open(t, 1280, 900, 30*time.Second)
	p.Do("open the report", chromedp.Navigate(server.URL), chromedp.WaitVisible(chromedp.CSS("figure#calibration svg")))
	// Each chart's drawn width in CSS pixels: a chart that failed to lay out is 0 wide.
	widths := browser.Run(p, "measure the charts", chromedp.Evaluate[map[string]float64](
		`Object.fromEntries([...document.querySelectorAll("figure")].map(f => [f.id, f.querySelector("svg").getBoundingClientRect().width]))`))
	for _, id := range []string{"values-outcome", "values-value", "qini", "auc", "calibration"} {
		if widths[id] < 400 {
			t.Errorf("chart %q is %.0f px wide, want a readable chart (400 px or more); all: %v", id, widths[id], widths)
		}
	}
	// The charts' text is set in the embedded font, not a fallback.
	if ok := browser.Run(p, "check the font", chromedp.Evaluate[bool](`document.fonts.check('12px "Liberation Sans"')`)); !ok {
		t.Error(`the embedded font "Liberation Sans" is not available to the page`)
	}
	if loaded := p.Resources(); len(loaded) > 0 {
		t.Errorf("the report loaded %v; a self-contained report loads nothing", loaded)
	}
	t.Logf("screenshot: %s", p.Screenshot("simulate-report.png"))
	if errs := p.Errors(); len(errs) > 0 {
		t.Errorf("the page reported errors: %v", errs)
	}
}
