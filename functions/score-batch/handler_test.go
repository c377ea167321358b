package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/dynamo"
	"github.com/nextbest/nextbest/shared/service"
)

func TestParseRun(t *testing.T) {
	two := 2
	tests := []struct {
		name    string
		payload string
		want    runRequest
		wantErr bool
	}{
		{"scheduled event names the run after its time",
			`{"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.events","time":"2026-11-23T06:00:00Z","detail":{}}`,
			runRequest{RunID: "run-20261123T0600Z", scheduled: true}, false},
		{"manual dry run", `{"runId":"try-1","dryRun":true}`, runRequest{RunID: "try-1", DryRun: true}, false},
		{"retry of one segment", `{"runId":"run-1","segment":2}`, runRequest{RunID: "run-1", Segment: &two}, false},
		{"report", `{"runId":"run-1","report":true}`, runRequest{RunID: "run-1", Report: true}, false},
		{"segment without run id", `{"segment":2}`, runRequest{}, true},
		{"report without run id", `{"report":true}`, runRequest{}, true},
		{"dry run of a segment", `{"runId":"r","dryRun":true,"segment":0}`, runRequest{}, true},
		{"segment and report", `{"runId":"r","segment":0,"report":true}`, runRequest{}, true},
		{"fan-out", `{"runId":"r","fanOut":true}`, runRequest{RunID: "r", FanOut: true}, false},
		{"fan-out of a dry run", `{"runId":"r","fanOut":true,"dryRun":true}`, runRequest{}, true},
		{"fan-out and report", `{"runId":"r","fanOut":true,"report":true}`, runRequest{}, true},
		{"model metrics", `{"runId":"m","metrics":true}`, runRequest{RunID: "m", Metrics: true}, false},
		{"metrics and a dry run", `{"metrics":true,"dryRun":true}`, runRequest{}, true},
		{"metrics and a report", `{"runId":"r","metrics":true,"report":true}`, runRequest{}, true},
		{"bad run id", `{"runId":"a b/c"}`, runRequest{}, true},
		{"unknown field", `{"run":"x"}`, runRequest{}, true},
		{"not JSON object", `[]`, runRequest{}, true},
		{"context feeds", `{"feeds":true}`, runRequest{RunID: "manual-20261125T100000Z", Feeds: true}, false},
		{"feeds and metrics", `{"feeds":true,"metrics":true}`, runRequest{}, true},
		{"model compaction", `{"compactModels":true}`, runRequest{RunID: "manual-20261125T100000Z", CompactModels: true}, false},
		{"compaction and metrics", `{"compactModels":true,"metrics":true}`, runRequest{}, true},
		{"compaction and a dry run", `{"compactModels":true,"dryRun":true}`, runRequest{}, true},
		{"manual run without an id is named after the clock", `{"dryRun":true}`, runRequest{RunID: "manual-20261125T100000Z", DryRun: true}, false},
	}
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRun(json.RawMessage(tt.payload), now)
			if (err != nil) != tt.wantErr || (!tt.wantErr && !reflect.DeepEqual(got, tt.want)) {
				t.Errorf("parseRun(%s) = %+v, %v; want %+v, error %v", tt.payload, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestModes(t *testing.T) {
	tests := []struct {
		name    string
		read    func(string) (bool, error)
		value   string
		want    bool
		wantErr bool
	}{
		{"FANOUT", fanOutMode, "", false, false},
		{"FANOUT", fanOutMode, "off", false, false},
		{"FANOUT", fanOutMode, "on", true, false},
		{"FANOUT", fanOutMode, "yes", false, true},
		{"SEND_TIME", sendTimeMode, "", true, false},
		{"SEND_TIME", sendTimeMode, "best", true, false},
		{"SEND_TIME", sendTimeMode, "now", false, false},
		{"SEND_TIME", sendTimeMode, "tomorrow", false, true},
	}
	for _, tt := range tests {
		got, err := tt.read(tt.value)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("%s=%q read as %v, %v; want %v, error %v", tt.name, tt.value, got, err, tt.want, tt.wantErr)
		}
	}
}

// fakeFanout fails segment 9's items; the item of segment finishOn, when set, finishes
// the run with the summary finished, as does Start when startFinishes.
type fakeFanout struct {
	done          []service.WorkItem
	finishOn      *int
	finished      service.RunSummary
	startFinishes bool
}

func (f *fakeFanout) Start(context.Context, string) (service.RunSummary, bool, error) {
	if f.startFinishes {
		return f.finished, true, nil
	}
	return service.RunSummary{Pending: []int{0, 1, 2}}, false, nil
}

func (f *fakeFanout) Work(_ context.Context, item service.WorkItem) (*service.RunSummary, error) {
	if item.Segment == 9 {
		return nil, errors.New("throttled")
	}
	f.done = append(f.done, item)
	if f.finishOn != nil && item.Segment == *f.finishOn {
		sum := f.finished
		return &sum, nil
	}
	return nil, nil
}

// fakePlanner answers every run and segment with its summary.
type fakePlanner struct{ summary service.RunSummary }

func (f fakePlanner) Run(context.Context, string, bool) (service.RunSummary, error) {
	return f.summary, nil
}
func (f fakePlanner) RunSegment(context.Context, string, int) (service.RunSummary, error) {
	return f.summary, nil
}
func (f fakePlanner) Report(context.Context, string, service.RunResponseCounter) (service.RunReport, error) {
	return service.RunReport{}, nil
}

// logLines decodes a JSON log, one object a line.
func logLines(t *testing.T, log string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for line := range strings.Lines(log) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		lines = append(lines, m)
	}
	return lines
}

// TestRunFinishedLine: every way a real run finishes logs one "run finished" line with
// dryRun false, which template.yaml's BatchRunsFinishedMetricFilter counts, with the
// same fields: the whole run in one invocation, the work item that finishes a
// fanned-out run, and a coordinator that finds it done. A fanned-out run's other items,
// and a segment retried while others are pending, log no such line.
func TestRunFinishedLine(t *testing.T) {
	complete := service.RunSummary{RunID: "run-20261123T0600Z", Scanned: 300, Planned: 120, ByChannel: map[string]int{"email": 80, "sms": 40},
		Silences: map[string]int{"no_consent": 180}, Volume: map[string]service.VolumeUse{}, DurationSec: 4.2}
	partial := complete
	partial.Pending = []int{3, 5}
	two := 2
	work := func(segments ...int) string {
		var records []events.SQSMessage
		for _, seg := range segments {
			records = append(records, events.SQSMessage{MessageId: fmt.Sprint("m", seg), EventSource: "aws:sqs",
				Body: fmt.Sprintf(`{"runId":"run-20261123T0600Z","segment":%d,"pass":2}`, seg)})
		}
		payload, _ := json.Marshal(events.SQSEvent{Records: records})
		return string(payload)
	}
	tests := []struct {
		name      string
		payload   string
		planner   fakePlanner
		fanout    *fakeFanout
		wantLines int // "run finished" lines
	}{
		{"a run in one invocation", `{"runId":"run-20261123T0600Z"}`, fakePlanner{complete}, nil, 1},
		{"the work item that finishes a fanned-out run", work(0, 1, 2, 3), fakePlanner{}, &fakeFanout{finishOn: &two, finished: complete}, 1},
		{"work items that do not", work(0, 1, 3), fakePlanner{}, &fakeFanout{finishOn: &two, finished: complete}, 0},
		{"a coordinator that finds the run done", `{"runId":"run-20261123T0600Z","fanOut":true}`, fakePlanner{},
			&fakeFanout{startFinishes: true, finished: complete}, 1},
		{"a coordinator that starts it", `{"runId":"run-20261123T0600Z","fanOut":true}`, fakePlanner{}, &fakeFanout{}, 0},
		{"a segment retried while others are pending", `{"runId":"run-20261123T0600Z","segment":1}`, fakePlanner{partial}, nil, 0},
		{"the segment retry that completes the run", `{"runId":"run-20261123T0600Z","segment":1}`, fakePlanner{complete}, nil, 1},
	}
	var fields []string // the first line's, which every other must have
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log strings.Builder
			h := &handler{log: slog.New(slog.NewJSONHandler(&log, nil)), planner: tt.planner, now: time.Now}
			if tt.fanout != nil {
				h.fanout = tt.fanout
			}
			if _, err := h.handle(context.Background(), json.RawMessage(tt.payload)); err != nil {
				t.Fatal(err)
			}
			var finished []map[string]any
			for _, line := range logLines(t, log.String()) {
				if line["msg"] == "run finished" {
					finished = append(finished, line)
				}
			}
			if len(finished) != tt.wantLines {
				t.Fatalf("%d \"run finished\" lines, want %d; log:\n%s", len(finished), tt.wantLines, log.String())
			}
			for _, line := range finished {
				if line["level"] != "INFO" || line["dryRun"] != false || line["runId"] != complete.RunID || line["planned"] != 120.0 ||
					line["scanned"] != 300.0 || line["pendingSegments"] != nil {
					t.Errorf("run finished line %v, want INFO, dryRun false, the run's id and counts, nothing pending", line)
				}
				var keys []string
				for k := range line {
					if k != "time" {
						keys = append(keys, k)
					}
				}
				slices.Sort(keys)
				if fields == nil {
					fields = keys
				} else if !slices.Equal(keys, fields) {
					t.Errorf("run finished line fields %v, want the same as every other's, %v", keys, fields)
				}
			}
		})
	}
}

func TestHandleWorkReportsOnlyFailedItems(t *testing.T) {
	fan := &fakeFanout{}
	h := &handler{log: slog.New(slog.NewJSONHandler(io.Discard, nil)), fanout: fan}
	record := func(id, body string) events.SQSMessage {
		return events.SQSMessage{MessageId: id, Body: body, EventSource: "aws:sqs"}
	}
	payload, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{
		record("m1", `{"runId":"r1","segment":2,"pass":1}`),
		record("m2", `{"runId":"r1","segment":9,"pass":2}`),
		record("m3", `{not json`),
		record("m4", `{"runId":"a b","segment":1,"pass":2}`),
	}})
	out, err := h.handle(context.Background(), payload)
	if err != nil {
		t.Fatalf("handle(work) error = %v", err)
	}
	var failed []string
	for _, f := range out.(events.SQSEventResponse).BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if want := []string{"m2", "m3", "m4"}; !slices.Equal(failed, want) || len(fan.done) != 1 {
		t.Errorf("handle(work) failures = %v, done %v; want %v and one item done", failed, fan.done, want)
	}
}

type fakeFeeds struct {
	refreshed service.FeedsRefreshed
	err       error
}

func (f fakeFeeds) Refresh(context.Context) (service.FeedsRefreshed, error) {
	return f.refreshed, f.err
}

func TestFeedsEventRefreshesTheFeeds(t *testing.T) {
	payload, err := os.ReadFile("../../events/score-batch-feeds.json")
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }
	h := &handler{log: slog.New(slog.NewJSONHandler(io.Discard, nil)), now: now,
		feeds: fakeFeeds{refreshed: service.FeedsRefreshed{Places: 8, Failed: map[string]string{"Flanders": "timeout"}}}}
	out, err := h.handle(context.Background(), payload)
	if err != nil || out.(service.FeedsRefreshed).Places != 8 {
		t.Errorf("handle(feeds) = %+v, %v; want the refresh's answer", out, err)
	}
	h.feeds = fakeFeeds{err: errors.New("open-meteo: HTTP 503")}
	if _, err := h.handle(context.Background(), payload); err == nil || strings.Contains(err.Error(), "503") {
		t.Errorf("handle(feeds) with the provider down = %v, want a failure that keeps the provider's words in the log", err)
	}
}

// fakeCompactor records the memory each compaction follows.
type fakeCompactor struct {
	asked *[]adaptive.Memory
	err   error
}

func (f fakeCompactor) CompactModels(_ context.Context, _ time.Time, m adaptive.Memory) (dynamo.Compaction, error) {
	*f.asked = append(*f.asked, m)
	return dynamo.Compaction{Items: 12, Folded: 9}, f.err
}

func TestCompactionEventFollowsTheCatalogsMemory(t *testing.T) {
	payload, err := os.ReadFile("../../events/score-batch-compact-models.json")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../../shared/decision/testdata/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	catalog, err := decision.ParseCatalog("catalog.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }
	var asked []adaptive.Memory
	h := &handler{log: slog.New(slog.NewJSONHandler(io.Discard, nil)), now: now, compactor: fakeCompactor{asked: &asked},
		catalog: service.NewSnapshot(time.Minute, now, func(context.Context, *decision.Catalog) (*decision.Catalog, error) { return catalog, nil })}
	out, err := h.handle(context.Background(), payload)
	if err != nil || out.(dynamo.Compaction).Folded != 9 || len(asked) != 1 || asked[0] != catalog.ModelMemory() {
		t.Errorf("handle(compactModels) = %+v, %v, asked %+v; want the compaction's answer, following the catalog's memory", out, err, asked)
	}
	h.compactor = fakeCompactor{asked: &asked, err: errors.New("dynamodb: throttled")}
	if _, err := h.handle(context.Background(), payload); err == nil || strings.Contains(err.Error(), "throttled") {
		t.Errorf("handle(compactModels) failing = %v, want a failure that keeps the store's words in the log", err)
	}
}
