package template

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

const projectTemplate = "../../template.yaml"

func loadProject(t *testing.T) *Template {
	t.Helper()
	tpl, err := Load(projectTemplate)
	if err != nil {
		t.Fatalf("Load(%q): %v", projectTemplate, err)
	}
	return tpl
}

func mustParse(t *testing.T, src string) *Template {
	t.Helper()
	tpl, err := Parse([]byte(src))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, src)
	}
	return tpl
}

func TestParseShortForms(t *testing.T) {
	tests := []struct {
		yaml string
		want any
	}{
		{`!Ref Thing`, map[string]any{"Ref": "Thing"}},
		{`!GetAtt Queue.Arn`, map[string]any{"Fn::GetAtt": []any{"Queue", "Arn"}}},
		{`!GetAtt Db.Endpoint.Address`, map[string]any{"Fn::GetAtt": []any{"Db", "Endpoint.Address"}}},
		{`!GetAtt [Queue, Arn]`, map[string]any{"Fn::GetAtt": []any{"Queue", "Arn"}}},
		{`!Sub "https://${Api}.example.com/"`, map[string]any{"Fn::Sub": "https://${Api}.example.com/"}},
		{`!Sub ["${A}-x", {A: !Ref B}]`, map[string]any{"Fn::Sub": []any{"${A}-x", map[string]any{"A": map[string]any{"Ref": "B"}}}}},
		{`!Join ["", [a, !Ref B]]`, map[string]any{"Fn::Join": []any{"", []any{"a", map[string]any{"Ref": "B"}}}}},
		{`!If [IsProd, 1, !Ref AWS::NoValue]`, map[string]any{"Fn::If": []any{"IsProd", 1, map[string]any{"Ref": "AWS::NoValue"}}}},
		{`!Not [!Equals [!Ref Env, prod]]`, map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "Env"}, "prod"}}}}},
		{`!Select [0, !GetAZs ""]`, map[string]any{"Fn::Select": []any{0, map[string]any{"Fn::GetAZs": ""}}}},
		{`!Condition IsProd`, map[string]any{"Condition": "IsProd"}},
		{`!Base64 hello`, map[string]any{"Fn::Base64": "hello"}},
		{`!FindInMap [M, K, V]`, map[string]any{"Fn::FindInMap": []any{"M", "K", "V"}}},
		{`{"Fn::GetAtt": ["Queue", "Arn"]}`, map[string]any{"Fn::GetAtt": []any{"Queue", "Arn"}}},
		{`182`, 182},
		{`true`, true},
		{`"182"`, "182"},
		{`2010-09-09`, "2010-09-09"},
	}
	for _, tt := range tests {
		tpl := mustParse(t, "Resources:\n  R:\n    Type: Custom::Thing\n    Properties:\n      V: "+tt.yaml+"\n")
		props, err := tpl.properties("R")
		if err != nil {
			t.Fatalf("properties(R): %v", err)
		}
		if got := props["V"]; !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q) = %#v, want %#v", tt.yaml, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"malformed", "Resources: [", "parse template"},
		{"empty", "", "empty document"},
		{"not a mapping", "- a\n- b\n", "not a mapping"},
		{"no resources", "Parameters: {}\n", "Resources is missing"},
		{"resource without type", "Resources:\n  R: {Properties: {}}\n", "R has no Type"},
		{"unknown tag", "Resources:\n  R:\n    Type: T\n    Properties: {V: !Reff X}\n", "unknown tag !Reff"},
		{"GetAtt without attribute", "Resources:\n  R:\n    Type: T\n    Properties: {V: !GetAtt Queue}\n", "Resource.Attribute"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Parse error = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load("does-not-exist.yaml"); err == nil {
		t.Errorf("Load(does-not-exist.yaml) succeeded, want an error")
	}
}

func TestFunctions(t *testing.T) {
	got := loadProject(t).Functions()
	want := []string{"DecideFunction", "RecordResponseFunction", "ScoreBatchFunction", "SendMessageFunction"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Functions() = %v, want %v", got, want)
	}
}

func TestProjectTables(t *testing.T) {
	tables, err := loadProject(t).Tables()
	if err != nil {
		t.Fatalf("Tables(): %v", err)
	}
	wantTTL := map[string]string{
		"CatalogTable":   "",
		"CustomersTable": "expiresAt",
		"DecisionsTable": "expiresAt",
		"ModelsTable":    "",
	}
	wantKeys := []types.KeySchemaElement{
		{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
		{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
	}
	wantAttrs := []types.AttributeDefinition{
		{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS},
	}
	if len(tables) != len(wantTTL) {
		t.Fatalf("Tables() returned %d tables, want %d", len(tables), len(wantTTL))
	}
	for _, tb := range tables {
		ttl, ok := wantTTL[tb.LogicalID]
		if !ok {
			t.Errorf("Tables() returned unexpected table %s", tb.LogicalID)
			continue
		}
		if tb.TTLAttribute != ttl {
			t.Errorf("%s TTLAttribute = %q, want %q", tb.LogicalID, tb.TTLAttribute, ttl)
		}
		if !reflect.DeepEqual(tb.Input.KeySchema, wantKeys) {
			t.Errorf("%s KeySchema = %v, want pk HASH, sk RANGE", tb.LogicalID, tb.Input.KeySchema)
		}
		attrs := wantAttrs
		if tb.LogicalID == "DecisionsTable" {
			// The byCustomer index finds every item about one customer, for an export
			// or an erasure.
			attrs = append(slices.Clone(wantAttrs), types.AttributeDefinition{AttributeName: aws.String("customerId"), AttributeType: types.ScalarAttributeTypeS})
			gsi := tb.Input.GlobalSecondaryIndexes
			if len(gsi) != 1 || aws.ToString(gsi[0].IndexName) != "byCustomer" || aws.ToString(gsi[0].KeySchema[0].AttributeName) != "customerId" ||
				gsi[0].Projection.ProjectionType != types.ProjectionTypeKeysOnly {
				t.Errorf("DecisionsTable indexes = %+v, want byCustomer on customerId, keys only", gsi)
			}
		}
		if !reflect.DeepEqual(tb.Input.AttributeDefinitions, attrs) {
			t.Errorf("%s AttributeDefinitions = %v, want %v", tb.LogicalID, tb.Input.AttributeDefinitions, attrs)
		}
		if tb.Input.BillingMode != types.BillingModePayPerRequest {
			t.Errorf("%s BillingMode = %q, want PAY_PER_REQUEST", tb.LogicalID, tb.Input.BillingMode)
		}
		if tb.Input.TableName != nil {
			t.Errorf("%s TableName = %q, want it left for Provision", tb.LogicalID, *tb.Input.TableName)
		}
	}
}

func TestProjectQueues(t *testing.T) {
	tpl := loadProject(t)
	queues, err := tpl.Queues()
	if err != nil {
		t.Fatalf("Queues(): %v", err)
	}
	// SQS redelivers a message whose visibility timeout runs out while the function is
	// still working on it, so each source queue must outlast six function timeouts.
	fn, err := tpl.properties("SendMessageFunction")
	if err != nil {
		t.Fatal(err)
	}
	timeout, err := integer(fn["Timeout"], "SendMessageFunction.Timeout")
	if err != nil {
		t.Fatal(err)
	}
	wantDLQ := map[string]string{
		"EmailQueue":           "EmailDeadLetterQueue",
		"SmsQueue":             "SmsDeadLetterQueue",
		"PushQueue":            "PushDeadLetterQueue",
		"EmailDeadLetterQueue": "",
		"SmsDeadLetterQueue":   "",
		"PushDeadLetterQueue":  "",
		"WorkQueue":            "WorkDeadLetterQueue",
		"WorkDeadLetterQueue":  "",
	}
	if len(queues) != len(wantDLQ) {
		t.Fatalf("Queues() returned %d queues, want %d", len(queues), len(wantDLQ))
	}
	for _, q := range queues {
		dlq, ok := wantDLQ[q.LogicalID]
		if !ok {
			t.Errorf("Queues() returned unexpected queue %s", q.LogicalID)
			continue
		}
		if q.DeadLetterTarget != dlq {
			t.Errorf("%s DeadLetterTarget = %q, want %q", q.LogicalID, q.DeadLetterTarget, dlq)
		}
		if dlq == "" {
			if got := q.Attributes["MessageRetentionPeriod"]; got != "1209600" {
				t.Errorf("%s MessageRetentionPeriod = %q, want 1209600 (14 days)", q.LogicalID, got)
			}
			continue
		}
		if q.MaxReceiveCount != 5 {
			t.Errorf("%s MaxReceiveCount = %d, want 5", q.LogicalID, q.MaxReceiveCount)
		}
		vt, err := integer(q.Attributes["VisibilityTimeout"], q.LogicalID+".VisibilityTimeout")
		if err != nil {
			t.Errorf("%v", err)
		} else if vt < 6*timeout {
			t.Errorf("%s VisibilityTimeout = %d, want at least 6 × %d", q.LogicalID, vt, timeout)
		}
	}
}

// projectResources stands in for what Provision returns for the project template.
var projectResources = &Resources{
	Tables: map[string]string{
		"CustomersTable": "t-CustomersTable",
		"DecisionsTable": "t-DecisionsTable",
		"ModelsTable":    "t-ModelsTable",
		"CatalogTable":   "t-CatalogTable",
	},
	QueueURLs: map[string]string{
		"EmailQueue": "http://sqs/q/t-EmailQueue",
		"SmsQueue":   "http://sqs/q/t-SmsQueue",
		"PushQueue":  "http://sqs/q/t-PushQueue",
		"WorkQueue":  "http://sqs/q/t-WorkQueue",
	},
}

func TestFunctionEnv(t *testing.T) {
	tables := map[string]string{
		"CUSTOMERS_TABLE": "t-CustomersTable",
		"DECISIONS_TABLE": "t-DecisionsTable",
		"MODELS_TABLE":    "t-ModelsTable",
		"CATALOG_TABLE":   "t-CatalogTable",
	}
	queues := map[string]string{
		"EMAIL_QUEUE_URL": "http://sqs/q/t-EmailQueue",
		"SMS_QUEUE_URL":   "http://sqs/q/t-SmsQueue",
		"PUSH_QUEUE_URL":  "http://sqs/q/t-PushQueue",
	}
	info := map[string]string{"LOG_LEVEL": "info"}
	tests := []struct {
		fn     string
		params map[string]string
		want   map[string]string
	}{
		{"DecideFunction", nil, with(tables, info)},
		{"RecordResponseFunction", nil, with(tables, info)},
		{"ScoreBatchFunction", nil, with(tables, info, queues, map[string]string{"SEND_TIME": "best", "FANOUT": "on",
			"WORK_QUEUE_URL": "http://sqs/q/t-WorkQueue", "WEATHER_API_URL": "https://api.open-meteo.com"})},
		{"SendMessageFunction", nil, with(tables, info, queues, map[string]string{"DELIVERY_PROVIDER": "log", "SES_FROM": "", "SMS_ORIGINATION_IDENTITY": ""})},
		{"DecideFunction", map[string]string{"LogLevel": "debug"}, with(tables, map[string]string{"LOG_LEVEL": "debug"})},
	}
	tpl := loadProject(t)
	for _, tt := range tests {
		got, err := tpl.FunctionEnv(tt.fn, projectResources, tt.params)
		if err != nil {
			t.Errorf("FunctionEnv(%q): %v", tt.fn, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("FunctionEnv(%q) = %v, want %v", tt.fn, got, tt.want)
		}
	}
}

// with merges maps left to right; later maps win.
func with(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func TestFunctionEnvInline(t *testing.T) {
	const src = `
Parameters:
  Stage: {Type: String, Default: dev}
  Secret: {Type: String}
Globals:
  Function:
    Environment:
      Variables:
        STAGE: !Ref Stage
        SHARED: global
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          SHARED: local
          TABLE: !Ref Tbl
          QUEUE: !Ref Q
          REGION: !Ref AWS::Region
          COUNT: 3
  Bare:
    Type: AWS::Serverless::Function
  Tbl:
    Type: AWS::DynamoDB::Table
  Q:
    Type: AWS::SQS::Queue
`
	r := &Resources{Tables: map[string]string{"Tbl": "p-Tbl"}, QueueURLs: map[string]string{"Q": "http://q/p-Q"}}
	tests := []struct {
		fn     string
		params map[string]string
		want   map[string]string
	}{
		{"Fn", map[string]string{"AWS::Region": "eu-west-1"},
			map[string]string{"STAGE": "dev", "SHARED": "local", "TABLE": "p-Tbl", "QUEUE": "http://q/p-Q", "REGION": "eu-west-1", "COUNT": "3"}},
		{"Fn", map[string]string{"AWS::Region": "eu-west-1", "Stage": "prod"},
			map[string]string{"STAGE": "prod", "SHARED": "local", "TABLE": "p-Tbl", "QUEUE": "http://q/p-Q", "REGION": "eu-west-1", "COUNT": "3"}},
		{"Bare", nil, map[string]string{"STAGE": "dev", "SHARED": "global"}},
	}
	tpl := mustParse(t, src)
	for _, tt := range tests {
		got, err := tpl.FunctionEnv(tt.fn, r, tt.params)
		if err != nil {
			t.Errorf("FunctionEnv(%q): %v", tt.fn, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("FunctionEnv(%q) = %v, want %v", tt.fn, got, tt.want)
		}
	}
}

func TestFunctionEnvErrors(t *testing.T) {
	const head = `
Parameters:
  Secret: {Type: String}
Resources:
  Tbl: {Type: AWS::DynamoDB::Table}
  Other: {Type: AWS::SNS::Topic}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          V: `
	tests := []struct {
		value string
		r     *Resources
		want  string
	}{
		{"!Ref Missing", projectResources, "reference to Missing: no such parameter or resource"},
		{"!Ref Secret", projectResources, "parameter Secret has no Default"},
		{"!Ref Other", projectResources, "AWS::SNS::Topic are not provisioned locally"},
		{"!Ref Tbl", &Resources{}, "reference to Tbl: resource was not provisioned"},
		{"!Ref Tbl", nil, "reference to Tbl: resource was not provisioned"},
		{"!Sub '${Tbl}-x'", projectResources, "intrinsic Fn::Sub is not supported"},
		{"!GetAtt Tbl.Arn", projectResources, "intrinsic Fn::GetAtt is not supported"},
		{"[a, b]", projectResources, "neither a literal nor an intrinsic"},
	}
	for _, tt := range tests {
		tpl := mustParse(t, head+tt.value+"\n")
		_, err := tpl.FunctionEnv("Fn", tt.r, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("FunctionEnv(%q) with V: %s: error = %v, want one containing %q", "Fn", tt.value, err, tt.want)
		}
	}

	tpl := loadProject(t)
	for _, id := range []string{"NoSuchFunction", "CustomersTable"} {
		if _, err := tpl.FunctionEnv(id, projectResources, nil); err == nil || !strings.Contains(err.Error(), "not an AWS::Serverless::Function") {
			t.Errorf("FunctionEnv(%q): error = %v, want one saying it is not a function", id, err)
		}
	}
}

func TestTablesInline(t *testing.T) {
	const src = `
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: ignored-locally
      AttributeDefinitions:
        - {AttributeName: id, AttributeType: S}
        - {AttributeName: customer, AttributeType: S}
        - {AttributeName: at, AttributeType: N}
      KeySchema:
        - {AttributeName: id, KeyType: HASH}
      ProvisionedThroughput: {ReadCapacityUnits: 5, WriteCapacityUnits: "2"}
      GlobalSecondaryIndexes:
        - IndexName: byCustomer
          KeySchema:
            - {AttributeName: customer, KeyType: HASH}
            - {AttributeName: at, KeyType: RANGE}
          Projection: {ProjectionType: INCLUDE, NonKeyAttributes: [total]}
          ProvisionedThroughput: {ReadCapacityUnits: 1, WriteCapacityUnits: 1}
      LocalSecondaryIndexes:
        - IndexName: byTime
          KeySchema:
            - {AttributeName: id, KeyType: HASH}
            - {AttributeName: at, KeyType: RANGE}
          Projection: {ProjectionType: KEYS_ONLY}
      TimeToLiveSpecification: {AttributeName: gone, Enabled: false}
      Tags: [{Key: a, Value: b}]
`
	tables, err := mustParse(t, src).Tables()
	if err != nil {
		t.Fatalf("Tables(): %v", err)
	}
	if len(tables) != 1 {
		t.Fatalf("Tables() returned %d tables, want 1", len(tables))
	}
	tb := tables[0]
	if tb.TTLAttribute != "" {
		t.Errorf("TTLAttribute = %q, want \"\" because TTL is disabled", tb.TTLAttribute)
	}
	in := tb.Input
	if got := len(in.AttributeDefinitions); got != 3 {
		t.Errorf("len(AttributeDefinitions) = %d, want 3", got)
	}
	if pt := in.ProvisionedThroughput; pt == nil || *pt.ReadCapacityUnits != 5 || *pt.WriteCapacityUnits != 2 {
		t.Errorf("ProvisionedThroughput = %+v, want 5/2", pt)
	}
	wantGSI := []types.GlobalSecondaryIndex{{
		IndexName: aws.String("byCustomer"),
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("customer"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("at"), KeyType: types.KeyTypeRange},
		},
		Projection:            &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: []string{"total"}},
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)},
	}}
	if !reflect.DeepEqual(in.GlobalSecondaryIndexes, wantGSI) {
		t.Errorf("GlobalSecondaryIndexes = %+v, want %+v", in.GlobalSecondaryIndexes, wantGSI)
	}
	if len(in.LocalSecondaryIndexes) != 1 || aws.ToString(in.LocalSecondaryIndexes[0].IndexName) != "byTime" ||
		in.LocalSecondaryIndexes[0].Projection.ProjectionType != types.ProjectionTypeKeysOnly {
		t.Errorf("LocalSecondaryIndexes = %+v, want byTime KEYS_ONLY", in.LocalSecondaryIndexes)
	}
}

func TestResourceErrors(t *testing.T) {
	const key = "      KeySchema: [{AttributeName: pk, KeyType: HASH}]\n"
	tests := []struct {
		name, props, typ, want string
	}{
		{"unsupported table property", key + "      StreamSpecification: {StreamViewType: NEW_IMAGE}\n",
			"AWS::DynamoDB::Table", "property StreamSpecification is not supported"},
		{"intrinsic in table property", key + "      BillingMode: !If [C, PAY_PER_REQUEST, PROVISIONED]\n",
			"AWS::DynamoDB::Table", "BillingMode must be a literal"},
		{"no key schema", "      BillingMode: PAY_PER_REQUEST\n", "AWS::DynamoDB::Table", "KeySchema is missing"},
		{"key without type", "      KeySchema: [{AttributeName: pk}]\n", "AWS::DynamoDB::Table", "KeySchema[0].KeyType is missing"},
		{"bad TTL flag", key + "      TimeToLiveSpecification: {AttributeName: x, Enabled: maybe}\n",
			"AWS::DynamoDB::Table", "TimeToLiveSpecification.Enabled"},
		{"unsupported queue property", "      RedriveAllowPolicy: {redrivePermission: denyAll}\n",
			"AWS::SQS::Queue", "property RedriveAllowPolicy is not supported"},
		{"redrive to an ARN string", "      RedrivePolicy: {deadLetterTargetArn: 'arn:aws:sqs:x', maxReceiveCount: 5}\n",
			"AWS::SQS::Queue", "must be !GetAtt <queue>.Arn"},
		{"redrive to a non-queue", "      RedrivePolicy: {deadLetterTargetArn: !GetAtt Other.Arn, maxReceiveCount: 5}\n",
			"AWS::SQS::Queue", "Other is not an AWS::SQS::Queue"},
		{"redrive without count", "      RedrivePolicy: {deadLetterTargetArn: !GetAtt R.Arn}\n",
			"AWS::SQS::Queue", "maxReceiveCount is missing"},
	}
	for _, tt := range tests {
		tpl := mustParse(t, "Resources:\n  Other: {Type: AWS::SNS::Topic}\n  R:\n    Type: "+tt.typ+"\n    Properties:\n"+tt.props)
		var err error
		if tt.typ == "AWS::SQS::Queue" {
			_, err = tpl.Queues()
		} else {
			_, err = tpl.Tables()
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}
