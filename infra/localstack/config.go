package localstack

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrNotInstalled is wrapped by the errors Start and StartFunction return when a tool
// is missing, so tests can tell "not installed here" from "installed but broken".
var ErrNotInstalled = errors.New("tool not installed")

// Config locates the installed tools. The zero value finds the repository root by
// walking up from the working directory to go.mod and uses <root>/.cache.
type Config struct {
	// CacheDir is where `make tools` installed everything.
	CacheDir string
	// LogDir receives one log file per process; it defaults to <CacheDir>/logs.
	LogDir string
}

// resolve fills in the defaults and makes sure the log directory exists.
func (c Config) resolve() (Config, error) {
	if c.CacheDir == "" {
		root, err := repoRoot()
		if err != nil {
			return c, fmt.Errorf("find cache dir: %w", err)
		}
		c.CacheDir = filepath.Join(root, ".cache")
	}
	if c.LogDir == "" {
		c.LogDir = filepath.Join(c.CacheDir, "logs")
	}
	if err := os.MkdirAll(c.LogDir, 0o755); err != nil {
		return c, fmt.Errorf("create log dir: %w", err)
	}
	return c, nil
}

// repoRoot walks up from the working directory to the nearest go.mod, because tests
// run in their package's directory and the demo runs from the repository root.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// requireFiles fails with ErrNotInstalled unless every path exists.
func requireFiles(what string, paths ...string) error {
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%s: %s missing, run `make tools`: %w", what, p, ErrNotInstalled)
		}
	}
	return nil
}
