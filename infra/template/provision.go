package template

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// DynamoDBAPI is the part of *dynamodb.Client that Provision uses.
type DynamoDBAPI interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	DescribeTimeToLive(ctx context.Context, in *dynamodb.DescribeTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error)
	UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

// SQSAPI is the part of *sqs.Client that Provision uses.
type SQSAPI interface {
	CreateQueue(ctx context.Context, in *sqs.CreateQueueInput, optFns ...func(*sqs.Options)) (*sqs.CreateQueueOutput, error)
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	SetQueueAttributes(ctx context.Context, in *sqs.SetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.SetQueueAttributesOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// S3API is the part of *s3.Client that Provision uses.
type S3API interface {
	CreateBucket(ctx context.Context, in *s3.CreateBucketInput, optFns ...func(*s3.Options)) (*s3.CreateBucketOutput, error)
}

// Target is where Provision creates the template's resources, and how.
type Target struct {
	DynamoDB DynamoDBAPI
	SQS      SQSAPI
	// S3 may be nil when the template declares no bucket.
	S3 S3API
	// Prefix starts every resource's name.
	Prefix string
	// WithoutTTL leaves DynamoDB's time to live off. DynamoDB Local deletes expired
	// items by the wall clock, while the local stack may run on another clock (a test
	// at a fixed date): its items would vanish as the calendar moves on. The engine
	// checks expiry itself wherever it matters, so nothing depends on the deletion.
	WithoutTTL bool
}

// Resources are the physical resources Provision made, keyed by logical id.
type Resources struct {
	Tables    map[string]string // table name
	QueueURLs map[string]string
	QueueARNs map[string]string
	Buckets   map[string]string // bucket name
}

// tableActiveTimeout bounds the wait for a new table to become ACTIVE. Local emulators
// create tables at once; the bound only keeps a wedged emulator from hanging the caller.
const tableActiveTimeout = 2 * time.Minute

// Provision creates every table, queue and bucket of the template, named
// prefix+LogicalID (plus ".fifo" for FIFO queues, and in lower case for buckets, as S3
// wants), and returns their physical names, URLs and ARNs. It can be run again on the
// same endpoints: a table or bucket that already exists is kept as it is, and a queue
// that already exists gets the template's current attributes.
func Provision(ctx context.Context, t *Template, c Target) (*Resources, error) {
	ddb, q, prefix := c.DynamoDB, c.SQS, c.Prefix
	tables, err := t.Tables()
	if err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}
	queues, err := t.Queues()
	if err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}
	queues, err = creationOrder(queues)
	if err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}

	buckets, err := t.Buckets()
	if err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}
	if len(buckets) > 0 && c.S3 == nil {
		return nil, fmt.Errorf("provision: the template declares buckets %v but no S3 endpoint was given", buckets)
	}

	r := &Resources{Tables: map[string]string{}, QueueURLs: map[string]string{}, QueueARNs: map[string]string{}, Buckets: map[string]string{}}
	for _, id := range buckets {
		name := strings.ToLower(prefix + id)
		_, err := c.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
		if err != nil && !hasCode(err, "BucketAlreadyOwnedByYou", "BucketAlreadyExists") {
			return nil, fmt.Errorf("provision bucket %s: %w", name, err)
		}
		r.Buckets[id] = name
	}
	for _, tb := range tables {
		name := prefix + tb.LogicalID
		if c.WithoutTTL {
			tb.TTLAttribute = ""
		}
		if err := provisionTable(ctx, ddb, tb, name); err != nil {
			return nil, fmt.Errorf("provision table %s: %w", name, err)
		}
		r.Tables[tb.LogicalID] = name
	}
	for _, qu := range queues {
		name := prefix + qu.LogicalID
		if qu.Attributes["FifoQueue"] == "true" {
			name += ".fifo"
		}
		attrs := maps.Clone(qu.Attributes)
		if qu.DeadLetterTarget != "" {
			// creationOrder has made the dead-letter queue already, so its ARN is known.
			policy, err := json.Marshal(map[string]any{
				"deadLetterTargetArn": r.QueueARNs[qu.DeadLetterTarget],
				"maxReceiveCount":     qu.MaxReceiveCount,
			})
			if err != nil {
				return nil, fmt.Errorf("provision queue %s: redrive policy: %w", name, err)
			}
			attrs[string(sqstypes.QueueAttributeNameRedrivePolicy)] = string(policy)
		}
		url, arn, err := provisionQueue(ctx, q, name, attrs)
		if err != nil {
			return nil, fmt.Errorf("provision queue %s: %w", name, err)
		}
		r.QueueURLs[qu.LogicalID] = url
		r.QueueARNs[qu.LogicalID] = arn
	}
	return r, nil
}

// provisionTable creates a table unless it exists, waits for it to be ACTIVE, and turns
// on its TTL.
func provisionTable(ctx context.Context, ddb DynamoDBAPI, tb Table, name string) error {
	in := tb.Input
	in.TableName = aws.String(name)
	if _, err := ddb.CreateTable(ctx, &in); err != nil && !hasCode(err, "ResourceInUseException") {
		return fmt.Errorf("create: %w", err)
	}
	waiter := dynamodb.NewTableExistsWaiter(ddb, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = 2 * time.Second
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: in.TableName}, tableActiveTimeout); err != nil {
		return fmt.Errorf("wait until active: %w", err)
	}
	if tb.TTLAttribute == "" {
		return nil
	}
	// DynamoDB rejects enabling TTL a second time, so look before changing it.
	desc, err := ddb.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: in.TableName})
	if err != nil {
		return fmt.Errorf("describe TTL: %w", err)
	}
	if d := desc.TimeToLiveDescription; d != nil && aws.ToString(d.AttributeName) == tb.TTLAttribute &&
		(d.TimeToLiveStatus == ddbtypes.TimeToLiveStatusEnabled || d.TimeToLiveStatus == ddbtypes.TimeToLiveStatusEnabling) {
		return nil
	}
	_, err = ddb.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               in.TableName,
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String(tb.TTLAttribute), Enabled: aws.Bool(true)},
	})
	if err != nil {
		return fmt.Errorf("enable TTL on %s: %w", tb.TTLAttribute, err)
	}
	return nil
}

// provisionQueue creates a queue, or updates the attributes of an existing one, and
// returns its URL and ARN.
func provisionQueue(ctx context.Context, q SQSAPI, name string, attrs map[string]string) (url, arn string, err error) {
	created, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	switch {
	case err == nil:
		url = aws.ToString(created.QueueUrl)
	// SQS refuses CreateQueue for an existing queue only when the attributes differ,
	// which means the template changed since the queue was made.
	case hasCode(err, "QueueAlreadyExists", (&sqstypes.QueueNameExists{}).ErrorCode()):
		got, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
		if err != nil {
			return "", "", fmt.Errorf("get URL of existing queue: %w", err)
		}
		url = aws.ToString(got.QueueUrl)
		// FifoQueue can only be set at creation, and SetQueueAttributes rejects it.
		settable := maps.Clone(attrs)
		delete(settable, string(sqstypes.QueueAttributeNameFifoQueue))
		if _, err := q.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: settable}); err != nil {
			return "", "", fmt.Errorf("update attributes of existing queue: %w", err)
		}
	default:
		return "", "", fmt.Errorf("create: %w", err)
	}
	got, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", "", fmt.Errorf("get ARN: %w", err)
	}
	arn = got.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	if arn == "" {
		return "", "", fmt.Errorf("get ARN: %s has no QueueArn attribute", url)
	}
	return url, arn, nil
}

// creationOrder orders queues so that each comes after the dead-letter queue it redrives
// to, keeping the given order otherwise.
func creationOrder(queues []Queue) ([]Queue, error) {
	done := map[string]bool{}
	order := make([]Queue, 0, len(queues))
	for len(order) < len(queues) {
		progressed := false
		for _, q := range queues {
			if !done[q.LogicalID] && (q.DeadLetterTarget == "" || done[q.DeadLetterTarget]) {
				order = append(order, q)
				done[q.LogicalID] = true
				progressed = true
			}
		}
		if !progressed {
			var stuck []string
			for _, q := range queues {
				if !done[q.LogicalID] {
					stuck = append(stuck, q.LogicalID)
				}
			}
			return nil, fmt.Errorf("queues %v redrive to each other in a cycle or to a queue that is not in the template", stuck)
		}
	}
	return order, nil
}

// hasCode reports whether err is an AWS API error with one of the given codes. Codes are
// compared rather than error types because the local emulators do not always send the
// exact error shape that the SDK maps to a type.
func hasCode(err error, codes ...string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && slices.Contains(codes, apiErr.ErrorCode())
}
