package sns_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/nextbest/nextbest/shared/service"
	"github.com/nextbest/nextbest/shared/sns"
)

type fakeSNS struct {
	got *awssns.PublishInput
	err error
}

func (f *fakeSNS) Publish(_ context.Context, in *awssns.PublishInput, _ ...func(*awssns.Options)) (*awssns.PublishOutput, error) {
	f.got = in
	if f.err != nil {
		return nil, f.err
	}
	return &awssns.PublishOutput{}, nil
}

func TestDeliver(t *testing.T) {
	const endpoint = "arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/app/x"
	push := service.Delivery{MessageID: "d1", Channel: "push", Address: endpoint, Content: map[string]string{"title": "Fibre", "body": "is here"}}
	disabled := errors.New("EndpointDisabled: endpoint is disabled")
	tests := []struct {
		name        string
		delivery    service.Delivery
		apiErr      error
		wantErr     error // matched with errors.Is
		wantTarget  string
		wantMessage string
	}{
		{"push", push, nil, nil, endpoint, "Fibre\nis here"},
		{"push without a title", service.Delivery{Channel: "push", Address: endpoint, Content: map[string]string{"body": "is here"}},
			nil, nil, endpoint, "is here"},
		{"push without an endpoint", service.Delivery{Channel: "push"}, nil, service.ErrNoAddress, "", ""},
		{"endpoint disabled", push, disabled, disabled, endpoint, "Fibre\nis here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeSNS{err: tt.apiErr}
			err := (&sns.Push{Client: api}).Deliver(context.Background(), tt.delivery)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("Deliver error = %v, want %v", err, tt.wantErr)
			}
			if tt.apiErr != nil && !strings.Contains(err.Error(), tt.delivery.MessageID) {
				t.Errorf("Deliver error = %q, want it to name the message %s", err, tt.delivery.MessageID)
			}
			if tt.wantTarget == "" {
				if api.got != nil {
					t.Errorf("published %+v, want nothing", api.got)
				}
				return
			}
			if api.got == nil || aws.ToString(api.got.TargetArn) != tt.wantTarget || aws.ToString(api.got.Message) != tt.wantMessage || api.got.PhoneNumber != nil {
				t.Errorf("Publish(%+v), want %q to the endpoint %s", api.got, tt.wantMessage, tt.wantTarget)
			}
		})
	}
}
