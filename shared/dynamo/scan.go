package dynamo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nextbest/nextbest/shared/decision"
)

// ScanCustomers reads one segment of a parallel scan of the customer table and calls
// fn once per customer with the profile and the history since the given time. A
// customer's items share a partition key and a parallel scan never splits a partition
// key across segments, and returns its items together in sort-key order; the customer
// being assembled is therefore carried across pages and handed over when the next
// partition key starts.
func (s *Store) ScanCustomers(ctx context.Context, segment, totalSegments int, since time.Time, fn func(decision.Profile) error) error {
	input := &dynamodb.ScanInput{TableName: &s.tables.Customers}
	if totalSegments > 1 {
		seg, total := int32(segment), int32(totalSegments)
		input.Segment, input.TotalSegments = &seg, &total
	}
	var current decision.Profile
	currentKey := ""
	emit := func() error {
		if currentKey == "" || !current.Known {
			return nil // history without a profile belongs to a deleted customer
		}
		return fn(current)
	}
	cutoff := historyPrefix + sortableTime(since)
	pages := dynamodb.NewScanPaginator(s.db, input)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("scan customers segment %d: %w", segment, err)
		}
		for _, item := range page.Items {
			pk := getString(item, "pk")
			if pk != currentKey {
				if err := emit(); err != nil {
					return err
				}
				current, currentKey = decision.Profile{CustomerID: strings.TrimPrefix(pk, "C#")}, pk
			}
			addCustomerItem(&current, item, cutoff)
		}
	}
	return emit()
}

// addCustomerItem folds one item of a customer's partition into the profile,
// keeping history items at or after cutoff.
func addCustomerItem(p *decision.Profile, item map[string]types.AttributeValue, cutoff string) {
	switch sk := getString(item, "sk"); {
	case sk == profileSortKey:
		readProfile(item, p)
	case strings.HasPrefix(sk, historyPrefix) && sk >= cutoff:
		p.History = append(p.History, readContact(item))
	}
}

// PutDecisions logs many decisions in batches.
func (s *Store) PutDecisions(ctx context.Context, ds []decision.LoggedDecision) error {
	requests := make([]types.WriteRequest, len(ds))
	for i, d := range ds {
		requests[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: decisionItem(d)}}
	}
	return s.batchWrite(ctx, s.tables.Decisions, requests)
}
