package localstack

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestMissingTools checks that an empty cache fails fast with an error that says how
// to fix it, rather than a Java or exec error.
func TestMissingTools(t *testing.T) {
	cfg := Config{CacheDir: t.TempDir()}
	t.Setenv("PATH", t.TempDir()) // Not even java: Start must still say ErrNotInstalled.
	tests := []struct {
		name  string
		start func() error
	}{
		{"Start", func() error {
			_, err := Start(context.Background(), cfg)
			return err
		}},
		{"StartFunction", func() error {
			_, err := StartFunction(context.Background(), cfg, "f", "bootstrap", nil)
			return err
		}},
	}
	for _, tt := range tests {
		err := tt.start()
		if !errors.Is(err, ErrNotInstalled) {
			t.Errorf("%s() = %v, want an error wrapping ErrNotInstalled", tt.name, err)
		}
	}
}

func TestMissingToolsNamesMakeTools(t *testing.T) {
	_, err := StartFunction(context.Background(), Config{CacheDir: t.TempDir()}, "f", "bootstrap", nil)
	if err == nil || !strings.Contains(err.Error(), "make tools") {
		t.Errorf("StartFunction() = %v, want an error naming `make tools`", err)
	}
}

func TestFunctionEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"defaults", nil, []string{
			"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128", "AWS_LAMBDA_FUNCTION_NAME=decide",
			"AWS_LAMBDA_FUNCTION_TIMEOUT=30", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST", "PATH=/bin",
		}},
		{"caller overrides defaults but not the name", map[string]string{
			"AWS_LAMBDA_FUNCTION_TIMEOUT": "3", "AWS_LAMBDA_FUNCTION_NAME": "other", "PATH": "/x", "TABLE": "t",
		}, []string{
			"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128", "AWS_LAMBDA_FUNCTION_NAME=decide",
			"AWS_LAMBDA_FUNCTION_TIMEOUT=3", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST", "PATH=/x", "TABLE=t",
		}},
	}
	t.Setenv("PATH", "/bin")
	for _, tt := range tests {
		if got := functionEnv("decide", tt.env); !slices.Equal(got, tt.want) {
			t.Errorf("functionEnv(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
}
