package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nextbest/nextbest/shared/decision"
)

const (
	profileSortKey = "PROFILE"
	historyPrefix  = "H#"
	// HistoryRetention is how long contact history items live (see
	// decision.ContactHistoryRetention).
	HistoryRetention = decision.ContactHistoryRetention
)

func customerKey(id string) types.AttributeValue { return str("C#" + id) }

// LoadCustomer reads a customer's profile and contact history since the given time
// in one Query: history sort keys ("H#<time>") sort before "PROFILE", so the range
// sk ≥ "H#<since>" holds exactly the recent history and the profile.
func (s *Store) LoadCustomer(ctx context.Context, customerID string, since time.Time) (decision.Profile, error) {
	p := decision.Profile{CustomerID: customerID}
	input := &dynamodb.QueryInput{
		TableName:              &s.tables.Customers,
		KeyConditionExpression: aws.String("pk = :pk AND sk >= :since"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":    customerKey(customerID),
			":since": str(historyPrefix + sortableTime(since)),
		},
	}
	pages := dynamodb.NewQueryPaginator(s.db, input)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return decision.Profile{}, fmt.Errorf("load customer %s: %w", customerID, err)
		}
		for _, item := range page.Items {
			addCustomerItem(&p, item, "")
		}
	}
	return p, nil
}

func readProfile(item map[string]types.AttributeValue, p *decision.Profile) {
	p.Known = true
	p.TimeZone = getString(item, "timeZone")
	if m, ok := item["attributes"].(*types.AttributeValueMemberM); ok {
		p.Attributes = fromAttributeMap(m.Value)
	}
	if m, ok := item["consents"].(*types.AttributeValueMemberM); ok {
		p.Consents = make(map[string]bool, len(m.Value))
		for ch, v := range m.Value {
			b, _ := v.(*types.AttributeValueMemberBOOL)
			p.Consents[ch] = b != nil && b.Value
		}
	}
}

func readContact(item map[string]types.AttributeValue) decision.ContactEvent {
	return decision.ContactEvent{
		At:       getTime(item, "at"),
		Kind:     getString(item, "kind"),
		ActionID: getString(item, "actionId"),
		Channel:  getString(item, "channel"),
		Outcome:  getString(item, "outcome"),
		Value:    optionalNumber(item, "value"),
	}
}

func profileItem(p decision.Profile) (map[string]types.AttributeValue, error) {
	attrs, err := toAttributeMap(p.Attributes)
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", p.CustomerID, err)
	}
	consents := make(map[string]types.AttributeValue, len(p.Consents))
	for ch, ok := range p.Consents {
		consents[ch] = &types.AttributeValueMemberBOOL{Value: ok}
	}
	return map[string]types.AttributeValue{
		"pk":         customerKey(p.CustomerID),
		"sk":         str(profileSortKey),
		"customerId": str(p.CustomerID),
		"timeZone":   str(p.TimeZone),
		"attributes": &types.AttributeValueMemberM{Value: attrs},
		"consents":   &types.AttributeValueMemberM{Value: consents},
	}, nil
}

// contactItem is a history entry; eventID makes entries at the same instant distinct
// and makes rewriting the same event idempotent.
func contactItem(customerID, eventID string, e decision.ContactEvent) map[string]types.AttributeValue {
	item := map[string]types.AttributeValue{
		"pk":        customerKey(customerID),
		"sk":        str(historyPrefix + sortableTime(e.At) + "#" + eventID),
		"kind":      str(e.Kind),
		"actionId":  str(e.ActionID),
		"channel":   str(e.Channel),
		"at":        str(e.At.UTC().Format(time.RFC3339Nano)),
		"expiresAt": unixSeconds(e.At.Add(HistoryRetention)),
	}
	if e.Outcome != "" {
		item["outcome"] = str(e.Outcome)
	}
	if e.Value != nil {
		item["value"] = number(*e.Value)
	}
	return item
}

// PutProfiles writes profiles and their histories in batches; it is how the seed
// loads a customer base.
func (s *Store) PutProfiles(ctx context.Context, profiles []decision.Profile) error {
	var batch []types.WriteRequest
	for _, p := range profiles {
		item, err := profileItem(p)
		if err != nil {
			return err
		}
		batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
		for i, e := range p.History {
			batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{
				Item: contactItem(p.CustomerID, fmt.Sprintf("seed%d", i), e)}})
		}
	}
	return s.batchWrite(ctx, s.tables.Customers, batch)
}

// batchWrite writes in chunks of 25, DynamoDB's limit, and retries what the service
// left unprocessed under throttling, backing off between attempts.
func (s *Store) batchWrite(ctx context.Context, table string, requests []types.WriteRequest) error {
	for start := 0; start < len(requests); start += 25 {
		pending := requests[start:min(start+25, len(requests))]
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt > 0 {
				if attempt > 8 {
					return fmt.Errorf("batch write %s: %d items still unprocessed", table, len(pending))
				}
				if err := sleep(ctx, backoff(attempt)); err != nil {
					return err
				}
			}
			out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
				RequestItems: map[string][]types.WriteRequest{table: pending},
			})
			if err != nil {
				return fmt.Errorf("batch write %s: %w", table, err)
			}
			pending = out.UnprocessedItems[table]
		}
	}
	return nil
}
