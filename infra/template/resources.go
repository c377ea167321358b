package template

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Table is an AWS::DynamoDB::Table of the template, ready to be created locally.
type Table struct {
	LogicalID string
	// Input holds the keys, attribute definitions, billing mode and secondary indexes;
	// TableName is left empty for the caller to choose.
	Input dynamodb.CreateTableInput
	// TTLAttribute is the attribute that expires items, or "" when TTL is off.
	TTLAttribute string
}

// Queue is an AWS::SQS::Queue of the template, ready to be created locally.
type Queue struct {
	LogicalID string
	// Attributes are the CreateQueue attributes (VisibilityTimeout, MessageRetentionPeriod,
	// ...) without RedrivePolicy, which needs the dead-letter queue's real ARN.
	Attributes map[string]string
	// DeadLetterTarget is the logical id of the queue that RedrivePolicy sends failed
	// messages to, or "" when there is none.
	DeadLetterTarget string
	MaxReceiveCount  int
}

// Properties that only matter in AWS (naming, encryption, backups, tags) and that the local
// stack deliberately leaves out. Any property in neither these lists nor the ones handled
// below is an error, so that a new setting in template.yaml cannot be silently lost locally.
var (
	ignoredTableProperties = set("TableName", "PointInTimeRecoverySpecification", "SSESpecification",
		"Tags", "DeletionProtectionEnabled", "ContributorInsightsSpecification", "TableClass")
	ignoredQueueProperties = set("QueueName", "Tags", "SqsManagedSseEnabled", "KmsMasterKeyId",
		"KmsDataKeyReusePeriodSeconds")
	// Buckets keep nothing the local stack needs but their existence: encryption, access
	// blocks and lifecycle rules only matter in AWS.
	ignoredBucketProperties = set("BucketName", "BucketEncryption", "PublicAccessBlockConfiguration",
		"OwnershipControls", "LifecycleConfiguration", "VersioningConfiguration", "Tags")
	// queueAttributeProperties are the queue properties whose names and values are those
	// of the SQS queue attributes.
	queueAttributeProperties = set("DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod",
		"ReceiveMessageWaitTimeSeconds", "VisibilityTimeout", "FifoQueue", "ContentBasedDeduplication",
		"DeduplicationScope", "FifoThroughputLimit")
)

func set(names ...string) map[string]bool {
	s := make(map[string]bool, len(names))
	for _, n := range names {
		s[n] = true
	}
	return s
}

// Buckets returns the logical ids of the template's S3 buckets, sorted, after checking
// that none has a property the local stack would silently lose.
func (t *Template) Buckets() ([]string, error) {
	ids := t.ofType("AWS::S3::Bucket")
	for _, id := range ids {
		props, err := t.properties(id)
		if err != nil {
			return nil, err
		}
		for name := range props {
			if !ignoredBucketProperties[name] {
				return nil, fmt.Errorf("bucket %s: property %s is not supported by the local stack", id, name)
			}
		}
	}
	return ids, nil
}

// Tables returns the template's DynamoDB tables, sorted by logical id.
func (t *Template) Tables() ([]Table, error) {
	var tables []Table
	for _, id := range t.ofType("AWS::DynamoDB::Table") {
		tb, err := t.table(id)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", id, err)
		}
		tables = append(tables, tb)
	}
	return tables, nil
}

func (t *Template) table(id string) (Table, error) {
	props, err := t.properties(id)
	if err != nil {
		return Table{}, err
	}
	tb := Table{LogicalID: id}
	in := &tb.Input
	for name, v := range props {
		switch {
		case ignoredTableProperties[name]:
		case name == "AttributeDefinitions":
			err = eachMap(v, name, func(m map[string]any, where string) error {
				n, err := str(m, "AttributeName", where)
				if err != nil {
					return err
				}
				typ, err := str(m, "AttributeType", where)
				in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
					AttributeName: aws.String(n), AttributeType: types.ScalarAttributeType(typ),
				})
				return err
			})
		case name == "KeySchema":
			in.KeySchema, err = keySchema(v, name)
		case name == "BillingMode":
			var mode string
			mode, err = literal(v, name)
			in.BillingMode = types.BillingMode(mode)
		case name == "ProvisionedThroughput":
			in.ProvisionedThroughput, err = throughput(v, name)
		case name == "GlobalSecondaryIndexes":
			err = eachMap(v, name, func(m map[string]any, where string) error {
				gsi, err := index(m, where)
				if err != nil {
					return err
				}
				g := types.GlobalSecondaryIndex{IndexName: gsi.IndexName, KeySchema: gsi.KeySchema, Projection: gsi.Projection}
				if p, ok := m["ProvisionedThroughput"]; ok {
					g.ProvisionedThroughput, err = throughput(p, where+".ProvisionedThroughput")
				}
				in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, g)
				return err
			})
		case name == "LocalSecondaryIndexes":
			err = eachMap(v, name, func(m map[string]any, where string) error {
				lsi, err := index(m, where)
				in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, lsi)
				return err
			})
		case name == "TimeToLiveSpecification":
			tb.TTLAttribute, err = ttl(v, name)
		default:
			err = fmt.Errorf("property %s is not supported by the local stack", name)
		}
		if err != nil {
			return Table{}, err
		}
	}
	if len(in.KeySchema) == 0 {
		return Table{}, fmt.Errorf("KeySchema is missing")
	}
	return tb, nil
}

func keySchema(v any, where string) ([]types.KeySchemaElement, error) {
	var keys []types.KeySchemaElement
	err := eachMap(v, where, func(m map[string]any, where string) error {
		n, err := str(m, "AttributeName", where)
		if err != nil {
			return err
		}
		typ, err := str(m, "KeyType", where)
		keys = append(keys, types.KeySchemaElement{AttributeName: aws.String(n), KeyType: types.KeyType(typ)})
		return err
	})
	return keys, err
}

// index reads the parts that global and local secondary indexes share.
func index(m map[string]any, where string) (types.LocalSecondaryIndex, error) {
	var idx types.LocalSecondaryIndex
	n, err := str(m, "IndexName", where)
	if err != nil {
		return idx, err
	}
	idx.IndexName = aws.String(n)
	if idx.KeySchema, err = keySchema(m["KeySchema"], where+".KeySchema"); err != nil {
		return idx, err
	}
	p, ok := m["Projection"].(map[string]any)
	if !ok {
		return idx, fmt.Errorf("%s.Projection is missing or not a mapping", where)
	}
	idx.Projection = &types.Projection{}
	if pt, ok := p["ProjectionType"]; ok {
		s, err := literal(pt, where+".Projection.ProjectionType")
		if err != nil {
			return idx, err
		}
		idx.Projection.ProjectionType = types.ProjectionType(s)
	}
	if attrs, ok := p["NonKeyAttributes"]; ok {
		list, ok := attrs.([]any)
		if !ok {
			return idx, fmt.Errorf("%s.Projection.NonKeyAttributes is not a list", where)
		}
		for i, a := range list {
			s, err := literal(a, fmt.Sprintf("%s.Projection.NonKeyAttributes[%d]", where, i))
			if err != nil {
				return idx, err
			}
			idx.Projection.NonKeyAttributes = append(idx.Projection.NonKeyAttributes, s)
		}
	}
	return idx, nil
}

func throughput(v any, where string) (*types.ProvisionedThroughput, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s is not a mapping", where)
	}
	read, err := integer(m["ReadCapacityUnits"], where+".ReadCapacityUnits")
	if err != nil {
		return nil, err
	}
	write, err := integer(m["WriteCapacityUnits"], where+".WriteCapacityUnits")
	if err != nil {
		return nil, err
	}
	return &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(int64(read)), WriteCapacityUnits: aws.Int64(int64(write))}, nil
}

// ttl returns the TTL attribute of a TimeToLiveSpecification, or "" if it is disabled.
func ttl(v any, where string) (string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return "", fmt.Errorf("%s is not a mapping", where)
	}
	enabled, err := literal(m["Enabled"], where+".Enabled")
	if err != nil {
		return "", err
	}
	on, err := strconv.ParseBool(enabled)
	if err != nil {
		return "", fmt.Errorf("%s.Enabled: %w", where, err)
	}
	if !on {
		return "", nil
	}
	return str(m, "AttributeName", where)
}

// Queues returns the template's SQS queues, sorted by logical id.
func (t *Template) Queues() ([]Queue, error) {
	var queues []Queue
	for _, id := range t.ofType("AWS::SQS::Queue") {
		q, err := t.queue(id)
		if err != nil {
			return nil, fmt.Errorf("queue %s: %w", id, err)
		}
		queues = append(queues, q)
	}
	return queues, nil
}

func (t *Template) queue(id string) (Queue, error) {
	props, err := t.properties(id)
	if err != nil {
		return Queue{}, err
	}
	q := Queue{LogicalID: id, Attributes: map[string]string{}}
	for name, v := range props {
		switch {
		case ignoredQueueProperties[name]:
		case queueAttributeProperties[name]:
			q.Attributes[name], err = literal(v, name)
		case name == "RedrivePolicy":
			q.DeadLetterTarget, q.MaxReceiveCount, err = t.redrive(v)
		default:
			err = fmt.Errorf("property %s is not supported by the local stack", name)
		}
		if err != nil {
			return Queue{}, err
		}
	}
	return q, nil
}

// redrive reads a RedrivePolicy whose deadLetterTargetArn is !GetAtt <queue>.Arn, the only
// form that names a queue of this template.
func (t *Template) redrive(v any) (target string, maxReceiveCount int, err error) {
	m, ok := v.(map[string]any)
	if !ok {
		return "", 0, fmt.Errorf("RedrivePolicy is not a mapping")
	}
	getAtt, _ := m["deadLetterTargetArn"].(map[string]any)
	ref, _ := getAtt["Fn::GetAtt"].([]any)
	if len(ref) != 2 || ref[1] != "Arn" {
		return "", 0, fmt.Errorf("RedrivePolicy.deadLetterTargetArn must be !GetAtt <queue>.Arn, got %v", m["deadLetterTargetArn"])
	}
	target, _ = ref[0].(string)
	if dlq, ok := t.resources[target]; !ok || dlq["Type"] != "AWS::SQS::Queue" {
		return "", 0, fmt.Errorf("RedrivePolicy.deadLetterTargetArn: %v is not an AWS::SQS::Queue of the template", ref[0])
	}
	maxReceiveCount, err = integer(m["maxReceiveCount"], "RedrivePolicy.maxReceiveCount")
	return target, maxReceiveCount, err
}

// eachMap calls fn on every element of a list of mappings, naming each by its index.
func eachMap(v any, where string, fn func(m map[string]any, where string) error) error {
	list, ok := v.([]any)
	if !ok {
		return fmt.Errorf("%s is not a list", where)
	}
	for i, e := range list {
		at := fmt.Sprintf("%s[%d]", where, i)
		m, ok := e.(map[string]any)
		if !ok {
			return fmt.Errorf("%s is not a mapping", at)
		}
		if err := fn(m, at); err != nil {
			return err
		}
	}
	return nil
}

// str returns m[key] as text.
func str(m map[string]any, key, where string) (string, error) {
	return literal(m[key], where+"."+key)
}

// literal returns a scalar as text. The local stack cannot evaluate intrinsic functions
// in resource properties, so anything else is an error naming the property.
func literal(v any, where string) (string, error) {
	if v == nil {
		return "", fmt.Errorf("%s is missing", where)
	}
	s, ok := scalar(v)
	if !ok {
		return "", fmt.Errorf("%s must be a literal, got %v", where, v)
	}
	return s, nil
}

func integer(v any, where string) (int, error) {
	s, err := literal(v, where)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", where, err)
	}
	return n, nil
}
