//go:build integration

package dynamo_test

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nextbest/nextbest/infra/local/localtest"
	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/dynamo"
	"github.com/nextbest/nextbest/shared/service"
)

var _ service.RunStore = (*dynamo.Store)(nil)

func TestRunRecordRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if _, found, err := s.GetRun(ctx, "never"); err != nil || found {
		t.Fatalf("GetRun(never) = found %v, %v; want not found", found, err)
	}
	cut := service.Rank{Priority: 1.5, Tie: 42}
	rec := service.RunRecord{RunID: "rt-1", StartedAt: now, Segments: 3, ExpiresAt: now.Add(24 * time.Hour),
		Volume: service.VolumePlan{"channel=sms": {Candidates: 9, Cutoff: &cut}}}
	if err := s.PutRun(ctx, rec); err != nil {
		t.Fatal(err)
	}
	seg := service.RunSummary{RunID: "rt-1", StartedAt: now, Scanned: 5, Planned: 2, ByAction: map[string]int{"a": 2},
		Forecast: map[string]service.ActionForecast{"a": {ExpectedResponses: 0.25, ExpectedValue: 10}}}
	if err := s.PutRunSegment(ctx, "rt-1", 2, seg); err != nil {
		t.Fatal(err)
	}
	got, found, err := s.GetRun(ctx, "rt-1")
	if err != nil || !found {
		t.Fatalf("GetRun(rt-1) = found %v, %v", found, err)
	}
	if !got.StartedAt.Equal(now) || got.Segments != 3 || !reflect.DeepEqual(got.Volume, rec.Volume) || got.Summary != nil {
		t.Errorf("GetRun(rt-1) header = %+v, want %+v", got, rec)
	}
	if d := got.Done[2]; len(got.Done) != 1 || d.Planned != 2 || !reflect.DeepEqual(d.Forecast["a"], seg.Forecast["a"]) {
		t.Errorf("GetRun(rt-1).Done = %+v, want segment 2 only", got.Done)
	}
	// Completing the run keeps the segments.
	total := seg
	rec.Summary = &total
	if err := s.PutRun(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.GetRun(ctx, "rt-1"); got.Summary == nil || got.Summary.Planned != 2 || len(got.Done) != 1 {
		t.Errorf("GetRun(rt-1) after completion = %+v, want the summary and segment 2", got)
	}
}

// TestRunResponsesCountsTheRunOnly: a run recorded before runs were counted (no
// header, claims only) is counted by a scan of its claims.
func TestRunResponsesCountsTheRunOnly(t *testing.T) {
	ctx := context.Background()
	env := localtest.Storage(t)
	s := env.Store
	logged := func(id, customer, action string) decision.LoggedDecision {
		return decision.LoggedDecision{DecisionID: id, CustomerID: customer, Channel: "email", DecidedAt: now,
			ExpiresAt: now.Add(24 * time.Hour), Offers: []decision.LoggedOffer{{ActionID: action, TreatmentID: action + "-email"}}}
	}
	if err := s.PutDecisions(ctx, []decision.LoggedDecision{
		logged("rr-1-C1", "C1", "a"), logged("rr-1-C2", "C2", "a"), logged("rr-1-C3", "C3", "b"), logged("rr-2-C1", "C1", "a"),
	}); err != nil {
		t.Fatal(err)
	}
	claims := []struct{ decisionID, claim, action, outcome string }{
		{"rr-1-C1", "impression#a", "a", ""}, {"rr-1-C3", "impression#b", "b", ""},
		{"rr-1-C1", "response#rr-1-C1:a:click", "a", "click"}, {"rr-1-C1", "response#caller-chosen", "a", "convert"},
		{"rr-1-C3", "response#rr-1-C3:b:reject", "b", "reject"},
		{"rr-2-C1", "impression#a", "a", ""}, {"rr-2-C1", "response#rr-2-C1:a:click", "a", "click"},
		{"baseline:rr-1-C2", "R", "", ""}, // an engine's own claim, not a response
	}
	for _, c := range claims {
		item := map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "R#" + c.decisionID}, "sk": &types.AttributeValueMemberS{Value: c.claim},
			"actionId": &types.AttributeValueMemberS{Value: c.action}}
		if c.outcome != "" {
			item["outcome"] = &types.AttributeValueMemberS{Value: c.outcome}
		}
		if _, err := env.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(env.Resources.Tables["DecisionsTable"]), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.RunResponses(ctx, "rr-1")
	if err != nil {
		t.Fatal(err)
	}
	wantDelivered := map[string]int{"a": 1, "b": 1}
	wantResponses := map[string]map[string]int{"a": {"click": 1, "convert": 1}, "b": {"reject": 1}}
	if !maps.Equal(got.Delivered, wantDelivered) || !reflect.DeepEqual(got.Responses, wantResponses) {
		t.Errorf("RunResponses(rr-1) = %+v, want delivered %v and responses %v", got, wantDelivered, wantResponses)
	}
}

// TestRunCounters: every claim of a run's decisions counts once in the run's
// counters — deliveries by action, responses and their value by action and outcome —
// a duplicate not at all, another run's or a real-time decision's claims neither.
func TestRunCounters(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	for _, id := range []string{"rc-1", "rc-2"} {
		if err := s.PutRun(ctx, service.RunRecord{RunID: id, StartedAt: now, Segments: 1, ExpiresAt: now.Add(24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	record := func(run, decisionID, action, outcome string, value *float64) service.Applied {
		t.Helper()
		a := decision.Attribution{DecisionID: decisionID, CustomerID: "C-" + decisionID, RunID: run,
			Contact: decision.ContactEvent{At: now, Kind: decision.KindResponse, ActionID: action, Channel: "email", Outcome: outcome, Value: value}}
		if outcome == "" {
			a.Claim, a.Contact.Kind = decision.ImpressionClaim(action), decision.KindImpression
		} else {
			a.Claim = decision.ClaimPrefixResponse + decisionID + ":" + outcome
		}
		applied, err := s.RecordResponse(ctx, a, now.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return applied
	}
	for i := range 10 { // spread over the counters' shards
		record("rc-1", fmt.Sprintf("rc-1-C%02d", i), "a", "", nil)
	}
	for i := range 3 {
		record("rc-1", fmt.Sprintf("rc-1-D%02d", i), "b", "", nil)
	}
	for i := range 4 {
		record("rc-1", fmt.Sprintf("rc-1-C%02d", i), "a", "click", nil)
	}
	value := 30.0
	record("rc-1", "rc-1-C00", "a", "convert", &value)
	if again := record("rc-1", "rc-1-C00", "a", "convert", &value); !again.Duplicate {
		t.Errorf("the same conversion again = %+v, want a duplicate", again)
	}
	record("rc-1", "rc-1-C00", "a", "", nil) // its delivery again: a duplicate
	record("rc-2", "rc-2-C00", "a", "", nil)
	record("rc-2", "rc-2-C00", "a", "click", nil)
	record("", "web-1", "a", "click", nil)

	got, err := s.RunResponses(ctx, "rc-1")
	if err != nil {
		t.Fatal(err)
	}
	want := service.RunActuals{Delivered: map[string]int{"a": 10, "b": 3},
		Responses: map[string]map[string]int{"a": {"click": 4, "convert": 1}},
		Value:     map[string]map[string]float64{"a": {"convert": 30}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RunResponses(rc-1) = %+v, want %+v", got, want)
	}
	if got, _ := s.RunResponses(ctx, "rc-2"); got.Delivered["a"] != 1 || got.Responses["a"]["click"] != 1 {
		t.Errorf("RunResponses(rc-2) = %+v, want one delivery and one click of a", got)
	}
}

// TestListRuns lists the latest runs first, each once however often its header is
// written, with its figures once it finished.
func TestListRuns(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	for i, id := range []string{"lr-old", "lr-mid", "lr-new"} {
		rec := service.RunRecord{RunID: id, StartedAt: now.Add(time.Duration(i) * time.Hour), Segments: 2, ExpiresAt: now.Add(48 * time.Hour)}
		if err := s.PutRun(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if id == "lr-mid" {
			rec.Summary = &service.RunSummary{RunID: id, Scanned: 100, Planned: 40}
			if err := s.PutRun(ctx, rec); err != nil {
				t.Fatal(err)
			}
		}
	}
	runs, err := s.ListRuns(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []dynamo.RunListing{
		{RunID: "lr-new", StartedAt: now.Add(2 * time.Hour).UTC(), Segments: 2},
		{RunID: "lr-mid", StartedAt: now.Add(time.Hour).UTC(), Segments: 2, Finished: true, Scanned: 100, Planned: 40},
	}
	if !reflect.DeepEqual(runs, want) {
		t.Errorf("ListRuns(2) = %+v, want %+v", runs, want)
	}
}

func TestSendLease(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	steps := []struct {
		name       string
		do         func() (bool, error)
		wantLeased bool
	}{
		{"first claim", func() (bool, error) { return s.ClaimSend(ctx, "lease-1", now, now.Add(2*time.Minute)) }, true},
		{"second copy while it runs", func() (bool, error) { return s.ClaimSend(ctx, "lease-1", now.Add(time.Minute), now.Add(3*time.Minute)) }, false},
		{"after it ended", func() (bool, error) {
			return s.ClaimSend(ctx, "lease-1", now.Add(4*time.Minute), now.Add(6*time.Minute))
		}, true},
		{"after a release", func() (bool, error) {
			if err := s.ReleaseSend(ctx, "lease-1"); err != nil {
				return false, err
			}
			return s.ClaimSend(ctx, "lease-1", now.Add(5*time.Minute), now.Add(7*time.Minute))
		}, true},
	}
	for _, st := range steps {
		if leased, err := st.do(); err != nil || leased != st.wantLeased {
			t.Errorf("%s: ClaimSend = %v, %v; want %v", st.name, leased, err, st.wantLeased)
		}
	}
}

// TestSketchBarrierMergesUntilMarked: the segment that completes the set merges, and
// so does any retry until the merge is marked done, so that a merging worker that dies
// leaves the merge to its retry; after the mark, no one merges.
func TestSketchBarrierMergesUntilMarked(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	sketch := func(seg int) service.SketchData {
		return service.SketchData{Candidates: map[string]int{"channel=sms": 10 + seg},
			Top: map[string][]service.Rank{"channel=sms": {{Priority: 2.5, Tie: uint64(seg)}, {Priority: 1.25, Tie: 1<<63 + 7}}}}
	}
	steps := []struct {
		segment   int
		wantMerge bool
		mark      bool // mark the merge done after this step
	}{{0, false, false}, {2, false, false}, {2, false, false}, {1, true, false}, {1, true, true}, {1, false, false}, {0, false, false}}
	for i, st := range steps {
		merge, err := s.PutSketch(ctx, "sk-1", st.segment, 3, sketch(st.segment), now.Add(time.Hour))
		if st.mark {
			if err := s.MarkMerged(ctx, "sk-1"); err != nil {
				t.Fatal(err)
			}
		}
		if err != nil || merge != st.wantMerge {
			t.Errorf("step %d: PutSketch(segment %d of 3) = %v, %v; want merge %v", i, st.segment, merge, err, st.wantMerge)
		}
	}
	got, err := s.Sketches(ctx, "sk-1")
	if err != nil || len(got) != 3 || !reflect.DeepEqual(got[2], sketch(2)) {
		t.Errorf("Sketches(sk-1) = %+v, %v; want the 3 segments' sketches as stored", got, err)
	}
	if rec, found, err := s.GetRun(ctx, "sk-1"); err != nil || found || len(rec.Done) != 0 {
		t.Errorf("GetRun(a run with sketches only) = %+v, %v, %v; want no header and no segment", rec, found, err)
	}
}

// TestRunFinishBarrier: the set of a fanned-out run's sent segments grows with each
// (a duplicate adds nothing), and the run's finish is claimed once.
func TestRunFinishBarrier(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	const runID = "barrier-1"
	until := now.Add(time.Hour)
	steps := []struct {
		segment int
		want    []int
	}{{2, []int{2}}, {0, []int{0, 2}}, {2, []int{0, 2}}, {1, []int{0, 1, 2}}}
	for _, st := range steps {
		got, err := s.SegmentSent(ctx, runID, st.segment, until)
		slices.Sort(got)
		if err != nil || !slices.Equal(got, st.want) {
			t.Errorf("SegmentSent(%d) = %v, %v; want %v", st.segment, got, err, st.want)
		}
	}
	for i, want := range []bool{true, false, false} {
		if got, err := s.ClaimFinish(ctx, runID, until); err != nil || got != want {
			t.Errorf("ClaimFinish #%d = %v, %v; want %v", i+1, got, err, want)
		}
	}
}
