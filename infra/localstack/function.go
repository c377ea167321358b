package localstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
)

// Function is one Lambda bootstrap running under the Runtime Interface Emulator.
type Function struct {
	Name string
	URL  string // POST a payload here to invoke the function

	proc      *process
	invokeMu  sync.Mutex // the emulator crashes on overlapping invocations
	closeOnce sync.Once
	closeErr  error
}

// lambdaDefaults are the settings Lambda itself would provide, used unless env sets them.
var lambdaDefaults = map[string]string{
	"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
	"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
	"AWS_LAMBDA_FUNCTION_TIMEOUT":     "30",
}

// StartFunction runs bootstrapPath under the Runtime Interface Emulator on free
// loopback ports with env (plus AWS_LAMBDA_FUNCTION_NAME=name and Lambda's defaults)
// and returns once the emulator accepts invocations. The environment is otherwise
// empty apart from PATH, as in Lambda, so the function sees only what it is given.
func StartFunction(ctx context.Context, cfg Config, name, bootstrapPath string, env map[string]string) (*Function, error) {
	cfg, err := cfg.resolve()
	if err != nil {
		return nil, fmt.Errorf("start function %s: %w", name, err)
	}
	rie := filepath.Join(cfg.CacheDir, "bin", "aws-lambda-rie")
	if err := requireFiles("lambda runtime interface emulator", rie); err != nil {
		return nil, fmt.Errorf("start function %s: %w", name, err)
	}
	bootstrap, err := filepath.Abs(bootstrapPath)
	if err != nil {
		return nil, fmt.Errorf("start function %s: %w", name, err)
	}
	if _, err := os.Stat(bootstrap); err != nil {
		return nil, fmt.Errorf("start function %s: bootstrap: %w", name, err)
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, fmt.Errorf("start function %s: %w", name, err)
	}
	addr := loopback(ports[0])
	argv := []string{rie,
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", loopback(ports[1]),
		bootstrap}
	// The bootstrap's directory is the working directory, as /var/task is in Lambda.
	p, err := startProcess("lambda-"+name+"-"+strconv.Itoa(ports[0]), cfg.LogDir,
		filepath.Dir(bootstrap), functionEnv(name, env), argv...)
	if err != nil {
		return nil, fmt.Errorf("start function %s: %w", name, err)
	}
	if err := p.waitReady(ctx, func(ctx context.Context) error { return dial(ctx, addr) }); err != nil {
		return nil, errors.Join(fmt.Errorf("start function %s: %w", name, err), p.stop())
	}
	return &Function{
		Name: name,
		URL:  "http://" + addr + "/2015-03-31/functions/function/invocations",
		proc: p,
	}, nil
}

// functionEnv merges Lambda's defaults, the caller's env and the function name into
// the emulator's environment, which it passes on to the bootstrap.
func functionEnv(name string, env map[string]string) []string {
	merged := maps.Clone(lambdaDefaults)
	maps.Copy(merged, env)
	merged["AWS_LAMBDA_FUNCTION_NAME"] = name
	if _, ok := merged["PATH"]; !ok {
		merged["PATH"] = os.Getenv("PATH")
	}
	out := make([]string, 0, len(merged))
	for _, k := range slices.Sorted(maps.Keys(merged)) {
		out = append(out, k+"="+merged[k])
	}
	return out
}

// dial succeeds once something accepts TCP connections on addr. The emulator has no
// health endpoint, and a probe invocation would run the function.
func dial(ctx context.Context, addr string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return conn.Close()
}

// Invoke sends payload to the function and returns its response body. Calls are
// serialised because the emulator cannot run two invocations at once. Like Lambda's
// own Invoke API, an error the handler returns is not a transport error: the emulator
// answers 200 with {"errorMessage":...,"errorType":...} (and no X-Amz-Function-Error
// header), so that body comes back with a nil error.
func (f *Function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	f.invokeMu.Lock()
	defer f.invokeMu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.URL, bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", f.Name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w (see %s)", f.Name, err, f.proc.logPath)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: read response: %w", f.Name, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("invoke %s: %s: %s (see %s)", f.Name, resp.Status, body, f.proc.logPath)
	}
	return body, nil
}

// LogPath is the file the function's process writes its output, its log, to.
func (f *Function) LogPath() string { return f.proc.logPath }

// Close stops the emulator and the bootstrap it started. It is safe to call more than once.
func (f *Function) Close() error {
	f.closeOnce.Do(func() { f.closeErr = f.proc.stop() })
	return f.closeErr
}
