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

	"github.com/nextbest/nextbest/shared/decision"
)

const catalogPartition = "CATALOG"

func catalogKey(sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str(catalogPartition), "sk": str(sk)}
}

// versionSortKey zero-pads versions so that sort order is numeric order.
func versionSortKey(v int) string { return fmt.Sprintf("V#%08d", v) }

// LiveCatalogVersion returns the version currently live, reading only that field so
// that a function checking for a new catalog pays for a few bytes.
func (s *Store) LiveCatalogVersion(ctx context.Context) (string, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:            &s.tables.Catalog,
		Key:                  catalogKey("LIVE"),
		ProjectionExpression: aws.String("version"),
	})
	if err != nil {
		return "", fmt.Errorf("read live catalog version: %w", err)
	}
	if out.Item == nil {
		return "", decision.Errorf(decision.ENotFound, "no catalog has been published")
	}
	return getString(out.Item, "version"), nil
}

// LoadCatalog reads and compiles the live catalog.
func (s *Store) LoadCatalog(ctx context.Context) (*decision.Catalog, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.tables.Catalog, Key: catalogKey("LIVE")})
	if err != nil {
		return nil, fmt.Errorf("read live catalog: %w", err)
	}
	if out.Item == nil {
		return nil, decision.Errorf(decision.ENotFound, "no catalog has been published")
	}
	version := getString(out.Item, "version")
	c, err := decision.ParseCatalog("version "+version, []byte(getString(out.Item, "source")))
	if err != nil {
		return nil, fmt.Errorf("compile live catalog: %w", err)
	}
	c.Version = version
	return c, nil
}

// PublishCatalog stores source as the next version and makes it live. The caller has
// validated it. It is PublishCatalogFrom with the version live at the moment of the
// call.
func (s *Store) PublishCatalog(ctx context.Context, source []byte, now time.Time) (string, error) {
	live, err := s.LiveCatalogVersion(ctx)
	if err != nil && decision.ErrorCode(err) != decision.ENotFound {
		return "", err
	}
	return s.PublishCatalogFrom(ctx, live, source, now)
}

// PublishCatalogFrom stores source as the next version and makes it live, provided
// that from is still the live version ("" for none published): an operator who
// reviewed the difference from version from must not overwrite a catalog someone else
// published or rolled back to meanwhile (EConflict, nothing changed). Two publishers
// racing for the same version number cannot both win either: the version item is
// written only if absent, and LIVE is replaced only if it still holds from.
func (s *Store) PublishCatalogFrom(ctx context.Context, from string, source []byte, now time.Time) (string, error) {
	liveUnchanged, liveValues := "attribute_not_exists(pk)", map[string]types.AttributeValue(nil)
	if from != "" {
		liveUnchanged, liveValues = "version = :live", map[string]types.AttributeValue{":live": str(from)}
	}
	// Number from the highest version ever published, not from the live one: after a
	// rollback the live version is older, and its successor number is already taken.
	highest, err := s.highestCatalogVersion(ctx)
	if err != nil {
		return "", err
	}
	next := highest + 1
	version := strconv.Itoa(next)
	stored := map[string]types.AttributeValue{
		"version":     str(version),
		"source":      str(string(source)),
		"publishedAt": str(now.UTC().Format(time.RFC3339)),
	}
	versionItem := catalogKey(versionSortKey(next))
	liveItem := catalogKey("LIVE")
	for k, v := range stored {
		versionItem[k], liveItem[k] = v, v
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.tables.Catalog, Item: versionItem, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Put: &types.Put{TableName: &s.tables.Catalog, Item: liveItem,
			ConditionExpression: aws.String(liveUnchanged), ExpressionAttributeValues: liveValues}},
	}})
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) {
		return "", decision.Errorf(decision.EConflict, "another catalog was published or rolled back at the same time; review and publish again")
	}
	if err != nil {
		return "", fmt.Errorf("publish catalog version %s: %w", version, err)
	}
	return version, nil
}
