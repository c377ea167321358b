package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

type fakeRecorder struct {
	record func(decision.Response) (service.Recorded, error)
}

func (f fakeRecorder) Record(_ context.Context, r decision.Response) (service.Recorded, error) {
	return f.record(r)
}

func TestHandle(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		record     func(decision.Response) (service.Recorded, error)
		wantStatus int
		wantInBody string
	}{
		{"recorded", `{"decisionId":"d1","customerId":"C1","actionId":"a1","channel":"web","outcome":"click"}`,
			func(r decision.Response) (service.Recorded, error) {
				return service.Recorded{DecisionID: r.DecisionID, ResponseID: "r1", Positive: true}, nil
			}, 200, `"positive":true`},
		{"malformed", `{"decisionId":`, nil, 400, "malformed JSON"},
		{"bad value type", `{"decisionId":"d1","value":"ten"}`, nil, 400, `field \"value\" must be float64`},
		{"unknown decision", `{"decisionId":"nope","customerId":"C1","actionId":"a1","channel":"web","outcome":"click"}`,
			func(decision.Response) (service.Recorded, error) {
				return service.Recorded{}, decision.Errorf(decision.ENotFound, "decision nope is unknown or older than the attribution window")
			}, 404, "decision nope is unknown"},
		{"conflicting", `{"decisionId":"d1","customerId":"C2","actionId":"a1","channel":"web","outcome":"click"}`,
			func(decision.Response) (service.Recorded, error) {
				return service.Recorded{}, decision.Errorf(decision.EConflict, "decision d1 was not made for this customer")
			}, 409, "not made for this customer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &handler{log: slog.New(slog.NewJSONHandler(io.Discard, nil)), recorder: fakeRecorder{record: tt.record}}
			resp, err := h.handle(context.Background(), events.APIGatewayV2HTTPRequest{Body: tt.body})
			if err != nil {
				t.Fatalf("handle(%q) error = %v", tt.body, err)
			}
			if resp.StatusCode != tt.wantStatus || !strings.Contains(resp.Body, tt.wantInBody) {
				t.Errorf("handle(%q) = %d %s, want %d containing %s", tt.body, resp.StatusCode, resp.Body, tt.wantStatus, tt.wantInBody)
			}
		})
	}
}
