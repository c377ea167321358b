//go:build integration

package localstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// requireStarted fails the test on err, except that missing tools skip it outside CI,
// so `go test -tags integration` on a fresh checkout explains itself instead of failing.
func requireStarted(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if errors.Is(err, ErrNotInstalled) && os.Getenv("CI") == "" {
		t.Skipf("%s: tools missing (CI unset, so skipping): %v", what, err)
	}
	t.Fatalf("%s: %v", what, err)
}

// startStack starts a stack for one test and closes it when the test ends, checking
// that Close leaves none of its processes behind.
func startStack(t *testing.T) *Stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	began := time.Now()
	s, err := Start(ctx, Config{LogDir: t.TempDir()})
	requireStarted(t, "Start", err)
	t.Logf("stack started in %v: dynamodb %s, sqs %s", time.Since(began).Round(time.Millisecond), s.DynamoDBEndpoint, s.SQSEndpoint)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close() = %v, want the first result, nil", err)
		}
		for _, p := range s.procs {
			assertGroupGone(t, p)
		}
	})
	return s
}

// assertGroupGone fails if any process of p's process group is still alive.
func assertGroupGone(t *testing.T, p *process) {
	t.Helper()
	if err := syscall.Kill(-p.cmd.Process.Pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process group of %s still alive after Close (kill -0 = %v)", p.name, err)
	}
}

// awsConfig is the SDK configuration Stack.Env describes, built explicitly.
func awsConfig(t *testing.T, env map[string]string) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(env["AWS_REGION"]),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(
			env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], "")))
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	return cfg
}

func TestStack(t *testing.T) {
	s := startStack(t)
	cfg := awsConfig(t, s.Env())
	ddb := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(s.DynamoDBEndpoint) })
	mq := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(s.SQSEndpoint) })

	t.Run("DynamoDB", func(t *testing.T) { testDynamoDB(t, ddb) })
	t.Run("SQS", func(t *testing.T) { testSQS(t, mq, s.SQSEndpoint) })
}

func testDynamoDB(t *testing.T, ddb *dynamodb.Client) {
	ctx := context.Background()
	table := aws.String("localstack-test")
	_, err := ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            table,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	tests := []struct{ pk, value string }{
		{"user#1", "hello"},
		{"user#2", "ünïcödé ✓"},
	}
	for _, tt := range tests {
		_, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: map[string]ddbtypes.AttributeValue{
			"pk":    &ddbtypes.AttributeValueMemberS{Value: tt.pk},
			"value": &ddbtypes.AttributeValueMemberS{Value: tt.value},
		}})
		if err != nil {
			t.Fatalf("PutItem(%s): %v", tt.pk, err)
		}
	}
	for _, tt := range tests {
		out, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, ConsistentRead: aws.Bool(true),
			Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: tt.pk}}})
		if err != nil {
			t.Fatalf("GetItem(%s): %v", tt.pk, err)
		}
		got, _ := out.Item["value"].(*ddbtypes.AttributeValueMemberS)
		if got == nil || got.Value != tt.value {
			t.Errorf("GetItem(%s).value = %v, want %q", tt.pk, out.Item["value"], tt.value)
		}
	}
}

func testSQS(t *testing.T, mq *sqs.Client, endpoint string) {
	ctx := context.Background()
	q, err := mq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("localstack-test")})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	// Queue URLs must point back at the server, or clients that use them would miss it.
	if want := endpoint + "/000000000000/localstack-test"; aws.ToString(q.QueueUrl) != want {
		t.Errorf("CreateQueue().QueueUrl = %s, want %s", aws.ToString(q.QueueUrl), want)
	}
	bodies := []string{`{"n":1}`, `{"n":2}`}
	for _, b := range bodies {
		if _, err := mq.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(b)}); err != nil {
			t.Fatalf("SendMessage(%s): %v", b, err)
		}
	}
	got := map[string]bool{}
	for deadline := time.Now().Add(10 * time.Second); len(got) < len(bodies) && time.Now().Before(deadline); {
		out, err := mq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		for _, m := range out.Messages {
			got[aws.ToString(m.Body)] = true
		}
	}
	for _, b := range bodies {
		if !got[b] {
			t.Errorf("ReceiveMessage did not return %s; got %v", b, got)
		}
	}
}

// TestEnvConfiguresSDK checks that Env alone, read by LoadDefaultConfig the way a
// Lambda function reads its environment, reaches both servers.
func TestEnvConfiguresSDK(t *testing.T) {
	s := startStack(t)
	for k, v := range s.Env() {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	if _, err := dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Errorf("ListTables via Env: %v", err)
	}
	if _, err := sqs.NewFromConfig(cfg).ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
		t.Errorf("ListQueues via Env: %v", err)
	}
}

func TestFunction(t *testing.T) {
	bootstrap := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bootstrap, "./testdata/echo")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/echo: %v\n%s", err, out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f, err := StartFunction(ctx, Config{LogDir: t.TempDir()}, "echo", bootstrap, map[string]string{"AWS_REGION": Region})
	requireStarted(t, "StartFunction", err)
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
		if err := f.Close(); err != nil {
			t.Errorf("second Close() = %v, want the first result, nil", err)
		}
		assertGroupGone(t, f.proc)
	})

	// Twice, because the second call reuses the warm runtime the first one started.
	tests := []string{`{"hello":"world"}`, `[1,2,3]`}
	for _, payload := range tests {
		got, err := f.Invoke(ctx, []byte(payload))
		if err != nil {
			t.Fatalf("Invoke(%s): %v", payload, err)
		}
		if !bytes.Equal(got, []byte(payload)) {
			t.Errorf("Invoke(%s) = %s, want %s", payload, got, payload)
		}
	}

	// Overlapping calls would crash the emulator; Invoke must queue them instead.
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			payload := fmt.Sprintf(`{"n":%d}`, i)
			got, err := f.Invoke(ctx, []byte(payload))
			if err != nil || string(got) != payload {
				t.Errorf("concurrent Invoke(%s) = %s, %v, want %s, nil", payload, got, err, payload)
			}
		})
	}
	wg.Wait()
}
