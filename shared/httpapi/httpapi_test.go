package httpapi_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/httpapi"
)

func TestDecodeJSON(t *testing.T) {
	type body struct {
		Name string `json:"name"`
	}
	tests := []struct {
		name     string
		req      events.APIGatewayV2HTTPRequest
		wantCode string
		wantMsg  string
	}{
		{"plain", events.APIGatewayV2HTTPRequest{Body: `{"name":"a"}`}, "", ""},
		{"base64", events.APIGatewayV2HTTPRequest{Body: base64.StdEncoding.EncodeToString([]byte(`{"name":"a"}`)), IsBase64Encoded: true}, "", ""},
		{"bad base64", events.APIGatewayV2HTTPRequest{Body: "%%%", IsBase64Encoded: true}, decision.EInvalid, "not valid base64"},
		{"trailing data", events.APIGatewayV2HTTPRequest{Body: `{"name":"a"} {"name":"b"}`}, decision.EInvalid, "unexpected data after the object"},
		{"syntax", events.APIGatewayV2HTTPRequest{Body: `{"name" "a"}`}, decision.EInvalid, "syntax error at byte"},
		{"whitespace only", events.APIGatewayV2HTTPRequest{Body: "  \n"}, decision.EInvalid, "body is empty"},
		{"at the limit", events.APIGatewayV2HTTPRequest{Body: `{"name":"` + strings.Repeat("x", httpapi.MaxBodyBytes-11) + `"}`}, "", ""},
		{"over the limit", events.APIGatewayV2HTTPRequest{Body: `{"name":"` + strings.Repeat("x", httpapi.MaxBodyBytes-10) + `"}`}, decision.ETooLarge, "the limit is 16384"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b body
			err := httpapi.DecodeJSON(tt.req, &b)
			if tt.wantCode == "" {
				if err != nil || b.Name == "" {
					t.Errorf("DecodeJSON(%.30q) = %v, %+v; want a decoded body", tt.req.Body, err, b)
				}
				return
			}
			if decision.ErrorCode(err) != tt.wantCode || !strings.Contains(decision.ErrorMessage(err), tt.wantMsg) {
				t.Errorf("DecodeJSON(%.30q) error = %v, want %s containing %q", tt.req.Body, err, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

func TestErrorHidesInternalDetails(t *testing.T) {
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	tests := []struct {
		err        error
		wantStatus int
		wantBody   string
	}{
		{decision.Errorf(decision.EInvalid, "channel is required"), 400, `{"error":{"code":"invalid","message":"channel is required"}}`},
		{decision.Errorf(decision.ENotFound, "no such decision"), 404, `{"error":{"code":"not_found","message":"no such decision"}}`},
		{decision.Errorf(decision.EConflict, "not yours"), 409, `{"error":{"code":"conflict","message":"not yours"}}`},
		{errors.New("dial tcp 10.1.2.3:443: refused"), 500, `{"error":{"code":"internal","message":"internal error"}}`},
	}
	for _, tt := range tests {
		resp := httpapi.Error(context.Background(), log, tt.err)
		if resp.StatusCode != tt.wantStatus || resp.Body != tt.wantBody || resp.Headers["Content-Type"] != "application/json" {
			t.Errorf("Error(%v) = %d %s, want %d %s", tt.err, resp.StatusCode, resp.Body, tt.wantStatus, tt.wantBody)
		}
	}
}
