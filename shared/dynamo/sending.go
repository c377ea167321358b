package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nextbest/nextbest/shared/service"
)

var _ service.SendLeases = (*Store)(nil)

// sendLeaseTTL keeps a lease item a day past its end, for inspection, before
// DynamoDB's TTL removes it.
const sendLeaseTTL = 24 * time.Hour

func sendLeaseKey(decisionID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str("S#" + decisionID), "sk": str("S")}
}

// ClaimSend takes the lease on a decision's delivery with one conditional put, which
// succeeds when no lease exists or the last one ended.
func (s *Store) ClaimSend(ctx context.Context, decisionID string, now, until time.Time) (bool, error) {
	item := sendLeaseKey(decisionID)
	item["leaseUntil"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(until.UnixMilli(), 10)}
	item["expiresAt"] = unixSeconds(until.Add(sendLeaseTTL))
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           &s.tables.Decisions,
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(pk) OR leaseUntil < :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.UnixMilli(), 10)},
		},
	})
	var held *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &held):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("claim send of %s: %w", decisionID, err)
	}
	return true, nil
}

// ReleaseSend deletes the lease.
func (s *Store) ReleaseSend(ctx context.Context, decisionID string) error {
	if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.tables.Decisions, Key: sendLeaseKey(decisionID)}); err != nil {
		return fmt.Errorf("release send of %s: %w", decisionID, err)
	}
	return nil
}
