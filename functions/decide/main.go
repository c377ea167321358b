// Command decide is the real-time brain: POST /v1/decisions through API Gateway.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/nextbest/nextbest/shared/platform"
	"github.com/nextbest/nextbest/shared/service"
)

func main() {
	logger := platform.NewLogger()
	deps, err := platform.Load(context.Background(), logger)
	if err != nil {
		logger.Error("start-up failed", "error", err)
		os.Exit(1)
	}
	deadline, err := platform.Duration("DECIDE_DEADLINE", service.DefaultDeadline)
	if err != nil {
		logger.Error("start-up failed", "error", err)
		os.Exit(1)
	}
	h := &handler{log: logger, decider: &service.Decider{
		Catalog:     deps.Catalog,
		Models:      deps.Models,
		Weather:     deps.Weather,
		Challengers: deps.Challengers,
		Customers:   deps.Store,
		Log:         deps.Store,
		Baseline:    deps.Store,
		Now:         deps.Now,
		NewID:       deps.NewID,
		Deadline:    deadline,
		Logger:      logger,
	}}
	lambda.Start(h.handle)
}
