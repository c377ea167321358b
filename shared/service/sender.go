package service

import (
	"context"
	"errors"
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
	// Address is where the channel reaches the customer (see AddressAttributes). It is
	// personal data, so it is never serialized: sinks and logs do not keep it.
	Address string `json:"-"`
}

// AddressAttributes names, per outbound channel, the profile attribute holding the
// customer's address on it: an e-mail address, an E.164 phone number, the ARN of
// their SNS push endpoint.
var AddressAttributes = map[string]string{"email": "email", "sms": "phone", "push": "pushEndpointArn"}

// ErrNoAddress is what a provider returns when the customer has no address on its
// channel; the message is skipped rather than retried.
var ErrNoAddress = errors.New("no address on this channel")

// SilenceNoAddress is the skip reason for a customer without an address.
const SilenceNoAddress = "no_address"

// Provider delivers messages on one channel (an e-mail service, an SMS gateway, a
// push service, or the local sink).
type Provider interface {
	Deliver(ctx context.Context, d Delivery) error
}

// ResponseChecker tells whether a decision's action already had its impression (was delivered).
type ResponseChecker interface {
	ImpressionRecorded(ctx context.Context, decisionID, actionID string) (bool, error)
}

// Sender delivers planned messages.
type Sender struct {
	Catalog   *Snapshot[*decision.Catalog]
	Customers CustomerReader
	Seen      ResponseChecker
	Recorder  *Recorder
	Providers map[string]Provider
	// Defer puts a message that arrived before its SendAt back on its queue, delayed
	// by up to SQS's 15 minutes; nil delivers such messages at once.
	Defer Outbox
	// Leases, when set, keep two copies of a message handled at the same moment from
	// both being delivered.
	Leases SendLeases
	Now    func() time.Time
}

// SendLeases lease the right to deliver a message. SQS delivers at least once, and a
// deferred message may hop as two copies, so two invocations can hold the same message
// at once; the delivery claim is only written after delivery, too late to stop the
// second.
type SendLeases interface {
	// ClaimSend takes the lease on a decision's delivery until the given time; it
	// reports false while someone else's lease runs.
	ClaimSend(ctx context.Context, decisionID string, now, until time.Time) (bool, error)
	// ReleaseSend gives the lease up after a failed delivery.
	ReleaseSend(ctx context.Context, decisionID string) error
}

// sendLease outlasts send-message's 30-second timeout, so a lease holder is finished
// or dead when it ends, and is shorter than the queues' 182-second visibility timeout,
// so the copy turned away finds, when it comes back, the delivery recorded or the
// lease expired.
const sendLease = 2 * time.Minute

// errSendInProgress turns away a copy of a message whose other copy is being
// delivered; the queue offers it again later, when it will be a duplicate.
var errSendInProgress = errors.New("another copy of the message is being delivered")

// Send results.
const (
	Delivered = "delivered"
	Duplicate = "duplicate" // Already delivered: a redelivery of the same message.
	Skipped   = "skipped"   // The last-moment check said no.
	Deferred  = "deferred"  // Not due yet: back on the queue until its send time.
)

// earlyTolerance is how early a message may be delivered rather than deferred again:
// SQS delays are whole seconds and a hop costs a send, so a minute early is on time.
const earlyTolerance = time.Minute

// SendResult says what happened to one message.
type SendResult struct {
	Status string
	// Reason is the silence reason when the message was skipped.
	Reason string
}

// deliveryResponseID is the response id a delivery's impression is recorded under.
// The impression's claim (one per decision and action) is the message's idempotency
// key.
func deliveryResponseID(m OutboundMessage) string { return "delivery:" + m.DecisionID }

// Send delivers one message unless it was already delivered or the customer may no
// longer be contacted, then records the impression for the contact history and the
// model. A message that failed to deliver returns an error so the queue retries it.
//
// A delivery is recorded after the provider accepted it, so a crash between the two
// can deliver a message twice on redelivery; providers receive the message id to
// de-duplicate where they can. Recording first would instead lose messages. Leases
// (when set) close the other way to send twice: two copies handled at once.
//
// A message scheduled beyond SQS's 15-minute delay hops: each time it arrives early
// it is put back with the remaining delay, at most 15 minutes, and the arrival
// succeeds. A crash between the two leaves the original to be redelivered and sent
// back again, so two copies may hop; the delivery claim lets only one through.
func (s *Sender) Send(ctx context.Context, m OutboundMessage) (SendResult, error) {
	if now := s.Now(); s.Defer != nil && m.SendAt.Sub(now) > earlyTolerance {
		m.DelaySeconds = delayUntil(m.SendAt, now)
		if err := s.Defer.Enqueue(ctx, m.Channel, []OutboundMessage{m}); err != nil {
			return SendResult{}, fmt.Errorf("defer %s: %w", m.DecisionID, err)
		}
		return SendResult{Status: Deferred}, nil
	}
	seen, err := s.Seen.ImpressionRecorded(ctx, m.DecisionID, m.ActionID)
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
	address, _ := profile.Attributes[AddressAttributes[m.Channel]].(string)
	if s.Leases != nil {
		leased, err := s.Leases.ClaimSend(ctx, m.DecisionID, now, now.Add(sendLease))
		if err != nil {
			return SendResult{}, err
		}
		if !leased {
			return SendResult{}, fmt.Errorf("deliver %s: %w", m.DecisionID, errSendInProgress)
		}
	}
	err = provider.Deliver(ctx, Delivery{
		MessageID: m.DecisionID, Channel: m.Channel, CustomerID: m.CustomerID, ActionID: m.ActionID,
		TreatmentID: m.TreatmentID, Content: content, DeliveredAt: now, Address: address,
	})
	if err != nil && s.Leases != nil {
		if rerr := s.Leases.ReleaseSend(ctx, m.DecisionID); rerr != nil {
			err = errors.Join(err, rerr) // the lease then runs out on its own
		}
	}
	switch {
	case errors.Is(err, ErrNoAddress):
		return SendResult{Status: Skipped, Reason: SilenceNoAddress}, nil
	case err != nil:
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
