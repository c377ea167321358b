package ses_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/nextbest/nextbest/shared/service"
	"github.com/nextbest/nextbest/shared/ses"
)

type fakeSES struct {
	got *sesv2.SendEmailInput
	err error
}

func (f *fakeSES) SendEmail(_ context.Context, in *sesv2.SendEmailInput, _ ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	f.got = in
	return &sesv2.SendEmailOutput{}, f.err
}

func TestDeliver(t *testing.T) {
	d := service.Delivery{MessageID: "r-C1", Channel: "email", Address: "ada@example.com",
		Content: map[string]string{"subject": "Ada, a gift", "body": "Hello Ada"}}
	tests := []struct {
		name     string
		delivery func(service.Delivery) service.Delivery
		apiErr   error
		wantErr  error
		wantCall bool
	}{
		{"sends", func(d service.Delivery) service.Delivery { return d }, nil, nil, true},
		{"no address", func(d service.Delivery) service.Delivery { d.Address = ""; return d }, nil, service.ErrNoAddress, false},
		{"throttled", func(d service.Delivery) service.Delivery { return d }, errors.New("throttled"), errors.New("throttled"), true},
	}
	for _, tt := range tests {
		api := &fakeSES{err: tt.apiErr}
		p := &ses.Provider{Client: api, From: "offers@example.com", ConfigurationSet: "bounces"}
		err := p.Deliver(context.Background(), tt.delivery(d))
		if (err == nil) != (tt.wantErr == nil) || (errors.Is(tt.wantErr, service.ErrNoAddress) && !errors.Is(err, service.ErrNoAddress)) {
			t.Errorf("%s: Deliver error = %v, want %v", tt.name, err, tt.wantErr)
		}
		if (api.got != nil) != tt.wantCall {
			t.Errorf("%s: SendEmail called = %v, want %v", tt.name, api.got != nil, tt.wantCall)
		}
		if tt.wantCall && (aws.ToString(api.got.FromEmailAddress) != "offers@example.com" || api.got.Destination.ToAddresses[0] != "ada@example.com" ||
			aws.ToString(api.got.Content.Simple.Subject.Data) != "Ada, a gift" || aws.ToString(api.got.ConfigurationSetName) != "bounces") {
			t.Errorf("%s: SendEmail input = %+v, want the delivery's subject to its address from the sender", tt.name, api.got)
		}
	}
}
