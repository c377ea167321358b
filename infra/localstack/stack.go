package localstack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Region is the region the stack pretends to be in; DynamoDB Local and ElasticMQ accept
// any, but clients must agree on one to see the same tables and queue URLs.
const Region = "us-east-1"

// Stack is a running DynamoDB Local and ElasticMQ pair, with an S3-compatible server.
type Stack struct {
	DynamoDBEndpoint string // http://127.0.0.1:port
	SQSEndpoint      string // http://127.0.0.1:port
	S3Endpoint       string // http://127.0.0.1:port

	procs     []*process
	s3        *s3Server
	closeOnce sync.Once
	closeErr  error
}

// server is what Start needs to launch one of the stack's servers.
type server struct {
	name  string
	argv  func(port int) []string
	probe func(ctx context.Context, endpoint string) error
}

// Start starts DynamoDB Local (in memory) and ElasticMQ on free loopback ports, in
// parallel, and returns once each has answered a real API call; then an S3-compatible
// server in this process (see s3Server).
func Start(ctx context.Context, cfg Config) (*Stack, error) {
	cfg, err := cfg.resolve()
	if err != nil {
		return nil, fmt.Errorf("start stack: %w", err)
	}
	servers, err := stackServers(cfg.CacheDir)
	if err != nil {
		return nil, fmt.Errorf("start stack: %w", err)
	}
	ports, err := freePorts(len(servers))
	if err != nil {
		return nil, fmt.Errorf("start stack: %w", err)
	}

	procs := make([]*process, len(servers))
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, srv := range servers {
		wg.Go(func() { procs[i], errs[i] = startServer(ctx, cfg, srv, ports[i]) })
	}
	wg.Wait()

	s := &Stack{
		DynamoDBEndpoint: "http://" + loopback(ports[0]),
		SQSEndpoint:      "http://" + loopback(ports[1]),
	}
	for _, p := range procs {
		if p != nil {
			s.procs = append(s.procs, p)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, errors.Join(fmt.Errorf("start stack: %w", err), s.Close())
	}
	if s.s3, err = startS3(); err != nil {
		return nil, errors.Join(fmt.Errorf("start stack: %w", err), s.Close())
	}
	s.S3Endpoint = s.s3.endpoint
	return s, nil
}

// DynamoDBHeapEnv sets DynamoDB Local's Java heap ("4g"); the default, 512m, holds
// what the tests and the demo write, not the hundreds of thousands of items a load
// script does (infra/cmd/refreshload sets it).
const DynamoDBHeapEnv = "NEXTBEST_DYNAMODB_HEAP"

// stackServers describes DynamoDB Local and ElasticMQ, in the order of Stack's
// endpoints, after checking that `make tools` installed them.
func stackServers(cacheDir string) ([]server, error) {
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, fmt.Errorf("java not on PATH, install Java 17+: %w", ErrNotInstalled)
	}
	ddbLib := filepath.Join(cacheDir, "dynamodb-local", "lib")
	mqDir := filepath.Join(cacheDir, "elasticmq")
	mqConf := filepath.Join(mqDir, "elasticmq.conf")
	if err := requireFiles("dynamodb local", ddbLib); err != nil {
		return nil, err
	}
	if err := requireFiles("elasticmq", filepath.Join(mqDir, "lib"), mqConf); err != nil {
		return nil, err
	}
	// Serial GC and C1-only JIT make both JVMs start faster and lighter, which matters
	// more for short test runs than peak throughput does.
	jvm := []string{java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"}
	dynamoHeap := "-Xmx" + cmp.Or(os.Getenv(DynamoDBHeapEnv), "512m")
	dynamo := server{
		name: "dynamodb-local",
		argv: func(port int) []string {
			return slices.Concat(jvm, []string{dynamoHeap, "-Djava.library.path=" + ddbLib, "-cp", ddbLib + "/*",
				"com.amazonaws.services.dynamodbv2.local.main.ServerRunner",
				"-inMemory", "-sharedDb", "-disableTelemetry", "-port", strconv.Itoa(port)})
		},
		probe: dynamoProbe,
	}
	sqs := server{
		name: "elasticmq",
		argv: func(port int) []string {
			// The config file pins loopback; the port must also be the node address so
			// the queue URLs ElasticMQ hands out point back at it.
			p := strconv.Itoa(port)
			return slices.Concat(jvm, []string{"-Xmx512m", "-Dconfig.file=" + mqConf, "-Dnode-address.port=" + p,
				"-Drest-sqs.bind-port=" + p, "-cp", filepath.Join(mqDir, "lib") + "/*",
				"org.elasticmq.server.Main"})
		},
		probe: sqsProbe,
	}
	return []server{dynamo, sqs}, nil
}

// startServer launches one server and waits until it answers; on failure it stops it
// again and returns a nil process.
func startServer(ctx context.Context, cfg Config, srv server, port int) (*process, error) {
	name := srv.name + "-" + strconv.Itoa(port)
	p, err := startProcess(name, cfg.LogDir, cfg.LogDir, os.Environ(), srv.argv(port)...)
	if err != nil {
		return nil, err
	}
	endpoint := "http://" + loopback(port)
	if err := p.waitReady(ctx, func(ctx context.Context) error { return srv.probe(ctx, endpoint) }); err != nil {
		return nil, errors.Join(err, p.stop())
	}
	return p, nil
}

// dynamoProbe calls ListTables. DynamoDB Local wants a SigV4-shaped Authorization
// header but does not check the signature.
func dynamoProbe(ctx context.Context, endpoint string) error {
	return jsonCall(ctx, endpoint, "DynamoDB_20120810.ListTables", map[string]string{
		"Authorization": "AWS4-HMAC-SHA256 Credential=local/20200101/" + Region +
			"/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
	})
}

// sqsProbe calls ListQueues over the JSON protocol that current SDKs speak.
func sqsProbe(ctx context.Context, endpoint string) error {
	return jsonCall(ctx, endpoint, "AmazonSQS.ListQueues", nil)
}

// jsonCall POSTs an empty AWS JSON-protocol request for target and wants a 200.
func jsonCall(ctx context.Context, endpoint, target string, header map[string]string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/", strings.NewReader("{}"))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", target)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %s", target, resp.Status, body)
	}
	return nil
}

// Env is what a process needs to reach the stack through aws-sdk-go-v2's
// config.LoadDefaultConfig: a region, dummy static credentials and per-service endpoints.
func (s *Stack) Env() map[string]string {
	return map[string]string{
		"AWS_REGION":                Region,
		"AWS_ACCESS_KEY_ID":         "local",
		"AWS_SECRET_ACCESS_KEY":     "local",
		"AWS_ENDPOINT_URL_DYNAMODB": s.DynamoDBEndpoint,
		"AWS_ENDPOINT_URL_SQS":      s.SQSEndpoint,
		"AWS_ENDPOINT_URL_S3":       s.S3Endpoint,
	}
}

// Close stops every server Start launched. It is safe to call more than once.
func (s *Stack) Close() error {
	s.closeOnce.Do(func() {
		errs := make([]error, len(s.procs), len(s.procs)+1)
		for i, p := range s.procs {
			errs[i] = p.stop()
		}
		if s.s3 != nil {
			errs = append(errs, s.s3.stop())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}
