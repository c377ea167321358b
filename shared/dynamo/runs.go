package dynamo

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nextbest/nextbest/shared/decision"

	"github.com/nextbest/nextbest/shared/service"
)

// Run records live in the Decisions table, beside the decisions they made and for as
// long:
//
//	RUN#<runId>  RUN          the header: clock, segments, volume cutoffs, final summary
//	RUN#<runId>  SEG#<0000>   the summary of one finished segment
//	RUN#<runId>  SKETCH#<0000> a fanned-out run's first-pass sketch of one segment
//	RUN#<runId>  BARRIER      the set of segments sketched, and who merges them
//	RUN#<runId>  FINISH       a fanned-out run's segments sent, and whether its finish was reported (fanout_complete.go)
//	RUN#<runId>  ACTUALS#<nn> one shard of the counts of the run's deliveries and responses (countForRun)
//	RUNS         <startedAt>#<runId>  the index of runs, newest last (ListRuns)
//
// One Query reads a whole run. Segments write their own items, so concurrent workers
// never contend for the header, and responses spread their counts over shards.

var (
	_ service.RunStore    = (*Store)(nil)
	_ service.SketchStore = (*Store)(nil)
)

const (
	runHeaderKey  = "RUN"
	runSegmentKey = "SEG#"
	runSketchKey  = "SKETCH#"
	runBarrierKey = "BARRIER"
)

func runKey(runID, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str("RUN#" + runID), "sk": str(sk)}
}

// PutRun writes a run's header; its finished segments are kept.
func (s *Store) PutRun(ctx context.Context, rec service.RunRecord) error {
	item := runKey(rec.RunID, runHeaderKey)
	item["startedAt"] = str(rec.StartedAt.UTC().Format(time.RFC3339Nano))
	item["segments"] = number(float64(rec.Segments))
	item["expiresAt"] = unixSeconds(rec.ExpiresAt)
	item[runCountsAttr] = &types.AttributeValueMemberBOOL{Value: true}
	if err := putJSON(item, "volume", rec.Volume); err != nil {
		return err
	}
	if rec.Summary != nil {
		if err := putJSON(item, "summary", rec.Summary); err != nil {
			return err
		}
	}
	// The header and its line in the index of runs, together.
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.tables.Decisions, Item: item}},
		{Put: &types.Put{TableName: &s.tables.Decisions, Item: runIndexItem(rec)}},
	}})
	if err != nil {
		return fmt.Errorf("put run %s: %w", rec.RunID, err)
	}
	return nil
}

// runsPartition holds the index of runs: one small item per run, sorted by when it
// started, so that the runs are listed with one Query.
const runsPartition = "RUNS"

func runIndexItem(rec service.RunRecord) map[string]types.AttributeValue {
	item := map[string]types.AttributeValue{
		"pk": str(runsPartition), "sk": str(sortableTime(rec.StartedAt) + "#" + rec.RunID),
		"runId": str(rec.RunID), "startedAt": str(rec.StartedAt.UTC().Format(time.RFC3339Nano)), "segments": number(float64(rec.Segments)),
		"expiresAt": unixSeconds(rec.ExpiresAt),
	}
	if sum := rec.Summary; sum != nil {
		item["finished"] = &types.AttributeValueMemberBOOL{Value: true}
		item["dryRun"] = &types.AttributeValueMemberBOOL{Value: sum.DryRun}
		item["scanned"] = number(float64(sum.Scanned))
		item["planned"] = number(float64(sum.Planned))
	}
	return item
}

// RunListing is one run in the index of runs.
type RunListing struct {
	RunID     string
	StartedAt time.Time
	Segments  int
	// Finished: every segment was planned; Scanned, Planned and DryRun are then set.
	Finished         bool
	DryRun           bool
	Scanned, Planned int
}

// ListRuns returns the latest runs, newest first, at most limit of them. Runs recorded
// before the index existed are not listed (they are still found by id).
func (s *Store) ListRuns(ctx context.Context, limit int) ([]RunListing, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &s.tables.Decisions,
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(runsPartition)},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	runs := make([]RunListing, 0, len(out.Items))
	for _, item := range out.Items {
		r := RunListing{RunID: getString(item, "runId"), StartedAt: getTime(item, "startedAt"), Segments: int(getNumber(item, "segments")),
			Scanned: int(getNumber(item, "scanned")), Planned: int(getNumber(item, "planned"))}
		if b, ok := item["finished"].(*types.AttributeValueMemberBOOL); ok {
			r.Finished = b.Value
		}
		if b, ok := item["dryRun"].(*types.AttributeValueMemberBOOL); ok {
			r.DryRun = b.Value
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// PutRunSegment records a finished segment's summary; it expires with the decisions.
func (s *Store) PutRunSegment(ctx context.Context, runID string, segment int, sum service.RunSummary) error {
	item := runKey(runID, fmt.Sprintf("%s%04d", runSegmentKey, segment))
	item["segment"] = number(float64(segment))
	item["expiresAt"] = unixSeconds(sum.StartedAt.Add(HistoryRetention))
	if err := putJSON(item, "summary", sum); err != nil {
		return err
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.tables.Decisions, Item: item}); err != nil {
		return fmt.Errorf("put run %s segment %d: %w", runID, segment, err)
	}
	return nil
}

// GetRun reads a run's header and finished segments with one strongly consistent
// Query, so a retry right after a failure sees every segment that finished.
func (s *Store) GetRun(ctx context.Context, runID string) (service.RunRecord, bool, error) {
	rec := service.RunRecord{RunID: runID, Done: map[int]service.RunSummary{}}
	found := false
	pages := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                 &s.tables.Decisions,
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("RUN#" + runID)},
		ConsistentRead:            aws.Bool(true),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return service.RunRecord{}, false, fmt.Errorf("get run %s: %w", runID, err)
		}
		for _, item := range page.Items {
			if err := readRunItem(&rec, item); err != nil {
				return service.RunRecord{}, false, fmt.Errorf("run %s: %w", runID, err)
			}
			found = found || getString(item, "sk") == runHeaderKey
		}
	}
	return rec, found, nil
}

func readRunItem(rec *service.RunRecord, item map[string]types.AttributeValue) error {
	sk := getString(item, "sk")
	if sk == runHeaderKey {
		rec.StartedAt = getTime(item, "startedAt")
		rec.Segments = int(getNumber(item, "segments"))
		rec.ExpiresAt = time.Unix(int64(getNumber(item, "expiresAt")), 0)
		if err := getJSON(item, "volume", &rec.Volume); err != nil {
			return err
		}
		if _, ok := item["summary"]; ok {
			rec.Summary = &service.RunSummary{}
			return getJSON(item, "summary", rec.Summary)
		}
		return nil
	}
	if !strings.HasPrefix(sk, runSegmentKey) {
		return nil // a fanned-out run's sketches and barrier
	}
	var sum service.RunSummary
	if err := getJSON(item, "summary", &sum); err != nil {
		return err
	}
	rec.Done[int(getNumber(item, "segment"))] = sum
	return nil
}

// Summaries are stored as JSON strings: they are read whole, never queried by field.
func putJSON(item map[string]types.AttributeValue, name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	item[name] = str(string(data))
	return nil
}

func getJSON(item map[string]types.AttributeValue, name string, v any) error {
	if err := json.Unmarshal([]byte(getString(item, name)), v); err != nil {
		return fmt.Errorf("decode %s: %w", name, err)
	}
	return nil
}

// Run counters. Each claim of a batch decision (an impression: a delivery; any other
// outcome: a response, with its value) adds one to its run's counters in the claim's
// own transaction, so the counts are exact and a report reads them with one Query of
// a few items, however large the run. They are spread over actualsShards items by
// decision id, so that a run's senders and responders do not queue on one item.
// Attribute names: "d#<action>" deliveries, "r#<action>#<outcome>" responses,
// "v#<action>#<outcome>" their value (ids never hold '#').
const (
	actualsKey    = "ACTUALS#"
	actualsShards = 8
	// runCountsAttr marks a run header written by a version that counts its
	// responses; an older run's report falls back to a scan of its claims.
	runCountsAttr = "counts"
)

// countForRun is the update that counts a claim for its run.
func (s *Store) countForRun(a decision.Attribution, until time.Time) *types.Update {
	h := fnv.New32a()
	h.Write([]byte(a.DecisionID))
	names := map[string]string{"#exp": "expiresAt"}
	values := map[string]types.AttributeValue{":one": number(1), ":exp": unixSeconds(until)}
	add := "#n :one"
	if strings.HasPrefix(a.Claim, decision.ClaimPrefixImpression) {
		names["#n"] = "d#" + a.Contact.ActionID
	} else {
		names["#n"] = "r#" + a.Contact.ActionID + "#" + a.Contact.Outcome
		if a.Contact.Value != nil {
			names["#v"], values[":v"] = "v#"+a.Contact.ActionID+"#"+a.Contact.Outcome, number(*a.Contact.Value)
			add += ", #v :v"
		}
	}
	return &types.Update{
		TableName:                 &s.tables.Decisions,
		Key:                       runKey(a.RunID, fmt.Sprintf("%s%02d", actualsKey, h.Sum32()%actualsShards)),
		UpdateExpression:          aws.String("ADD " + add + " SET #exp = :exp"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}
}

// RunResponses counts what happened to a run's sends: the run's counters (one Query),
// or for a run recorded before runs were counted, a scan of its claims.
func (s *Store) RunResponses(ctx context.Context, runID string) (service.RunActuals, error) {
	actual := service.RunActuals{Delivered: map[string]int{}, Responses: map[string]map[string]int{}, Value: map[string]map[string]float64{}}
	header, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.tables.Decisions, Key: runKey(runID, runHeaderKey),
		ProjectionExpression: aws.String("#c"), ExpressionAttributeNames: map[string]string{"#c": runCountsAttr}})
	if err != nil {
		return service.RunActuals{}, fmt.Errorf("read run %s: %w", runID, err)
	}
	if header.Item == nil || header.Item[runCountsAttr] == nil {
		return actual, s.scanRunClaims(ctx, runID, actual)
	}
	err = s.runItems(ctx, runID, actualsKey, func(item map[string]types.AttributeValue) error {
		for name := range item {
			kind, rest, _ := strings.Cut(name, "#")
			action, outcome, _ := strings.Cut(rest, "#")
			switch kind {
			case "d":
				actual.Delivered[action] += int(getNumber(item, name))
			case "r", "v":
				if actual.Responses[action] == nil {
					actual.Responses[action] = map[string]int{}
					actual.Value[action] = map[string]float64{}
				}
				if kind == "r" {
					actual.Responses[action][outcome] += int(getNumber(item, name))
				} else {
					actual.Value[action][outcome] += getNumber(item, name)
				}
			}
		}
		return nil
	})
	if err != nil {
		return service.RunActuals{}, fmt.Errorf("read the counts of run %s: %w", runID, err)
	}
	return actual, nil
}

// scanRunClaims counts what happened to the sends of a run recorded before runs were
// counted, with one Scan of the Decisions table filtered on the claims of the run's
// decisions (R#<runId>-<customer>): an impression claim is a delivery of its action,
// any other claim a response, counted by the action and outcome it carries. A run id
// that extends another with "-" (run "a" and run "a-b") would share its prefix:
// scheduled and demo run ids have a fixed length.
func (s *Store) scanRunClaims(ctx context.Context, runID string, actual service.RunActuals) error {
	pages := dynamodb.NewScanPaginator(s.db, &dynamodb.ScanInput{
		TableName:                 &s.tables.Decisions,
		FilterExpression:          aws.String("begins_with(pk, :r)"),
		ProjectionExpression:      aws.String("sk, actionId, outcome, #value"),
		ExpressionAttributeNames:  map[string]string{"#value": "value"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":r": str(claimPrefix + runID + "-")},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("scan responses of run %s: %w", runID, err)
		}
		for _, item := range page.Items {
			action := getString(item, "actionId")
			switch sk := getString(item, "sk"); {
			case strings.HasPrefix(sk, decision.ClaimPrefixImpression):
				actual.Delivered[action]++
			case strings.HasPrefix(sk, decision.ClaimPrefixResponse):
				outcome := getString(item, "outcome")
				if actual.Responses[action] == nil {
					actual.Responses[action] = map[string]int{}
					actual.Value[action] = map[string]float64{}
				}
				actual.Responses[action][outcome]++
				actual.Value[action][outcome] += getNumber(item, "value")
			}
		}
	}
	return nil
}

// PutSketch stores a segment's first-pass sketch, kept as long as the run, then adds the segment to the run's
// barrier, a number set updated atomically, and reports whether the caller must merge
// the sketches: the set is complete and the merge is not marked done (MarkMerged).
// The merge is marked only once the pass-2 items are enqueued, so a worker that dies
// between the two leaves the merge to its item's retry instead of to no one; two
// workers completing the set at once both merge, into the same cutoffs, and enqueue
// the same items, which the sending pass takes as duplicates.
func (s *Store) PutSketch(ctx context.Context, runID string, segment, segments int, sketch service.SketchData, expiresAt time.Time) (bool, error) {
	item := runKey(runID, fmt.Sprintf("%s%04d", runSketchKey, segment))
	candidates := map[string]types.AttributeValue{}
	top := map[string]types.AttributeValue{}
	for name, n := range sketch.Candidates {
		candidates[name] = number(float64(n))
		top[name] = &types.AttributeValueMemberB{Value: encodeRanks(sketch.Top[name])}
	}
	item["candidates"] = &types.AttributeValueMemberM{Value: candidates}
	item["top"] = &types.AttributeValueMemberM{Value: top}
	item["expiresAt"] = unixSeconds(expiresAt)
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.tables.Decisions, Item: item}); err != nil {
		return false, fmt.Errorf("put sketch %d of run %s: %w", segment, runID, err)
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        &s.tables.Decisions,
		Key:              runKey(runID, runBarrierKey),
		UpdateExpression: aws.String("ADD sketched :seg SET expiresAt = :exp"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":seg": &types.AttributeValueMemberNS{Value: []string{fmt.Sprint(segment)}},
			":exp": item["expiresAt"],
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	if err != nil {
		return false, fmt.Errorf("count sketch %d of run %s: %w", segment, runID, err)
	}
	set, _ := out.Attributes["sketched"].(*types.AttributeValueMemberNS)
	_, merged := out.Attributes["merged"]
	return set != nil && len(set.Value) >= segments && !merged, nil
}

// MarkMerged records that a run's sketches were merged and its sending pass enqueued.
func (s *Store) MarkMerged(ctx context.Context, runID string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.tables.Decisions,
		Key:                       runKey(runID, runBarrierKey),
		UpdateExpression:          aws.String("SET merged = :yes"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":yes": &types.AttributeValueMemberBOOL{Value: true}},
	})
	if err != nil {
		return fmt.Errorf("mark the merge of run %s: %w", runID, err)
	}
	return nil
}

// Sketches reads every stored sketch of a run with one Query.
func (s *Store) Sketches(ctx context.Context, runID string) (map[int]service.SketchData, error) {
	out := map[int]service.SketchData{}
	err := s.runItems(ctx, runID, runSketchKey, func(item map[string]types.AttributeValue) error {
		d := service.SketchData{Candidates: map[string]int{}, Top: map[string][]service.Rank{}}
		if m, ok := item["candidates"].(*types.AttributeValueMemberM); ok {
			for name := range m.Value {
				d.Candidates[name] = int(getNumber(m.Value, name))
			}
		}
		if m, ok := item["top"].(*types.AttributeValueMemberM); ok {
			for name, av := range m.Value {
				if b, ok := av.(*types.AttributeValueMemberB); ok {
					d.Top[name] = decodeRanks(b.Value)
				}
			}
		}
		seg, err := strconv.Atoi(strings.TrimPrefix(getString(item, "sk"), runSketchKey))
		if err != nil {
			return err
		}
		out[seg] = d
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read sketches of run %s: %w", runID, err)
	}
	return out, nil
}

// runItems calls fn with each of a run's items whose sort key starts with prefix, read
// with one strongly consistent Query.
func (s *Store) runItems(ctx context.Context, runID, prefix string, fn func(map[string]types.AttributeValue) error) error {
	pages := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:              &s.tables.Decisions,
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str("RUN#" + runID), ":prefix": str(prefix),
		},
		ConsistentRead: aws.Bool(true),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, item := range page.Items {
			if err := fn(item); err != nil {
				return err
			}
		}
	}
	return nil
}

// Ranks are stored as 16 bytes each (priority, tie), so one sketch item holds some
// 25,000 of them: volume caps up to that size in all per segment.
func encodeRanks(ranks []service.Rank) []byte {
	b := make([]byte, 0, 16*len(ranks))
	for _, r := range ranks {
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(r.Priority))
		b = binary.BigEndian.AppendUint64(b, r.Tie)
	}
	return b
}

func decodeRanks(b []byte) []service.Rank {
	ranks := make([]service.Rank, len(b)/16)
	for i := range ranks {
		ranks[i] = service.Rank{
			Priority: math.Float64frombits(binary.BigEndian.Uint64(b[16*i:])),
			Tie:      binary.BigEndian.Uint64(b[16*i+8:]),
		}
	}
	return ranks
}
