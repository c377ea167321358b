//go:build integration

package local_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nextbest/nextbest/infra/local"
	"github.com/nextbest/nextbest/infra/local/localtest"
	"github.com/nextbest/nextbest/infra/localstack"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

const root = "../.."

// modelsMaxAge is the freshness bound the functions run with in these tests.
const modelsMaxAge = time.Second

// The servers (DynamoDB Local, the SQS server) and the bootstraps are shared by every
// test of the package; everything with state (tables, queues, functions, customers,
// models, the clock) belongs to one test's world, so no test sees another's traces and
// the tests pass in any order.
var (
	servers *localstack.Stack
	binDir  string
	worlds  atomic.Int64
)

// TestMain builds every function's bootstrap as a deployment would (CGO off, the
// lambda.norpc tag) for this host and starts the servers the tests' worlds share.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if binDir, err = os.MkdirTemp("", "nextbest-e2e-bin-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(binDir)
	for _, fn := range []string{"decide", "record-response", "score-batch", "send-message"} {
		cmd := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc", "-o", filepath.Join(binDir, fn, "bootstrap"), "./functions/"+fn)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", fn, err, out)
			return 1
		}
	}
	absRoot, _ := filepath.Abs(root)
	if servers, err = local.StartServers(context.Background(), absRoot, nil); err != nil {
		fmt.Fprintln(os.Stderr, "start servers:", err)
		return 1
	}
	defer servers.Close()
	return m.Run()
}

// worldOptions shape one test's world.
type worldOptions struct {
	// customers is how many synthetic customers are seeded (300 when zero).
	customers int
	// catalog is the catalog published; demoCatalog() when nil.
	catalog []byte
	// functionEnv is added to the functions' environment.
	functionEnv map[string]string
}

// world is one test's environment: its own tables and queues on the shared servers,
// its own function processes, 300 seeded customers and the demo catalog, a clock that
// starts at localtest.Start and decision ids drawn from a fixed seed, so the test
// meets the same exploration on every run.
type world struct {
	*local.Env
	t        *testing.T
	catalog  *decision.Catalog
	frontURL string
}

// in is the world seen from a subtest, which must fail through its own t.
func (w *world) in(t *testing.T) *world {
	c := *w
	c.t = t
	return &c
}

func newWorld(t *testing.T, o worldOptions) *world {
	t.Helper()
	ctx := context.Background()
	absRoot, _ := filepath.Abs(root)
	// A decision answers degraded past DECIDE_DEADLINE: right in production, but on a
	// loaded test machine a first catalog load can take longer than the default 150
	// ms, and these tests check behaviour, not latency (the deadline has tests of its
	// own in shared/service and infra/local).
	fnEnv := map[string]string{"MODELS_MAX_AGE": modelsMaxAge.String(), "FEEDS_MAX_AGE": modelsMaxAge.String(), "DECIDE_DEADLINE": "10s"}
	maps.Copy(fnEnv, o.functionEnv)
	env, err := local.Up(ctx, local.Options{Root: absRoot, BinDir: binDir, Servers: servers,
		Prefix: fmt.Sprintf("w%03d-", worlds.Add(1)), Start: localtest.Start(t), Seed: 7, FunctionEnv: fnEnv})
	if err != nil {
		t.Fatalf("start a world: %v", err)
	}
	t.Cleanup(env.Close)
	if o.customers == 0 {
		o.customers = 300
	}
	if o.catalog == nil {
		o.catalog = demoCatalog(t)
	}
	catalog, err := env.SeedCatalog(ctx, "demo.yaml", o.catalog, o.customers, 7)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	srv := httptest.NewServer(env.FrontDoor())
	t.Cleanup(srv.Close)
	return &world{Env: env, t: t, catalog: catalog, frontURL: srv.URL}
}

// demoCatalog is the source of the demo catalog, with edits: each replaces one exact
// piece of text, and a piece that is missing fails the test, so the demo catalog
// cannot change under a test unnoticed.
func demoCatalog(t *testing.T, edits ...string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "infra/catalog/demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src := string(data)
	for i := 0; i+1 < len(edits); i += 2 {
		if strings.Count(src, edits[i]) != 1 {
			t.Fatalf("demo.yaml holds %q %d times, want once", edits[i], strings.Count(src, edits[i]))
		}
		src = strings.Replace(src, edits[i], edits[i+1], 1)
	}
	return []byte(src)
}

// withoutExploration is the edit that ranks by the models' mean propensities instead
// of Thompson draws: for tests that assert which action wins.
var withoutExploration = []string{"    explore: true\n", "    explore: false\n"}

func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// invokeHTTP sends an API Gateway event file to a function and decodes its answer.
func (w *world) invokeHTTP(fn string, event []byte) events.APIGatewayV2HTTPResponse {
	w.t.Helper()
	out, err := w.Invoke(context.Background(), fn, event)
	if err != nil {
		w.t.Fatalf("Invoke(%s) error: %v", fn, err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		w.t.Fatalf("Invoke(%s) = %s: not an HTTP answer", fn, out)
	}
	return resp
}

// invokeRun sends a request to score-batch and decodes its answer.
func (w *world) invokeRun(request []byte, out any) error {
	raw, err := w.Invoke(context.Background(), "ScoreBatchFunction", request)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("score-batch(%s) = %s", request, raw)
	}
	return nil
}

// mustRun is invokeRun for requests that must succeed.
func (w *world) mustRun(request string, out any) {
	w.t.Helper()
	if err := w.invokeRun([]byte(request), out); err != nil {
		w.t.Fatalf("score-batch(%s) error: %v", request, err)
	}
}

// countItems counts a table's items whose partition key starts with prefix.
func (w *world) countItems(table, prefix string) int {
	w.t.Helper()
	n := 0
	pages := dynamodb.NewScanPaginator(w.DynamoDB, &dynamodb.ScanInput{
		TableName:                 aws.String(w.Resources.Tables[table]),
		FilterExpression:          aws.String("begins_with(pk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: prefix}},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			w.t.Fatal(err)
		}
		n += len(page.Items)
	}
	return n
}

var queueOf = map[string]string{"email": "EmailQueue", "sms": "SmsQueue", "push": "PushQueue"}

func (w *world) depth(queue string) int {
	w.t.Helper()
	n, err := w.QueueDepth(context.Background(), queue)
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

// channelDepth is the number of messages on the three channel queues.
func (w *world) channelDepth() int {
	return w.depth("EmailQueue") + w.depth("SmsQueue") + w.depth("PushQueue")
}

func (w *world) readDeliveries() []service.Delivery {
	w.t.Helper()
	f, err := os.Open(w.SinkPath)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		w.t.Fatal(err)
	}
	defer f.Close()
	var out []service.Delivery
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var d service.Delivery
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			w.t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// post sends a JSON body through the world's front door and returns the status and
// the raw answer.
func (w *world) post(path string, body any) (int, string) {
	w.t.Helper()
	return w.send(http.MethodPost, path, body)
}

// patch is post with PATCH, the method of profile updates.
func (w *world) patch(path string, body any) (int, string) {
	w.t.Helper()
	return w.send(http.MethodPatch, path, body)
}

func (w *world) send(method, path string, body any) (int, string) {
	w.t.Helper()
	payload, ok := body.(string)
	if !ok {
		data, _ := json.Marshal(body)
		payload = string(data)
	}
	req, err := http.NewRequest(method, w.frontURL+path, strings.NewReader(payload))
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// api posts a JSON body through the front door and decodes a 200 answer.
func (w *world) api(path string, body, out any) {
	w.t.Helper()
	status, raw := w.post(path, body)
	if status != http.StatusOK {
		w.t.Fatalf("POST %s %v = %d %s", path, body, status, raw)
	}
	if err := json.Unmarshal([]byte(raw), out); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) models() *decision.Models {
	w.t.Helper()
	m, err := w.Store.LoadModels(context.Background(), w.Now())
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}
