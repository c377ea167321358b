// Package smsvoice delivers SMS through AWS End User Messaging SMS (the
// pinpoint-sms-voice-v2 API).
//
// SMS do not go through SNS: sns:Publish to a phone number names no resource, so IAM
// could only allow it on "*". SendTextMessage is authorized on the origination
// identity (a pool, a phone number or a sender ID), the one resource the function's
// role names (template.yaml, SmsOriginationIdentity).
package smsvoice

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"

	"github.com/nextbest/nextbest/shared/service"
)

var (
	_ service.Provider = (*Provider)(nil)
	_ API              = (*pinpointsmsvoicev2.Client)(nil)
)

// API is the part of *pinpointsmsvoicev2.Client the provider uses.
type API interface {
	SendTextMessage(ctx context.Context, in *pinpointsmsvoicev2.SendTextMessageInput, optFns ...func(*pinpointsmsvoicev2.Options)) (*pinpointsmsvoicev2.SendTextMessageOutput, error)
}

// Provider sends a delivery's "text" to the delivery's address, the customer's phone
// number (E.164), from OriginationIdentity, as a promotional message: the batch's
// sends are marketing, which carriers and countries treat apart from one-time
// passwords and alerts.
type Provider struct {
	Client API
	// OriginationIdentity is the ARN of the pool, phone number or sender ID the SMS
	// are sent from.
	OriginationIdentity string
}

// Deliver sends the SMS. The message id (the decision id), action and treatment go
// in the message's context, which End User Messaging passes to the configuration
// set's event destinations, so delivery events can be traced to their decision.
// The API takes no idempotency key: send-message's lease and delivery claim keep a
// message from being sent twice (service.Sender.Send).
func (p *Provider) Deliver(ctx context.Context, d service.Delivery) error {
	if d.Address == "" {
		return service.ErrNoAddress
	}
	in := &pinpointsmsvoicev2.SendTextMessageInput{
		DestinationPhoneNumber: aws.String(d.Address),
		OriginationIdentity:    aws.String(p.OriginationIdentity),
		MessageBody:            aws.String(d.Content["text"]),
		MessageType:            types.MessageTypePromotional,
		Context:                map[string]string{"messageId": d.MessageID, "actionId": d.ActionID, "treatmentId": d.TreatmentID},
	}
	if _, err := p.Client.SendTextMessage(ctx, in); err != nil {
		return fmt.Errorf("sms-voice send %s from %s: %w", d.MessageID, p.OriginationIdentity, err)
	}
	return nil
}
