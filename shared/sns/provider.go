// Package sns delivers mobile push notifications through Amazon SNS, to the platform
// endpoints of the customers' devices. (SMS go through AWS End User Messaging: see
// package smsvoice.)
package sns

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/nextbest/nextbest/shared/service"
)

var (
	_ service.Provider = (*Push)(nil)
	_ API              = (*sns.Client)(nil)
)

// API is the part of *sns.Client the provider uses.
type API interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Push sends a delivery's "title" and "body" to the delivery's address, the ARN of
// the customer's SNS platform endpoint (their app on their device).
type Push struct {
	Client API
}

// Deliver sends the notification.
func (p *Push) Deliver(ctx context.Context, d service.Delivery) error {
	if d.Address == "" {
		return service.ErrNoAddress
	}
	text := strings.TrimSpace(d.Content["title"] + "\n" + d.Content["body"])
	in := &sns.PublishInput{TargetArn: aws.String(d.Address), Message: aws.String(text)}
	if _, err := p.Client.Publish(ctx, in); err != nil {
		return fmt.Errorf("sns publish %s on %s: %w", d.MessageID, d.Channel, err)
	}
	return nil
}
