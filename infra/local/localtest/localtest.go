// Package localtest runs integration tests against the local stand-ins of AWS.
//
// A package's TestMain calls RunTests, which starts DynamoDB Local and the SQS server
// once; each test then takes tables and queues of its own with Storage, so no test
// reads what another left, whatever the order (-shuffle) or the repetition (-count).
package localtest

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nextbest/nextbest/infra/local"
	"github.com/nextbest/nextbest/infra/localstack"
)

// The servers RunTests started, the repository root, and how many storages tests took
// (each is named after its number).
var (
	servers  *localstack.Stack
	repoRoot string
	storages atomic.Int64
)

// RunTests is the TestMain of a package whose integration tests need storage: it starts
// DynamoDB Local and the SQS server, runs the tests and stops the servers. root is the
// repository root relative to the package. It returns the exit code for os.Exit.
func RunTests(m *testing.M, root string) int {
	abs, err := filepath.Abs(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if servers, err = local.StartServers(context.Background(), abs, nil); err != nil {
		fmt.Fprintln(os.Stderr, "start local servers:", err)
		return 1
	}
	defer servers.Close()
	repoRoot = abs
	return m.Run()
}

// Storage creates the template's tables and queues for this test alone on the servers
// RunTests started, and returns the environment over them, its clock starting at
// Start. They live in the servers' memory until the test binary ends.
func Storage(tb testing.TB) *local.Env {
	tb.Helper()
	if servers == nil {
		tb.Fatal("localtest.Storage: the package's TestMain must call localtest.RunTests")
	}
	env, err := local.StartStorage(context.Background(), local.Options{Root: repoRoot, Servers: servers,
		Prefix: fmt.Sprintf("t%04d-", storages.Add(1)), Start: Start(tb)})
	if err != nil {
		tb.Fatalf("create tables and queues: %v", err)
	}
	tb.Cleanup(env.Close)
	return env
}

// Start is the instant integration tests start their environments at: the one
// NEXTBEST_CLOCK names, or local.DemoClock. Tests never read the wall clock for what
// they decide, plan or record, so they tell the same story on any day; setting
// NEXTBEST_CLOCK runs the whole suite at another date.
func Start(tb testing.TB) time.Time {
	tb.Helper()
	at, err := local.StartInstant(os.Getenv)
	if err != nil {
		tb.Fatal(err)
	}
	return at
}

// ItemsMentioning scans every table of the environment and returns the keys of the
// items with an attribute (key or value, at any depth) that contains text: the check
// that an erasure left nothing of a customer behind.
func ItemsMentioning(tb testing.TB, env *local.Env, text string) []string {
	tb.Helper()
	var found []string
	for _, logical := range slices.Sorted(maps.Keys(env.Resources.Tables)) {
		table := env.Resources.Tables[logical]
		pages := dynamodb.NewScanPaginator(env.DynamoDB, &dynamodb.ScanInput{TableName: &table})
		for pages.HasMorePages() {
			page, err := pages.NextPage(context.Background())
			if err != nil {
				tb.Fatalf("scan %s: %v", table, err)
			}
			for _, item := range page.Items {
				for _, v := range item {
					if mentions(v, text) {
						found = append(found, fmt.Sprintf("%s %v/%v", logical, describe(item["pk"]), describe(item["sk"])))
						break
					}
				}
			}
		}
	}
	return found
}

func mentions(v types.AttributeValue, text string) bool {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return strings.Contains(x.Value, text)
	case *types.AttributeValueMemberSS:
		return slices.ContainsFunc(x.Value, func(s string) bool { return strings.Contains(s, text) })
	case *types.AttributeValueMemberB:
		return strings.Contains(string(x.Value), text)
	case *types.AttributeValueMemberL:
		return slices.ContainsFunc(x.Value, func(e types.AttributeValue) bool { return mentions(e, text) })
	case *types.AttributeValueMemberM:
		for k, e := range x.Value {
			if strings.Contains(k, text) || mentions(e, text) {
				return true
			}
		}
	}
	return false
}

func describe(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return fmt.Sprint(v)
}

// PublishDemoCatalog publishes the demo catalog (infra/catalog/demo.yaml) as env's live
// catalog, at env's clock.
func PublishDemoCatalog(tb testing.TB, env *local.Env) {
	tb.Helper()
	src, err := os.ReadFile(filepath.Join(repoRoot, "infra/catalog/demo.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := env.Store.PublishCatalog(context.Background(), src, env.Now()); err != nil {
		tb.Fatalf("publish the demo catalog: %v", err)
	}
}
