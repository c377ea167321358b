package dynamo

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nextbest/nextbest/shared/service"
)

// Run records live in the Decisions table, beside the decisions they made and for as
// long:
//
//	RUN#<runId>  RUN          the header: clock, segments, volume cutoffs, final summary
//	RUN#<runId>  SEG#<0000>   the summary of one finished segment
//	RUN#<runId>  SKETCH#<0000> a fanned-out run's first-pass sketch of one segment
//	RUN#<runId>  BARRIER      the set of segments sketched, and who merges them
//
// One Query reads a whole run. Segments write their own items, so concurrent workers
// never contend for the header.

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
	if err := putJSON(item, "volume", rec.Volume); err != nil {
		return err
	}
	if rec.Summary != nil {
		if err := putJSON(item, "summary", rec.Summary); err != nil {
			return err
		}
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.tables.Decisions, Item: item}); err != nil {
		return fmt.Errorf("put run %s: %w", rec.RunID, err)
	}
	return nil
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

// RunResponses counts what happened to a run's sends with one Scan of the Decisions
// table, filtered on three key prefixes the run's ids determine: its logged decisions
// (D#<runId>-<customer>, which name the action sent), send-message's delivery claims
// (R#delivery:<runId>-<customer>) and the response claims under their default ids
// (R#<runId>-<customer>:<action>:<outcome>). A report reads the table once instead of
// once per customer. Responses recorded under a caller-chosen responseId are not
// counted, and a run id that extends another with "-" (run "a" and run "a-b") would
// share its prefixes: scheduled and demo run ids have a fixed length.
func (s *Store) RunResponses(ctx context.Context, runID string) (service.RunActuals, error) {
	decisionPrefix, deliveryPrefix, responsePrefix := "D#"+runID+"-", "R#delivery:"+runID+"-", "R#"+runID+"-"
	actual := service.RunActuals{Delivered: map[string]int{}, Responses: map[string]map[string]int{}, Value: map[string]map[string]float64{}}
	actionOf := map[string]string{} // customer → action sent
	var delivered []string          // customers
	pages := dynamodb.NewScanPaginator(s.db, &dynamodb.ScanInput{
		TableName:                &s.tables.Decisions,
		FilterExpression:         aws.String("begins_with(pk, :d) OR begins_with(pk, :v) OR begins_with(pk, :r)"),
		ProjectionExpression:     aws.String("pk, offers, #value"),
		ExpressionAttributeNames: map[string]string{"#value": "value"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":d": str(decisionPrefix), ":v": str(deliveryPrefix), ":r": str(responsePrefix),
		},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return service.RunActuals{}, fmt.Errorf("scan responses of run %s: %w", runID, err)
		}
		for _, item := range page.Items {
			switch pk := getString(item, "pk"); {
			case strings.HasPrefix(pk, decisionPrefix):
				if list, ok := item["offers"].(*types.AttributeValueMemberL); ok && len(list.Value) > 0 {
					if m, ok := list.Value[0].(*types.AttributeValueMemberM); ok {
						actionOf[strings.TrimPrefix(pk, decisionPrefix)] = getString(m.Value, "actionId")
					}
				}
			case strings.HasPrefix(pk, deliveryPrefix):
				delivered = append(delivered, strings.TrimPrefix(pk, deliveryPrefix))
			default:
				countResponse(actual, strings.TrimPrefix(pk, responsePrefix), getNumber(item, "value"))
			}
		}
	}
	for _, customer := range delivered {
		actual.Delivered[actionOf[customer]]++
	}
	return actual, nil
}

// countResponse reads "<customer>:<action>:<outcome>", the default response id after
// the run prefix (customer ids may themselves hold colons, actions and outcomes do
// not), and counts the response and the value it reported.
func countResponse(actual service.RunActuals, id string, value float64) {
	parts := strings.Split(id, ":")
	if len(parts) < 3 {
		return
	}
	action, outcome := parts[len(parts)-2], parts[len(parts)-1]
	if actual.Responses[action] == nil {
		actual.Responses[action] = map[string]int{}
		actual.Value[action] = map[string]float64{}
	}
	actual.Responses[action][outcome]++
	actual.Value[action][outcome] += value
}

// PutSketch stores a segment's first-pass sketch, kept as long as the run, then adds the segment to the run's
// barrier, a number set updated atomically. The caller that finds the set complete
// also claims the merge with a conditional update, which succeeds once: duplicates of
// a work item, or two workers finishing together, never merge twice.
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
	if set, _ := out.Attributes["sketched"].(*types.AttributeValueMemberNS); set == nil || len(set.Value) < segments {
		return false, nil
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.tables.Decisions,
		Key:                       runKey(runID, runBarrierKey),
		UpdateExpression:          aws.String("SET merged = :yes"),
		ConditionExpression:       aws.String("attribute_not_exists(merged)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":yes": &types.AttributeValueMemberBOOL{Value: true}},
	})
	var taken *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &taken):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("claim the merge of run %s: %w", runID, err)
	}
	return true, nil
}

// Sketches reads every stored sketch of a run with one Query.
func (s *Store) Sketches(ctx context.Context, runID string) (map[int]service.SketchData, error) {
	out := map[int]service.SketchData{}
	pages := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:              &s.tables.Decisions,
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str("RUN#" + runID), ":sk": str(runSketchKey),
		},
		ConsistentRead: aws.Bool(true),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read sketches of run %s: %w", runID, err)
		}
		for _, item := range page.Items {
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
				return nil, fmt.Errorf("sketch of run %s: %w", runID, err)
			}
			out[seg] = d
		}
	}
	return out, nil
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
