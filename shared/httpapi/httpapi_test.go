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
		Name  string         `json:"name"`
		Count int            `json:"count,omitempty"`
		Tags  map[string]any `json:"tags,omitempty"`
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
		{"trailing data", events.APIGatewayV2HTTPRequest{Body: `{"name":"a"} {"name":"b"}`}, decision.EInvalid, "malformed JSON at byte 13"},
		{"syntax", events.APIGatewayV2HTTPRequest{Body: `{"name" "a"}`}, decision.EInvalid, "malformed JSON at byte 8"},
		{"cut short", events.APIGatewayV2HTTPRequest{Body: `{"name":`}, decision.EInvalid, "ends in the middle of a value"},
		{"not an object", events.APIGatewayV2HTTPRequest{Body: `["a"]`}, decision.EInvalid, "must be a JSON object"},
		{"null", events.APIGatewayV2HTTPRequest{Body: `null`}, decision.EInvalid, "must be a JSON object"},
		{"key in another case", events.APIGatewayV2HTTPRequest{Body: `{"NAME":"a"}`}, decision.EInvalid, `unknown field "NAME" (field names are case-sensitive)`},
		{"unknown key", events.APIGatewayV2HTTPRequest{Body: `{"name":"a","nmae":"b"}`}, decision.EInvalid, `unknown field "nmae"`},
		{"duplicate key, last would win", events.APIGatewayV2HTTPRequest{Body: `{"name":"a","name":"b"}`}, decision.EInvalid, `"name" appears twice`},
		{"duplicate nested key", events.APIGatewayV2HTTPRequest{Body: `{"name":"a","tags":{"x":1,"x":2}}`}, decision.EInvalid, `"tags.x" appears twice`},
		{"invalid UTF-8", events.APIGatewayV2HTTPRequest{Body: "{\"name\":\"a\xff\"}"}, decision.EInvalid, "not valid UTF-8"},
		{"lone surrogate escape", events.APIGatewayV2HTTPRequest{Body: `{"name":"a\ud800"}`}, decision.EInvalid, "malformed JSON"},
		{"wrong type, in the API's words", events.APIGatewayV2HTTPRequest{Body: `{"name":"a","count":"3"}`}, decision.EInvalid, `"count" must be a whole number in range`},
		{"fraction for a whole number", events.APIGatewayV2HTTPRequest{Body: `{"name":"a","count":1.5}`}, decision.EInvalid, `"count" must be a whole number`},
		{"number out of range", events.APIGatewayV2HTTPRequest{Body: `{"name":"a","count":1e400}`}, decision.EInvalid, `"count" must be a whole number`},
		{"object for a string", events.APIGatewayV2HTTPRequest{Body: `{"name":{}}`}, decision.EInvalid, `"name" must be a string`},
		{"long unknown key is cut", events.APIGatewayV2HTTPRequest{Body: `{"` + strings.Repeat("k", 500) + `":1}`}, decision.EInvalid, strings.Repeat("k", 64) + "…"},
		{"whitespace only", events.APIGatewayV2HTTPRequest{Body: "  \n"}, decision.EInvalid, "body is empty"},
		{"at the limit", events.APIGatewayV2HTTPRequest{Body: `{"name":"` + strings.Repeat("x", httpapi.MaxBodyBytes-11) + `"}`}, "", ""},
		{"over the limit", events.APIGatewayV2HTTPRequest{Body: `{"name":"` + strings.Repeat("x", httpapi.MaxBodyBytes-10) + `"}`}, decision.ETooLarge, "the limit is 16384"},
		{"trailing garbage", events.APIGatewayV2HTTPRequest{Body: `{"name":"a"}x`}, decision.EInvalid, "malformed JSON"},
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
		{decision.Errorf(decision.ETooLarge, "body is 20000 bytes"), 413, `{"error":{"code":"too_large","message":"body is 20000 bytes"}}`},
		{errors.New("dial tcp 10.1.2.3:443: refused"), 500, `{"error":{"code":"internal","message":"internal error"}}`},
		{decision.Unavailable(errors.New("dial tcp 10.1.2.3:443: i/o timeout"), "retry"), 503,
			`{"error":{"code":"unavailable","message":"the service cannot complete this request right now; retry"}}`},
	}
	for _, tt := range tests {
		resp := httpapi.Error(context.Background(), log, tt.err)
		if resp.StatusCode != tt.wantStatus || resp.Body != tt.wantBody || resp.Headers["Content-Type"] != "application/json" {
			t.Errorf("Error(%v) = %d %s, want %d %s", tt.err, resp.StatusCode, resp.Body, tt.wantStatus, tt.wantBody)
		}
		if retry := resp.Headers["Retry-After"]; (tt.wantStatus == 503) != (retry == "1") {
			t.Errorf("Error(%v) Retry-After = %q, want \"1\" on a 503 only", tt.err, retry)
		}
	}
}
