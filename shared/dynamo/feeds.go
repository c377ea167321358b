package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nextbest/nextbest/shared/service"
)

var _ service.FeedStore = (*Store)(nil)

// Context feeds live in the Catalog table, beside what decisions read from memory:
// FEED / <name>, one item per feed holding its latest JSON document.
func feedKey(name string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str("FEED"), "sk": str(name)}
}

// PutFeed stores a feed's latest observations, replacing the previous ones.
func (s *Store) PutFeed(ctx context.Context, name string, doc []byte, at time.Time) error {
	item := feedKey(name)
	item["doc"] = str(string(doc))
	item["fetchedAt"] = str(at.UTC().Format(time.RFC3339Nano))
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.tables.Catalog, Item: item}); err != nil {
		return fmt.Errorf("store feed %s: %w", name, err)
	}
	return nil
}

// LoadFeed reads a feed's latest observations; found is false before the first refresh.
func (s *Store) LoadFeed(ctx context.Context, name string) ([]byte, bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.tables.Catalog, Key: feedKey(name),
		ProjectionExpression: aws.String("doc")})
	if err != nil {
		return nil, false, fmt.Errorf("read feed %s: %w", name, err)
	}
	if out.Item == nil {
		return nil, false, nil
	}
	return []byte(getString(out.Item, "doc")), true, nil
}
