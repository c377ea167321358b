// Package console is the operator's web console (`nextbest console`): server-rendered
// pages over the engine's tables — the models' health, the live catalog, a customer
// with a "decide now" preview, and the batch runs — with charts drawn by package chart
// as inline SVG. No script runs in its pages and nothing is fetched from the internet.
//
// It listens on loopback by default. Bound to any other address it requires a token,
// given once as `Authorization: Bearer TOKEN` or `?token=TOKEN` (then kept in an
// HttpOnly, SameSite=Strict cookie), and refuses to start without one. Every page is a
// GET without side effects. The only writes are the catalog's forms — publish a
// reviewed draft, roll back to a reviewed version — which are POSTs admitted from the
// console's own pages only (guardForms): a cross-site form cannot drive them (CSRF).
package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/nextbest/nextbest/infra/chart"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/dynamo"
	"github.com/nextbest/nextbest/shared/lift"
)

// DefaultAddr is where the console listens when Options.Addr is empty: loopback only.
const DefaultAddr = "127.0.0.1:8088"

// Options configure the console.
type Options struct {
	// Store reads the tables (its own table names are the ones it was built with).
	Store *dynamo.Store
	// Tables names the tables the store reads, shown in the pages' footer.
	Tables dynamo.Tables
	// Now is the console's clock (the models' decay, the contact policy, "decide
	// now"); time.Now when nil.
	Now func() time.Time
	// Addr is the listen address; DefaultAddr when empty. A host other than a
	// loopback address (or localhost) requires Token.
	Addr string
	// Token, when set, is required on every request, whatever the address.
	Token string
	// Logger receives the start-up line and request errors; slog.Default() when nil.
	Logger *slog.Logger
	// Ready, when set, is called by Serve with the address actually bound (Addr may
	// name port 0), before it serves.
	Ready func(addr string)
}

//go:embed templates/*.html
var templateFiles embed.FS

// server holds what every page shares.
type server struct {
	o     Options
	pages map[string]*template.Template
	font  template.CSS
	log   *slog.Logger

	// formToken is embedded in the console's forms and required with every POST: a
	// random value per console process, which no other site can read.
	formToken string

	mu      sync.Mutex
	catalog *decision.Catalog        // the last live catalog loaded, reused while its version is live
	lifts   reportCache[lift.Report] // lift reports by their page's parameters
}

// Reports that take a scan to compute (the lift report reads the whole decision log
// of its window and every outcome) are kept by the console: a page is served from the
// report kept, and one older than ReportMaxAge is computed again in the background
// while the page shows the one kept, with its age. So the tables are scanned only while
// someone looks, at most once per ReportMaxAge and report, and no page waits for a
// scan but the first view of a report no one computed yet (Serve computes the default
// lift report as it starts).
const (
	ReportMaxAge = time.Minute
	// reportTimeout bounds one computation, which no page waits for beyond its own
	// request: a computation goes on after the page that started it gave up.
	reportTimeout = 5 * time.Minute
	// reportsKept bounds the reports kept, the oldest dropped first: their keys come
	// from the pages' parameters.
	reportsKept = 32
)

// reportCache keeps computed reports by key.
type reportCache[T any] struct {
	// clock reads the wall clock the reports' age is measured with; time.Now when nil.
	clock   func() time.Time
	mu      sync.Mutex
	kept    map[string]cachedReport[T]
	running map[string]*computation[T]
}

type cachedReport[T any] struct {
	report T
	at     time.Time // the wall-clock time it was computed
}

// computation is a report being computed; done closes when it is.
type computation[T any] struct {
	done   chan struct{}
	report T
	at     time.Time
	err    error
}

// get returns the report kept under key and when it was computed, starting a new
// computation in the background when it is older than ReportMaxAge. With none kept, it
// waits for the computation (the one already running, if any) as long as ctx allows.
func (c *reportCache[T]) get(ctx context.Context, key string, compute func(context.Context) (T, error)) (T, time.Time, error) {
	c.mu.Lock()
	kept, ok := c.kept[key]
	var running *computation[T]
	if !ok || c.now().Sub(kept.at) >= ReportMaxAge {
		running = c.startLocked(key, compute)
	}
	c.mu.Unlock()
	if ok {
		return kept.report, kept.at, nil
	}
	select {
	case <-running.done:
		return running.report, running.at, running.err
	case <-ctx.Done():
		var zero T
		return zero, time.Time{}, ctx.Err()
	}
}

func (c *reportCache[T]) now() time.Time {
	if c.clock == nil {
		return time.Now()
	}
	return c.clock()
}

// prefetch starts computing the report under key unless it is kept or running.
func (c *reportCache[T]) prefetch(key string, compute func(context.Context) (T, error)) *computation[T] {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.startLocked(key, compute)
}

// startLocked returns the computation of key in flight, starting one when none is;
// c.mu is held.
func (c *reportCache[T]) startLocked(key string, compute func(context.Context) (T, error)) *computation[T] {
	if running, ok := c.running[key]; ok {
		return running
	}
	if c.running == nil {
		c.running, c.kept = map[string]*computation[T]{}, map[string]cachedReport[T]{}
	}
	running := &computation[T]{done: make(chan struct{})}
	c.running[key] = running
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), reportTimeout)
		defer cancel()
		running.report, running.err = compute(ctx)
		running.at = c.now()
		c.mu.Lock()
		delete(c.running, key)
		if running.err == nil {
			c.keepLocked(key, cachedReport[T]{running.report, running.at})
		}
		c.mu.Unlock()
		close(running.done)
	}()
	return running
}

// keepLocked keeps a report, dropping the oldest beyond reportsKept; c.mu is held.
func (c *reportCache[T]) keepLocked(key string, r cachedReport[T]) {
	c.kept[key] = r
	for len(c.kept) > reportsKept {
		oldest := ""
		for k, kept := range c.kept {
			if oldest == "" || kept.at.Before(c.kept[oldest].at) {
				oldest = k
			}
		}
		delete(c.kept, oldest)
	}
}

// New returns the console's handler. It does not check the address: Serve does.
func New(o Options) (http.Handler, error) {
	_, h, err := newServer(o)
	return h, err
}

func newServer(o Options) (*server, http.Handler, error) {
	if o.Store == nil {
		return nil, nil, errors.New("console: Options.Store is required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	font, err := chart.FontCSS()
	if err != nil {
		return nil, nil, err
	}
	s := &server{o: o, font: font, log: o.Logger, pages: map[string]*template.Template{}, formToken: rand.Text()}
	for _, page := range []string{"models", "model", "catalog", "draft", "versions", "rollback", "customer", "runs", "lift", "error"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/"+page+".html")
		if err != nil {
			return nil, nil, fmt.Errorf("console: template %s: %w", page, err)
		}
		s.pages[page] = t
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/models", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /models", s.models)
	mux.HandleFunc("GET /models/{action}/{channel}", s.model)
	mux.HandleFunc("GET /catalog", s.catalogPage)
	mux.HandleFunc("GET /catalog/draft", s.draftForm)
	mux.HandleFunc("POST /catalog/draft", s.checkDraft)
	mux.HandleFunc("POST /catalog/publish", s.publishDraft)
	mux.HandleFunc("GET /catalog/versions", s.versions)
	mux.HandleFunc("GET /catalog/rollback", s.reviewRollback)
	mux.HandleFunc("POST /catalog/rollback", s.rollback)
	mux.HandleFunc("GET /customer", s.customer)
	mux.HandleFunc("GET /runs", s.runs)
	mux.HandleFunc("GET /lift", s.lift)
	var h http.Handler = mux
	h = s.guardForms(h)
	if o.Token != "" {
		h = requireToken(o.Token, h)
	}
	return s, headers(h), nil
}

// warm parses the live catalog, which the first page would otherwise do, and starts
// computing the default lift report, which the lift page would otherwise wait for.
func (s *server) warm(ctx context.Context) *computation[lift.Report] {
	warm, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, err := s.liveCatalog(warm)
	cancel()
	if err != nil {
		s.log.Warn("console: no live catalog yet", "error", err)
		return nil
	}
	opts, err := liftOptions("", "", s.o.Now())
	if err != nil {
		return nil
	}
	return s.lifts.prefetch(liftKey("", ""), s.computeLift(opts))
}

// IsLoopback reports whether a listen address binds loopback only.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Serve listens on o.Addr and serves the console until ctx is done. It refuses to bind
// a non-loopback address without a token, and logs which mode it runs in.
func Serve(ctx context.Context, o Options) error {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	loopback := IsLoopback(o.Addr)
	if !loopback && o.Token == "" {
		return fmt.Errorf("console: %s is not a loopback address: a token is required to listen on it", o.Addr)
	}
	s, h, err := newServer(o)
	if err != nil {
		return err
	}
	s.warm(ctx)
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	addr := ln.Addr().String()
	mode := "loopback only, no token"
	switch {
	case !loopback:
		mode = "reachable beyond this machine, token required"
	case o.Token != "":
		mode = "loopback only, token required"
	}
	o.Logger.Info("console listening", "url", "http://"+addr+"/", "mode", mode)
	if o.Ready != nil {
		o.Ready(addr)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
		<-done
		return nil
	}
}

// headers sets the headers every answer carries: a content security policy that lets
// the pages load nothing but themselves (no script at all), and no framing.
func headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// formPaths are the only addresses that accept a POST: the catalog's forms.
var formPaths = map[string]bool{"/catalog/draft": true, "/catalog/publish": true, "/catalog/rollback": true}

// guardForms admits reads (GET and HEAD) anywhere, and POSTs to the catalog's forms
// only when they come from the console's own pages: the browser says the request is
// same-origin (Fetch metadata or Origin, http.CrossOriginProtection) and the form
// carries the console's form token. Every other method is refused.
func (s *server) guardForms(next http.Handler) http.Handler {
	sameOrigin := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet || r.Method == http.MethodHead:
			next.ServeHTTP(w, r)
			return
		case r.Method != http.MethodPost || !formPaths[r.URL.Path]:
			allow := "GET, HEAD"
			if formPaths[r.URL.Path] {
				allow += ", POST"
			}
			w.Header().Set("Allow", allow)
			http.Error(w, "the console's pages only read, but for the catalog's forms: method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if err := sameOrigin.Check(r); err != nil {
			http.Error(w, "refused: the form was not sent from the console's own pages", http.StatusForbidden)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxDraftBytes+64<<10)
		if err := r.ParseMultipartForm(MaxDraftBytes); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			http.Error(w, "the form could not be read (a draft is at most 1 MiB)", http.StatusBadRequest)
			return
		}
		if !equal(r.PostFormValue("token"), s.formToken) {
			http.Error(w, "refused: the form is not from this console's pages (or the console restarted since it was shown): reload the page and send it again", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// cookieName holds the session: a digest of the token, not the token itself.
const cookieName = "nextbest_console"

func digest(token string) string {
	sum := sha256.Sum256([]byte("nextbest-console\x00" + token))
	return hex.EncodeToString(sum[:])
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// requireToken admits a request with the token as a bearer token, in the `token` query
// parameter (then sets the cookie and redirects to the address without it, so the token
// leaves the address bar and the history), or with the cookie.
func requireToken(token string, next http.Handler) http.Handler {
	want := digest(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && equal(digest(bearer), want) {
			next.ServeHTTP(w, r)
			return
		}
		if c, err := r.Cookie(cookieName); err == nil && equal(c.Value, want) {
			next.ServeHTTP(w, r)
			return
		}
		if q := r.URL.Query(); q.Has("token") && equal(digest(q.Get("token")), want) {
			http.SetCookie(w, &http.Cookie{Name: cookieName, Value: want, Path: "/", HttpOnly: true,
				SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
			q.Del("token")
			u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
			http.Redirect(w, r, u.String(), http.StatusSeeOther)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="nextbest console"`)
		http.Error(w, "a token is required: open the address `nextbest console` printed, with ?token=", http.StatusUnauthorized)
	})
}
