//go:build integration

package console

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/nextbest/nextbest/infra/local"
	"github.com/nextbest/nextbest/infra/local/localtest"
)

// editing is a console over a catalog table of its own, with the demo catalog
// published as version 1: the editing tests publish and roll back without touching
// the shared fixture's catalog.
func editing(t *testing.T) (*local.Env, *httptest.Server) {
	t.Helper()
	env := localtest.Storage(t)
	localtest.PublishDemoCatalog(t, env)
	h, err := New(Options{Store: env.Store, Tables: env.Tables(), Now: env.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return env, srv
}

// demoSource is the demo catalog's text and an edit of it: one action's value.
func demoSource(t *testing.T) (live, edited string) {
	t.Helper()
	src, err := os.ReadFile("../catalog/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	live = string(src)
	edited = strings.Replace(live, "value: 120\n", "value: 135\n", 1)
	if edited == live {
		t.Fatal("the demo catalog no longer has the value the test edits")
	}
	return live, edited
}

var tokenField = regexp.MustCompile(`name="token" value="([^"]+)"`)

// formToken reads the form token a page embeds.
func formToken(t *testing.T, page string) string {
	t.Helper()
	m := tokenField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the page embeds no form token:\n%s", page)
	}
	return m[1]
}

// post sends a form as a same-origin browser page would (Sec-Fetch-Site), without
// following a redirect.
func post(t *testing.T, srv *httptest.Server, path string, form url.Values, site string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if site != "" {
		req.Header.Set("Sec-Fetch-Site", site)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header.Get("Location")
}

func getPage(t *testing.T, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	status, body, _ := fetch(t, srv.URL+path)
	return status, body
}

// TestCatalogEditing walks the console's edit cycle over HTTP: a draft is checked and
// compared, published only when valid and only over the version it was reviewed
// against, rolled back after a review; forms from elsewhere change nothing.
func TestCatalogEditing(t *testing.T) {
	env, srv := editing(t)
	ctx := context.Background()
	live := func() string {
		t.Helper()
		v, err := env.Store.LiveCatalogVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	source, edited := demoSource(t)
	invalid := strings.Replace(source, "value: 120\n", "value: -5\n", 1)
	// An action no customer can reach: a problem, or a warning when allowed.
	unreachable := strings.Replace(edited, "value: 135\n", "value: 135\n            eligibility: (profile.tenureMonths ?? 0) > 100000\n", 1)

	status, page := getPage(t, srv, "/catalog/draft")
	if status != 200 || !strings.Contains(page, "loyalty-discount-20") || !strings.Contains(page, "live version 1") {
		t.Fatalf("GET /catalog/draft = %d, want the live text in the form:\n%.400s", status, page)
	}
	token := formToken(t, page)
	form := func(kv ...string) url.Values {
		v := url.Values{"token": {token}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}

	steps := []struct {
		name       string
		path       string
		form       url.Values
		site       string
		wantStatus int
		want       []string
		wantLive   string
	}{
		{"check a valid edit", "/catalog/draft", form("source", edited), "same-origin", 200,
			[]string{"The draft is valid", "~ action loyalty-discount-20", "value: 120 → 135", `id="publish-form"`, `name="over" value="1"`}, "1"},
		{"check an invalid edit", "/catalog/draft", form("source", invalid), "same-origin", 200,
			[]string{"cannot be published", "loyalty-discount-20", "value must be ≥ 0"}, "1"},
		{"check an unreachable action", "/catalog/draft", form("source", unreachable), "same-origin", 200,
			[]string{"cannot be published", "no probe customer reaches it"}, "1"},
		{"check it with unreachable actions allowed", "/catalog/draft", form("source", unreachable, "allowUnreachable", "on"), "same-origin", 200,
			[]string{"The draft is valid", "no probe customer reaches it", `id="publish-form"`, `name="allowUnreachable" value="on"`}, "1"},
		{"publish it without allowing them", "/catalog/publish", form("source", unreachable, "over", "1"), "same-origin", 422,
			[]string{"does not pass the checks"}, "1"},
		{"check the live text", "/catalog/draft", form("source", source), "same-origin", 200,
			[]string{"nothing to publish", "No changes from live version 1 to draft"}, "1"},
		{"check nothing", "/catalog/draft", form("source", "  "), "same-origin", 400, []string{"the draft is empty"}, "1"},
		{"publish an invalid draft sent straight to publish", "/catalog/publish", form("source", invalid, "over", "1"), "same-origin", 422,
			[]string{"does not pass the checks: nothing was published"}, "1"},
		{"publish from another site", "/catalog/publish", form("source", edited, "over", "1"), "cross-site", 403, []string{"not sent from the console"}, "1"},
		{"publish without the form token", "/catalog/publish", url.Values{"source": {edited}, "over": {"1"}}, "same-origin", 403, []string{"not from this console"}, "1"},
		{"publish with another token", "/catalog/publish", url.Values{"source": {edited}, "over": {"1"}, "token": {"guess"}}, "", 403, []string{"not from this console"}, "1"},
		{"publish the valid edit", "/catalog/publish", form("source", edited, "over", "1"), "same-origin", 303, nil, "2"},
		{"publish a reviewed draft after someone else published", "/catalog/publish", form("source", source+"\n# mine\n", "over", "1"), "same-origin", 409,
			[]string{"changed since you reviewed", "it was version 1, it is version 2 now", "nothing was published"}, "2"},
		{"roll back to the live version", "/catalog/rollback", form("version", "2", "over", "2"), "same-origin", 422, []string{"already live"}, "2"},
		{"roll back from another site", "/catalog/rollback", form("version", "1", "over", "2"), "cross-site", 403, nil, "2"},
		{"roll back to an unknown version", "/catalog/rollback", form("version", "9", "over", "2"), "same-origin", 404, []string{"catalog version 9 does not exist"}, "2"},
		{"roll back stale", "/catalog/rollback", form("version", "1", "over", "7"), "same-origin", 409, []string{"changed since you reviewed the rollback"}, "2"},
		{"roll back", "/catalog/rollback", form("version", "1", "over", "2"), "same-origin", 303, nil, "1"},
	}
	for _, st := range steps {
		status, body, location := post(t, srv, st.path, st.form, st.site)
		if status != st.wantStatus {
			t.Errorf("%s: POST %s = %d, want %d\n%.600s", st.name, st.path, status, st.wantStatus, body)
		}
		for _, w := range st.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the answer lacks %q:\n%.600s", st.name, w, body)
			}
		}
		if status == 303 && !strings.HasPrefix(location, "/catalog/versions?") {
			t.Errorf("%s: redirected to %q, want the versions page", st.name, location)
		}
		if got := live(); got != st.wantLive {
			t.Errorf("%s: live version %s, want %s", st.name, got, st.wantLive)
		}
	}

	// The versions page says what happened and offers the reviews.
	status, page = getPage(t, srv, "/catalog/versions?rolledback=1&from=2")
	for _, w := range []string{"Version 1 is live again (it was version 2)", `id="rollback-2"`, "rolled back from version 2", "CATALOG_MAX_AGE"} {
		if status != 200 || !strings.Contains(page, w) {
			t.Errorf("GET /catalog/versions = %d, lacks %q", status, w)
		}
	}
	status, page = getPage(t, srv, "/catalog/rollback?version=2")
	for _, w := range []string{"Roll back to version 2", "value: 120 → 135", `name="over" value="1"`} {
		if status != 200 || !strings.Contains(page, w) {
			t.Errorf("GET /catalog/rollback?version=2 = %d, lacks %q", status, w)
		}
	}
	if status, _ := getPage(t, srv, "/catalog/draft?from=2"); status != 200 {
		t.Errorf("GET /catalog/draft?from=2 = %d", status)
	}
	if status, _ := getPage(t, srv, "/catalog/rollback?version=nine"); status != 400 {
		t.Errorf("GET /catalog/rollback?version=nine = %d, want 400", status)
	}
}
