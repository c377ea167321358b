package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nextbest/nextbest/shared/decision"
)

// Catalog versions. Every publish writes an immutable item CATALOG/V#<8 digits> and
// copies it into CATALOG/LIVE, which is all the functions read. A rollback does not
// write a new version: it re-points LIVE at the earlier version's number and source
// ("version 3 is live again") and records when, and from which version, it happened
// (rolledBackAt, rolledBackFrom). The functions' catalog cache compares the live
// version string with the one it holds, so going from 5 back to 3 is picked up like
// any publish, within the cache's maximum age. Version numbers keep growing: the next
// publish after that rollback is version 6, never a second version 4.

// CatalogVersion describes one published version.
type CatalogVersion struct {
	Version     string
	PublishedAt time.Time
	// Live is true for the version the functions serve.
	Live bool
	// RolledBackAt is set on the live version when it became live again by a rollback,
	// and RolledBackFrom is the version that was live before.
	RolledBackAt   time.Time
	RolledBackFrom string
}

// parseVersion checks a version string as an operator types it ("3").
func parseVersion(version string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(version))
	if err != nil || n <= 0 {
		return 0, decision.Errorf(decision.EInvalid, "catalog version %q is not a positive whole number", version)
	}
	return n, nil
}

// ListCatalogVersions returns every published version, oldest first, with the live
// one marked. It reads the versions' numbers and dates, not their sources.
func (s *Store) ListCatalogVersions(ctx context.Context) ([]CatalogVersion, error) {
	live, err := s.getCatalogItem(ctx, "LIVE", "version", "rolledBackAt", "rolledBackFrom")
	if err != nil {
		return nil, fmt.Errorf("list catalog versions: %w", err)
	}
	pages := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                &s.tables.Catalog,
		KeyConditionExpression:   aws.String("#pk = :pk AND begins_with(#sk, :prefix)"),
		ProjectionExpression:     aws.String("#version, #publishedAt"),
		ExpressionAttributeNames: map[string]string{"#pk": "pk", "#sk": "sk", "#version": "version", "#publishedAt": "publishedAt"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(catalogPartition), ":prefix": str("V#"),
		},
		ConsistentRead: aws.Bool(true),
	})
	var out []CatalogVersion
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list catalog versions: %w", err)
		}
		for _, item := range page.Items {
			v := CatalogVersion{Version: getString(item, "version"), PublishedAt: getTime(item, "publishedAt")}
			if live != nil && v.Version == getString(live, "version") {
				v.Live = true
				v.RolledBackAt = getTime(live, "rolledBackAt")
				v.RolledBackFrom = getString(live, "rolledBackFrom")
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// CatalogSource returns the source of one published version as it was published.
func (s *Store) CatalogSource(ctx context.Context, version string) ([]byte, error) {
	n, err := parseVersion(version)
	if err != nil {
		return nil, err
	}
	item, err := s.getCatalogItem(ctx, versionSortKey(n), "source")
	if err != nil {
		return nil, fmt.Errorf("read catalog version %d: %w", n, err)
	}
	if item == nil {
		return nil, decision.Errorf(decision.ENotFound, "catalog version %d does not exist", n)
	}
	return []byte(getString(item, "source")), nil
}

// RollbackCatalog makes an earlier (or any other) published version live again. It is
// RollbackCatalogFrom with the version live at the moment of the call.
func (s *Store) RollbackCatalog(ctx context.Context, version string, now time.Time) error {
	live, err := s.LiveCatalogVersion(ctx)
	if err != nil {
		return err
	}
	return s.RollbackCatalogFrom(ctx, live, version, now)
}

// RollbackCatalogFrom makes version live again, provided that from is still the live
// version: an operator who reviewed the difference between from and version must not
// silently overwrite a catalog someone else published meanwhile. When the live version
// is no longer from, it returns an EConflict error and changes nothing; an unknown
// version is ENotFound. Rolling back to the version that is live changes nothing.
func (s *Store) RollbackCatalogFrom(ctx context.Context, from, version string, now time.Time) error {
	n, err := parseVersion(version)
	if err != nil {
		return err
	}
	target, err := s.getCatalogItem(ctx, versionSortKey(n), "version", "source", "publishedAt")
	if err != nil {
		return fmt.Errorf("read catalog version %d: %w", n, err)
	}
	if target == nil {
		return decision.Errorf(decision.ENotFound, "catalog version %d does not exist", n)
	}
	version = getString(target, "version")
	if version == from {
		live, err := s.LiveCatalogVersion(ctx)
		if err != nil {
			return err
		}
		if live != from {
			return decision.Errorf(decision.EConflict, "the live catalog is version %s, not %s", live, from)
		}
		return nil
	}
	live := catalogKey("LIVE")
	for _, k := range []string{"version", "source", "publishedAt"} {
		live[k] = target[k]
	}
	live["rolledBackAt"] = str(now.UTC().Format(time.RFC3339))
	live["rolledBackFrom"] = str(from)
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 &s.tables.Catalog,
		Item:                      live,
		ConditionExpression:       aws.String("#version = :from"),
		ExpressionAttributeNames:  map[string]string{"#version": "version"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":from": str(from)},
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return decision.Errorf(decision.EConflict,
			"the live catalog is no longer version %s (another publish or rollback happened); review the difference and roll back again", from)
	}
	if err != nil {
		return fmt.Errorf("roll back catalog to version %s: %w", version, err)
	}
	return nil
}

// highestCatalogVersion is the greatest version number ever published, 0 when none.
// After a rollback the live version is not the highest, so the next publish numbers
// from here.
func (s *Store) highestCatalogVersion(ctx context.Context) (int, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                &s.tables.Catalog,
		KeyConditionExpression:   aws.String("#pk = :pk AND begins_with(#sk, :prefix)"),
		ProjectionExpression:     aws.String("#sk"),
		ExpressionAttributeNames: map[string]string{"#pk": "pk", "#sk": "sk"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(catalogPartition), ":prefix": str("V#"),
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(1),
		ConsistentRead:   aws.Bool(true),
	})
	if err != nil {
		return 0, fmt.Errorf("read highest catalog version: %w", err)
	}
	if len(out.Items) == 0 {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimPrefix(getString(out.Items[0], "sk"), "V#"))
	if err != nil {
		return 0, fmt.Errorf("read highest catalog version: malformed sort key %q", getString(out.Items[0], "sk"))
	}
	return n, nil
}

// getCatalogItem reads some attributes of one catalog item with a consistent read; a missing
// item is nil, not an error.
func (s *Store) getCatalogItem(ctx context.Context, sk string, attributes ...string) (map[string]types.AttributeValue, error) {
	names := make(map[string]string, len(attributes))
	placeholders := make([]string, len(attributes))
	for i, a := range attributes {
		placeholders[i] = "#a" + strconv.Itoa(i)
		names[placeholders[i]] = a
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                &s.tables.Catalog,
		Key:                      catalogKey(sk),
		ProjectionExpression:     aws.String(strings.Join(placeholders, ", ")),
		ExpressionAttributeNames: names,
		ConsistentRead:           aws.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	return out.Item, nil
}
