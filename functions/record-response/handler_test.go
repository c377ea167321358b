package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/service"
)

type fakeRecorder struct {
	record func(decision.Response) (service.Recorded, error)
	// hang makes Record wait for its context to end, as a call to an unreachable
	// store does, and fail as the service then fails.
	hang bool
}

func (f fakeRecorder) Record(ctx context.Context, r decision.Response) (service.Recorded, error) {
	if f.hang {
		<-ctx.Done()
		return service.Recorded{}, decision.Unavailable(ctx.Err(), "send it again")
	}
	return f.record(r)
}

// fakeIngest answers like the service for valid input and remembers what it got.
type fakeIngest struct {
	customerID string
	update     decision.ProfileUpdate
	event      decision.OutcomeEvent
	fail       error
}

func (f *fakeIngest) UpdateProfile(_ context.Context, id string, u decision.ProfileUpdate) (service.ProfileUpdated, error) {
	f.customerID, f.update = id, u
	return service.ProfileUpdated{CustomerID: id, Changed: true, Version: 2}, f.fail
}

func (f *fakeIngest) RecordOutcome(_ context.Context, e decision.OutcomeEvent) (service.OutcomeRecorded, error) {
	f.event = e
	return service.OutcomeRecorded{EventID: "e1", CustomerID: e.CustomerID, Positive: true}, f.fail
}

func newHandler(rec fakeRecorder, in *fakeIngest) *handler {
	return &handler{log: slog.New(slog.NewJSONHandler(io.Discard, nil)), recorder: rec, ingest: in}
}

func TestHandleResponses(t *testing.T) {
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
		{"bad value type", `{"decisionId":"d1","value":"ten"}`, nil, 400, `\"value\" must be a number`},
		{"unknown decision", `{"decisionId":"nope","customerId":"C1","actionId":"a1","channel":"web","outcome":"click"}`,
			func(decision.Response) (service.Recorded, error) {
				return service.Recorded{}, decision.Errorf(decision.ENotFound, "decision nope is unknown or older than the attribution window")
			}, 404, "decision nope is unknown"},
		{"conflicting", `{"decisionId":"d1","customerId":"C1","actionId":"a9","channel":"web","outcome":"click"}`,
			func(decision.Response) (service.Recorded, error) {
				return service.Recorded{}, decision.Errorf(decision.EConflict, "decision d1 did not offer action \"a9\"")
			}, 409, "did not offer action"},
		{"store down", `{"decisionId":"d1","customerId":"C1","actionId":"a1","channel":"web","outcome":"click"}`,
			func(decision.Response) (service.Recorded, error) {
				return service.Recorded{}, decision.Unavailable(errors.New("dial tcp: connection refused"), "send it again")
			}, 503, "send it again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(fakeRecorder{record: tt.record}, &fakeIngest{})
			resp, err := h.handle(context.Background(), events.APIGatewayV2HTTPRequest{RouteKey: routeResponses, Body: tt.body})
			if err != nil {
				t.Fatalf("handle(%q) error = %v", tt.body, err)
			}
			if resp.StatusCode != tt.wantStatus || !strings.Contains(resp.Body, tt.wantInBody) {
				t.Errorf("handle(%q) = %d %s, want %d containing %s", tt.body, resp.StatusCode, resp.Body, tt.wantStatus, tt.wantInBody)
			}
			if tt.wantStatus == 503 && resp.Headers["Retry-After"] == "" {
				t.Errorf("handle(%q) = 503 without Retry-After", tt.body)
			}
		})
	}
}

// TestBudgetEndsAHungStore: with the store hanging, the caller gets a 503 with
// Retry-After once the budget is spent. Without the budget the test would hang.
func TestBudgetEndsAHungStore(t *testing.T) {
	h := newHandler(fakeRecorder{hang: true}, &fakeIngest{})
	h.budget = 20 * time.Millisecond
	body := `{"decisionId":"d1","customerId":"C1","actionId":"a1","channel":"web","outcome":"click"}`
	resp, err := h.handle(context.Background(), events.APIGatewayV2HTTPRequest{RouteKey: routeResponses, Body: body})
	if err != nil || resp.StatusCode != 503 || resp.Headers["Retry-After"] != "1" || !strings.Contains(resp.Body, `"code":"unavailable"`) {
		t.Errorf("handle with a hung store = %d %v %s, %v; want 503 unavailable with Retry-After", resp.StatusCode, resp.Headers, resp.Body, err)
	}
}

// readEvent loads a sample event of events/, the ones `sam local invoke` takes.
func readEvent(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("../../events", name))
	if err != nil {
		t.Fatal(err)
	}
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestSampleEvents routes every sample event of this function's routes to the right
// service call with the right input.
func TestSampleEvents(t *testing.T) {
	recorded := fakeRecorder{record: func(r decision.Response) (service.Recorded, error) {
		return service.Recorded{DecisionID: r.DecisionID, ResponseID: r.ResponseID}, nil
	}}
	tests := []struct {
		event      string
		wantStatus int
		wantInBody string
		check      func(t *testing.T, in *fakeIngest)
	}{
		{"record-response.json", 200, `"decisionId":"demo-web-0001"`, nil},
		{"customer-update.json", 200, `"customerId":"C000001"`, func(t *testing.T, in *fakeIngest) {
			if in.customerID != "C000001" || in.update.Consents["email"] || in.update.Attributes["language"] != "nl" {
				t.Errorf("UpdateProfile got %s %+v, want C000001 withdrawing e-mail and speaking nl", in.customerID, in.update)
			}
		}},
		{"customer-update-unknown-field.json", 400, `unknown field \"consent\"`, nil},
		{"outcome.json", 200, `"positive":true`, func(t *testing.T, in *fakeIngest) {
			if in.event.CustomerID != "C000001" || in.event.Type != "purchase" || in.event.Value == nil || *in.event.Value != 29.99 {
				t.Errorf("RecordOutcome got %+v, want C000001's purchase of 29.99", in.event)
			}
		}},
		{"outcome-bad-value.json", 400, `\"value\" must be a number`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			in := &fakeIngest{}
			resp, err := newHandler(recorded, in).handle(context.Background(), readEvent(t, tt.event))
			if err != nil || resp.StatusCode != tt.wantStatus || !strings.Contains(resp.Body, tt.wantInBody) {
				t.Fatalf("handle(%s) = %d %s, %v; want %d containing %s", tt.event, resp.StatusCode, resp.Body, err, tt.wantStatus, tt.wantInBody)
			}
			if tt.check != nil {
				tt.check(t, in)
			}
		})
	}
}

func TestUnknownRouteIsNotFound(t *testing.T) {
	resp, _ := newHandler(fakeRecorder{}, &fakeIngest{}).handle(context.Background(), events.APIGatewayV2HTTPRequest{RouteKey: "DELETE /v1/customers/{customerId}"})
	if resp.StatusCode != 404 || !strings.Contains(resp.Body, `"code":"not_found"`) {
		t.Errorf("handle(unknown route) = %d %s, want 404 not_found", resp.StatusCode, resp.Body)
	}
}

func TestServiceErrorsKeepTheirStatus(t *testing.T) {
	in := &fakeIngest{fail: decision.Errorf(decision.EInvalid, `attribute "age": want a number, got the text "old"`)}
	resp, _ := newHandler(fakeRecorder{}, in).handle(context.Background(), readEvent(t, "customer-update.json"))
	if resp.StatusCode != 400 || !strings.Contains(resp.Body, `attribute \"age\": want a number`) {
		t.Errorf("handle(update refused by the schema) = %d %s, want 400 naming the attribute", resp.StatusCode, resp.Body)
	}
}
