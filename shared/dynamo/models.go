package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
)

// A model's counters live in items keyed by model, time bucket and shard:
//
//	pk M#<action>#<channel>   sk B#<bucket>#S#<shard>
//
// with one numeric attribute per counter, named "n/<predictor>/<bin>" for
// impressions and "p/<predictor>/<bin>" for successes. Responses only ever ADD to
// them; reading sums the shards and turns impressions into the model's negatives
// (adaptive.StateFromImpressions), so a success never has to find and undo its
// impression. The logistic kind's sums (adaptive.Key.IsSum) are kept the same way, as
// integer millionths, and read back as they are. Every update also adds 1 to the
// item's "writes", which compaction checks before deleting an item it has folded into
// the model's compacted item (shard "C", see CompactModels).

const (
	impressionPrefix = "n/"
	successPrefix    = "p/"
)

func modelKey(k decision.ModelKey, bucket int64, shard int) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": str("M#" + k.ActionID + "#" + k.Channel),
		"sk": str("B#" + strconv.FormatInt(bucket, 10) + "#S#" + strconv.Itoa(shard)),
	}
}

// counterName is the attribute a counter is kept in.
func counterName(k adaptive.Key) string {
	prefix := impressionPrefix
	if k.Positive {
		prefix = successPrefix
	}
	return prefix + k.Predictor + "/" + k.Bin
}

// counterKey reads back the counter an attribute named by counterName keeps, dated to
// bucket; ok is false for any other attribute of the item.
func counterKey(attr string, bucket int64) (k adaptive.Key, ok bool) {
	positive := strings.HasPrefix(attr, successPrefix)
	if !positive && !strings.HasPrefix(attr, impressionPrefix) {
		return adaptive.Key{}, false
	}
	predictor, bin, _ := strings.Cut(attr[len(successPrefix):], "/")
	return adaptive.Key{Bucket: bucket, Predictor: predictor, Positive: positive, Bin: bin}, true
}

// writesAttr counts the updates an item has had: compaction deletes an item it has
// folded only if no update came between its read and its delete.
const writesAttr = "writes"

// addCounters is one atomic update adding a response's counters to a shard. Additions
// commute, so concurrent writers never lose or double an update. A delta's increments
// all fall in one time bucket, the response's.
func (s *Store) addCounters(k decision.ModelKey, delta adaptive.Delta, shard int) *types.Update {
	return s.addCountersTo(k, delta, modelKey(k, delta[0].Key.Bucket, shard))
}

func (s *Store) addCountersTo(k decision.ModelKey, delta adaptive.Delta, key map[string]types.AttributeValue) *types.Update {
	names := map[string]string{"#a": "actionId", "#c": "channel", "#b": "bucket", "#w": writesAttr}
	values := map[string]types.AttributeValue{
		":a": str(k.ActionID), ":c": str(k.Channel), ":b": number(float64(delta[0].Key.Bucket)), ":one": number(1),
	}
	adds := make([]string, len(delta))
	for i, inc := range delta {
		name, value := "#k"+strconv.Itoa(i), ":v"+strconv.Itoa(i)
		names[name] = counterName(inc.Key)
		values[value] = number(float64(inc.N))
		adds[i] = name + " " + value
	}
	return &types.Update{
		TableName:                 &s.tables.Models,
		Key:                       key,
		UpdateExpression:          aws.String("ADD " + strings.Join(append(adds, "#w :one"), ", ") + " SET #a = :a, #c = :c, #b = :b"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}
}

// LoadModels reads every model's counters at time at. Callers cache the result and
// refresh it on a short interval.
func (s *Store) LoadModels(ctx context.Context, at time.Time) (*decision.Models, error) {
	states, err := s.LoadModelStates(ctx)
	if err != nil {
		return nil, err
	}
	return decision.NewModels(states, at), nil
}

// LoadModelStates reads every model's counters, shards and buckets merged into one
// state per model (impressions turned into negatives).
func (s *Store) LoadModelStates(ctx context.Context) (map[decision.ModelKey]*adaptive.State, error) {
	states, _, err := s.LoadModelStatesCost(ctx)
	return states, err
}

// ReadCost is what one read of the models cost: items, DynamoDB read capacity units
// (half a unit per 4 KB read, eventually consistent) and requests.
type ReadCost struct {
	Items, Requests int
	CapacityUnits   float64
}

// LoadModelStatesCost is LoadModelStates, and what the read cost: what every warm
// function pays at each refresh.
func (s *Store) LoadModelStatesCost(ctx context.Context) (map[decision.ModelKey]*adaptive.State, ReadCost, error) {
	var cost ReadCost
	counters := map[decision.ModelKey]map[adaptive.Key]int64{}
	pages := dynamodb.NewScanPaginator(s.db, &dynamodb.ScanInput{TableName: &s.tables.Models, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, cost, fmt.Errorf("load models: %w", err)
		}
		cost.Requests++
		cost.Items += len(page.Items)
		if c := page.ConsumedCapacity; c != nil && c.CapacityUnits != nil {
			cost.CapacityUnits += *c.CapacityUnits
		}
		for _, item := range page.Items {
			key := decision.ModelKey{ActionID: getString(item, "actionId"), Channel: getString(item, "channel")}
			if counters[key] == nil {
				counters[key] = map[adaptive.Key]int64{}
			}
			bucket := int64(getNumber(item, "bucket"))
			for attr := range item {
				if k, ok := counterKey(attr, bucket); ok {
					counters[key][k] += int64(getNumber(item, attr))
				}
			}
		}
	}
	states := make(map[decision.ModelKey]*adaptive.State, len(counters))
	for key, c := range counters {
		states[key] = adaptive.StateFromImpressions(c)
	}
	return states, cost, nil
}

// AddModelCounters adds a delta to one shard of a model, outside any response: for
// tools that load or rebuild models (the refresh measurement seeds a year of them).
func (s *Store) AddModelCounters(ctx context.Context, key decision.ModelKey, delta adaptive.Delta, shard int) error {
	if len(delta) == 0 {
		return nil
	}
	u := s.addCounters(key, delta, shard)
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression,
		ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues})
	if err != nil {
		return fmt.Errorf("add counters to %s: %w", key, err)
	}
	return nil
}

// Compaction is what CompactModels did.
type Compaction struct {
	// Items is how many model items there were; Folded how many were folded into a
	// model's compacted item; Deleted how many had expired (older than the window).
	Items, Folded, Deleted int
	// Skipped counts items an update reached between their read and their fold; the
	// next compaction folds them.
	Skipped int
}

// compactedShard names the item a model's old buckets are folded into.
const compactedShard = "C"

// CompactModels bounds what a refresh reads: with a memory window, items of expired
// buckets are deleted; without one, every model's items older than the bucket before
// the current one (writers add to the current bucket, late responses to the one
// before) are folded into one compacted item per model, their counters multiplied by
// the decay between the two buckets (Memory.Fold), so every later read is the same.
// Each fold is one transaction: add to the compacted item, delete the folded item if
// no update came since it was read; a write that slips in cancels the fold, and nothing
// is lost or counted twice (the next compaction folds it). Run it weekly, or whenever
// the buckets outgrow the refresh budget.
func (s *Store) CompactModels(ctx context.Context, at time.Time, m adaptive.Memory) (Compaction, error) {
	var c Compaction
	if m.Bucket <= 0 {
		return c, nil // one bucket for ever: nothing to fold
	}
	now := m.BucketOf(at)
	into := now - 2
	// Each item is its own request (a delete or a two-item transaction), so a few run at
	// once; a model's folds into its compacted item are additions, in any order.
	var mu sync.Mutex
	var firstErr error
	work := make(chan map[string]types.AttributeValue)
	var wg sync.WaitGroup
	for range compactionWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for item := range work {
				outcome, err := s.compactItem(ctx, item, m, now, into)
				mu.Lock()
				switch {
				case err != nil && firstErr == nil:
					firstErr = err
				case outcome == deleted:
					c.Deleted++
				case outcome == folded:
					c.Folded++
				case outcome == skipped:
					c.Skipped++
				}
				mu.Unlock()
			}
		}()
	}
	pages := dynamodb.NewScanPaginator(s.db, &dynamodb.ScanInput{TableName: &s.tables.Models})
	var scanErr error
	for pages.HasMorePages() && scanErr == nil {
		page, err := pages.NextPage(ctx)
		if err != nil {
			scanErr = fmt.Errorf("compact models: %w", err)
			break
		}
		for _, item := range page.Items {
			c.Items++
			work <- item
		}
	}
	close(work)
	wg.Wait()
	return c, errors.Join(scanErr, firstErr)
}

// compactionWorkers is how many items CompactModels deletes or folds at once.
const compactionWorkers = 8

// compactOutcome is what compaction did with one item.
type compactOutcome int

const (
	kept compactOutcome = iota
	deleted
	folded
	skipped
)

// compactItem deletes one item if its bucket has expired, or folds it into its model's
// compacted item if it is old enough and memory allows.
func (s *Store) compactItem(ctx context.Context, item map[string]types.AttributeValue, m adaptive.Memory, now, into int64) (compactOutcome, error) {
	bucket := int64(getNumber(item, "bucket"))
	key := map[string]types.AttributeValue{"pk": item["pk"], "sk": item["sk"]}
	if m.Expired(bucket, now) {
		if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.tables.Models, Key: key}); err != nil {
			return kept, fmt.Errorf("compact models: delete an expired bucket: %w", err)
		}
		return deleted, nil
	}
	factor, ok := m.Fold(bucket, into)
	if !ok || (bucket == into && getString(item, "sk") == compactedSK(into)) {
		return kept, nil
	}
	done, err := s.fold(ctx, item, key, into, factor)
	switch {
	case err != nil:
		return kept, err
	case done:
		return folded, nil
	default:
		return skipped, nil
	}
}

func compactedSK(bucket int64) string {
	return "B#" + strconv.FormatInt(bucket, 10) + "#S#" + compactedShard
}

// fold moves one item's counters, multiplied by factor, into its model's compacted
// item at bucket into, in one transaction that deletes the item only if its write
// count is still the one read. It reports false when a write came in between, or when
// another fold into the same compacted item was under way (the transactions conflict;
// the next compaction folds it).
func (s *Store) fold(ctx context.Context, item, key map[string]types.AttributeValue, into int64, factor float64) (bool, error) {
	model := decision.ModelKey{ActionID: getString(item, "actionId"), Channel: getString(item, "channel")}
	var delta adaptive.Delta
	for attr := range item {
		k, ok := counterKey(attr, into)
		if !ok {
			continue
		}
		if n := int64(math.Round(getNumber(item, attr) * factor)); n != 0 {
			delta = append(delta, adaptive.Increment{Key: k, N: n})
		}
	}
	del := &types.Delete{TableName: &s.tables.Models, Key: key, ExpressionAttributeNames: map[string]string{"#w": writesAttr}}
	if w, ok := item[writesAttr]; ok {
		del.ConditionExpression = aws.String("#w = :w")
		del.ExpressionAttributeValues = map[string]types.AttributeValue{":w": w}
	} else {
		del.ConditionExpression = aws.String("attribute_not_exists(#w)")
	}
	items := []types.TransactWriteItem{{Delete: del}}
	if len(delta) > 0 {
		compacted := map[string]types.AttributeValue{"pk": key["pk"], "sk": str(compactedSK(into))}
		items = append(items, types.TransactWriteItem{Update: s.addCountersTo(model, delta, compacted)})
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("compact models: fold %s: %w", getString(item, "sk"), err)
	}
	return true, nil
}
