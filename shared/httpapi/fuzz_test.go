package httpapi_test

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/httpapi"
)

// FuzzDecodeJSON feeds arbitrary bodies to the decoder of every request type the API
// takes, then to the checks that follow it. Whatever the body: no panic; an error is
// always an application error (a 4xx in the caller's words, never an internal one);
// a body accepted is valid UTF-8 and reads the same once encoded and decoded again,
// so no two spellings of one request are read differently; and a request accepted by
// the checks holds only ids within the documented bounds. `make fuzz` runs it for a
// bounded time in CI; its corpus is testdata/fuzz/FuzzDecodeJSON.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"customerId":"C1","channel":"web","placement":"home","context":{"device":"ios","basket":["p1","p2"]},"limit":2,"explain":true}`,
		`{"decisionId":"d1","customerId":"C1","actionId":"a1","channel":"web","outcome":"click","value":12.5,"responseId":"r1","occurredAt":"2026-12-04T10:00:00Z"}`,
		`{"customerId":"C1","type":"purchase","value":30,"currency":"EUR","eventId":"e1"}`,
		`{"attributes":{"segment":"gold","tenureMonths":12},"consents":{"email":true},"timeZone":"Europe/Paris"}`,
		`{"customerId":"C1","customerId":"C2"}`,
		`{"CUSTOMERID":"C1"}`,
		"{\"customerId\":\"C\xff1\"}",
		`{"customerId":"a\u0000b","channel":"web"}`,
		`{"context":{"a":{"b":{"c":{"d":1}}}}}`,
		`{"limit":1e400}`,
		`[{}]`,
		`{"occurredAt":"2026-13-45T99:00:00Z"}`,
	} {
		f.Add([]byte(seed))
	}
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	data, err := os.ReadFile("../decision/testdata/catalog.yaml")
	if err != nil {
		f.Fatal(err)
	}
	catalog, err := decision.ParseCatalog("catalog.yaml", data)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		event := events.APIGatewayV2HTTPRequest{Body: string(body)}
		check := func(v any, validate func() error) {
			err := httpapi.DecodeJSON(event, v)
			if err != nil {
				if decision.ErrorCode(err) == decision.EInternal {
					t.Fatalf("DecodeJSON(%q) = internal error %v; want a caller's error", body, err)
				}
				return
			}
			if !utf8.Valid(body) {
				t.Fatalf("DecodeJSON accepted invalid UTF-8: %q", body)
			}
			again := reflect.New(reflect.TypeOf(v).Elem()).Interface()
			encoded, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("accepted %q but cannot encode it again: %v", body, err)
			}
			err = httpapi.DecodeJSON(events.APIGatewayV2HTTPRequest{Body: string(encoded)}, again)
			reencoded, _ := json.Marshal(again)
			if err != nil || string(reencoded) != string(encoded) {
				t.Fatalf("accepted %q as %s; encoded and decoded again: %s, %v", body, encoded, reencoded, err)
			}
			if err := validate(); err != nil && decision.ErrorCode(err) == decision.EInternal {
				t.Fatalf("checks of %q = internal error %v", body, err)
			}
		}
		var resp decision.Response
		check(&resp, func() error {
			err := decision.ValidateResponse(&resp, now)
			if err == nil {
				for _, id := range []string{resp.DecisionID, resp.CustomerID, resp.ActionID, resp.Channel} {
					if decision.ValidateID("id", id) != nil {
						t.Fatalf("ValidateResponse accepted an id out of bounds: %q", id)
					}
				}
			}
			return err
		})
		var req decision.Request
		check(&req, func() error { return catalog.ValidateRequest(&req) })
		var outcome decision.OutcomeEvent
		check(&outcome, func() error { return catalog.ValidateOutcome(&outcome, now) })
		var update decision.ProfileUpdate
		check(&update, func() error { return catalog.ValidateUpdate(&update) })
	})
}
