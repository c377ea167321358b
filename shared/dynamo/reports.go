package dynamo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

var _ service.LiftSource = (*Store)(nil)

// A lift report reads the whole decision log of its window and every customer's
// outcomes: occasional operator reads, which two parallel scans serve better than a
// query per customer. Times are compared after reading, since RFC 3339 text with
// trimmed fractions does not sort as time does.

// ScanDecisionLog calls fn with every logged decision made in [from, to), reading one
// segment of a parallel scan.
func (s *Store) ScanDecisionLog(ctx context.Context, from, to time.Time, segment, segments int, fn func(decision.LoggedDecision) error) error {
	return s.scanSegment(ctx, s.tables.Decisions, "begins_with(pk, :d)", nil, map[string]types.AttributeValue{":d": str("D#")}, segment, segments,
		func(item map[string]types.AttributeValue) error {
			d := readDecision(strings.TrimPrefix(getString(item, "pk"), "D#"), item)
			if d.DecidedAt.Before(from) || !d.DecidedAt.Before(to) {
				return nil
			}
			return fn(d)
		})
}

// ScanOutcomes calls fn with every outcome event and every recorded response that
// occurred at or after since, reading one segment of a parallel scan of the customers.
func (s *Store) ScanOutcomes(ctx context.Context, since time.Time, segment, segments int, fn func(service.CustomerOutcome) error) error {
	filter := "begins_with(sk, :o) OR (begins_with(sk, :h) AND #kind = :response)"
	names := map[string]string{"#kind": "kind"}
	values := map[string]types.AttributeValue{":o": str(outcomePrefix), ":h": str(historyPrefix), ":response": str(decision.KindResponse)}
	return s.scanSegment(ctx, s.tables.Customers, filter, names, values, segment, segments, func(item map[string]types.AttributeValue) error {
		customerID := strings.TrimPrefix(getString(item, "pk"), "C#")
		if strings.HasPrefix(getString(item, "sk"), outcomePrefix) {
			e := readOutcome(customerID, item)
			if e.OccurredAt.Before(since) {
				return nil
			}
			return fn(service.CustomerOutcome{CustomerID: customerID, Event: &e, RecordedAt: getTime(item, "recordedAt")})
		}
		r := readContact(item)
		if r.At.Before(since) {
			return nil
		}
		return fn(service.CustomerOutcome{CustomerID: customerID, Response: &r, RecordedAt: r.At})
	})
}

// scanSegment reads one segment of a filtered parallel scan.
func (s *Store) scanSegment(ctx context.Context, table, filter string, names map[string]string, values map[string]types.AttributeValue,
	segment, segments int, fn func(map[string]types.AttributeValue) error) error {
	in := &dynamodb.ScanInput{TableName: &table, FilterExpression: aws.String(filter), ExpressionAttributeNames: names, ExpressionAttributeValues: values}
	if segments > 1 {
		seg, total := int32(segment), int32(segments)
		in.Segment, in.TotalSegments = &seg, &total
	}
	pages := dynamodb.NewScanPaginator(s.db, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("scan %s segment %d: %w", table, segment, err)
		}
		for _, item := range page.Items {
			if err := fn(item); err != nil {
				return err
			}
		}
	}
	return nil
}
