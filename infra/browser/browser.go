// Package browser drives headless Chromium (Debian's package, which `make tools`
// installs) for the tests of the operator's pages, through chromedp.
//
// A test opens a page, waits for what it must show, reads what the page logged and
// takes a screenshot to look at. Screenshots go to the folder named by the environment
// variable NEXTBEST_SCREENSHOTS when it is set (docs/ keeps the ones worth reading), and
// to the test's temporary folder otherwise.
package browser

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ScreenshotsEnv names the folder screenshots are kept in.
const ScreenshotsEnv = "NEXTBEST_SCREENSHOTS"

// executable finds Chromium: Debian names it chromium.
func executable() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("no Chromium found on PATH: `make tools` installs Debian's chromium package")
}

// Page is one browser tab and what its page reported: uncaught exceptions and console
// errors, which a test expects to be none.
type Page struct {
	ctx     context.Context
	t       testing.TB
	timeout time.Duration
	mu      sync.Mutex
	errors  []string
}

// Open starts a headless Chromium for the test, at the given window size, and closes
// it when the test ends. Every later step is bounded by timeout.
func Open(t testing.TB, width, height int, timeout time.Duration) *Page {
	t.Helper()
	path, err := executable()
	if err != nil {
		t.Fatal(err)
	}
	// The flags keep Chromium off the network (this machine's is closed) and out of any
	// profile but a fresh one; --no-sandbox because CI runs as root.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(width, height),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	p := &Page{ctx: ctx, t: t, timeout: timeout}
	// The first run starts the browser, which lives as long as its context: no timeout
	// on this one, or the timeout would stop the browser.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	err = chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg := ev.ExceptionDetails.Text
			if e := ev.ExceptionDetails.Exception; e != nil {
				msg += " " + e.Description
			}
			p.report("exception: " + msg)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, strings.Trim(string(a.Value), `"`))
				}
				p.report("console." + string(ev.Type) + ": " + strings.Join(args, " "))
			}
		}
	})
	if err != nil {
		t.Fatalf("listen to Chromium: %v", err)
	}
	return p
}

func (p *Page) report(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.errors = append(p.errors, msg)
}

// Errors returns what the page reported as errors so far.
func (p *Page) Errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errors...)
}

// Do runs steps on the page, failing the test on an error or past the timeout.
func (p *Page) Do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	Run(p, what, chromedp.Steps(steps...))
}

// Run runs one action on the page and returns its value, failing the test on an error
// or past the page's timeout.
func Run[T any](p *Page, what string, action chromedp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// Resources returns the addresses of everything the page loaded after the document
// itself (scripts, styles, images, fonts, fetches), from the browser's own record:
// a self-contained page loads none.
func (p *Page) Resources() []string {
	p.t.Helper()
	return Run(p, "list the page's resources", chromedp.Evaluate[[]string](
		`performance.getEntriesByType("resource").map(e => e.name)`))
}

// Screenshot saves a full-page PNG named name and returns its path.
func (p *Page) Screenshot(name string) string {
	p.t.Helper()
	png := Run(p, "screenshot "+name, chromedp.FullScreenshot(100))
	dir := os.Getenv(ScreenshotsEnv)
	if dir == "" {
		dir = p.t.TempDir()
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	return path
}
