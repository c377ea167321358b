//go:build integration

package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
	"github.com/nextbest/nextbest/shared/sqs"
)

// These tests follow the outbound path on the stack, each in a world of its own
// (world_integration_test.go).

// withConstraints is the demo catalog with its volume constraints replaced, parsed.
func withConstraints(t *testing.T, constraints string) *decision.Catalog {
	t.Helper()
	src := string(demoCatalog(t))
	start, end := strings.Index(src, "  volumeConstraints:\n"), strings.Index(src, "\nissues:")
	if start < 0 || end < start {
		t.Fatal("demo.yaml has no volumeConstraints before issues")
	}
	src = src[:start] + "  volumeConstraints: " + constraints + "\n" + src[end:]
	c, err := decision.ParseCatalog("demo.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c.Version = "volume-test"
	return c
}

// stackPlanner is the batch's service wired to the world's real adapters (the
// DynamoDB store, the SQS outbox) and clock, with a catalog of the test's choosing.
func (w *world) stackPlanner(c *decision.Catalog, segments int) *service.Planner {
	queues := map[string]string{}
	for ch, q := range queueOf {
		queues[ch] = w.Resources.QueueURLs[q]
	}
	return &service.Planner{
		Catalog:   service.NewSnapshot(time.Hour, w.Now, func(context.Context, *decision.Catalog) (*decision.Catalog, error) { return c, nil }),
		Models:    service.NewModelsSnapshot(w.Store, time.Hour, w.Now),
		Customers: w.Store,
		Log:       w.Store,
		Outbox:    sqs.NewOutbox(w.SQS, queues),
		Runs:      w.Store,
		Now:       w.Now,
		Segments:  segments,
	}
}

func TestBatchVolumeCapsHoldExactlyOnTheStack(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, worldOptions{})
	const runID = "volume-1"
	// Caps of half what each channel would send bind; channel caps never overlap, so
	// each must hold exactly.
	uncapped, err := w.stackPlanner(withConstraints(t, "[]"), 4).Run(ctx, runID, true)
	if err != nil {
		t.Fatal(err)
	}
	caps := map[string]int{}
	var yaml []string
	for ch, n := range uncapped.ByChannel {
		if n >= 2 {
			caps["channel="+ch] = n / 2
			yaml = append(yaml, fmt.Sprintf("{channel: %s, max: %d}", ch, n/2))
		}
	}
	if len(caps) == 0 {
		t.Fatalf("uncapped dry run %+v sends too little to cap", uncapped)
	}
	c := withConstraints(t, "["+strings.Join(yaml, ", ")+"]")
	var dryByAction map[string]int
	for _, segments := range []int{1, 4} {
		// The same run id, since the random control group and exploration draw from
		// the decision ids.
		dry, err := w.stackPlanner(c, segments).Run(ctx, runID, true)
		if err != nil {
			t.Fatal(err)
		}
		if dryByAction != nil && fmt.Sprint(dry.ByAction) != fmt.Sprint(dryByAction) {
			t.Errorf("dry run over %d segments sends %v, over 1 segment %v: want the same customers", segments, dry.ByAction, dryByAction)
		}
		dryByAction = dry.ByAction
	}

	sum, err := w.stackPlanner(c, 4).Run(ctx, runID, false)
	if err != nil {
		t.Fatal(err)
	}
	for name, limit := range caps {
		if u := sum.Volume[name]; u.Candidates != 2*limit && u.Candidates != 2*limit+1 || u.Sent != limit {
			t.Errorf("Run(%s) %s = %+v, want the uncapped run's candidates and exactly %d sent", runID, name, u, limit)
		}
	}
	for ch, q := range queueOf {
		if got := w.depth(q); got != sum.ByChannel[ch] {
			t.Errorf("after Run(%s) %s holds %d messages, want the %d planned", runID, q, got, sum.ByChannel[ch])
		}
	}
	if _, found, err := w.Store.GetRun(ctx, runID); err != nil || !found {
		t.Errorf("GetRun(%s) = found %v, %v; want its record", runID, found, err)
	}
}

func TestDryRunRecordsNothing(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, worldOptions{})
	if _, err := w.stackPlanner(withConstraints(t, "[]"), 4).Run(ctx, "dry-only", true); err != nil {
		t.Fatal(err)
	}
	if _, found, err := w.Store.GetRun(ctx, "dry-only"); err != nil || found {
		t.Errorf("GetRun(a dry run) = found %v, %v; want no record", found, err)
	}
	if n := w.channelDepth(); n != 0 {
		t.Errorf("after a dry run the queues hold %d messages, want 0", n)
	}
}

// TestRerunDeliveryReportAndContactCaps follows one run through the functions: run,
// re-run (nothing new), delivery, a response, the report of forecast against actual,
// and the contact cap a batch e-mail puts on a real-time e-mail decision.
func TestRerunDeliveryReportAndContactCaps(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, worldOptions{})
	const runID = "outbound-1"
	var first, again service.RunSummary
	w.mustRun(fmt.Sprintf(`{"runId":%q}`, runID), &first)
	total := w.channelDepth()
	if first.Planned == 0 || total != first.Planned {
		t.Fatalf("score-batch(%s) planned %d and the queues hold %d, want equal and > 0", runID, first.Planned, total)
	}
	w.mustRun(fmt.Sprintf(`{"runId":%q}`, runID), &again)
	if after := w.channelDepth(); after != total || again.Planned != first.Planned {
		t.Errorf("re-running %s: queues went from %d to %d messages, summary %d planned; want nothing new and the same summary", runID, total, after, again.Planned)
	}

	stats, err := w.DrainQueues(ctx)
	if err != nil {
		t.Fatal(err)
	}
	delivered := map[string]service.Delivery{} // by customer, this run's only
	for _, d := range w.readDeliveries() {
		if strings.HasPrefix(d.MessageID, runID+"-") {
			delivered[d.CustomerID] = d
		}
	}
	if handed := stats["email"].Messages + stats["sms"].Messages + stats["push"].Messages; handed != first.Planned || len(delivered) != first.Planned {
		t.Errorf("drain handed %d messages and delivered %d, want the %d planned", handed, len(delivered), first.Planned)
	}

	var emailed *service.Delivery
	clicks := 0
	for _, customer := range slices.Sorted(maps.Keys(delivered)) {
		d := delivered[customer]
		if d.Channel == "email" && emailed == nil {
			emailed = &d
		}
		if clicks < 3 {
			status, body := w.post("/v1/responses", decision.Response{DecisionID: d.MessageID, CustomerID: d.CustomerID, ActionID: d.ActionID, Channel: d.Channel, Outcome: "click"})
			if status != 200 {
				t.Fatalf("record click on %s = %d %s", d.MessageID, status, body)
			}
			clicks++
		}
	}

	var report service.RunReport
	w.mustRun(fmt.Sprintf(`{"runId":%q,"report":true}`, runID), &report)
	if report.Total.Sends != first.Planned || report.Total.Delivered != len(delivered) || report.Total.Responses != clicks ||
		report.Total.ExpectedResponses <= 0 {
		t.Errorf("report(%s) total = %+v, want %d sends, %d delivered, %d responses and a forecast", runID, report.Total, first.Planned, len(delivered), clicks)
	}

	if emailed == nil {
		t.Fatal("the run sent no e-mail")
	}
	// The demo catalog allows one e-mail a week: the batch's counts for real time too.
	status, body := w.post("/v1/decisions", decision.Request{CustomerID: emailed.CustomerID, Channel: "email"})
	if status != 200 || !strings.Contains(body, `"reason":"contact_cap"`) {
		t.Errorf("decide(e-mail for %s, e-mailed by the batch) = %d %s, want silence for the contact cap", emailed.CustomerID, status, body)
	}
}

func TestPoisonMessageReachesTheDeadLetterQueue(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, worldOptions{customers: 1})
	// A one-second visibility timeout makes SQS offer the failed message again at
	// once instead of after the template's three minutes.
	if err := w.SetVisibilityTimeout(ctx, "PushQueue", 1); err != nil {
		t.Fatal(err)
	}
	before := w.depth("PushDeadLetterQueue")
	_, err := w.SQS.SendMessage(ctx, &awssqs.SendMessageInput{
		QueueUrl: aws.String(w.Resources.QueueURLs["PushQueue"]), MessageBody: aws.String(`{"decisionId":"poison"}`)})
	if err != nil {
		t.Fatal(err)
	}
	failures := 0
	for attempt := 0; attempt < 20 && w.depth("PushDeadLetterQueue") == before; attempt++ {
		stats, err := w.DrainQueues(ctx)
		if err != nil {
			t.Fatal(err)
		}
		failures += stats["push"].Failed
		time.Sleep(1100 * time.Millisecond)
	}
	if got := w.depth("PushDeadLetterQueue") - before; got != 1 || failures != 5 || w.depth("PushQueue") != 0 {
		t.Errorf("poison message: failed %d times, dead-letter queue +%d, push queue %d; want 5 failures (maxReceiveCount), +1 and 0",
			failures, got, w.depth("PushQueue"))
	}
}

// TestFanOutThroughTheWorkQueue runs a batch as deployed: the coordinator enqueues
// one item per segment on the work queue, and the function, invoked by the queue,
// sketches and then sends each segment. (Whether it plans exactly what an in-process
// run plans is a unit test: here the models may refresh between the passes.)
func TestFanOutThroughTheWorkQueue(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, worldOptions{})
	const runID = "fan-1"
	var started service.RunSummary
	w.mustRun(fmt.Sprintf(`{"runId":%q,"fanOut":true}`, runID), &started)
	if started.Planned != 0 || len(started.Pending) == 0 || w.depth("WorkQueue") != len(started.Pending) {
		t.Fatalf("fan-out start = %+v with %d work items, want every segment pending and one item each", started, w.depth("WorkQueue"))
	}
	stats, err := w.DrainWork(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The demo catalog has volume caps: a sketch and a send item per segment.
	if stats.Messages != 2*len(started.Pending) || stats.Failed != 0 {
		t.Errorf("DrainWork = %+v, want %d items, none failed", stats, 2*len(started.Pending))
	}
	rec, found, err := w.Store.GetRun(ctx, runID)
	if err != nil || !found || rec.Summary == nil {
		t.Fatalf("GetRun(%s) = %+v, %v, %v; want a complete run", runID, rec, found, err)
	}
	sum := rec.Summary
	if sum.Scanned != 300 || len(sum.Pending) != 0 || len(rec.Done) != len(started.Pending) {
		t.Errorf("fanned-out run scanned %d customers with %d segments pending and %d done, want 300, 0 and %d",
			sum.Scanned, len(sum.Pending), len(rec.Done), len(started.Pending))
	}
	for name, u := range sum.Volume {
		if u.Max > 0 && u.Sent > u.Max {
			t.Errorf("fanned-out run %s = %+v, want at most max sent", name, u)
		}
	}
	if n := w.channelDepth(); n != sum.Planned || n == 0 {
		t.Errorf("after the fan-out the channel queues hold %d messages, want the %d planned", n, sum.Planned)
	}
	// The worker that completed the run logged it once, as the batch alarm expects.
	logged, err := os.ReadFile(w.Functions["ScoreBatchFunction"].LogPath())
	if err != nil {
		t.Fatal(err)
	}
	finished := 0
	for line := range strings.Lines(string(logged)) {
		var entry struct {
			Msg     string `json:"msg"`
			RunID   string `json:"runId"`
			DryRun  *bool  `json:"dryRun"`
			Planned int    `json:"planned"`
		}
		if json.Unmarshal([]byte(line), &entry) != nil || entry.Msg != "run finished" || entry.RunID != runID {
			continue
		}
		finished++
		if entry.DryRun == nil || *entry.DryRun || entry.Planned != sum.Planned {
			t.Errorf("run finished line %s, want dryRun false and the %d planned", line, sum.Planned)
		}
	}
	if finished != 1 {
		t.Errorf("score-batch logged %d \"run finished\" lines for %s, want exactly 1", finished, runID)
	}
}
