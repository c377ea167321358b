package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nextbest/nextbest/shared/service"
)

// A fanned-out run's sending pass finishes with one more item beside the run's
// record (runs.go):
//
//	RUN#<runId>  FINISH   the set of segments sent, and whether the run was reported finished
//
// GetRun skips it, as it skips the sketches and their barrier.

var _ service.RunBarrier = (*Store)(nil)

const runFinishKey = "FINISH"

// SegmentSent adds a segment to the run's set of sent segments, a number set updated
// atomically (a duplicate adds nothing), and returns the set as the update left it:
// of two workers finishing together, the later update sees both segments.
func (s *Store) SegmentSent(ctx context.Context, runID string, segment int, expiresAt time.Time) ([]int, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        &s.tables.Decisions,
		Key:              runKey(runID, runFinishKey),
		UpdateExpression: aws.String("ADD sent :seg SET expiresAt = :exp"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":seg": &types.AttributeValueMemberNS{Value: []string{strconv.Itoa(segment)}},
			":exp": unixSeconds(expiresAt),
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	if err != nil {
		return nil, fmt.Errorf("count segment %d of run %s sent: %w", segment, runID, err)
	}
	set, _ := out.Attributes["sent"].(*types.AttributeValueMemberNS)
	if set == nil {
		return nil, fmt.Errorf("count segment %d of run %s sent: the update returned no set", segment, runID)
	}
	sent := make([]int, 0, len(set.Value))
	for _, v := range set.Value {
		seg, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("segments sent of run %s: %w", runID, err)
		}
		sent = append(sent, seg)
	}
	slices.Sort(sent)
	return sent, nil
}

// ClaimFinish marks the run reported finished with a conditional update, which
// succeeds once: it reports true to that caller and false to every later one.
func (s *Store) ClaimFinish(ctx context.Context, runID string, expiresAt time.Time) (bool, error) {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.tables.Decisions,
		Key:                 runKey(runID, runFinishKey),
		UpdateExpression:    aws.String("SET finished = :yes, expiresAt = if_not_exists(expiresAt, :exp)"),
		ConditionExpression: aws.String("attribute_not_exists(finished)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":yes": &types.AttributeValueMemberBOOL{Value: true},
			":exp": unixSeconds(expiresAt),
		},
	})
	var taken *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &taken):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("claim the finish of run %s: %w", runID, err)
	}
	return true, nil
}
