package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/nextbest/nextbest/infra/localstack"
	"github.com/nextbest/nextbest/infra/template"
	"github.com/nextbest/nextbest/shared/dynamo"
	"github.com/nextbest/nextbest/shared/platform"
)

// Options configure a local environment.
type Options struct {
	// Root is the repository root; template.yaml and .cache/ are found under it.
	Root string
	// BinDir holds the bootstraps, one folder per function as `make build` lays them
	// out (bin/decide/bootstrap); it defaults to <Root>/bin.
	BinDir string
	// Prefix names the physical tables and queues.
	Prefix string
	// FunctionEnv is added to every function's environment (for example a shorter
	// MODELS_MAX_AGE so a demo shows learning quickly).
	FunctionEnv map[string]string
	// Progress, when set, receives one line per step.
	Progress func(format string, args ...any)
	// Servers, when set, are a running DynamoDB Local and SQS server pair to create
	// this environment's tables and queues on (under Prefix) instead of starting a
	// pair of its own; Close leaves them running. Tests start the servers once and
	// give every test an environment of its own on them.
	Servers *localstack.Stack
	// Start is the instant the environment's clock reads when it comes up; from there
	// it runs at the wall clock's pace, and every function of the environment shares
	// it (platform.ClockEnv). The zero value is the wall clock.
	Start time.Time
	// Seed, when not zero, makes every function's decision ids, and so its Thompson
	// draws and random control-group choices, a sequence drawn from this seed
	// (platform.SeedEnv), different for each function process.
	Seed uint64
	// Senders is how many send-message processes DrainQueues feeds at once, as
	// Lambda's SQS pollers invoke several instances of the function; 0 or 1 feeds one
	// batch at a time, in the queue's order.
	Senders int
}

// Env is a running local environment.
type Env struct {
	Stack     *localstack.Stack
	Template  *template.Template
	Resources *template.Resources
	DynamoDB  *dynamodb.Client
	SQS       *awssqs.Client
	S3        *s3.Client
	Store     *dynamo.Store
	// Functions are keyed by their logical id in template.yaml.
	Functions map[string]*localstack.Function
	// SinkPath is the file the local delivery provider appends deliveries to.
	SinkPath string
	// Weather stands in for the weather API the context feed asks (see WeatherServer).
	Weather *WeatherServer
	opts    Options
	// clock is the environment's clock and the platform.ClockEnv setting handed to
	// every function ("" for the wall clock); AdvanceClock replaces both.
	clock atomic.Pointer[stackClock]
	// processes counts the function processes started, to give each its own id seed.
	processes atomic.Uint64
	// senders are the extra send-message processes DrainQueues feeds (Options.Senders),
	// started on first use.
	senders []*localstack.Function
	// ownsServers tells Close to stop the servers.
	ownsServers bool
}

// Up starts the stack, creates the template's tables and queues, and starts every
// function's bootstrap (built beforehand by `make build` into bin/<function>/bootstrap).
func Up(ctx context.Context, opts Options) (env *Env, err error) {
	e, err := StartStorage(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	sinkDir, err := os.MkdirTemp("", "nextbest-sink-")
	if err != nil {
		return nil, err
	}
	e.SinkPath = filepath.Join(sinkDir, "deliveries.jsonl")
	if e.Weather, err = startWeatherServer(e.Now); err != nil {
		return nil, err
	}
	if err := e.startFunctions(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// StartStorage starts DynamoDB Local and the SQS server and creates the template's
// tables and queues, without any function: what the adapters' integration tests and
// the operator commands' tests need.
func StartStorage(ctx context.Context, opts Options) (env *Env, err error) {
	if opts.Root == "" {
		return nil, errors.New("local: Options.Root is required")
	}
	if opts.Prefix == "" {
		opts.Prefix = "nextbest-local-"
	}
	if opts.BinDir == "" {
		opts.BinDir = filepath.Join(opts.Root, "bin")
	}
	if opts.Progress == nil {
		opts.Progress = func(string, ...any) {}
	}
	tpl, err := template.Load(filepath.Join(opts.Root, "template.yaml"))
	if err != nil {
		return nil, err
	}
	stack, owns := opts.Servers, false
	if stack == nil {
		if stack, err = StartServers(ctx, opts.Root, opts.Progress); err != nil {
			return nil, err
		}
		owns = true
	}
	e := &Env{Stack: stack, Template: tpl, Functions: map[string]*localstack.Function{}, opts: opts, ownsServers: owns}
	e.clock.Store(newStackClock(opts.Start))
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	if err := e.connect(ctx); err != nil {
		return nil, err
	}
	opts.Progress("creating tables and queues from template.yaml")
	if e.Resources, err = template.Provision(ctx, tpl, template.Target{DynamoDB: e.DynamoDB, SQS: e.SQS, S3: e.S3, Prefix: opts.Prefix, WithoutTTL: true}); err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}
	e.Store = dynamo.New(e.DynamoDB, e.Tables())
	return e, nil
}

// stackClock is an environment's clock: the wall clock, or one set to start at an
// instant, with the setting that hands it to the function processes.
type stackClock struct {
	now     func() time.Time
	setting string
}

func newStackClock(start time.Time) *stackClock {
	if start.IsZero() {
		return &stackClock{now: time.Now}
	}
	anchor := time.Now()
	return &stackClock{now: platform.ShiftedClock(start, anchor, time.Now), setting: platform.FormatClock(start, anchor)}
}

// Now is the environment's clock, the one its functions decide and record by.
func (e *Env) Now() time.Time { return e.clock.Load().now() }

// AdvanceClock moves the environment's clock forward, as if the calendar had moved
// on: every function process restarts with the new clock (a process reads it once, at
// start), so the next decisions, batch runs and records are dated d later. Only an
// environment started at an instant (Options.Start) can move; requests must not be in
// flight meanwhile.
func (e *Env) AdvanceClock(ctx context.Context, d time.Duration) error {
	if e.clock.Load().setting == "" {
		return errors.New("local: the environment runs on the wall clock, which cannot be moved")
	}
	e.clock.Store(newStackClock(e.Now().Add(d)))
	e.closeSenders()
	for id, fn := range e.Functions {
		fn.Close()
		restarted, err := e.StartFunction(ctx, id, id)
		if err != nil {
			return fmt.Errorf("restart %s with the new clock: %w", id, err)
		}
		e.Functions[id] = restarted
	}
	return nil
}

// StartServers starts DynamoDB Local and the SQS server, for environments to share
// (Options.Servers). The caller closes them.
func StartServers(ctx context.Context, root string, progress func(format string, args ...any)) (*localstack.Stack, error) {
	if progress != nil {
		progress("starting DynamoDB Local and the SQS server")
	}
	return localstack.Start(ctx, localstack.Config{CacheDir: filepath.Join(root, ".cache")})
}

// Tables names the physical tables the template's tables were created as.
func (e *Env) Tables() dynamo.Tables {
	return dynamo.Tables{
		Customers: e.Resources.Tables["CustomersTable"], Decisions: e.Resources.Tables["DecisionsTable"],
		Models: e.Resources.Tables["ModelsTable"], Catalog: e.Resources.Tables["CatalogTable"],
	}
}

// connect builds SDK clients for the local endpoints.
func (e *Env) connect(ctx context.Context) error {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(localstack.Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")),
	)
	if err != nil {
		return fmt.Errorf("aws config: %w", err)
	}
	e.DynamoDB = dynamo.NewClient(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(e.Stack.DynamoDBEndpoint) })
	e.SQS = awssqs.NewFromConfig(cfg, func(o *awssqs.Options) { o.BaseEndpoint = aws.String(e.Stack.SQSEndpoint) })
	e.S3 = s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint, o.UsePathStyle = aws.String(e.Stack.S3Endpoint), true
	})
	return nil
}

// ShellEnv is what a shell needs to point the operator commands, curl and the AWS CLI
// at this environment: the endpoints, dummy credentials, table names, the import
// bucket, and the environment's clock (so commands date what they write as the
// functions do).
func (e *Env) ShellEnv() map[string]string {
	vars := e.Stack.Env()
	for name, v := range map[string]string{"CUSTOMERS_TABLE": "CustomersTable", "DECISIONS_TABLE": "DecisionsTable",
		"MODELS_TABLE": "ModelsTable", "CATALOG_TABLE": "CatalogTable"} {
		vars[name] = e.Resources.Tables[v]
	}
	vars["IMPORT_BUCKET"] = e.Resources.Buckets["ImportBucket"]
	if setting := e.clock.Load().setting; setting != "" {
		vars[platform.ClockEnv] = setting
	}
	return vars
}

// FunctionDir is the folder of a function's main package under functions/, and of its
// bootstrap under bin/: DecideFunction → decide.
func FunctionDir(logicalID string) string {
	return kebab(strings.TrimSuffix(logicalID, "Function"))
}

func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// startFunctions runs every function of the template under the emulator.
func (e *Env) startFunctions(ctx context.Context) error {
	for _, id := range e.Template.Functions() {
		e.opts.Progress("starting %s under the Lambda Runtime Interface Emulator", id)
		fn, err := e.StartFunction(ctx, id, id)
		if err != nil {
			return err
		}
		e.Functions[id] = fn
	}
	return nil
}

// StartFunction starts one more emulator process for a function of the template,
// named name, with the environment the template gives it resolved to the local
// resources. Each process serves one invocation at a time, so a load test starts
// several to send concurrent requests. The caller closes it.
func (e *Env) StartFunction(ctx context.Context, logicalID, name string) (*localstack.Function, error) {
	fnEnv, err := e.Template.FunctionEnv(logicalID, e.Resources, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range e.Stack.Env() {
		fnEnv[k] = v
	}
	timeout, memory, err := e.Template.FunctionLimits(logicalID)
	if err != nil {
		return nil, err
	}
	fnEnv["AWS_LAMBDA_FUNCTION_TIMEOUT"] = strconv.Itoa(timeout)
	fnEnv["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = strconv.Itoa(memory)
	fnEnv["DELIVERY_PROVIDER"] = "sink"
	fnEnv["SINK_PATH"] = e.SinkPath
	if e.Weather != nil {
		fnEnv["WEATHER_API_URL"] = e.Weather.URL
	}
	// Sends go out at once unless a caller asks for best send times: a test or a
	// demo cannot wait for tomorrow's evening.
	fnEnv["SEND_TIME"] = "now"
	// Scheduled runs plan in the invocation, as the tests of the sample events
	// expect; a run asked for with "fanOut" still goes through the work queue, which
	// DrainWork plays the event source mapping of.
	fnEnv["FANOUT"] = "off"
	if setting := e.clock.Load().setting; setting != "" {
		fnEnv[platform.ClockEnv] = setting
	}
	if process := e.processes.Add(1); e.opts.Seed != 0 {
		fnEnv[platform.SeedEnv] = strconv.FormatUint(e.opts.Seed*1000003+process, 10)
	}
	for k, v := range e.opts.FunctionEnv {
		fnEnv[k] = v
	}
	bootstrap := filepath.Join(e.opts.BinDir, FunctionDir(logicalID), "bootstrap")
	if _, err := os.Stat(bootstrap); err != nil {
		return nil, fmt.Errorf("%s: %w (run `make build` first)", logicalID, err)
	}
	return localstack.StartFunction(ctx, localstack.Config{CacheDir: filepath.Join(e.opts.Root, ".cache")}, name, bootstrap, fnEnv)
}

// FunctionError is a function's own failure (its handler returned an error or it
// crashed), as opposed to a failure to reach it.
type FunctionError struct {
	Function string
	Type     string `json:"errorType"`
	Message  string `json:"errorMessage"`
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("%s failed: %s: %s", e.Function, e.Type, e.Message)
}

// Invoke calls a function through the emulator with a raw event and returns its
// answer, or a *FunctionError when the function failed.
func (e *Env) Invoke(ctx context.Context, logicalID string, event []byte) ([]byte, error) {
	fn, ok := e.Functions[logicalID]
	if !ok {
		return nil, fmt.Errorf("no function %s", logicalID)
	}
	return e.invokeOn(ctx, logicalID, fn, event)
}

// invokeOn is Invoke on one process of the function.
func (e *Env) invokeOn(ctx context.Context, logicalID string, fn *localstack.Function, event []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	out, err := fn.Invoke(ctx, event)
	if err != nil {
		return nil, err
	}
	fe := &FunctionError{Function: logicalID}
	if json.Unmarshal(out, fe) == nil && fe.Message != "" {
		return nil, fe
	}
	return out, nil
}

// Close stops every function and, unless they were shared (Options.Servers), the
// servers.
func (e *Env) Close() {
	for _, fn := range e.Functions {
		fn.Close()
	}
	e.closeSenders()
	if e.Stack != nil && e.ownsServers {
		e.Stack.Close()
	}
	if e.SinkPath != "" {
		os.RemoveAll(filepath.Dir(e.SinkPath))
	}
	if e.Weather != nil {
		e.Weather.Close()
	}
}
