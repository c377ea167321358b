package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/nextbest/nextbest/shared/decision"
)

// LoadModels reads every model's counters and sums each model's shards. The table
// holds one small item per shard of each action and channel, so a full scan stays
// cheap; callers cache the result and refresh it on a short interval.
func (s *Store) LoadModels(ctx context.Context) (*decision.Models, error) {
	counts := map[decision.ModelKey]decision.Counts{}
	pages := dynamodb.NewScanPaginator(s.db, &dynamodb.ScanInput{TableName: &s.tables.Models})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("load models: %w", err)
		}
		for _, item := range page.Items {
			k := decision.ModelKey{ActionID: getString(item, "actionId"), Channel: getString(item, "channel")}
			counts[k] = counts[k].Add(decision.Counts{
				Impressions: getNumber(item, "impressions"),
				Positives:   getNumber(item, "positives"),
			})
		}
	}
	return decision.NewModels(counts), nil
}
