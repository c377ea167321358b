package smsvoice_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"

	"github.com/nextbest/nextbest/shared/service"
	"github.com/nextbest/nextbest/shared/smsvoice"
)

// fakeSMSVoice records the request it was sent and answers err.
type fakeSMSVoice struct {
	got *pinpointsmsvoicev2.SendTextMessageInput
	err error
}

func (f *fakeSMSVoice) SendTextMessage(_ context.Context, in *pinpointsmsvoicev2.SendTextMessageInput, _ ...func(*pinpointsmsvoicev2.Options)) (*pinpointsmsvoicev2.SendTextMessageOutput, error) {
	f.got = in
	if f.err != nil {
		return nil, f.err
	}
	return &pinpointsmsvoicev2.SendTextMessageOutput{MessageId: aws.String("eum-1")}, nil
}

const pool = "arn:aws:sms-voice:eu-west-1:123456789012:pool/pool-0123456789abcdef"

func TestDeliver(t *testing.T) {
	d := service.Delivery{MessageID: "run-20261123T0900Z-C1", Channel: "sms", CustomerID: "C1", ActionID: "fibre-upgrade",
		TreatmentID: "fibre-upgrade-sms", Address: "+33600000000", Content: map[string]string{"text": "Fibre now, Ada"}}
	throttled := errors.New("ThrottlingException: rate exceeded")
	tests := []struct {
		name     string
		delivery func(service.Delivery) service.Delivery
		apiErr   error
		wantErr  error // matched with errors.Is
		wantCall bool
	}{
		{"sends", func(d service.Delivery) service.Delivery { return d }, nil, nil, true},
		{"no phone number", func(d service.Delivery) service.Delivery { d.Address = ""; return d }, nil, service.ErrNoAddress, false},
		{"refused", func(d service.Delivery) service.Delivery { return d }, throttled, throttled, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeSMSVoice{err: tt.apiErr}
			p := &smsvoice.Provider{Client: api, OriginationIdentity: pool}
			err := p.Deliver(context.Background(), tt.delivery(d))
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("Deliver error = %v, want %v", err, tt.wantErr)
			}
			if tt.apiErr != nil && (!strings.Contains(err.Error(), d.MessageID) || !strings.Contains(err.Error(), pool)) {
				t.Errorf("Deliver error = %q, want it to name the message %s and the origination identity", err, d.MessageID)
			}
			if (api.got != nil) != tt.wantCall {
				t.Fatalf("SendTextMessage called = %v, want %v", api.got != nil, tt.wantCall)
			}
			if !tt.wantCall {
				return
			}
			in := api.got
			if aws.ToString(in.DestinationPhoneNumber) != "+33600000000" || aws.ToString(in.OriginationIdentity) != pool ||
				aws.ToString(in.MessageBody) != "Fibre now, Ada" || in.MessageType != types.MessageTypePromotional {
				t.Errorf("SendTextMessage(to %q, from %q, %q, %q), want (+33600000000, %s, the delivery's text, PROMOTIONAL)",
					aws.ToString(in.DestinationPhoneNumber), aws.ToString(in.OriginationIdentity), aws.ToString(in.MessageBody), in.MessageType, pool)
			}
			wantContext := map[string]string{"messageId": d.MessageID, "actionId": "fibre-upgrade", "treatmentId": "fibre-upgrade-sms"}
			if !maps.Equal(in.Context, wantContext) {
				t.Errorf("SendTextMessage context = %v, want %v", in.Context, wantContext)
			}
			if in.DryRun {
				t.Error("SendTextMessage DryRun = true, want a real send")
			}
		})
	}
}
