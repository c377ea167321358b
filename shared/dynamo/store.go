// Package dynamo stores nextbest's state in DynamoDB: customer profiles with their
// contact history, the decision log, the adaptive models' counters and the published
// catalog versions.
//
// Every table has a string partition key "pk" and sort key "sk" (see template.yaml):
//
//	Customers  C#<customerId>  PROFILE                      the profile
//	           C#<customerId>  H#<time>#<eventId>           contact history (TTL expiresAt)
//	Decisions  D#<decisionId>  D                            the decision log (TTL expiresAt)
//	           R#<responseId>  R                            idempotency claim of a response (TTL)
//	           RUN#<runId>     RUN | SEG#<segment>          a batch run's record and its segments (runs.go)
//	           S#<decisionId>  S                            send-message's lease on a delivery (sending.go, TTL)
//	Models     M#<action>#<channel>  S#<shard>              counters, added to atomically
//	Catalog    CATALOG         LIVE                         the live version and its source
//	           CATALOG         V#<version>                  every published version
//
// Keeping a customer's profile and history under one partition key lets a decision
// read both with a single Query; spreading a model's counters over shards keeps a
// popular action from becoming a hot partition.
package dynamo

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Tables names the physical tables.
type Tables struct {
	Customers string
	Decisions string
	Models    string
	Catalog   string
}

// Store reads and writes every table. It is safe for concurrent use.
type Store struct {
	db     *dynamodb.Client
	tables Tables
	// shards is how many counter items each model's increments are spread over.
	shards int
}

// DefaultShards spreads a model's writes over enough items that one popular action
// stays far below DynamoDB's per-item write rate, while a full read stays cheap.
const DefaultShards = 8

// New returns a store over the given tables.
func New(db *dynamodb.Client, tables Tables) *Store {
	return &Store{db: db, tables: tables, shards: DefaultShards}
}

// backoff doubles from 10 ms up to 1 s, with jitter so that writers which collided
// do not collide again in step; callers bound the number of attempts.
func backoff(attempt int) time.Duration {
	d := min(time.Duration(1<<attempt)*10*time.Millisecond, time.Second)
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// TableEnv lists the environment variables template.yaml sets to the table names.
var TableEnv = []string{"CUSTOMERS_TABLE", "DECISIONS_TABLE", "MODELS_TABLE", "CATALOG_TABLE"}

// TablesFromEnv picks the table names out of environment values read with TableEnv.
func TablesFromEnv(env map[string]string) Tables {
	return Tables{
		Customers: env["CUSTOMERS_TABLE"], Decisions: env["DECISIONS_TABLE"],
		Models: env["MODELS_TABLE"], Catalog: env["CATALOG_TABLE"],
	}
}

// NewClient builds a DynamoDB client. It turns off the SDK's response CRC32 check:
// DynamoDB (and DynamoDB Local) send no checksum header on error responses, and the
// SDK then logs a spurious "failed to close HTTP response body" warning on every
// conditional-check failure, which is how duplicates are detected here
// (aws/aws-sdk-go-v2 issue 3545). TLS already protects responses in transit.
func NewClient(cfg aws.Config, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, append([]func(*dynamodb.Options){func(o *dynamodb.Options) {
		o.DisableValidateResponseChecksum = true
	}}, optFns...)...)
}
