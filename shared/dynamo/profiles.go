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

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

var (
	_ service.ProfileUpdater = (*Store)(nil)
	_ service.OutcomeWriter  = (*Store)(nil)
)

// A profile item carries, besides the profile, a version that every write increments
// (so a read-modify-write can tell that someone else wrote in between), the time of
// its last change, and expiresAt, the end of its retention after the customer's last
// activity, which DynamoDB's TTL acts on.

func profileKey(customerID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": customerKey(customerID), "sk": str(profileSortKey)}
}

func storedProfileItem(sp service.StoredProfile) (map[string]types.AttributeValue, error) {
	item, err := profileItem(sp.Profile)
	if err != nil {
		return nil, err
	}
	item["version"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(sp.Version, 10)}
	if !sp.UpdatedAt.IsZero() {
		item["updatedAt"] = str(sp.UpdatedAt.UTC().Format(time.RFC3339Nano))
	}
	if !sp.ExpiresAt.IsZero() {
		item["expiresAt"] = unixSeconds(sp.ExpiresAt)
	}
	return item, nil
}

func readStoredProfile(customerID string, item map[string]types.AttributeValue) service.StoredProfile {
	sp := service.StoredProfile{Profile: decision.Profile{CustomerID: customerID}}
	if item == nil {
		return sp
	}
	readProfile(item, &sp.Profile)
	sp.Version = int64(getNumber(item, "version"))
	sp.UpdatedAt = getTime(item, "updatedAt")
	if n := getNumber(item, "expiresAt"); n > 0 {
		sp.ExpiresAt = time.Unix(int64(n), 0)
	}
	return sp
}

// GetProfiles reads the stored profiles of many customers, 100 per request with
// strongly consistent reads; customers without a profile are absent from the result.
func (s *Store) GetProfiles(ctx context.Context, customerIDs []string) (map[string]service.StoredProfile, error) {
	out := make(map[string]service.StoredProfile, len(customerIDs))
	for start := 0; start < len(customerIDs); start += 100 {
		keys := make([]map[string]types.AttributeValue, 0, 100)
		for _, id := range customerIDs[start:min(start+100, len(customerIDs))] {
			keys = append(keys, profileKey(id))
		}
		err := s.batchGet(ctx, s.tables.Customers, types.KeysAndAttributes{Keys: keys, ConsistentRead: aws.Bool(true)}, func(item map[string]types.AttributeValue) {
			id := getString(item, "customerId")
			out[id] = readStoredProfile(id, item)
		})
		if err != nil {
			return nil, fmt.Errorf("get profiles: %w", err)
		}
	}
	return out, nil
}

// batchGet reads up to 100 items of one table in one BatchGetItem request, retrying
// the keys DynamoDB leaves unprocessed, and hands each item to fn.
func (s *Store) batchGet(ctx context.Context, table string, request types.KeysAndAttributes, fn func(map[string]types.AttributeValue)) error {
	pending := map[string]types.KeysAndAttributes{table: request}
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt > 0 {
			if attempt > 8 {
				return fmt.Errorf("keys still unprocessed after %d attempts", attempt)
			}
			if err := sleep(ctx, backoff(attempt)); err != nil {
				return err
			}
		}
		res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
		if err != nil {
			return err
		}
		for _, item := range res.Responses[table] {
			fn(item)
		}
		pending = res.UnprocessedKeys
	}
	return nil
}

// WriteProfiles writes profile items (not their histories) in batches of 25, retrying
// what DynamoDB leaves unprocessed. Each item is written whole, so a profile is never
// half-written; the batch is not conditional, so a write racing an update through the
// API for the same customer ends with the last writer's profile.
func (s *Store) WriteProfiles(ctx context.Context, profiles []service.StoredProfile) error {
	requests := make([]types.WriteRequest, 0, len(profiles))
	for _, sp := range profiles {
		item, err := storedProfileItem(sp)
		if err != nil {
			return err
		}
		requests = append(requests, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
	}
	return s.batchWrite(ctx, s.tables.Customers, requests)
}

// UpdateProfile changes one customer's profile with apply, which reports whether it
// changed anything: a strongly consistent read, then a put conditioned on the version
// read, retried when another writer got in between. Nothing is written when apply
// changes nothing. expiresAt (zero: never) is the profile's new end of retention.
func (s *Store) UpdateProfile(ctx context.Context, customerID string, now, expiresAt time.Time, apply func(*decision.Profile) bool) (service.StoredProfile, bool, error) {
	for attempt := 0; ; attempt++ {
		out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.tables.Customers, Key: profileKey(customerID), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return service.StoredProfile{}, false, fmt.Errorf("read profile %s: %w", customerID, err)
		}
		sp := readStoredProfile(customerID, out.Item)
		if !apply(&sp.Profile) {
			return sp, false, nil
		}
		previous := sp.Version
		sp.Version, sp.UpdatedAt, sp.ExpiresAt = previous+1, now, expiresAt
		item, err := storedProfileItem(sp)
		if err != nil {
			return service.StoredProfile{}, false, err
		}
		cond, values := "attribute_not_exists(pk)", map[string]types.AttributeValue(nil)
		if out.Item != nil {
			cond = "version = :v"
			values = map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.FormatInt(previous, 10)}}
			if _, ok := out.Item["version"]; !ok {
				cond = "attribute_not_exists(version)" // written before profiles had versions
				values = nil
			}
		}
		_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.tables.Customers, Item: item,
			ConditionExpression: aws.String(cond), ExpressionAttributeValues: values})
		var raced *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			return sp, true, nil
		case errors.As(err, &raced) && attempt < 8:
			if err := sleep(ctx, backoff(attempt)); err != nil {
				return service.StoredProfile{}, false, err
			}
		default:
			return service.StoredProfile{}, false, fmt.Errorf("write profile %s: %w", customerID, err)
		}
	}
}

// Outcome events live in the customer's partition, keyed by event id, so a retry is
// refused by a conditional put and an erasure removes them with the rest.
const outcomePrefix = "O#"

func outcomeItem(e decision.OutcomeEvent, recordedAt, expiresAt time.Time) map[string]types.AttributeValue {
	item := map[string]types.AttributeValue{
		"pk":         customerKey(e.CustomerID),
		"sk":         str(outcomePrefix + e.EventID),
		"eventId":    str(e.EventID),
		"type":       str(e.Type),
		"currency":   str(e.Currency),
		"occurredAt": str(e.OccurredAt.UTC().Format(time.RFC3339Nano)),
		"recordedAt": str(recordedAt.UTC().Format(time.RFC3339Nano)),
		"expiresAt":  unixSeconds(expiresAt),
	}
	if e.Value != nil {
		item["value"] = number(*e.Value)
	}
	if e.ActionID != "" {
		item["actionId"] = str(e.ActionID)
	}
	if e.ProductID != "" {
		item["productId"] = str(e.ProductID)
	}
	return item
}

func readOutcome(customerID string, item map[string]types.AttributeValue) decision.OutcomeEvent {
	at := getTime(item, "occurredAt")
	e := decision.OutcomeEvent{EventID: getString(item, "eventId"), CustomerID: customerID, Type: getString(item, "type"),
		Currency: getString(item, "currency"), OccurredAt: &at, ActionID: getString(item, "actionId"), ProductID: getString(item, "productId")}
	if _, ok := item["value"]; ok {
		v := getNumber(item, "value")
		e.Value = &v
	}
	return e
}

// PutOutcome stores an outcome event once: a second event with the same id for the
// same customer is a duplicate and changes nothing. In the same transaction it moves
// the customer's profile expiry (profileExpiresAt, when not zero) to after this
// activity, if the customer has a stored profile.
func (s *Store) PutOutcome(ctx context.Context, e decision.OutcomeEvent, recordedAt, expiresAt, profileExpiresAt time.Time) (bool, error) {
	tx := transaction{items: []types.TransactWriteItem{{Put: &types.Put{
		TableName:           &s.tables.Customers,
		Item:                outcomeItem(e, recordedAt, expiresAt),
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	}}}}
	if profile := s.touchProfile(e.CustomerID, "", profileExpiresAt); profile != nil {
		tx.optional(types.TransactWriteItem{Update: profile})
	}
	applied, err := s.transactOnce(ctx, "record outcome "+e.EventID, tx)
	return applied.duplicate, err
}

// touchProfile is the update a customer's activity makes to their profile, if they
// have one: it withdraws a channel's consent (for an unsubscribe) and moves the
// profile's expiry. It is nil when there is nothing to change.
func (s *Store) touchProfile(customerID, withdrawConsent string, expiresAt time.Time) *types.Update {
	var sets []string
	values := map[string]types.AttributeValue{}
	var names map[string]string
	if withdrawConsent != "" {
		sets = append(sets, "consents.#ch = :off")
		names = map[string]string{"#ch": withdrawConsent}
		values[":off"] = &types.AttributeValueMemberBOOL{Value: false}
	}
	if !expiresAt.IsZero() {
		sets = append(sets, "expiresAt = :exp")
		values[":exp"] = unixSeconds(expiresAt)
	}
	if len(sets) == 0 {
		return nil
	}
	expr := "SET " + sets[0]
	for _, s := range sets[1:] {
		expr += ", " + s
	}
	return &types.Update{
		TableName:                 &s.tables.Customers,
		Key:                       profileKey(customerID),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}
}

// transaction is a write whose first item is an idempotency claim (a put conditioned
// on the item not existing), followed by items that always go with it and optional
// groups: a group whose first item's condition fails is left out and the rest is
// written without it (a profile that does not exist, a learn claim already made).
type transaction struct {
	items []types.TransactWriteItem
	// groups are the optional groups' [start, end) ranges in items.
	groups [][2]int
}

// optional appends a group of items that is written only if its first item's
// condition holds, and returns the group's index.
func (t *transaction) optional(items ...types.TransactWriteItem) int {
	t.groups = append(t.groups, [2]int{len(t.items), len(t.items) + len(items)})
	t.items = append(t.items, items...)
	return len(t.groups) - 1
}

// without returns the transaction without group g's items.
func (t transaction) without(g int) transaction {
	start, end := t.groups[g][0], t.groups[g][1]
	out := transaction{items: slices.Concat(t.items[:start], t.items[end:])}
	for i, r := range t.groups {
		switch {
		case i == g:
			out.groups = append(out.groups, [2]int{start, start}) // empty, keeps indices
		case r[0] >= end:
			out.groups = append(out.groups, [2]int{r[0] - (end - start), r[1] - (end - start)})
		default:
			out.groups = append(out.groups, r)
		}
	}
	return out
}

// applied tells what a transaction did: nothing (a duplicate claim), or everything but
// the optional groups dropped.
type applied struct {
	duplicate bool
	dropped   []bool
}

// transactOnce runs t. It reports a duplicate when the claim's condition failed; when
// an optional group's failed, the rest is written without that group. Transactions
// cancelled by a conflict on a hot item changed nothing and are retried whole.
func (s *Store) transactOnce(ctx context.Context, what string, t transaction) (applied, error) {
	result := applied{dropped: make([]bool, len(t.groups))}
	for attempt := 0; ; attempt++ {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: t.items})
		reasons := cancellationReasons(err)
		failed := func(g int) bool {
			r := t.groups[g]
			return r[0] < r[1] && r[0] < len(reasons) && reasons[r[0]] == "ConditionalCheckFailed"
		}
		dropped := -1
		for g := range t.groups {
			if failed(g) {
				dropped = g
				break
			}
		}
		switch {
		case err == nil:
			return result, nil
		case reasons[0] == "ConditionalCheckFailed":
			return applied{duplicate: true}, nil
		case dropped >= 0:
			result.dropped[dropped] = true
			t = t.without(dropped)
		case containsReason(reasons, "TransactionConflict") && attempt < 10:
			if err := sleep(ctx, backoff(attempt)); err != nil {
				return applied{}, err
			}
		default:
			return applied{}, fmt.Errorf("%s: %w", what, err)
		}
	}
}

func containsReason(reasons []string, reason string) bool {
	for _, r := range reasons {
		if r == reason {
			return true
		}
	}
	return false
}
