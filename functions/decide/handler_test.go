package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nextbest/nextbest/shared/decision"
)

// fakeDecider answers with its function field and remembers what it was asked.
type fakeDecider struct {
	decide func(req decision.Request) (decision.Decision, error)
	calls  int
}

func (f *fakeDecider) Decide(_ context.Context, req decision.Request) (decision.Decision, error) {
	f.calls++
	return f.decide(req)
}

func TestHandle(t *testing.T) {
	ok := func(req decision.Request) (decision.Decision, error) {
		return decision.Decision{DecisionID: "d1", CustomerID: req.CustomerID, Channel: req.Channel, Actions: []decision.Offer{{ActionID: "a1"}}}, nil
	}
	tests := []struct {
		name       string
		body       string
		decide     func(decision.Request) (decision.Decision, error)
		wantStatus int
		wantInBody string
		wantCalls  int
	}{
		{"valid request", `{"customerId":"C1","channel":"web"}`, ok, 200, `"actionId":"a1"`, 1},
		{"malformed JSON", `{"customerId":`, ok, 400, "malformed JSON", 0},
		{"not an object", `[1,2]`, ok, 400, "must be a JSON object", 0},
		{"wrong type", `{"customerId":42,"channel":"web"}`, ok, 400, `\"customerId\" must be a string`, 0},
		{"unknown field", `{"customer":"C1","channel":"web"}`, ok, 400, `unknown field \"customer\"`, 0},
		{"empty body", ``, ok, 400, "body is empty", 0},
		{"too large", `{"customerId":"` + strings.Repeat("x", 20000) + `"}`, ok, 413, "the limit is 16384", 0},
		{"invalid per the core", `{"channel":"web"}`, func(decision.Request) (decision.Decision, error) {
			return decision.Decision{}, decision.Errorf(decision.EInvalid, "customerId is required")
		}, 400, "customerId is required", 1},
		{"internal error is hidden", `{"customerId":"C1","channel":"web"}`, func(decision.Request) (decision.Decision, error) {
			return decision.Decision{}, errors.New("dynamodb: connection refused to 10.0.0.1")
		}, 500, `"message":"internal error"`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeDecider{decide: tt.decide}
			h := &handler{log: slog.New(slog.NewJSONHandler(io.Discard, nil)), decider: fake}
			resp, err := h.handle(context.Background(), events.APIGatewayV2HTTPRequest{Body: tt.body})
			if err != nil {
				t.Fatalf("handle(%q) error = %v, want nil", tt.body, err)
			}
			if resp.StatusCode != tt.wantStatus || !strings.Contains(resp.Body, tt.wantInBody) {
				t.Errorf("handle(%.40q) = %d %s, want %d containing %s", tt.body, resp.StatusCode, resp.Body, tt.wantStatus, tt.wantInBody)
			}
			if !json.Valid([]byte(resp.Body)) {
				t.Errorf("handle(%.40q) body is not JSON: %s", tt.body, resp.Body)
			}
			if fake.calls != tt.wantCalls {
				t.Errorf("handle(%.40q) called Decide %d times, want %d", tt.body, fake.calls, tt.wantCalls)
			}
		})
	}
}
