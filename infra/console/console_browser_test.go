//go:build integration

package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/nextbest/nextbest/infra/browser"
)

// TestBrowser drives headless Chromium through every page on the seeded local stack:
// the charts render at a readable width, the customer lookup and the decide-now
// preview work from the keyboard-reachable forms, nothing is fetched beyond the page,
// and no page reports an error. Screenshots go to $NEXTBEST_SCREENSHOTS
// (docs/console keeps them).
func TestBrowser(t *testing.T) {
	f := seeded(t)
	p := browser.Open(t, 1366, 900, 30*time.Second)
	clean := cleanCheck(t, p)

	// Models: the table with its health flags, the first element reachable by Tab is
	// the skip link, then the top navigation.
	p.Do("open the models", chromedp.Navigate(f.server.URL+"/models"), chromedp.WaitVisible(chromedp.CSS("table#models tbody tr")))
	rows := browser.Run(p, "count the models", chromedp.Evaluate[int](`document.querySelectorAll("table#models tbody tr").length`))
	if rows == 0 {
		t.Error("the models page lists no model")
	}
	t.Logf("screenshot: %s", p.Screenshot("models.png"))
	p.Do("tab into the page", chromedp.KeyEvent("\t"))
	if focused := browser.Run(p, "read the focus", chromedp.Evaluate[string](`document.activeElement.textContent`)); focused != "Skip to content" {
		t.Errorf("the first Tab focuses %q, want the skip link", focused)
	}
	clean("the models page")

	// A model: its calibration and importance charts render at a readable width.
	p.Do("open a model", chromedp.Click(chromedp.CSS("table#models tbody tr a")), chromedp.WaitVisible(chromedp.CSS("figure#importance svg")))
	widths := browser.Run(p, "measure the charts", chromedp.Evaluate[map[string]float64](
		`Object.fromEntries([...document.querySelectorAll("figure")].map(f => [f.id, f.querySelector("svg").getBoundingClientRect().width]))`))
	for _, id := range []string{"calibration", "importance"} {
		if widths[id] < 400 {
			t.Errorf("chart %q is %.0f px wide, want 400 px or more; all: %v", id, widths[id], widths)
		}
	}
	if ok := browser.Run(p, "check the font", chromedp.Evaluate[bool](`document.fonts.check('12px "Liberation Sans"')`)); !ok {
		t.Error(`the embedded font "Liberation Sans" is not available to the page`)
	}
	t.Logf("screenshot: %s", p.Screenshot("model.png"))
	clean("a model's page")

	// The catalog's hierarchy.
	p.Do("open the catalog", chromedp.Click(chromedp.CSS(`nav a[href="/catalog"]`)), chromedp.WaitVisible(chromedp.CSS("#hierarchy details.issue")))
	actions := browser.Run(p, "count the actions", chromedp.Evaluate[int](`document.querySelectorAll("#hierarchy tr.action").length`))
	if actions < 5 {
		t.Errorf("the catalog shows %d actions, want the demo catalog's", actions)
	}
	t.Logf("screenshot: %s", p.Screenshot("catalog.png"))
	clean("the catalog page")

	// A customer: look up through the form, then decide now on the web's home hero.
	p.Do("look up a customer", chromedp.Click(chromedp.CSS(`nav a[href="/customer"]`)), chromedp.WaitVisible(chromedp.CSS("input#id")),
		chromedp.SendKeys(chromedp.CSS("input#id"), "C000042"), chromedp.Click(chromedp.CSS("button#lookup")),
		chromedp.WaitVisible(chromedp.CSS("section#profile")))
	t.Logf("screenshot: %s", p.Screenshot("customer.png"))
	clean("the customer page")
	p.Do("decide now", chromedp.SetValue(chromedp.CSS("select#channel"), "web"), chromedp.SetValue(chromedp.CSS("input#placement"), "home-hero"),
		chromedp.Click(chromedp.CSS("button#decide")), chromedp.WaitVisible(chromedp.CSS("section#decision")))
	explanation := browser.Run(p, "read the explanation", chromedp.Evaluate[map[string]any](`({
		offers: document.querySelectorAll("#decision .offer").length,
		silence: !!document.querySelector("#silence"),
		excluded: document.querySelectorAll("table#excluded tbody tr").length,
		policies: [...new Set([...document.querySelectorAll("table#excluded tbody tr td:nth-child(2)")].map(td => td.textContent))],
	})`))
	t.Logf("decide now: %v", explanation)
	if explanation["offers"].(float64) == 0 && !explanation["silence"].(bool) {
		t.Error("the decision shows neither an offer nor a silence")
	}
	if explanation["excluded"].(float64) == 0 {
		t.Error("the explanation lists no excluded action; the demo catalog excludes some on the web's home hero")
	}
	t.Logf("screenshot: %s", p.Screenshot("decide-now.png"))
	clean("the decide-now preview")

	// Runs: the latest listed; one opened from the list, another through the form; the
	// forecast chart renders.
	p.Do("list the runs", chromedp.Click(chromedp.CSS(`nav a[href="/runs"]`)), chromedp.WaitVisible(chromedp.CSS("table#runs tbody tr")))
	t.Logf("screenshot: %s", p.Screenshot("runs.png"))
	clean("the list of runs")
	p.Do("open a run from the list", chromedp.Click(chromedp.CSS(`table#runs a[href="/runs?id=`+runID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("figure#forecast svg")))
	// From the list, whose page has no chart, so the wait below sees the run's page.
	p.Do("open a run through the form", chromedp.Click(chromedp.CSS(`nav a[href="/runs"]`)), chromedp.WaitVisible(chromedp.CSS("table#runs")),
		chromedp.SendKeys(chromedp.CSS("input#run"), runID), chromedp.Click(chromedp.CSS("button#open-run")),
		chromedp.WaitVisible(chromedp.CSS("figure#forecast svg")))
	if w := browser.Run(p, "measure the forecast chart", chromedp.Evaluate[float64](`document.querySelector("figure#forecast svg").getBoundingClientRect().width`)); w < 400 {
		t.Errorf("the forecast chart is %.0f px wide, want 400 px or more", w)
	}
	t.Logf("screenshot: %s", p.Screenshot("run.png"))
	clean("the runs page")

	// Lift: the comparisons' charts render at a readable width.
	p.Do("open the lift", chromedp.Click(chromedp.CSS(`nav a[href="/lift"]`)), chromedp.WaitVisible(chromedp.CSS("figure#lift-conversions svg")))
	if w := browser.Run(p, "measure the lift chart", chromedp.Evaluate[float64](`document.querySelector("figure#lift-conversions svg").getBoundingClientRect().width`)); w < 400 {
		t.Errorf("the lift chart is %.0f px wide, want 400 px or more", w)
	}
	if rows := browser.Run(p, "count the comparisons", chromedp.Evaluate[int](`document.querySelectorAll("table#lifts tbody tr").length`)); rows == 0 {
		t.Error("the lift page lists no comparison")
	}
	if w := browser.Run(p, "measure the chart by cut", chromedp.Evaluate[float64](`document.querySelector("figure#lift-cuts svg").getBoundingClientRect().width`)); w < 400 {
		t.Errorf("the chart of the cuts is %.0f px wide, want 400 px or more", w)
	}
	t.Logf("screenshot: %s", p.Screenshot("lift.png"))
	clean("the lift page")
	// Followed by address: the whole base's page has a cut title too, which a wait after
	// a click could read before the cut's page replaced it.
	link := browser.Run(p, "find the e-mail cut", chromedp.Evaluate[string](`document.querySelector('table#cuts a[href^="/lift?cut=channel%3aemail"]').href`))
	p.Do("open a cut", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("h2#cut-title")))
	if title := browser.Run(p, "read the cut", chromedp.Evaluate[string](`document.querySelector("h2#cut-title").textContent`)); title != "Cut: channel email" {
		t.Errorf("the cut's page is titled %q, want the e-mail channel's", title)
	}
	clean("a cut of the lift")
}

// TestBrowserPublishesADraft edits the catalog in headless Chromium as an operator
// would: a draft from the live text, checked (the diff names the edit), published,
// then rolled back from the versions page after its review. Screenshots: draft.png,
// versions.png, rollback.png.
func TestBrowserPublishesADraft(t *testing.T) {
	env, srv := editing(t)
	p := browser.Open(t, 1366, 900, 60*time.Second)
	clean := cleanCheck(t, p)
	live := func() string {
		t.Helper()
		v, err := env.Store.LiveCatalogVersion(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	p.Do("open the draft", chromedp.Navigate(srv.URL+"/catalog"), chromedp.Click(chromedp.CSS("a#edit-draft")),
		chromedp.WaitVisible(chromedp.CSS("textarea#source")))
	// The operator edits one value in the text area, then checks the draft.
	p.Do("edit and check", chromedp.Evaluate[chromedp.Void](`(() => {
		const s = document.querySelector("textarea#source");
		s.value = s.value.replace("value: 120\n", "value: 135\n");
	})()`), chromedp.Click(chromedp.CSS("button#check")), chromedp.WaitVisible(chromedp.CSS("#review #verdict")))
	review := browser.Run(p, "read the review", chromedp.Evaluate[map[string]string](`({
		verdict: document.querySelector("#verdict").textContent,
		changes: document.querySelector("#changes").textContent,
	})`))
	if !strings.Contains(review["verdict"], "The draft is valid") || !strings.Contains(review["changes"], "value: 120 → 135") {
		t.Errorf("the review says %q and lists %q; want a valid draft changing loyalty-discount-20's value", review["verdict"], review["changes"])
	}
	t.Logf("screenshot: %s", p.Screenshot("draft.png"))
	clean("the draft's review")
	if got := live(); got != "1" {
		t.Fatalf("checking a draft made version %s live; checking writes nothing", got)
	}

	p.Do("publish", chromedp.Click(chromedp.CSS("button#publish")), chromedp.WaitVisible(chromedp.CSS("#done")))
	if got := live(); got != "2" {
		t.Fatalf("after publishing, live version %s, want 2", got)
	}
	if done := browser.Run(p, "read the outcome", chromedp.Evaluate[string](`document.querySelector("#done").textContent`)); !strings.Contains(done, "Version 2 is published and live") {
		t.Errorf("the versions page says %q after publishing", done)
	}
	t.Logf("screenshot: %s", p.Screenshot("versions.png"))
	clean("the versions page")

	p.Do("review a rollback", chromedp.Click(chromedp.CSS("a#rollback-1")), chromedp.WaitVisible(chromedp.CSS("form#rollback-form")))
	t.Logf("screenshot: %s", p.Screenshot("rollback.png"))
	clean("the rollback's review")
	p.Do("roll back", chromedp.Click(chromedp.CSS("button#rollback")), chromedp.WaitVisible(chromedp.CSS("#done")))
	if got := live(); got != "1" {
		t.Errorf("after the rollback, live version %s, want 1", got)
	}
	clean("the versions page after the rollback")
}

// cleanCheck returns a check that the page loaded nothing beyond itself and reported no
// error.
func cleanCheck(t *testing.T, p *browser.Page) func(page string) {
	return func(page string) {
		t.Helper()
		if loaded := p.Resources(); len(loaded) > 0 {
			t.Errorf("%s loaded %v; the console's pages load nothing", page, loaded)
		}
		if errs := p.Errors(); len(errs) > 0 {
			t.Errorf("%s reported errors: %v", page, errs)
		}
	}
}
