// Command score-batch builds every customer's outbound plan on a schedule and enqueues
// the sends on the channel queues.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/nextbest/nextbest/shared/platform"
	"github.com/nextbest/nextbest/shared/service"
	"github.com/nextbest/nextbest/shared/sqs"
	"github.com/nextbest/nextbest/shared/weather"
)

// scanSegments splits one run over parallel scans, each in its own goroutine, so the
// invocation's CPUs plan while other segments wait on DynamoDB. Segments are also
// the unit of retry. On DynamoDB Local a segment's scan slows down with its size:
// 100,000 customers scan in 16.8 s as 4 segments, 5.7 s as 16 and 4.1 s as 32.
const scanSegments = 32

func main() {
	logger := platform.NewLogger()
	deps, err := platform.Load(context.Background(), logger, sqs.QueueEnvNames()...)
	if err != nil {
		logger.Error("start-up failed", "error", err)
		os.Exit(1)
	}
	bestSendTime, err := sendTimeMode(os.Getenv("SEND_TIME"))
	if err != nil {
		logger.Error("start-up failed", "error", err)
		os.Exit(1)
	}
	fanOutScheduled, err := fanOutMode(os.Getenv("FANOUT"))
	if err != nil {
		logger.Error("start-up failed", "error", err)
		os.Exit(1)
	}
	client := awssqs.NewFromConfig(deps.AWS)
	planner := &service.Planner{
		Catalog:      deps.Catalog,
		Models:       deps.Models,
		Customers:    deps.Store,
		Log:          deps.Store,
		Outbox:       sqs.NewOutbox(client, sqs.QueueURLs(deps.Env)),
		Runs:         deps.Store,
		BestSendTime: bestSendTime,
		Weather:      deps.Weather,
		Challengers:  deps.Challengers,
		Baseline:     deps.Store,
		Now:          deps.Now,
		Segments:     scanSegments,
	}
	feeds := &service.Feeds{Catalog: deps.Catalog, Store: deps.Store, Now: deps.Now,
		Weather: &weather.OpenMeteo{BaseURL: os.Getenv("WEATHER_API_URL"), Now: deps.Now}}
	h := &handler{log: logger, planner: planner, responses: deps.Store, fanOutScheduled: fanOutScheduled,
		catalog: deps.Catalog, models: deps.Models, metricsOut: os.Stdout, now: deps.Now, feeds: feeds, compactor: deps.Store}
	if url := os.Getenv(sqs.WorkQueueEnv); url != "" {
		h.fanout = &service.Fanout{Planner: planner, Queue: sqs.NewWorkQueue(client, url), Sketches: deps.Store, Barrier: deps.Store}
	}
	lambda.Start(h.handle)
}

// fanOutMode reads FANOUT: "on" spreads scheduled runs over the work queue, one
// invocation per segment; "off" (the default, and the local stack's) plans them in
// the scheduled invocation.
func fanOutMode(v string) (bool, error) {
	switch v {
	case "on":
		return true, nil
	case "", "off":
		return false, nil
	default:
		return false, fmt.Errorf("unknown FANOUT %q (want on or off)", v)
	}
}

// sendTimeMode reads SEND_TIME: "best" (the default) schedules each send at the
// customer's best hour; "now" sends at once, as the local stack does so that its
// tests and demo see every delivery.
func sendTimeMode(v string) (bool, error) {
	switch v {
	case "", "best":
		return true, nil
	case "now":
		return false, nil
	default:
		return false, fmt.Errorf("unknown SEND_TIME %q (want best or now)", v)
	}
}
