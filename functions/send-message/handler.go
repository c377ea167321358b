package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nextbest/nextbest/shared/platform"
	"github.com/nextbest/nextbest/shared/service"
)

// sender is what the handler needs from the service layer.
type sender interface {
	Send(ctx context.Context, m service.OutboundMessage) (service.SendResult, error)
}

type handler struct {
	log    *slog.Logger
	sender sender
}

// handle sends each message of the batch on its own and reports only the failed ones,
// so SQS retries those alone; a message that keeps failing (a malformed body, a
// provider that keeps refusing) reaches the dead-letter queue after the queue's
// maximum receive count.
func (h *handler) handle(ctx context.Context, event events.SQSEvent) (events.SQSEventResponse, error) {
	log := platform.RequestLogger(ctx, h.log)
	var resp events.SQSEventResponse
	counts := map[string]int{}
	for _, record := range event.Records {
		result, err := h.sendOne(ctx, record)
		if err != nil {
			log.WarnContext(ctx, "message failed", "messageId", record.MessageId, "error", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: record.MessageId})
			counts["failed"]++
			continue
		}
		counts[result.Status]++
		if result.Status == service.Skipped {
			log.InfoContext(ctx, "message skipped", "messageId", record.MessageId, "reason", result.Reason)
		}
	}
	log.InfoContext(ctx, "batch done", "messages", len(event.Records), "results", counts)
	return resp, nil
}

func (h *handler) sendOne(ctx context.Context, record events.SQSMessage) (service.SendResult, error) {
	var m service.OutboundMessage
	if err := json.Unmarshal([]byte(record.Body), &m); err != nil {
		return service.SendResult{}, err
	}
	if m.DecisionID == "" || m.CustomerID == "" || m.ActionID == "" || m.Channel == "" {
		return service.SendResult{}, errIncomplete
	}
	return h.sender.Send(ctx, m)
}

var errIncomplete = errors.New("message lacks decisionId, customerId, actionId or channel")
