// Package httpapi translates API Gateway HTTP API (payload 2.0) events to and from
// the decision core: it decodes request bodies strictly, and it is the one place where
// errors become HTTP statuses.
package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nextbest/nextbest/shared/decision"
)

// MaxBodyBytes is the largest request body accepted. Decision and response requests
// are a few hundred bytes; a large limit would only let one caller tie up memory.
const MaxBodyBytes = 16 << 10

// DecodeJSON reads the request body into v. It rejects bodies over MaxBodyBytes,
// malformed JSON, unknown fields (a misspelt "customerID" should fail loudly, not be
// ignored) and trailing data, with a message that says which.
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
	if len(bytes.TrimSpace(body)) == 0 {
		return decision.Errorf(decision.EInvalid, "body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decision.Errorf(decision.EInvalid, "malformed JSON: %s", describeJSONError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return decision.Errorf(decision.EInvalid, "malformed JSON: unexpected data after the object")
	}
	return nil
}

func describeJSONError(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("syntax error at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q must be %s, not %s", typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the body ends in the middle of a value"
	default:
		// encoding/json's remaining messages (unknown field, invalid time) name the
		// field and contain no server internals.
		return err.Error()
	}
}

// JSON answers with a JSON body.
func JSON(status int, v any) events.APIGatewayV2HTTPResponse {
	body, err := json.Marshal(v)
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
	decision.EInvalid:  http.StatusBadRequest,
	decision.ENotFound: http.StatusNotFound,
	decision.EConflict: http.StatusConflict,
	// An oversized body is a bad request like any other malformed input; the code
	// "too_large" tells it apart.
	decision.ETooLarge: http.StatusBadRequest,
	decision.EInternal: http.StatusInternalServerError,
}

// Error answers with the error's status and caller-safe message. Internal errors are
// logged with their full text, which never reaches the caller.
func Error(ctx context.Context, log *slog.Logger, err error) events.APIGatewayV2HTTPResponse {
	code := decision.ErrorCode(err)
	if code == decision.EInternal {
		log.ErrorContext(ctx, "request failed", "error", err)
	}
	var body ErrorBody
	body.Error.Code = code
	body.Error.Message = decision.ErrorMessage(err)
	return JSON(statusByCode[code], body)
}
