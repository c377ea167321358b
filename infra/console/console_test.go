package console

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/dynamo"
	"github.com/nextbest/nextbest/shared/monitor"
)

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8088": true, "127.0.0.1:0": true, "[::1]:80": true, "localhost:8088": true,
		":8088": false, "0.0.0.0:8088": false, "10.0.0.5:8088": false, "example.com:80": false, "nonsense": false,
	} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

// TestServeRefusesOpenAddressWithoutToken: bound beyond loopback, a token is required
// before anything listens.
func TestServeRefusesOpenAddressWithoutToken(t *testing.T) {
	err := Serve(context.Background(), Options{Store: dynamo.New(nil, dynamo.Tables{}), Addr: ":0"})
	if err == nil || !strings.Contains(err.Error(), "token is required") {
		t.Fatalf("Serve(:0 without a token) = %v, want a refusal", err)
	}
}

// TestServeLoopbackStartsAndStops: the default mode binds loopback and stops with ctx.
func TestServeLoopbackStartsAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, Options{Store: unreachable(), Addr: "127.0.0.1:0", Ready: func(a string) { ready <- a }})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("Serve returned early: %v", err)
	}
	if !IsLoopback(addr) {
		t.Errorf("bound %s, want loopback", addr)
	}
	resp, err := http.Post("http://"+addr+"/customer", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST = %d, want 405", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel = %v", err)
	}
}

// unreachable is a store whose DynamoDB refuses connections at once.
func unreachable() *dynamo.Store {
	return dynamo.New(dynamodb.New(dynamodb.Options{Region: "eu-west-1", BaseEndpoint: aws.String("http://127.0.0.1:9"),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), RetryMaxAttempts: 1}), dynamo.Tables{Catalog: "c"})
}

// TestToken: without the token nothing is served; the bearer header, the query
// parameter (answered with an HttpOnly, SameSite=Strict cookie and a redirect without
// it) and that cookie are admitted. The pages behind are reached (and fail on the
// nil client with an error page, which is not 401).
func TestToken(t *testing.T) {
	h, err := New(Options{Store: dynamo.New(nil, dynamo.Tables{}), Token: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	get := func(target string, mod func(*http.Request)) *http.Response {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		if mod != nil {
			mod(r)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Result()
	}
	if got := get("/", nil).StatusCode; got != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", got)
	}
	if got := get("/?token=wrong", nil).StatusCode; got != http.StatusUnauthorized {
		t.Errorf("wrong token: %d, want 401", got)
	}
	if got := get("/", func(r *http.Request) { r.Header.Set("Authorization", "Bearer s3cret") }).StatusCode; got != http.StatusSeeOther {
		t.Errorf("bearer: %d, want the redirect to /models", got)
	}
	resp := get("/customer?id=C1&token=s3cret", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/customer?id=C1" {
		t.Fatalf("query token: %d to %q, want 303 to /customer?id=C1", resp.StatusCode, resp.Header.Get("Location"))
	}
	cookies := resp.Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode || strings.Contains(cookies[0].Value, "s3cret") {
		t.Fatalf("cookie = %+v, want one HttpOnly SameSite=Strict cookie without the token", cookies)
	}
	if got := get("/", func(r *http.Request) { r.AddCookie(cookies[0]) }).StatusCode; got != http.StatusSeeOther {
		t.Errorf("cookie: %d, want the redirect to /models", got)
	}
	if csp := get("/", nil).Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP = %q", csp)
	}
}

// TestHealth states the rule the models page shows.
func TestHealth(t *testing.T) {
	r := func(evidence, positives, auc float64) monitor.ModelReport {
		return monitor.ModelReport{Model: decision.ModelKey{ActionID: "a", Channel: "web"},
			ModelReport: adaptive.ModelReport{Evidence: evidence, Positives: positives, AUC: auc}}
	}
	for _, tt := range []struct {
		r    monitor.ModelReport
		want string
	}{
		{r(0, 0, 0.5), "stale"}, {r(50, 5, 0.7), "thin"}, {r(500, 40, 0.52), "unhealthy"},
		{r(500, 0, 0.5), "unhealthy"}, {r(500, 40, 0.61), ""},
	} {
		if got, _ := health(tt.r); got != tt.want {
			t.Errorf("health(%+v) = %q, want %q", tt.r.ModelReport, got, tt.want)
		}
	}
}

// TestServeOpenAddressWithToken: beyond loopback with a token, the console starts,
// says at start-up that a token is required, and refuses a request without it.
func TestServeOpenAddressWithToken(t *testing.T) {
	var logged bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, Options{Store: unreachable(), Addr: "0.0.0.0:0", Token: "s3cret",
			Logger: slog.New(slog.NewTextHandler(&logged, nil)), Ready: func(a string) { ready <- a }})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("Serve returned early: %v", err)
	}
	_, port, _ := net.SplitHostPort(addr)
	resp, err := http.Get("http://127.0.0.1:" + port + "/models")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET without the token = %d, want 401", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel = %v", err)
	}
	if !strings.Contains(logged.String(), "token required") {
		t.Errorf("the start-up log does not say a token is required:\n%s", logged.String())
	}
}

// TestGuardForms: the catalog's forms alone accept a POST, and only from the console's
// own pages — same origin and with the form token; every other method is refused.
func TestGuardForms(t *testing.T) {
	s, h, err := newServer(Options{Store: unreachable()})
	if err != nil {
		t.Fatal(err)
	}
	form := func(token string) string { return "token=" + token + "&source=x&over=1" }
	tests := []struct {
		name, method, path, body string
		headers                  map[string]string
		want                     int
		wantAllow                string
	}{
		{"a form from the console", "POST", "/catalog/publish", form(s.formToken), map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusBadGateway, ""},
		{"a form from a tool without a browser", "POST", "/catalog/draft", form(s.formToken), nil, http.StatusBadGateway, ""},
		{"a form from another site", "POST", "/catalog/publish", form(s.formToken), map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden, ""},
		{"a form from another origin", "POST", "/catalog/rollback", form(s.formToken), map[string]string{"Origin": "https://elsewhere.example"}, http.StatusForbidden, ""},
		{"a form without the token", "POST", "/catalog/publish", "source=x&over=1", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusForbidden, ""},
		{"a form with a wrong token", "POST", "/catalog/publish", form("guess"), nil, http.StatusForbidden, ""},
		{"a POST to a page", "POST", "/models", form(s.formToken), nil, http.StatusMethodNotAllowed, "GET, HEAD"},
		{"a PUT to a form", "PUT", "/catalog/draft", form(s.formToken), nil, http.StatusMethodNotAllowed, "GET, HEAD, POST"},
		{"a DELETE", "DELETE", "/catalog", "", nil, http.StatusMethodNotAllowed, "GET, HEAD"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range tt.headers {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.want || w.Header().Get("Allow") != tt.wantAllow {
			t.Errorf("%s: %s %s = %d (Allow %q), want %d (Allow %q)", tt.name, tt.method, tt.path, w.Code, w.Header().Get("Allow"), tt.want, tt.wantAllow)
		}
	}
}
