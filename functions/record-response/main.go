// Command record-response takes in everything channels report about customers outside
// a decision, through API Gateway: responses to decisions (POST /v1/responses), which
// the models learn from; outcome events (POST /v1/outcomes); and profile changes
// (PATCH /v1/customers/{customerId}).
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
	budget, err := platform.Duration("RECORD_BUDGET", DefaultBudget)
	if err != nil {
		logger.Error("start-up failed", "error", err)
		os.Exit(1)
	}
	h := &handler{log: logger, budget: budget, recorder: &service.Recorder{
		Catalog:   deps.Catalog,
		Models:    deps.Models,
		Decisions: deps.Store,
		Responses: deps.Store,
		Now:       deps.Now,
	}, ingest: &service.Ingest{
		Catalog:   deps.Catalog,
		Profiles:  deps.Store,
		Outcomes:  deps.Store,
		Decisions: deps.Store,
		Baseline:  deps.Store,
		Models:    deps.Models,
		Now:       deps.Now,
	}}
	lambda.Start(h.handle)
}
