// Package localtest runs integration tests against the local stand-ins of AWS.
package localtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/nextbest/nextbest/infra/local"
)

// RunTests is the TestMain of a package whose integration tests need storage: it starts
// DynamoDB Local and the SQS server with the template's tables and queues under prefix,
// hands the environment to setup, runs the tests and stops everything. root is the
// repository root relative to the package. It returns the exit code for os.Exit.
func RunTests(m *testing.M, root, prefix string, setup func(*local.Env)) int {
	abs, err := filepath.Abs(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env, err := local.StartStorage(context.Background(), local.Options{Root: abs, Prefix: prefix})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start local storage:", err)
		return 1
	}
	defer env.Close()
	setup(env)
	return m.Run()
}
