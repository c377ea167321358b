// Package ses delivers e-mail through Amazon SES (API v2).
package ses

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/nextbest/nextbest/shared/service"
)

var _ service.Provider = (*Provider)(nil)

// API is the part of *sesv2.Client the provider uses.
type API interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// Provider sends a delivery's "subject" and "body" as a plain-text e-mail from From
// to the delivery's address.
type Provider struct {
	Client API
	From   string
	// ConfigurationSet, when set, names the SES configuration set whose event
	// destinations report bounces and complaints.
	ConfigurationSet string
}

// Deliver sends the e-mail.
func (p *Provider) Deliver(ctx context.Context, d service.Delivery) error {
	if d.Address == "" {
		return service.ErrNoAddress
	}
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(p.From),
		Destination:      &types.Destination{ToAddresses: []string{d.Address}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(d.Content["subject"]), Charset: aws.String("UTF-8")},
			Body:    &types.Body{Text: &types.Content{Data: aws.String(d.Content["body"]), Charset: aws.String("UTF-8")}},
		}},
	}
	if p.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(p.ConfigurationSet)
	}
	if _, err := p.Client.SendEmail(ctx, in); err != nil {
		return fmt.Errorf("ses send %s: %w", d.MessageID, err)
	}
	return nil
}
