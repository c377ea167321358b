package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"strings"
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
// integer millionths, and read back as they are.

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

// addCounters is one atomic update adding a response's counters to a shard. Additions
// commute, so concurrent writers never lose or double an update. A delta's increments
// all fall in one time bucket, the response's.
func (s *Store) addCounters(k decision.ModelKey, delta adaptive.Delta, shard int) *types.Update {
	names := map[string]string{"#a": "actionId", "#c": "channel", "#b": "bucket"}
	values := map[string]types.AttributeValue{
		":a": str(k.ActionID), ":c": str(k.Channel), ":b": number(float64(delta[0].Key.Bucket)),
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
		Key:                       modelKey(k, delta[0].Key.Bucket, shard),
		UpdateExpression:          aws.String("ADD " + strings.Join(adds, ", ") + " SET #a = :a, #c = :c, #b = :b"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}
}

// LoadModels reads every model's counters at time at. Callers cache the result and
// refresh it on a short interval.
func (s *Store) LoadModels(ctx context.Context, at time.Time) (*decision.Models, error) {
	counters := map[decision.ModelKey]map[adaptive.Key]int64{}
	pages := dynamodb.NewScanPaginator(s.db, &dynamodb.ScanInput{TableName: &s.tables.Models})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("load models: %w", err)
		}
		for _, item := range page.Items {
			key := decision.ModelKey{ActionID: getString(item, "actionId"), Channel: getString(item, "channel")}
			if counters[key] == nil {
				counters[key] = map[adaptive.Key]int64{}
			}
			bucket := int64(getNumber(item, "bucket"))
			for attr := range item {
				positive := strings.HasPrefix(attr, successPrefix)
				if !positive && !strings.HasPrefix(attr, impressionPrefix) {
					continue
				}
				predictor, bin, _ := strings.Cut(attr[len(successPrefix):], "/")
				k := adaptive.Key{Bucket: bucket, Predictor: predictor, Positive: positive, Bin: bin}
				counters[key][k] += int64(getNumber(item, attr))
			}
		}
	}
	states := make(map[decision.ModelKey]*adaptive.State, len(counters))
	for key, c := range counters {
		states[key] = adaptive.StateFromImpressions(c)
	}
	return decision.NewModels(states, at), nil
}
