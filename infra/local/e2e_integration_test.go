//go:build integration

package local_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/nextbest/nextbest/infra/local"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

const root = "../.."

// modelsMaxAge is the freshness bound the functions run with in these tests.
const modelsMaxAge = time.Second

var env *local.Env

// TestMain builds every function's bootstrap as a deployment would (CGO off, the
// lambda.norpc tag) for this host, starts the whole local environment and seeds it
// once; the tests then drive the functions with the sample events in events/.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	bin, err := os.MkdirTemp("", "nextbest-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(bin)
	for _, fn := range []string{"decide", "record-response", "score-batch", "send-message"} {
		cmd := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc", "-o", filepath.Join(bin, fn, "bootstrap"), "./functions/"+fn)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", fn, err, out)
			return 1
		}
	}
	absRoot, _ := filepath.Abs(root)
	// A one-second model refresh lets the tests see learning without waiting out the
	// deployed 30-second bound.
	env, err = local.Up(ctx, local.Options{Root: absRoot, BinDir: bin, Prefix: "e2e-",
		FunctionEnv: map[string]string{"MODELS_MAX_AGE": modelsMaxAge.String()}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start local environment:", err)
		return 1
	}
	defer env.Close()
	if _, err := env.Seed(ctx, filepath.Join(root, "infra/catalog/demo.yaml"), 300, 7, time.Now()); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		return 1
	}
	return m.Run()
}

func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// invokeHTTP sends an API Gateway event file to a function and decodes its answer.
func invokeHTTP(t *testing.T, fn string, event []byte) events.APIGatewayV2HTTPResponse {
	t.Helper()
	out, err := env.Invoke(context.Background(), fn, event)
	if err != nil {
		t.Fatalf("Invoke(%s) error: %v", fn, err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("Invoke(%s) = %s: not an HTTP answer", fn, out)
	}
	return resp
}

// countItems counts a table's items whose partition key starts with prefix.
func countItems(t *testing.T, table, prefix string) int {
	t.Helper()
	n := 0
	pages := dynamodb.NewScanPaginator(env.DynamoDB, &dynamodb.ScanInput{
		TableName:                 aws.String(env.Resources.Tables[table]),
		FilterExpression:          aws.String("begins_with(pk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: prefix}},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Items)
	}
	return n
}

func TestDecideEvents(t *testing.T) {
	tests := []struct {
		event      string
		wantStatus int
		wantInBody string
		wantLogged int // decisions added to the log
	}{
		{"decide.json", 200, `"decisionId"`, 1},
		{"decide-unknown-customer.json", 200, `"knownCustomer":false`, 1},
		{"decide-malformed.json", 400, "malformed JSON", 0},
		{"decide-missing-channel.json", 400, "channel is required", 0},
		{"decide-unknown-channel.json", 400, `unknown channel \"fax\"`, 0},
		{"decide-too-large.json", 400, "the limit is 16384", 0},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			before := countItems(t, "DecisionsTable", "D#")
			resp := invokeHTTP(t, "DecideFunction", readEvent(t, tt.event))
			if resp.StatusCode != tt.wantStatus || !strings.Contains(resp.Body, tt.wantInBody) {
				t.Fatalf("decide(%s) = %d %s, want %d containing %s", tt.event, resp.StatusCode, resp.Body, tt.wantStatus, tt.wantInBody)
			}
			if got := countItems(t, "DecisionsTable", "D#") - before; got != tt.wantLogged {
				t.Errorf("decide(%s) logged %d decisions, want %d", tt.event, got, tt.wantLogged)
			}
			if resp.StatusCode != 200 {
				return
			}
			var d decision.Decision
			if err := json.Unmarshal([]byte(resp.Body), &d); err != nil {
				t.Fatal(err)
			}
			if len(d.Actions) == 0 && d.Silence == nil {
				t.Errorf("decide(%s) = no actions and no silence reason", tt.event)
			}
			for _, a := range d.Actions {
				if a.Propensity <= 0 || a.Priority <= 0 || len(a.Reasons) == 0 || len(a.Content) == 0 {
					t.Errorf("decide(%s) action %+v lacks its figures, reasons or content", tt.event, a)
				}
			}
		})
	}
}

func TestRecordResponseEvents(t *testing.T) {
	key := decision.ModelKey{ActionID: "app-download", Channel: "web"}
	positives := func() int64 {
		m, err := env.Store.LoadModels(context.Background(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		successes, _ := m.Totals(key)
		return successes
	}
	tests := []struct {
		event         string
		wantStatus    int
		wantInBody    string
		wantPositives int64 // added to the model by this step
	}{
		{"record-response.json", 200, `"duplicate":false`, 1},
		{"record-response.json", 200, `"duplicate":true`, 0}, // a retry counts once
		{"record-response-unknown-decision.json", 404, "unknown or older than the attribution window", 0},
		{"record-response-bad-outcome.json", 400, `unknown outcome \"love\"`, 0},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d-%s", i, tt.event), func(t *testing.T) {
			before := positives()
			resp := invokeHTTP(t, "RecordResponseFunction", readEvent(t, tt.event))
			if resp.StatusCode != tt.wantStatus || !strings.Contains(resp.Body, tt.wantInBody) {
				t.Fatalf("record-response(%s) = %d %s, want %d containing %s", tt.event, resp.StatusCode, resp.Body, tt.wantStatus, tt.wantInBody)
			}
			if got := positives() - before; got != tt.wantPositives {
				t.Errorf("record-response(%s) added %v positives, want %v", tt.event, got, tt.wantPositives)
			}
		})
	}
}

func queueDepth(t *testing.T, queue string) int {
	t.Helper()
	out, err := env.SQS.GetQueueAttributes(context.Background(), &awssqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(env.Resources.QueueURLs[queue]),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages},
	})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	fmt.Sscan(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)], &n)
	return n
}

func totalDepth(t *testing.T) int {
	return queueDepth(t, "EmailQueue") + queueDepth(t, "SmsQueue") + queueDepth(t, "PushQueue")
}

func readDeliveries(t *testing.T) []service.Delivery {
	t.Helper()
	f, err := os.Open(env.SinkPath)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []service.Delivery
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var d service.Delivery
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// TestOutboundPath runs the batch (dry, bad input, real), then the sample SQS event,
// then drains the queues through send-message, checking queues, deliveries and the
// decision log at each step. The steps share state, so they run in order.
func TestOutboundPath(t *testing.T) {
	ctx := context.Background()
	var summary service.RunSummary
	invokeBatch := func(event []byte) (service.RunSummary, error) {
		out, err := env.Invoke(ctx, "ScoreBatchFunction", event)
		if err != nil {
			return service.RunSummary{}, err
		}
		var s service.RunSummary
		return s, json.Unmarshal(out, &s)
	}

	dry, err := invokeBatch(readEvent(t, "score-batch-dry-run.json"))
	if err != nil || !dry.DryRun || dry.Planned == 0 || dry.Scanned != 300 {
		t.Fatalf("score-batch(dry run) = %+v, %v; want a dry run planning sends over 300 customers", dry, err)
	}
	if n := totalDepth(t); n != 0 {
		t.Fatalf("after a dry run the queues hold %d messages, want 0", n)
	}
	if _, err := invokeBatch(readEvent(t, "score-batch-bad.json")); err == nil || !strings.Contains(err.Error(), "invalid runId") {
		t.Errorf("score-batch(bad run id) error = %v, want an invalid runId error", err)
	}

	summary, err = invokeBatch(readEvent(t, "score-batch.json"))
	// The demo catalog explores: Thompson draws are seeded by decision id, which
	// includes the run id, so the real run's plan differs slightly from the dry run's.
	if err != nil || summary.RunID != "run-20261123T0600Z" || math.Abs(float64(summary.Planned-dry.Planned)) > 0.05*float64(dry.Planned) {
		t.Fatalf("score-batch(schedule) = %+v, %v; want run-20261123T0600Z planning about %d like the dry run", summary, err, dry.Planned)
	}
	if n := totalDepth(t); n != summary.Planned {
		t.Errorf("after the run the queues hold %d messages, want the %d planned", n, summary.Planned)
	}
	// Every planned send is logged, and so is every held-out customer of the silence
	// control group, whose outcomes are the baseline for lift.
	wantLogged := summary.Planned + summary.Silences[decision.SilenceControlGroup]
	if got := countItems(t, "DecisionsTable", "D#run-20261123T0600Z-"); got != wantLogged {
		t.Errorf("the run logged %d decisions, want %d", got, wantLogged)
	}

	// The sample SQS event: one valid message for the fixture customer, one malformed.
	for attempt, wantNew := range []int{1, 0} { // a redelivery must not send again
		before := len(readDeliveries(t))
		out, err := env.Invoke(ctx, "SendMessageFunction", readEvent(t, "send-message.json"))
		if err != nil {
			t.Fatalf("send-message(sample) error: %v", err)
		}
		var resp events.SQSEventResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatal(err)
		}
		if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "0b1c2d3e-0002" {
			t.Errorf("send-message(sample) attempt %d failures = %+v, want only the malformed 0b1c2d3e-0002", attempt+1, resp.BatchItemFailures)
		}
		if got := len(readDeliveries(t)) - before; got != wantNew {
			t.Errorf("send-message(sample) attempt %d delivered %d, want %d", attempt+1, got, wantNew)
		}
	}

	stats, err := env.DrainQueues(ctx)
	if err != nil {
		t.Fatal(err)
	}
	handed := 0
	for _, s := range stats {
		handed += s.Messages
		if s.Failed != 0 {
			t.Errorf("drain stats %+v: want no failed message", s)
		}
	}
	if handed != summary.Planned || totalDepth(t) != 0 {
		t.Errorf("drain handed %d messages to send-message and left %d, want %d and 0", handed, totalDepth(t), summary.Planned)
	}
	perChannel := map[string]int{}
	for _, d := range readDeliveries(t) {
		if d.Content == nil || strings.Contains(fmt.Sprint(d.Content), "{{") {
			t.Errorf("delivery %s has unrendered content %v", d.MessageID, d.Content)
		}
		if d.MessageID != "demo-email-0001" {
			perChannel[d.Channel]++
		}
	}
	for ch, n := range summary.ByChannel {
		// A customer may have been contacted by the sample event since planning, so
		// the last-moment check can skip at most that one message.
		if perChannel[ch] < n-1 || perChannel[ch] > n {
			t.Errorf("channel %s: %d delivered, want the %d planned", ch, perChannel[ch], n)
		}
	}
}

func TestFrontDoorRoutes(t *testing.T) {
	srv := httptest.NewServer(env.FrontDoor())
	defer srv.Close()
	tests := []struct {
		method, path, body string
		wantStatus         int
	}{
		{"POST", "/v1/decisions", `{"customerId":"C000010","channel":"app","placement":"home-card"}`, 200},
		{"POST", "/v1/decisions", `{"customerId":"C000010"}`, 400},
		{"POST", "/v1/responses", `{"decisionId":"nope","customerId":"C000010","actionId":"x","channel":"web","outcome":"click"}`, 404},
		{"GET", "/v1/decisions", ``, 404},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.wantStatus || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s %s = %d (%s), want %d JSON", tt.method, tt.path, tt.body, resp.StatusCode, resp.Header.Get("Content-Type"), tt.wantStatus)
		}
	}
}

// api posts a JSON body through the front door and decodes a 200 answer.
func api(t *testing.T, srv *httptest.Server, path string, body, out any) {
	t.Helper()
	payload, _ := json.Marshal(body)
	resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(string(payload)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s %s = %d %s", path, payload, resp.StatusCode, raw)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

func offerOf(d decision.Decision, actionID string) (decision.Offer, bool) {
	for _, o := range d.Actions {
		if o.ActionID == actionID {
			return o, true
		}
	}
	return decision.Offer{}, false
}

// TestResponsesChangeTheNextDecision records an impression and a click through the
// API and checks that, once the functions' model cache has refreshed, the next
// decision for the action rests on that evidence.
func TestResponsesChangeTheNextDecision(t *testing.T) {
	srv := httptest.NewServer(env.FrontDoor())
	defer srv.Close()
	req := decision.Request{CustomerID: "C000050", Channel: "web", Placement: "account-sidebar", Limit: 5}
	var first decision.Decision
	api(t, srv, "/v1/decisions", req, &first)
	if len(first.Actions) == 0 {
		t.Fatalf("decide(%+v) = silence %+v, want actions", req, first.Silence)
	}
	offer := first.Actions[0]
	for _, outcome := range []string{"impression", "click"} {
		var rec service.Recorded
		api(t, srv, "/v1/responses", decision.Response{DecisionID: first.DecisionID, CustomerID: req.CustomerID,
			ActionID: offer.ActionID, Channel: req.Channel, Outcome: outcome}, &rec)
	}
	time.Sleep(modelsMaxAge + 100*time.Millisecond)
	var next decision.Decision
	api(t, srv, "/v1/decisions", req, &next)
	got, ok := offerOf(next, offer.ActionID)
	if !ok {
		t.Fatalf("after a click, decide = %v, want %s still offered", next.Actions, offer.ActionID)
	}
	if got.Evidence < offer.Evidence+1 || got.Propensity <= offer.Propensity {
		t.Errorf("after an impression and a click, %s has evidence %v and propensity %.4f; before: %v and %.4f; want both higher",
			offer.ActionID, got.Evidence, got.Propensity, offer.Evidence, offer.Propensity)
	}
}

// TestSuppressionFromRecordedImpressions shows an action three times to a customer
// who never responds; the contact history record-response writes must then keep
// decide from offering it again (the demo catalog suppresses after 3 impressions).
func TestSuppressionFromRecordedImpressions(t *testing.T) {
	srv := httptest.NewServer(env.FrontDoor())
	defer srv.Close()
	req := decision.Request{CustomerID: "C000060", Channel: "web", Placement: "account-sidebar", Limit: 5, Explain: true}
	var ignored string
	for i := range 3 {
		var d decision.Decision
		api(t, srv, "/v1/decisions", req, &d)
		if i == 0 {
			if len(d.Actions) == 0 {
				t.Fatalf("decide(%+v) = silence %+v, want actions", req, d.Silence)
			}
			ignored = d.Actions[0].ActionID
		}
		if _, ok := offerOf(d, ignored); !ok {
			t.Fatalf("decision %d = %v, want %s offered again before suppression", i+1, d.Actions, ignored)
		}
		var rec service.Recorded
		api(t, srv, "/v1/responses", decision.Response{DecisionID: d.DecisionID, CustomerID: req.CustomerID,
			ActionID: ignored, Channel: req.Channel, Outcome: "impression"}, &rec)
	}
	var after decision.Decision
	api(t, srv, "/v1/decisions", req, &after)
	if _, ok := offerOf(after, ignored); ok {
		t.Fatalf("after 3 ignored impressions decide still offers %s", ignored)
	}
	for _, e := range after.Excluded {
		if e.ActionID == ignored {
			if e.Policy != "suppression" {
				t.Errorf("%s excluded by %s (%s), want suppression", ignored, e.Policy, e.Detail)
			}
			return
		}
	}
	t.Errorf("%s is neither offered nor explained in %+v", ignored, after.Excluded)
}

// TestModelMetricsEvent invokes score-batch with the metrics schedule's input: after
// the responses recorded above it publishes at least one model.
func TestModelMetricsEvent(t *testing.T) {
	out, err := env.Invoke(context.Background(), "ScoreBatchFunction", readEvent(t, "score-batch-metrics.json"))
	if err != nil {
		t.Fatalf("score-batch(metrics) error: %v", err)
	}
	var answer struct{ Models int }
	if err := json.Unmarshal(out, &answer); err != nil || answer.Models == 0 {
		t.Errorf("score-batch(metrics) = %s, want a count of the models published", out)
	}
}
