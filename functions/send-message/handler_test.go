package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nextbest/nextbest/shared/service"
)

type fakeSender struct {
	send func(service.OutboundMessage) (service.SendResult, error)
}

func (f fakeSender) Send(_ context.Context, m service.OutboundMessage) (service.SendResult, error) {
	return f.send(m)
}

func TestHandleReportsOnlyFailedMessages(t *testing.T) {
	msg := func(id, body string) events.SQSMessage { return events.SQSMessage{MessageId: id, Body: body} }
	valid := func(decisionID string) string {
		return `{"decisionId":"` + decisionID + `","customerId":"C1","actionId":"a1","treatmentId":"t1","channel":"email"}`
	}
	sender := fakeSender{send: func(m service.OutboundMessage) (service.SendResult, error) {
		switch m.DecisionID {
		case "provider-down":
			return service.SendResult{}, errors.New("provider refused")
		case "capped":
			return service.SendResult{Status: service.Skipped, Reason: "contact_cap"}, nil
		}
		return service.SendResult{Status: service.Delivered}, nil
	}}
	event := events.SQSEvent{Records: []events.SQSMessage{
		msg("m1", valid("ok")),
		msg("m2", `{not json`),
		msg("m3", valid("provider-down")),
		msg("m4", valid("capped")),
		msg("m5", `{"decisionId":"d5"}`),
	}}
	h := &handler{log: slog.New(slog.NewJSONHandler(io.Discard, nil)), sender: sender}
	resp, err := h.handle(context.Background(), event)
	if err != nil {
		t.Fatalf("handle error = %v, want nil: one bad message must not fail the batch", err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if want := []string{"m2", "m3", "m5"}; !slices.Equal(failed, want) {
		t.Errorf("handle failures = %v, want %v", failed, want)
	}
}
