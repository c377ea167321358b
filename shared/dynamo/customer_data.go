package dynamo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

// Everything held about one customer is in two places: their partition of the
// Customers table (profile, contact history, outcome events), and the items of the
// Decisions table that carry their id (decisions, response and delivery claims),
// which the byCustomer index finds. A send lease is keyed by its decision's id and
// found from the decisions. Model counters are aggregates over customers and hold no
// one's data.

// customerIndex is the Decisions table's index on customerId (template.yaml).
const customerIndex = "byCustomer"

// CustomerData reads everything held about one customer, for an export.
func (s *Store) CustomerData(ctx context.Context, customerID string) (service.CustomerData, error) {
	data := service.CustomerData{CustomerID: customerID}
	err := s.customerPartition(ctx, customerID, func(item map[string]types.AttributeValue) {
		switch sk := getString(item, "sk"); {
		case sk == profileSortKey:
			sp := readStoredProfile(customerID, item)
			data.Profile = &sp
		case strings.HasPrefix(sk, historyPrefix):
			data.History = append(data.History, readContact(item))
		case strings.HasPrefix(sk, outcomePrefix):
			data.Outcomes = append(data.Outcomes, readOutcome(customerID, item))
		}
	})
	if err != nil {
		return service.CustomerData{}, err
	}
	keys, err := s.customerDecisionKeys(ctx, customerID)
	if err != nil {
		return service.CustomerData{}, err
	}
	for _, k := range keys {
		pk := getString(k, "pk")
		switch {
		case strings.HasPrefix(pk, "D#"):
			out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.tables.Decisions, Key: k, ConsistentRead: aws.Bool(true)})
			if err != nil {
				return service.CustomerData{}, fmt.Errorf("read decision %s: %w", pk, err)
			}
			if out.Item != nil {
				data.Decisions = append(data.Decisions, readDecision(strings.TrimPrefix(pk, "D#"), out.Item))
			}
		case strings.HasPrefix(pk, "R#"):
			out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.tables.Decisions, Key: k, ConsistentRead: aws.Bool(true)})
			if err != nil {
				return service.CustomerData{}, fmt.Errorf("read response claim %s: %w", pk, err)
			}
			if out.Item != nil {
				data.Responses = append(data.Responses, readClaim(out.Item))
			}
		}
	}
	return data, nil
}

// EraseCustomer deletes everything held about one customer and returns how many items
// it deleted. The index is eventually consistent, so it repeats until a round finds
// nothing left; a decision being logged for the customer at that very moment can
// still land after it returns, which is why channels stop deciding for a customer
// before the erasure is requested.
func (s *Store) EraseCustomer(ctx context.Context, customerID string) (int, error) {
	deleted := 0
	for round := 0; round < 5; round++ {
		var customerKeys []map[string]types.AttributeValue
		err := s.customerPartition(ctx, customerID, func(item map[string]types.AttributeValue) {
			customerKeys = append(customerKeys, map[string]types.AttributeValue{"pk": item["pk"], "sk": item["sk"]})
		})
		if err != nil {
			return deleted, err
		}
		decisionKeys, err := s.customerDecisionKeys(ctx, customerID)
		if err != nil {
			return deleted, err
		}
		for _, k := range decisionKeys {
			if pk := getString(k, "pk"); strings.HasPrefix(pk, "D#") {
				decisionKeys = append(decisionKeys, sendLeaseKey(strings.TrimPrefix(pk, "D#")))
			}
		}
		if len(customerKeys) == 0 && len(decisionKeys) == 0 {
			return deleted, nil
		}
		if err := s.batchWrite(ctx, s.tables.Customers, deleteRequests(customerKeys)); err != nil {
			return deleted, fmt.Errorf("erase customer: %w", err)
		}
		if err := s.batchWrite(ctx, s.tables.Decisions, deleteRequests(decisionKeys)); err != nil {
			return deleted, fmt.Errorf("erase customer: %w", err)
		}
		deleted += len(customerKeys) + len(decisionKeys)
	}
	return deleted, fmt.Errorf("erase customer: items kept appearing after 5 rounds; stop the channels deciding for this customer and erase again")
}

func deleteRequests(keys []map[string]types.AttributeValue) []types.WriteRequest {
	out := make([]types.WriteRequest, len(keys))
	for i, k := range keys {
		out[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}}
	}
	return out
}

// customerPartition calls fn with every item of the customer's partition.
func (s *Store) customerPartition(ctx context.Context, customerID string, fn func(map[string]types.AttributeValue)) error {
	pages := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                 &s.tables.Customers,
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": customerKey(customerID)},
		ConsistentRead:            aws.Bool(true),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("read customer %s: %w", customerID, err)
		}
		for _, item := range page.Items {
			fn(item)
		}
	}
	return nil
}

// customerDecisionKeys returns the keys of the Decisions table's items about the customer.
func (s *Store) customerDecisionKeys(ctx context.Context, customerID string) ([]map[string]types.AttributeValue, error) {
	var keys []map[string]types.AttributeValue
	pages := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                 &s.tables.Decisions,
		IndexName:                 aws.String(customerIndex),
		KeyConditionExpression:    aws.String("customerId = :c"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": str(customerID)},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("find the decisions of customer %s: %w", customerID, err)
		}
		for _, item := range page.Items {
			keys = append(keys, map[string]types.AttributeValue{"pk": item["pk"], "sk": item["sk"]})
		}
	}
	return keys, nil
}

var _ service.HeldOutDecisionReader = (*Store)(nil)

// HeldOutDecisions reads the customer's decisions of the silence control group made
// between from and to (both included), newest first. The customer index holds keys
// only, so it reads each decision's time and group in batches of 100 and only the
// held-out ones whole: a purchase of a customer who visits every day costs a few
// reads, not one per visit.
func (s *Store) HeldOutDecisions(ctx context.Context, customerID string, from, to time.Time) ([]decision.LoggedDecision, error) {
	keys, err := s.customerDecisionKeys(ctx, customerID)
	if err != nil {
		return nil, err
	}
	keys = slices.DeleteFunc(keys, func(k map[string]types.AttributeValue) bool { return !strings.HasPrefix(getString(k, "pk"), "D#") })
	type heldOut struct {
		key map[string]types.AttributeValue
		at  time.Time
	}
	var found []heldOut
	for start := 0; start < len(keys); start += 100 {
		request := types.KeysAndAttributes{Keys: keys[start:min(start+100, len(keys))],
			ProjectionExpression: aws.String("pk, sk, decidedAt, controlGroup")}
		err := s.batchGet(ctx, s.tables.Decisions, request, func(item map[string]types.AttributeValue) {
			at := getTime(item, "decidedAt")
			if getString(item, "controlGroup") == decision.ControlSilence && !at.Before(from) && !at.After(to) {
				found = append(found, heldOut{key: map[string]types.AttributeValue{"pk": item["pk"], "sk": item["sk"]}, at: at})
			}
		})
		if err != nil {
			return nil, fmt.Errorf("read the decisions of customer %s: %w", customerID, err)
		}
	}
	slices.SortFunc(found, func(a, b heldOut) int { return b.at.Compare(a.at) })
	out := make([]decision.LoggedDecision, 0, len(found))
	for _, h := range found {
		res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.tables.Decisions, Key: h.key})
		if err != nil {
			return nil, fmt.Errorf("read decision %s: %w", getString(h.key, "pk"), err)
		}
		if res.Item != nil {
			out = append(out, readDecision(strings.TrimPrefix(getString(h.key, "pk"), "D#"), res.Item))
		}
	}
	return out, nil
}

// readClaim reads a response claim: one of a decision's (sk names the claim), or the
// engine's own (sk "R", pk names the claim).
func readClaim(item map[string]types.AttributeValue) service.ResponseClaim {
	pk, sk := strings.TrimPrefix(getString(item, "pk"), claimPrefix), getString(item, "sk")
	c := service.ResponseClaim{DecisionID: pk, Claim: sk, ActionID: getString(item, "actionId"),
		Outcome: getString(item, "outcome"), Value: optionalNumber(item, "value")}
	if sk == "R" {
		c.DecisionID, c.Claim = "", pk
	}
	return c
}
