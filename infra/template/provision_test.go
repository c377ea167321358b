package template

import (
	"context"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// fakeDynamoDB keeps tables in memory and, like DynamoDB, refuses to create a table twice
// or to enable TTL that is already enabled.
type fakeDynamoDB struct {
	tables     map[string]*dynamodb.CreateTableInput
	ttl        map[string]string // table name → TTL attribute
	ttlUpdates int
}

func newFakeDynamoDB() *fakeDynamoDB {
	return &fakeDynamoDB{tables: map[string]*dynamodb.CreateTableInput{}, ttl: map[string]string{}}
}

func (f *fakeDynamoDB) CreateTable(_ context.Context, in *dynamodb.CreateTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
	name := aws.ToString(in.TableName)
	if _, ok := f.tables[name]; ok {
		return nil, &ddbtypes.ResourceInUseException{Message: aws.String("Table already exists: " + name)}
	}
	f.tables[name] = in
	return &dynamodb.CreateTableOutput{}, nil
}

func (f *fakeDynamoDB) DescribeTable(_ context.Context, in *dynamodb.DescribeTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	if _, ok := f.tables[aws.ToString(in.TableName)]; !ok {
		return nil, &ddbtypes.ResourceNotFoundException{Message: aws.String("no table")}
	}
	return &dynamodb.DescribeTableOutput{Table: &ddbtypes.TableDescription{TableName: in.TableName, TableStatus: ddbtypes.TableStatusActive}}, nil
}

func (f *fakeDynamoDB) DescribeTimeToLive(_ context.Context, in *dynamodb.DescribeTimeToLiveInput, _ ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error) {
	d := &ddbtypes.TimeToLiveDescription{TimeToLiveStatus: ddbtypes.TimeToLiveStatusDisabled}
	if attr, ok := f.ttl[aws.ToString(in.TableName)]; ok {
		d = &ddbtypes.TimeToLiveDescription{AttributeName: aws.String(attr), TimeToLiveStatus: ddbtypes.TimeToLiveStatusEnabled}
	}
	return &dynamodb.DescribeTimeToLiveOutput{TimeToLiveDescription: d}, nil
}

func (f *fakeDynamoDB) UpdateTimeToLive(_ context.Context, in *dynamodb.UpdateTimeToLiveInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error) {
	name := aws.ToString(in.TableName)
	if _, ok := f.ttl[name]; ok {
		return nil, &ddbtypes.ResourceInUseException{Message: aws.String("TimeToLive is already enabled")}
	}
	f.ttl[name] = aws.ToString(in.TimeToLiveSpecification.AttributeName)
	f.ttlUpdates++
	return &dynamodb.UpdateTimeToLiveOutput{}, nil
}

// fakeSQS keeps queues in memory and, like SQS, refuses CreateQueue for an existing queue
// only when the attributes differ.
type fakeSQS struct {
	attrs   map[string]map[string]string // queue name → attributes
	created []string                     // queue names in creation order
	updated []string                     // queue names given new attributes
}

func newFakeSQS() *fakeSQS { return &fakeSQS{attrs: map[string]map[string]string{}} }

func fakeURL(name string) string { return "http://sqs.local/000000000000/" + name }

func (f *fakeSQS) CreateQueue(_ context.Context, in *sqs.CreateQueueInput, _ ...func(*sqs.Options)) (*sqs.CreateQueueOutput, error) {
	name := aws.ToString(in.QueueName)
	if old, ok := f.attrs[name]; ok && !maps.Equal(old, in.Attributes) {
		return nil, &sqstypes.QueueNameExists{Message: aws.String("The specified queue already exists.")}
	} else if !ok {
		f.attrs[name] = maps.Clone(in.Attributes)
		f.created = append(f.created, name)
	}
	return &sqs.CreateQueueOutput{QueueUrl: aws.String(fakeURL(name))}, nil
}

func (f *fakeSQS) GetQueueUrl(_ context.Context, in *sqs.GetQueueUrlInput, _ ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error) {
	if _, ok := f.attrs[aws.ToString(in.QueueName)]; !ok {
		return nil, &sqstypes.QueueDoesNotExist{}
	}
	return &sqs.GetQueueUrlOutput{QueueUrl: aws.String(fakeURL(aws.ToString(in.QueueName)))}, nil
}

func (f *fakeSQS) SetQueueAttributes(_ context.Context, in *sqs.SetQueueAttributesInput, _ ...func(*sqs.Options)) (*sqs.SetQueueAttributesOutput, error) {
	name := strings.TrimPrefix(aws.ToString(in.QueueUrl), fakeURL(""))
	maps.Copy(f.attrs[name], in.Attributes)
	f.updated = append(f.updated, name)
	return &sqs.SetQueueAttributesOutput{}, nil
}

func (f *fakeSQS) GetQueueAttributes(_ context.Context, in *sqs.GetQueueAttributesInput, _ ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	name := strings.TrimPrefix(aws.ToString(in.QueueUrl), fakeURL(""))
	return &sqs.GetQueueAttributesOutput{Attributes: map[string]string{"QueueArn": "arn:aws:sqs:local:000000000000:" + name}}, nil
}

// fakeS3 creates buckets, refusing a second bucket of the same name as S3 does.
type fakeS3 struct{ buckets []string }

func (f *fakeS3) CreateBucket(_ context.Context, in *s3.CreateBucketInput, _ ...func(*s3.Options)) (*s3.CreateBucketOutput, error) {
	name := aws.ToString(in.Bucket)
	if slices.Contains(f.buckets, name) {
		return nil, &s3types.BucketAlreadyOwnedByYou{Message: aws.String("Your previous request to create the named bucket succeeded")}
	}
	f.buckets = append(f.buckets, name)
	return &s3.CreateBucketOutput{}, nil
}

func TestProvisionProjectTemplate(t *testing.T) {
	ctx := context.Background()
	tpl := loadProject(t)
	ddb, q, buckets := newFakeDynamoDB(), newFakeSQS(), &fakeS3{}
	r, err := Provision(ctx, tpl, Target{DynamoDB: ddb, SQS: q, S3: buckets, Prefix: "test-"})
	if err != nil {
		t.Fatalf("Provision: %v", err)
	}

	wantTables := map[string]string{
		"CustomersTable": "test-CustomersTable",
		"DecisionsTable": "test-DecisionsTable",
		"ModelsTable":    "test-ModelsTable",
		"CatalogTable":   "test-CatalogTable",
	}
	if !reflect.DeepEqual(r.Tables, wantTables) {
		t.Errorf("Resources.Tables = %v, want %v", r.Tables, wantTables)
	}
	for _, name := range wantTables {
		in, ok := ddb.tables[name]
		if !ok {
			t.Errorf("table %s was not created", name)
			continue
		}
		if in.BillingMode != ddbtypes.BillingModePayPerRequest || len(in.KeySchema) != 2 {
			t.Errorf("table %s created with BillingMode %q and %d keys, want PAY_PER_REQUEST and 2", name, in.BillingMode, len(in.KeySchema))
		}
	}
	wantTTL := map[string]string{"test-CustomersTable": "expiresAt", "test-DecisionsTable": "expiresAt"}
	if !reflect.DeepEqual(ddb.ttl, wantTTL) {
		t.Errorf("TTL enabled on %v, want %v", ddb.ttl, wantTTL)
	}

	position := map[string]int{}
	for i, name := range q.created {
		position[name] = i
	}
	for _, ch := range []string{"Email", "Sms", "Push", "Work"} {
		src, dlq := "test-"+ch+"Queue", "test-"+ch+"DeadLetterQueue"
		if position[dlq] > position[src] {
			t.Errorf("created %s after %s, want the dead-letter queue first (order %v)", dlq, src, q.created)
		}
		var policy struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			MaxReceiveCount     int    `json:"maxReceiveCount"`
		}
		if err := json.Unmarshal([]byte(q.attrs[src]["RedrivePolicy"]), &policy); err != nil {
			t.Errorf("%s RedrivePolicy %q: %v", src, q.attrs[src]["RedrivePolicy"], err)
		}
		if want := r.QueueARNs[ch+"DeadLetterQueue"]; policy.DeadLetterTargetArn != want || want == "" {
			t.Errorf("%s RedrivePolicy deadLetterTargetArn = %q, want %q", src, policy.DeadLetterTargetArn, want)
		}
		if policy.MaxReceiveCount != 5 {
			t.Errorf("%s RedrivePolicy maxReceiveCount = %d, want 5", src, policy.MaxReceiveCount)
		}
		if got := q.attrs[src]["VisibilityTimeout"]; got == "" {
			t.Errorf("%s created without VisibilityTimeout", src)
		}
		if got, want := r.QueueURLs[ch+"Queue"], fakeURL(src); got != want {
			t.Errorf("Resources.QueueURLs[%sQueue] = %q, want %q", ch, got, want)
		}
	}
	if len(q.created) != 8 {
		t.Errorf("created queues %v, want 8", q.created)
	}

	if want := map[string]string{"ImportBucket": "test-importbucket"}; !reflect.DeepEqual(r.Buckets, want) || len(buckets.buckets) != 1 {
		t.Errorf("Resources.Buckets = %v after creating %v, want %v (lower case, as S3 wants)", r.Buckets, buckets.buckets, want)
	}

	// A second run against the same endpoints finds everything in place.
	again, err := Provision(ctx, tpl, Target{DynamoDB: ddb, SQS: q, S3: buckets, Prefix: "test-"})
	if err != nil {
		t.Fatalf("second Provision: %v", err)
	}
	if !reflect.DeepEqual(again, r) {
		t.Errorf("second Provision = %+v, want %+v", again, r)
	}
	if ddb.ttlUpdates != 2 || len(q.created) != 8 || len(q.updated) != 0 {
		t.Errorf("second Provision changed things: %d TTL updates (want 2), %d queues created (want 8), updated %v (want none)",
			ddb.ttlUpdates, len(q.created), q.updated)
	}
}

func TestProvisionUpdatesChangedQueue(t *testing.T) {
	ctx := context.Background()
	const v1 = "Resources:\n  Jobs:\n    Type: AWS::SQS::Queue\n    Properties: {VisibilityTimeout: 30}\n"
	const v2 = "Resources:\n  Jobs:\n    Type: AWS::SQS::Queue\n    Properties: {VisibilityTimeout: 90}\n"
	ddb, q := newFakeDynamoDB(), newFakeSQS()
	for _, src := range []string{v1, v2} {
		if _, err := Provision(ctx, mustParse(t, src), Target{DynamoDB: ddb, SQS: q, Prefix: "p-"}); err != nil {
			t.Fatalf("Provision: %v", err)
		}
	}
	if got := q.attrs["p-Jobs"]["VisibilityTimeout"]; got != "90" {
		t.Errorf("VisibilityTimeout after the template changed = %q, want 90", got)
	}
	if !reflect.DeepEqual(q.updated, []string{"p-Jobs"}) {
		t.Errorf("updated queues = %v, want [p-Jobs]", q.updated)
	}
}

func TestProvisionFIFOAndChainedDeadLetterQueues(t *testing.T) {
	// Queues listed out of order, with a dead-letter queue that itself redrives.
	const src = `
Resources:
  A:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt B.Arn, maxReceiveCount: 3}
  B:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt C.Arn, maxReceiveCount: "2"}
  C:
    Type: AWS::SQS::Queue
  F:
    Type: AWS::SQS::Queue
    Properties: {FifoQueue: true, ContentBasedDeduplication: true}
`
	q := newFakeSQS()
	r, err := Provision(context.Background(), mustParse(t, src), Target{DynamoDB: newFakeDynamoDB(), SQS: q})
	if err != nil {
		t.Fatalf("Provision: %v", err)
	}
	want := []string{"C", "F.fifo", "B", "A"}
	if !reflect.DeepEqual(q.created, want) {
		t.Errorf("queues created in order %v, want %v", q.created, want)
	}
	if got := q.attrs["F.fifo"]["FifoQueue"]; got != "true" {
		t.Errorf("F.fifo FifoQueue = %q, want true", got)
	}
	if got := r.QueueURLs["F"]; got != fakeURL("F.fifo") {
		t.Errorf("Resources.QueueURLs[F] = %q, want %q", got, fakeURL("F.fifo"))
	}
}

func TestCreationOrderCycle(t *testing.T) {
	queues := []Queue{{LogicalID: "A", DeadLetterTarget: "B"}, {LogicalID: "B", DeadLetterTarget: "A"}, {LogicalID: "C"}}
	if _, err := creationOrder(queues); err == nil || !strings.Contains(err.Error(), "[A B]") {
		t.Errorf("creationOrder(A↔B) error = %v, want one naming A and B", err)
	}
}

func TestProvisionReportsTemplateErrors(t *testing.T) {
	const src = "Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties: {BillingMode: PAY_PER_REQUEST}\n"
	_, err := Provision(context.Background(), mustParse(t, src), Target{DynamoDB: newFakeDynamoDB(), SQS: newFakeSQS(), Prefix: "p-"})
	if err == nil || !strings.Contains(err.Error(), "table T: KeySchema is missing") {
		t.Errorf("Provision error = %v, want one about T's missing KeySchema", err)
	}
}

func TestProvisionWithoutTTL(t *testing.T) {
	ddb := newFakeDynamoDB()
	if _, err := Provision(context.Background(), loadProject(t), Target{DynamoDB: ddb, SQS: newFakeSQS(), S3: &fakeS3{}, Prefix: "l-", WithoutTTL: true}); err != nil {
		t.Fatal(err)
	}
	if len(ddb.ttl) != 0 || ddb.ttlUpdates != 0 {
		t.Errorf("TTL enabled on %v, want none: the local stack's clock is not the wall clock DynamoDB Local expires items by", ddb.ttl)
	}
}
