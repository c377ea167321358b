package service

import (
	"context"
	"fmt"
	"time"

	"github.com/nextbest/nextbest/shared/decision"
)

// Delivery is one rendered message handed to a channel's provider.
type Delivery struct {
	MessageID   string            `json:"messageId"`
	Channel     string            `json:"channel"`
	CustomerID  string            `json:"customerId"`
	ActionID    string            `json:"actionId"`
	TreatmentID string            `json:"treatmentId"`
	Content     map[string]string `json:"content"`
	DeliveredAt time.Time         `json:"deliveredAt"`
}

// Provider delivers messages on one channel (an e-mail service, an SMS gateway, a
// push service, or the local sink).
type Provider interface {
	Deliver(ctx context.Context, d Delivery) error
}

// ResponseChecker tells whether a response id has already been recorded.
type ResponseChecker interface {
	ResponseRecorded(ctx context.Context, responseID string) (bool, error)
}

// Sender delivers planned messages.
type Sender struct {
	Catalog   *Snapshot[*decision.Catalog]
	Customers CustomerReader
	Seen      ResponseChecker
	Recorder  *Recorder
	Providers map[string]Provider
	Now       func() time.Time
}

// Send results.
const (
	Delivered = "delivered"
	Duplicate = "duplicate" // Already delivered: a redelivery of the same message.
	Skipped   = "skipped"   // The last-moment check said no.
)

// SendResult says what happened to one message.
type SendResult struct {
	Status string
	// Reason is the silence reason when the message was skipped.
	Reason string
}

// deliveryResponseID is the id under which a delivery's impression is recorded; it
// doubles as the message's idempotency key.
func deliveryResponseID(m OutboundMessage) string { return "delivery:" + m.DecisionID }

// Send delivers one message unless it was already delivered or the customer may no
// longer be contacted, then records the impression for the contact history and the
// model. A message that failed to deliver returns an error so the queue retries it.
//
// A delivery is recorded after the provider accepted it, so a crash between the two
// can deliver a message twice on redelivery; providers receive the message id to
// de-duplicate where they can. Recording first would instead lose messages.
func (s *Sender) Send(ctx context.Context, m OutboundMessage) (SendResult, error) {
	seen, err := s.Seen.ResponseRecorded(ctx, deliveryResponseID(m))
	if err != nil {
		return SendResult{}, err
	}
	if seen {
		return SendResult{Status: Duplicate}, nil
	}
	catalog, err := s.Catalog.Get(ctx)
	if err != nil {
		return SendResult{}, fmt.Errorf("catalog: %w", err)
	}
	provider, ok := s.Providers[m.Channel]
	if !ok {
		return SendResult{}, decision.Errorf(decision.EInvalid, "no provider for channel %q", m.Channel)
	}
	now := s.Now()
	profile, err := s.Customers.LoadCustomer(ctx, m.CustomerID, now.Add(-catalog.HistoryWindow()))
	if err != nil {
		return SendResult{}, err
	}
	if silence := catalog.CheckContact(profile, m.ActionID, m.Channel, now); silence != nil {
		return SendResult{Status: Skipped, Reason: silence.Reason}, nil
	}
	content, ok := catalog.Render(m.ActionID, m.TreatmentID, profile.Attributes)
	if !ok {
		return SendResult{Status: Skipped, Reason: decision.SilenceNothingEligible}, nil
	}
	if err := provider.Deliver(ctx, Delivery{
		MessageID: m.DecisionID, Channel: m.Channel, CustomerID: m.CustomerID, ActionID: m.ActionID,
		TreatmentID: m.TreatmentID, Content: content, DeliveredAt: now,
	}); err != nil {
		return SendResult{}, fmt.Errorf("deliver %s on %s: %w", m.DecisionID, m.Channel, err)
	}
	_, err = s.Recorder.Record(ctx, decision.Response{
		DecisionID: m.DecisionID, CustomerID: m.CustomerID, ActionID: m.ActionID, Channel: m.Channel,
		Outcome: decision.KindImpression, ResponseID: deliveryResponseID(m), OccurredAt: &now,
	})
	if err != nil {
		return SendResult{}, fmt.Errorf("record delivery of %s: %w", m.DecisionID, err)
	}
	return SendResult{Status: Delivered}, nil
}
