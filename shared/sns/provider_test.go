package sns_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/nextbest/nextbest/shared/service"
	"github.com/nextbest/nextbest/shared/sns"
)

type fakeSNS struct{ got *awssns.PublishInput }

func (f *fakeSNS) Publish(_ context.Context, in *awssns.PublishInput, _ ...func(*awssns.Options)) (*awssns.PublishOutput, error) {
	f.got = in
	return &awssns.PublishOutput{}, nil
}

func TestDeliver(t *testing.T) {
	api := &fakeSNS{}
	tests := []struct {
		name        string
		provider    service.Provider
		delivery    service.Delivery
		wantErr     error
		wantPhone   string
		wantTarget  string
		wantMessage string
	}{
		{"sms", &sns.SMS{Client: api}, service.Delivery{Channel: "sms", Address: "+33600000000", Content: map[string]string{"text": "Fibre now"}},
			nil, "+33600000000", "", "Fibre now"},
		{"push", &sns.Push{Client: api}, service.Delivery{Channel: "push", Address: "arn:aws:sns:eu-west-1:1:endpoint/GCM/app/x",
			Content: map[string]string{"title": "Fibre", "body": "is here"}}, nil, "", "arn:aws:sns:eu-west-1:1:endpoint/GCM/app/x", "Fibre\nis here"},
		{"sms without a phone", &sns.SMS{Client: api}, service.Delivery{Channel: "sms"}, service.ErrNoAddress, "", "", ""},
		{"push without an endpoint", &sns.Push{Client: api}, service.Delivery{Channel: "push"}, service.ErrNoAddress, "", "", ""},
	}
	for _, tt := range tests {
		api.got = nil
		err := tt.provider.Deliver(context.Background(), tt.delivery)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: Deliver error = %v, want %v", tt.name, err, tt.wantErr)
		}
		if tt.wantErr != nil {
			if api.got != nil {
				t.Errorf("%s: published %+v, want nothing", tt.name, api.got)
			}
			continue
		}
		if aws.ToString(api.got.PhoneNumber) != tt.wantPhone || aws.ToString(api.got.TargetArn) != tt.wantTarget || aws.ToString(api.got.Message) != tt.wantMessage {
			t.Errorf("%s: Publish(%q, %q, %q), want (%q, %q, %q)", tt.name, aws.ToString(api.got.PhoneNumber), aws.ToString(api.got.TargetArn),
				aws.ToString(api.got.Message), tt.wantPhone, tt.wantTarget, tt.wantMessage)
		}
	}
}
