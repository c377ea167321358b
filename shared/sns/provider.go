// Package sns delivers SMS and mobile push notifications through Amazon SNS.
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
	_ service.Provider = (*SMS)(nil)
	_ service.Provider = (*Push)(nil)
)

// API is the part of *sns.Client the providers use.
type API interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// SMS sends a delivery's "text" to the delivery's phone number (E.164).
type SMS struct {
	Client API
}

// Deliver sends the SMS.
func (p *SMS) Deliver(ctx context.Context, d service.Delivery) error {
	if d.Address == "" {
		return service.ErrNoAddress
	}
	return publish(ctx, p.Client, d, &sns.PublishInput{PhoneNumber: aws.String(d.Address), Message: aws.String(d.Content["text"])})
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
	return publish(ctx, p.Client, d, &sns.PublishInput{TargetArn: aws.String(d.Address), Message: aws.String(text)})
}

func publish(ctx context.Context, client API, d service.Delivery, in *sns.PublishInput) error {
	if _, err := client.Publish(ctx, in); err != nil {
		return fmt.Errorf("sns publish %s on %s: %w", d.MessageID, d.Channel, err)
	}
	return nil
}
