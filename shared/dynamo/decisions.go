package dynamo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nextbest/nextbest/shared/adaptive"
	"github.com/nextbest/nextbest/shared/decision"
)

func decisionKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str("D#" + id), "sk": str("D")}
}

// PutDecision logs a decision until its expiry, after which DynamoDB's TTL removes it.
func (s *Store) PutDecision(ctx context.Context, d decision.LoggedDecision) error {
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.tables.Decisions, Item: decisionItem(d)}); err != nil {
		return fmt.Errorf("log decision %s: %w", d.DecisionID, err)
	}
	return nil
}

func decisionItem(d decision.LoggedDecision) map[string]types.AttributeValue {
	offers := make([]types.AttributeValue, len(d.Offers))
	for i, o := range d.Offers {
		offers[i] = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"actionId":    str(o.ActionID),
			"treatmentId": str(o.TreatmentID),
			"propensity":  number(o.Propensity),
			"priority":    number(o.Priority),
			"score":       number(o.Score),
		}}
	}
	item := decisionKey(d.DecisionID)
	item["customerId"] = str(d.CustomerID)
	item["channel"] = str(d.Channel)
	item["decidedAt"] = str(d.DecidedAt.UTC().Format(time.RFC3339Nano))
	item["expiresAt"] = unixSeconds(d.ExpiresAt)
	item["offers"] = &types.AttributeValueMemberL{Value: offers}
	if d.Silence != "" {
		item["silence"] = str(d.Silence)
	}
	if d.ControlGroup != "" {
		item["controlGroup"] = str(d.ControlGroup)
	}
	if len(d.Features) > 0 {
		item["features"] = featuresAttribute(d.Features)
	}
	return item
}

// GetDecision reads a logged decision; a missing or expired one is decision.ENotFound.
// DynamoDB deletes expired items lazily, so expiry is checked here too.
func (s *Store) GetDecision(ctx context.Context, id string, now time.Time) (decision.LoggedDecision, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.tables.Decisions, Key: decisionKey(id)})
	if err != nil {
		return decision.LoggedDecision{}, fmt.Errorf("get decision %s: %w", id, err)
	}
	expires := time.Unix(int64(getNumber(out.Item, "expiresAt")), 0)
	if out.Item == nil || now.After(expires) {
		return decision.LoggedDecision{}, decision.Errorf(decision.ENotFound, "decision %s is unknown or older than the attribution window", id)
	}
	d := decision.LoggedDecision{
		DecisionID:   id,
		CustomerID:   getString(out.Item, "customerId"),
		Channel:      getString(out.Item, "channel"),
		DecidedAt:    getTime(out.Item, "decidedAt"),
		ExpiresAt:    expires,
		Silence:      getString(out.Item, "silence"),
		ControlGroup: getString(out.Item, "controlGroup"),
		Features:     readFeatures(out.Item["features"]),
	}
	if list, ok := out.Item["offers"].(*types.AttributeValueMemberL); ok {
		for _, av := range list.Value {
			if m, ok := av.(*types.AttributeValueMemberM); ok {
				d.Offers = append(d.Offers, decision.LoggedOffer{
					ActionID:    getString(m.Value, "actionId"),
					TreatmentID: getString(m.Value, "treatmentId"),
					Propensity:  getNumber(m.Value, "propensity"),
					Priority:    getNumber(m.Value, "priority"),
					Score:       getNumber(m.Value, "score"),
				})
			}
		}
	}
	return d, nil
}

// RecordResponse applies a response exactly once. In one transaction it claims the
// response id (a conditional put that fails if the id was seen), adds the response to
// its model's counters, appends it to the customer's contact history and, for an
// unsubscribe, withdraws the channel's consent; so all of it happens or none, and a
// duplicate changes nothing. It reports whether the response was a duplicate.
func (s *Store) RecordResponse(ctx context.Context, customerID, responseID string, a decision.Attribution, claimUntil time.Time) (duplicate bool, err error) {
	claim := map[string]types.AttributeValue{
		"pk": str("R#" + responseID), "sk": str("R"),
		"expiresAt": unixSeconds(claimUntil),
	}
	items := []types.TransactWriteItem{
		{Put: &types.Put{
			TableName:           &s.tables.Decisions,
			Item:                claim,
			ConditionExpression: aws.String("attribute_not_exists(pk)"),
		}},
		{Put: &types.Put{TableName: &s.tables.Customers, Item: contactItem(customerID, responseID, a.Contact)}},
	}
	if len(a.Learn) > 0 {
		items = append(items, types.TransactWriteItem{Update: s.addCounters(a.Model, a.Learn, s.shardFor(responseID))})
	}
	consent := -1
	if a.WithdrawConsent != "" {
		consent = len(items)
		items = append(items, types.TransactWriteItem{Update: s.withdrawConsent(customerID, a.WithdrawConsent)})
	}
	// Transactions touching the same counter item at the same moment are cancelled
	// with TransactionConflict; a cancelled transaction changed nothing, so it is
	// retried whole, and the claim still makes it apply at most once.
	for attempt := 0; ; attempt++ {
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		reasons := cancellationReasons(err)
		switch {
		case err == nil:
			return false, nil
		case reasons[0] == "ConditionalCheckFailed":
			return true, nil
		case consent >= 0 && consent < len(reasons) && reasons[consent] == "ConditionalCheckFailed":
			// No stored profile holds consents to withdraw: record the rest.
			items, consent = slices.Delete(items, consent, consent+1), -1
		case slices.Contains(reasons, "TransactionConflict") && attempt < 10:
			if err := sleep(ctx, backoff(attempt)); err != nil {
				return false, err
			}
		default:
			return false, fmt.Errorf("record response %s: %w", responseID, err)
		}
	}
}

// withdrawConsent turns a customer's consent to a channel off, if the customer has a
// stored profile.
func (s *Store) withdrawConsent(customerID, channel string) *types.Update {
	return &types.Update{
		TableName:                 &s.tables.Customers,
		Key:                       map[string]types.AttributeValue{"pk": customerKey(customerID), "sk": str(profileSortKey)},
		UpdateExpression:          aws.String("SET consents.#ch = :off"),
		ConditionExpression:       aws.String("attribute_exists(consents)"),
		ExpressionAttributeNames:  map[string]string{"#ch": channel},
		ExpressionAttributeValues: map[string]types.AttributeValue{":off": &types.AttributeValueMemberBOOL{Value: false}},
	}
}

// cancellationReasons returns, item by item, why a transaction was cancelled ("" for
// an item that was not the cause), or one empty reason when err is not a cancellation.
func cancellationReasons(err error) []string {
	var cancelled *types.TransactionCanceledException
	if !errors.As(err, &cancelled) || len(cancelled.CancellationReasons) == 0 {
		return []string{""}
	}
	reasons := make([]string, len(cancelled.CancellationReasons))
	for i, r := range cancelled.CancellationReasons {
		if code := aws.ToString(r.Code); code != "None" {
			reasons[i] = code
		}
	}
	return reasons
}

// shardFor spreads responses over a model's counter shards. Hashing the response id
// (rather than picking at random) sends a retried write to the same shard.
func (s *Store) shardFor(responseID string) int {
	h := fnv.New32a()
	h.Write([]byte(responseID))
	return int(h.Sum32() % uint32(s.shards))
}

// ResponseRecorded reports whether a response id has been claimed.
func (s *Store) ResponseRecorded(ctx context.Context, responseID string) (bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:            &s.tables.Decisions,
		Key:                  map[string]types.AttributeValue{"pk": str("R#" + responseID), "sk": str("R")},
		ProjectionExpression: aws.String("pk"),
		ConsistentRead:       aws.Bool(true),
	})
	if err != nil {
		return false, fmt.Errorf("check response %s: %w", responseID, err)
	}
	return out.Item != nil, nil
}

// featuresAttribute stores predictor values as a map: symbols as strings, numbers as
// numbers, missing values as NULL.
func featuresAttribute(f map[string]adaptive.Value) types.AttributeValue {
	m := make(map[string]types.AttributeValue, len(f))
	for name, v := range f {
		switch {
		case v.Symbol != "":
			m[name] = str(v.Symbol)
		case math.IsNaN(v.Number):
			m[name] = &types.AttributeValueMemberNULL{Value: true}
		default:
			m[name] = number(v.Number)
		}
	}
	return &types.AttributeValueMemberM{Value: m}
}

func readFeatures(av types.AttributeValue) map[string]adaptive.Value {
	m, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		return nil
	}
	f := make(map[string]adaptive.Value, len(m.Value))
	for name, v := range m.Value {
		switch x := v.(type) {
		case *types.AttributeValueMemberS:
			f[name] = adaptive.Symbol(x.Value)
		case *types.AttributeValueMemberN:
			n, _ := strconv.ParseFloat(x.Value, 64)
			f[name] = adaptive.Number(n)
		default:
			f[name] = adaptive.Missing()
		}
	}
	return f
}
