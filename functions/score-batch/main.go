// Command score-batch builds every customer's outbound plan on a schedule and enqueues
// the sends on the channel queues.
package main

import (
	"context"
	"os"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/nextbest/nextbest/shared/platform"
	"github.com/nextbest/nextbest/shared/service"
	"github.com/nextbest/nextbest/shared/sqs"
)

// scanSegments splits one run over parallel scans; DynamoDB serves each segment from
// its own partitions, so a few segments keep one invocation's CPUs busy.
const scanSegments = 4

func main() {
	logger := platform.NewLogger()
	var queueVars []string
	for _, name := range sqs.QueueEnv {
		queueVars = append(queueVars, name)
	}
	slices.Sort(queueVars)
	deps, err := platform.Load(context.Background(), queueVars...)
	if err != nil {
		logger.Error("start-up failed", "error", err)
		os.Exit(1)
	}
	queues := map[string]string{}
	for channel, name := range sqs.QueueEnv {
		queues[channel] = deps.Env[name]
	}
	h := &handler{log: logger, planner: &service.Planner{
		Catalog:   deps.Catalog,
		Models:    deps.Models,
		Customers: deps.Store,
		Log:       deps.Store,
		Outbox:    sqs.NewOutbox(awssqs.NewFromConfig(deps.AWS), queues),
		Now:       time.Now,
		Segments:  scanSegments,
	}}
	lambda.Start(h.handle)
}
