package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/nextbest/nextbest/shared/smsvoice"
)

func TestNewProviders(t *testing.T) {
	const pool = "arn:aws:sms-voice:eu-west-1:123456789012:pool/pool-0123456789abcdef"
	awsEnv := map[string]string{"DELIVERY_PROVIDER": "aws", "SES_FROM": "offers@example.com", smsOriginationIdentityEnv: pool}
	with := func(env map[string]string, k, v string) map[string]string {
		out := map[string]string{k: v}
		for name, value := range env {
			if name != k {
				out[name] = value
			}
		}
		return out
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    map[string]string // channel → provider type
		wantErr string
		wantLog string
	}{
		{"log by default", nil, map[string]string{"email": "*sink.Log", "sms": "*sink.Log", "push": "*sink.Log"}, "", ""},
		{"sink", map[string]string{"DELIVERY_PROVIDER": "sink", "SINK_PATH": "/tmp/x"},
			map[string]string{"email": "*sink.File", "sms": "*sink.File", "push": "*sink.File"}, "", ""},
		{"sink without a path", map[string]string{"DELIVERY_PROVIDER": "sink"}, nil, "SINK_PATH", ""},
		{"aws", awsEnv, map[string]string{"email": "*ses.Provider", "sms": "*smsvoice.Provider", "push": "*sns.Push"}, "", ""},
		{"aws without an SMS origination identity", with(awsEnv, smsOriginationIdentityEnv, ""),
			map[string]string{"email": "*ses.Provider", "push": "*sns.Push"}, "", smsOriginationIdentityEnv + " is empty"},
		{"aws without a sender", with(awsEnv, "SES_FROM", ""), nil, "SES_FROM", ""},
		{"unknown", map[string]string{"DELIVERY_PROVIDER": "pigeon"}, nil, "unknown DELIVERY_PROVIDER", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, nil))
			got, err := newProviders(logger, aws.Config{Region: "eu-west-1"}, func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("newProviders error = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]string{}
			for channel, p := range got {
				kinds[channel] = fmt.Sprintf("%T", p)
			}
			if len(kinds) != len(tt.want) {
				t.Errorf("newProviders = %v, want %v", kinds, tt.want)
			}
			for channel, want := range tt.want {
				if kinds[channel] != want {
					t.Errorf("newProviders[%s] = %s, want %s", channel, kinds[channel], want)
				}
			}
			if p, ok := got["sms"].(*smsvoice.Provider); ok && p.OriginationIdentity != pool {
				t.Errorf("SMS origination identity = %q, want %q", p.OriginationIdentity, pool)
			}
			if tt.wantLog != "" && !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("start-up log %q, want a warning that %s", logs.String(), tt.wantLog)
			}
		})
	}
}
