// Package httpapi translates API Gateway HTTP API (payload 2.0) events to and from
// the decision core: it decodes request bodies strictly, and it is the one place where
// errors become HTTP statuses.
package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	jsonv1 "encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/nextbest/nextbest/shared/decision"
)

// MaxBodyBytes is the largest request body accepted. Decision and response requests
// are a few hundred bytes; a large limit would only let one caller tie up memory.
const MaxBodyBytes = 16 << 10

// DecodeJSON reads the request body into v, strictly: it rejects bodies over
// MaxBodyBytes, invalid UTF-8 (which a lenient decoder would turn into U+FFFD, merging
// different ids into one), malformed JSON, keys that appear twice (which would let
// one reader see the first and another the last), keys that match no field exactly
// (field names are case-sensitive: a misspelt "customerID" fails loudly rather than
// being ignored or matched), values of the wrong type and trailing data. Each
// message says which, in the API's words, never in Go's.
func DecodeJSON(req events.APIGatewayV2HTTPRequest, v any) error {
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return decision.Errorf(decision.EInvalid, "body is marked base64 but is not valid base64")
		}
		body = decoded
	}
	if len(body) > MaxBodyBytes {
		return decision.Errorf(decision.ETooLarge, "body is %d bytes; the limit is %d", len(body), MaxBodyBytes)
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return decision.Errorf(decision.EInvalid, "body is empty; send a JSON object")
	}
	if trimmed[0] != '{' {
		return decision.Errorf(decision.EInvalid, "the body must be a JSON object")
	}
	if !utf8.Valid(body) {
		return decision.Errorf(decision.EInvalid, "body is not valid UTF-8")
	}
	if err := json.Unmarshal(body, v, json.RejectUnknownMembers(true)); err != nil {
		return decision.Errorf(decision.EInvalid, "%s", describeJSONError(err))
	}
	return nil
}

// describeJSONError says what is wrong with a body, naming the field by its path.
func describeJSONError(err error) string {
	var syntax *jsontext.SyntacticError
	var semantic *json.SemanticError
	switch {
	case errors.As(err, &syntax) && errors.Is(err, jsontext.ErrDuplicateName):
		return fmt.Sprintf("%s appears twice; send each field once", fieldName(syntax.JSONPointer))
	case errors.As(err, &syntax) && errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON: the body ends in the middle of a value"
	case errors.As(err, &syntax):
		return fmt.Sprintf("malformed JSON at byte %d", syntax.ByteOffset)
	case errors.As(err, &semantic) && errors.Is(err, json.ErrUnknownName):
		return fmt.Sprintf("unknown field %s (field names are case-sensitive)", fieldName(semantic.JSONPointer))
	case errors.As(err, &semantic) && semantic.JSONPointer == "":
		return "the body must be a JSON object"
	case errors.As(err, &semantic):
		return fmt.Sprintf("%s must be %s", fieldName(semantic.JSONPointer), expected(semantic.GoType))
	default:
		return "malformed JSON"
	}
}

// fieldName spells a JSON pointer ("/context/device") as a field path
// ("context.device"), quoted and cut short: it comes from the caller.
func fieldName(p jsontext.Pointer) string {
	var parts []string
	for token := range p.Tokens() {
		parts = append(parts, token)
	}
	name := strings.Join(parts, ".")
	if len(name) > 64 {
		name = strings.ToValidUTF8(name[:64], "") + "…"
	}
	return strconv.Quote(name)
}

// expected names the JSON a Go type takes, in the API's words.
func expected(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == nil:
		return "a valid value"
	case t == reflect.TypeFor[time.Time]():
		return "a time such as \"2026-12-04T10:00:00Z\""
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number in range"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	default:
		return "a valid value"
	}
}

// JSON answers with a JSON body. Answers are encoded by encoding/json (as v1), so
// their fields keep omitempty's meaning.
func JSON(status int, v any) events.APIGatewayV2HTTPResponse {
	body, err := jsonv1.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(body),
	}
}

// ErrorBody is the JSON shape of every error answer.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

var statusByCode = map[string]int{
	decision.EInvalid:     http.StatusBadRequest,
	decision.ENotFound:    http.StatusNotFound,
	decision.EConflict:    http.StatusConflict,
	decision.ETooLarge:    http.StatusRequestEntityTooLarge,
	decision.EUnavailable: http.StatusServiceUnavailable,
	decision.EInternal:    http.StatusInternalServerError,
}

// RetryAfterSeconds is what a 503 answer's Retry-After header asks a caller to wait:
// long enough for a throttled table to recover, short enough for a channel app that
// holds a response in memory.
const RetryAfterSeconds = 1

// Error answers with the error's status and caller-safe message. Internal errors are
// logged with their full text, which never reaches the caller; an unavailable
// dependency is logged with its cause and answered 503 with Retry-After.
func Error(ctx context.Context, log *slog.Logger, err error) events.APIGatewayV2HTTPResponse {
	code := decision.ErrorCode(err)
	switch code {
	case decision.EInternal:
		log.ErrorContext(ctx, "request failed", "error", err)
	case decision.EUnavailable:
		log.WarnContext(ctx, "request not completed: a dependency failed", "error", err)
	}
	var body ErrorBody
	body.Error.Code = code
	body.Error.Message = decision.ErrorMessage(err)
	resp := JSON(statusByCode[code], body)
	if code == decision.EUnavailable {
		resp.Headers["Retry-After"] = strconv.Itoa(RetryAfterSeconds)
	}
	return resp
}

// WithCaller tags a request's logger with its route and who called: the IAM
// principal API Gateway authenticated (a channel app's role, never a customer), or
// "anonymous" when the API is deployed without authorization.
func WithCaller(log *slog.Logger, event events.APIGatewayV2HTTPRequest) *slog.Logger {
	caller := "anonymous"
	if a := event.RequestContext.Authorizer; a != nil && a.IAM != nil && a.IAM.UserARN != "" {
		caller = a.IAM.UserARN
	}
	return log.With("route", event.RouteKey, "caller", caller)
}
