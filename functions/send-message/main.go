// Command send-message delivers the planned messages from the channel queues.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/nextbest/nextbest/shared/platform"
	"github.com/nextbest/nextbest/shared/service"
	"github.com/nextbest/nextbest/shared/sink"
)

func main() {
	logger := platform.NewLogger()
	provider, err := newProvider(logger)
	if err != nil {
		logger.Error("start-up failed", "error", err)
		os.Exit(1)
	}
	deps, err := platform.Load(context.Background())
	if err != nil {
		logger.Error("start-up failed", "error", err)
		os.Exit(1)
	}
	h := &handler{log: logger, sender: &service.Sender{
		Catalog:   deps.Catalog,
		Customers: deps.Store,
		Seen:      deps.Store,
		Recorder:  &service.Recorder{Catalog: deps.Catalog, Models: deps.Models, Decisions: deps.Store, Responses: deps.Store, Now: time.Now},
		Providers: map[string]service.Provider{"email": provider, "sms": provider, "push": provider},
		Now:       time.Now,
	}}
	lambda.Start(h.handle)
}

// newProvider picks the delivery provider from DELIVERY_PROVIDER: "log" (the default)
// records deliveries in the log only; "sink" appends them to the file SINK_PATH, as the
// local stack and tests do.
func newProvider(logger *slog.Logger) (service.Provider, error) {
	switch mode := os.Getenv("DELIVERY_PROVIDER"); mode {
	case "", "log":
		return &sink.Log{Logger: logger}, nil
	case "sink":
		path := os.Getenv("SINK_PATH")
		if path == "" {
			return nil, fmt.Errorf("DELIVERY_PROVIDER=sink needs SINK_PATH")
		}
		return &sink.File{Path: path}, nil
	default:
		return nil, fmt.Errorf("unknown DELIVERY_PROVIDER %q (want log or sink)", mode)
	}
}
