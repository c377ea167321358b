//go:build integration

package local_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nextbest/nextbest/shared/decision"
	"github.com/nextbest/nextbest/shared/httpapi"
)

// These tables play a hostile caller against every route of the API, through the
// front door as a channel app would reach it: malformed and ambiguous JSON, wrong
// types, sizes, nesting and numbers, ids outside their bounds, other methods, and
// references to what is not the caller's. Each request must get its documented
// status and error code, and change nothing: every table of the world is read before
// and after each one.

// hostileRequest is one request of a table and the answer it must get.
type hostileRequest struct {
	name         string
	method, path string
	body         string
	wantStatus   int
	wantCode     string
}

// field is one field of a route's valid body, and what it holds.
type field struct {
	name  string
	value any
	// id: the field is an identifier (decision.ValidateID's bounds apply).
	id bool
	// required: leaving it empty must fail.
	required bool
}

// object writes fields as a JSON object, in order, exactly as given: the generators
// below need keys in other cases and twice, which no encoder writes.
func object(fields ...field) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		v, _ := json.Marshal(f.value)
		parts[i] = fmt.Sprintf("%q:%s", f.name, v)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// replaced returns fields with the one named name holding value instead.
func replaced(fields []field, name string, value any) []field {
	out := slices.Clone(fields)
	for i := range out {
		if out[i].name == name {
			out[i].value = value
		}
	}
	return out
}

// badIDs are identifiers outside decision.ValidateID's bounds, each with why.
var badIDs = []struct{ why, id string }{
	{"129 bytes", strings.Repeat("x", decision.MaxIDBytes+1)},
	{"3,000 bytes (over DynamoDB's key limit once prefixed)", strings.Repeat("d", 3000)},
	{"a leading space", " C1"},
	{"a trailing space", "C1 "},
	{"a NUL", "C\x001"},
	{"a line feed", "C1\n"},
	{"the store's key separator", "C#1"},
	{"a non-ASCII letter", "clïent"},
	{"an invisible space", "C\u200b1"},
	{"a quote", `C"1`},
}

// hostileBodies are requests on method and path whose bodies attack the decoder and
// the checks, derived from a valid body: the same attacks on every route, each
// field's, and each identifier's.
func hostileBodies(method, path string, valid []field) []hostileRequest {
	good := object(valid...)
	req := func(name, body string, status int, code string) hostileRequest {
		return hostileRequest{name: name, method: method, path: path, body: body, wantStatus: status, wantCode: code}
	}
	invalid := func(name, body string) hostileRequest { return req(name, body, 400, decision.EInvalid) }
	nested := strings.Repeat("[", 4000) + strings.Repeat("]", 4000)
	rs := []hostileRequest{
		invalid("empty body", ""),
		invalid("only spaces", " \n\t "),
		invalid("null", "null"),
		invalid("a list", "["+good+"]"),
		invalid("a string", `"`+strings.ReplaceAll(good, `"`, `\"`)+`"`),
		invalid("a number", "42"),
		invalid("cut short", good[:len(good)/2]),
		invalid("two objects", good+good),
		invalid("trailing garbage", good+"x"),
		invalid("a byte-order mark", "\ufeff"+good),
		invalid("a comment", "/* hi */"+good),
		invalid("single quotes", strings.ReplaceAll(good, `"`, `'`)),
		invalid("NaN", strings.TrimSuffix(good, "}")+`,"n":NaN}`),
		invalid("invalid UTF-8 in a value", strings.Replace(good, `":"`, "\":\"\xff", 1)),
		invalid("invalid UTF-8 in a key", strings.TrimSuffix(good, "}")+",\"k\xfe\":1}"),
		invalid("a lone surrogate escape", strings.Replace(good, `":"`, `":"\ud800`, 1)),
		invalid("an unknown field", strings.TrimSuffix(good, "}")+`,"admin":true}`),
		invalid("4,000 nested lists", strings.TrimSuffix(good, "}")+`,"x":`+nested+`}`),
		req("a body over 16 KB", strings.TrimSuffix(good, "}")+`,"pad":"`+strings.Repeat("a", httpapi.MaxBodyBytes)+`"}`, 413, decision.ETooLarge),
		req("a body over 1 MB", strings.TrimSuffix(good, "}")+`,"pad":"`+strings.Repeat("a", 2<<20)+`"}`, 413, decision.ETooLarge),
	}
	for _, f := range valid {
		upper := slices.Clone(valid)
		for i := range upper {
			if upper[i].name == f.name {
				upper[i].name = strings.ToUpper(f.name)
			}
		}
		rs = append(rs,
			invalid(f.name+" in another case", object(upper...)),
			invalid(f.name+" twice, the last one different", object(append(slices.Clone(valid), field{name: f.name, value: otherValue(f.value)})...)),
			invalid(f.name+" of the wrong type", object(replaced(valid, f.name, wrongType(f.value))...)),
		)
		if f.required {
			rs = append(rs, invalid(f.name+" missing", object(slices.DeleteFunc(slices.Clone(valid), func(g field) bool { return g.name == f.name })...)))
		}
		if !f.id {
			continue
		}
		for _, bad := range badIDs {
			rs = append(rs, invalid(f.name+" with "+bad.why, object(replaced(valid, f.name, bad.id)...)))
		}
	}
	return rs
}

// otherValue is a value of the same type as v but different.
func otherValue(v any) any {
	switch v := v.(type) {
	case string:
		return v + "-other"
	case float64:
		return v + 1
	case int:
		return v + 1
	case bool:
		return !v
	default:
		return map[string]any{"other": true}
	}
}

// wrongType is a value of another JSON type than v.
func wrongType(v any) any {
	switch v.(type) {
	case string:
		return 42
	case float64, int:
		return "42"
	case bool:
		return "yes"
	default:
		return "not an object"
	}
}

// otherMethods are requests on path with the methods the route does not serve.
func otherMethods(path, served string) []hostileRequest {
	var rs []hostileRequest
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPost, http.MethodPatch, http.MethodOptions} {
		if m != served {
			rs = append(rs, hostileRequest{name: m + " instead of " + served, method: m, path: path, body: "{}", wantStatus: 404, wantCode: decision.ENotFound})
		}
	}
	return rs
}

func TestHostileRequestsChangeNothing(t *testing.T) {
	w := newWorld(t, worldOptions{customers: 20})
	// A real decision for the responses to aim at, and another customer's.
	var mine, theirs decision.Decision
	w.api("/v1/decisions", decision.Request{CustomerID: "C000001", Channel: "web", Placement: "account-sidebar"}, &mine)
	w.api("/v1/decisions", decision.Request{CustomerID: "C000002", Channel: "web", Placement: "account-sidebar"}, &theirs)
	if len(mine.Actions) == 0 || len(theirs.Actions) == 0 {
		t.Fatalf("decide = %+v and %+v; want actions to respond to", mine.Silence, theirs.Silence)
	}
	action := mine.Actions[0].ActionID

	decide := []field{{name: "customerId", value: "C000003", id: true, required: true}, {name: "channel", value: "web", id: true, required: true},
		{name: "placement", value: "account-sidebar", id: true}, {name: "context", value: map[string]any{"device": "ios"}},
		{name: "limit", value: 2}, {name: "explain", value: true}}
	response := []field{{name: "decisionId", value: mine.DecisionID, id: true, required: true}, {name: "customerId", value: "C000001", id: true, required: true},
		{name: "actionId", value: action, id: true, required: true}, {name: "channel", value: "web", id: true, required: true},
		{name: "outcome", value: "click", required: true}, {name: "value", value: 10.0}, {name: "responseId", value: "r-hostile", id: true},
		{name: "occurredAt", value: w.Now().UTC().Format("2006-01-02T15:04:05Z")}}
	outcome := []field{{name: "customerId", value: "C000004", id: true, required: true}, {name: "type", value: "purchase", required: true},
		{name: "value", value: 49.9}, {name: "currency", value: "EUR", id: true}, {name: "eventId", value: "e-hostile", id: true},
		{name: "actionId", value: action, id: true}, {name: "productId", value: "p1", id: true}}
	update := []field{{name: "attributes", value: map[string]any{"segment": "family"}}, {name: "consents", value: map[string]any{"email": true}},
		{name: "timeZone", value: "Europe/Paris"}}

	invalid := func(name, method, path, body string) hostileRequest {
		return hostileRequest{name: name, method: method, path: path, body: body, wantStatus: 400, wantCode: decision.EInvalid}
	}
	post := func(path string, fields []field) func(name string, status int, code string, changes ...any) hostileRequest {
		return func(name string, status int, code string, changes ...any) hostileRequest {
			fs := slices.Clone(fields)
			for i := 0; i+1 < len(changes); i += 2 {
				fs = replaced(fs, changes[i].(string), changes[i+1])
			}
			return hostileRequest{name: name, method: http.MethodPost, path: path, body: object(fs...), wantStatus: status, wantCode: code}
		}
	}
	decideWith, respondWith, outcomeWith := post("/v1/decisions", decide), post("/v1/responses", response), post("/v1/outcomes", outcome)
	context33 := map[string]any{}
	for i := range 33 {
		context33[fmt.Sprintf("k%d", i)] = i
	}
	attributes := func(a map[string]any) string { return object(field{name: "attributes", value: a}) }

	routes := map[string][]hostileRequest{
		"POST /v1/decisions": slices.Concat(hostileBodies(http.MethodPost, "/v1/decisions", decide), otherMethods("/v1/decisions", http.MethodPost), []hostileRequest{
			decideWith("an unknown channel", 400, decision.EInvalid, "channel", "fax"),
			decideWith("an unknown placement", 400, decision.EInvalid, "placement", "billboard"),
			decideWith("a negative limit", 400, decision.EInvalid, "limit", -1),
			decideWith("a limit over the catalog's", 400, decision.EInvalid, "limit", 1000000),
			decideWith("a fractional limit", 400, decision.EInvalid, "limit", 1.5),
			decideWith("a limit over 64 bits", 400, decision.EInvalid, "limit", json.RawMessage("1e400")),
			decideWith("33 context keys", 400, decision.EInvalid, "context", context33),
			decideWith("a context nested 4 deep", 400, decision.EInvalid, "context", map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{}}}}),
			decideWith("a 2 KB context string", 400, decision.EInvalid, "context", map[string]any{"device": strings.Repeat("x", 2048)}),
			decideWith("a context key with a space", 400, decision.EInvalid, "context", map[string]any{"the device": "ios"}),
		}),
		"POST /v1/responses": slices.Concat(hostileBodies(http.MethodPost, "/v1/responses", response), otherMethods("/v1/responses", http.MethodPost), []hostileRequest{
			respondWith("another customer's decision, said as unknown", 404, decision.ENotFound, "decisionId", theirs.DecisionID),
			respondWith("a decision that does not exist", 404, decision.ENotFound, "decisionId", "0123456789abcdef0123456789abcdef"),
			respondWith("an action the decision did not offer", 409, decision.EConflict, "actionId", "no-such-action"),
			respondWith("another channel than the decision's", 409, decision.EConflict, "channel", "app"),
			respondWith("an unknown outcome", 400, decision.EInvalid, "outcome", "love"),
			respondWith("an outcome in capitals", 400, decision.EInvalid, "outcome", "CLICK"),
			respondWith("a negative value", 400, decision.EInvalid, "value", -1.0),
			respondWith("a value over float64", 400, decision.EInvalid, "value", json.RawMessage("1e400")),
			respondWith("a time in the future", 400, decision.EInvalid, "occurredAt", w.Now().AddDate(0, 0, 1).UTC().Format("2006-01-02T15:04:05Z")),
			respondWith("a time before the decision", 400, decision.EInvalid, "occurredAt", w.Now().AddDate(0, 0, -1).UTC().Format("2006-01-02T15:04:05Z")),
			respondWith("a time that is not one", 400, decision.EInvalid, "occurredAt", "yesterday"),
		}),
		"POST /v1/outcomes": slices.Concat(hostileBodies(http.MethodPost, "/v1/outcomes", outcome), otherMethods("/v1/outcomes", http.MethodPost), []hostileRequest{
			outcomeWith("an unknown type", 400, decision.EInvalid, "type", "refund"),
			outcomeWith("another currency", 400, decision.EInvalid, "currency", "USD"),
			outcomeWith("an unknown action", 400, decision.EInvalid, "actionId", "no-such-action"),
			outcomeWith("a negative value", 400, decision.EInvalid, "value", -5.0),
		}),
		"PATCH /v1/customers/{customerId}": slices.Concat(hostileBodies(http.MethodPatch, "/v1/customers/C000005", update), otherMethods("/v1/customers/C000005", http.MethodPatch), []hostileRequest{
			invalid("an undeclared attribute", http.MethodPatch, "/v1/customers/C000005", attributes(map[string]any{"isAdmin": true})),
			invalid("a number attribute as text", http.MethodPatch, "/v1/customers/C000005", attributes(map[string]any{"age": "forty"})),
			invalid("a value outside the attribute's list", http.MethodPatch, "/v1/customers/C000005", attributes(map[string]any{"segment": "vip"})),
			invalid("a list attribute as text", http.MethodPatch, "/v1/customers/C000005", attributes(map[string]any{"productsHeld": "tv"})),
			invalid("a list holding numbers", http.MethodPatch, "/v1/customers/C000005", attributes(map[string]any{"productsHeld": []any{1, 2}})),
			invalid("a boolean attribute as text", http.MethodPatch, "/v1/customers/C000005", attributes(map[string]any{"openComplaint": "no"})),
			invalid("a consent for an inbound channel", http.MethodPatch, "/v1/customers/C000005", object(field{name: "consents", value: map[string]any{"web": true}})),
			invalid("a consent that is not true or false", http.MethodPatch, "/v1/customers/C000005", object(field{name: "consents", value: map[string]any{"email": "yes"}})),
			invalid("an unknown time zone", http.MethodPatch, "/v1/customers/C000005", object(field{name: "timeZone", value: "Mars/Olympus"})),
			invalid("a 10 KB string attribute", http.MethodPatch, "/v1/customers/C000005", attributes(map[string]any{"firstName": strings.Repeat("x", 10<<10)})),
			invalid("a list of 101 values", http.MethodPatch, "/v1/customers/C000005", attributes(map[string]any{"productsHeld": slices.Repeat([]any{"tv"}, 101)})),
			invalid("a customer id with a space", http.MethodPatch, "/v1/customers/C%201", object(update...)),
			invalid("a customer id with the key separator", http.MethodPatch, "/v1/customers/C%231", object(update...)),
			invalid("a customer id with a NUL", http.MethodPatch, "/v1/customers/C%001", object(update...)),
			invalid("a customer id of 129 bytes", http.MethodPatch, "/v1/customers/"+strings.Repeat("c", 129), object(update...)),
			invalid("a customer id with a non-ASCII letter", http.MethodPatch, "/v1/customers/cl%C3%AFent", object(update...)),
			invalid("a customer id with invalid UTF-8", http.MethodPatch, "/v1/customers/C%FF1", object(update...)),
			invalid("an attribute in another case", http.MethodPatch, "/v1/customers/C000005", attributes(map[string]any{"Segment": "family"})),
			invalid("an attribute name with a NUL", http.MethodPatch, "/v1/customers/C000005", attributes(map[string]any{"seg\x00ment": "family"})),
			invalid("200 undeclared attributes", http.MethodPatch, "/v1/customers/C000005", attributes(manyKeys(200))),
			invalid("a consent for an unknown channel", http.MethodPatch, "/v1/customers/C000005", object(field{name: "consents", value: map[string]any{"fax": true}})),
			invalid("a consent in capitals", http.MethodPatch, "/v1/customers/C000005", object(field{name: "consents", value: map[string]any{"EMAIL": true}})),
			invalid("the server's local time zone", http.MethodPatch, "/v1/customers/C000005", object(field{name: "timeZone", value: "Local"})),
			invalid("a time zone that climbs out of the zone database", http.MethodPatch, "/v1/customers/C000005", object(field{name: "timeZone", value: "../../etc/passwd"})),
			invalid("a time zone with a space", http.MethodPatch, "/v1/customers/C000005", object(field{name: "timeZone", value: "Europe/ Paris"})),
			invalid("a time zone with a line feed", http.MethodPatch, "/v1/customers/C000005", object(field{name: "timeZone", value: "Europe/Paris\n"})),
			invalid("a 2 KB time zone", http.MethodPatch, "/v1/customers/C000005", object(field{name: "timeZone", value: strings.Repeat("Europe/", 300)})),
			{name: "no customer id", method: http.MethodPatch, path: "/v1/customers/", body: object(update...), wantStatus: 404, wantCode: decision.ENotFound},
		}),
	}
	// One valid request per route, sent after its table: each must succeed and change
	// the state, which shows the digest sees writes.
	valid := map[string]hostileRequest{
		"POST /v1/decisions":               {method: http.MethodPost, path: "/v1/decisions", body: object(decide...)},
		"POST /v1/responses":               {method: http.MethodPost, path: "/v1/responses", body: object(response...)},
		"POST /v1/outcomes":                {method: http.MethodPost, path: "/v1/outcomes", body: object(outcome...)},
		"PATCH /v1/customers/{customerId}": {method: http.MethodPatch, path: "/v1/customers/C000005", body: object(update...)},
	}
	total := 0
	for _, route := range slices.Sorted(maps.Keys(routes)) {
		requests := routes[route]
		t.Run(route, func(t *testing.T) {
			if len(requests) < 60 {
				t.Errorf("%d hostile requests for %s, want at least 60", len(requests), route)
			}
			t.Logf("%d hostile requests", len(requests))
			total += len(requests)
			before := w.state(t)
			for _, r := range requests {
				status, body := w.raw(t, r.method, r.path, r.body)
				var answer httpapi.ErrorBody
				if err := json.Unmarshal([]byte(body), &answer); err != nil || status != r.wantStatus || answer.Error.Code != r.wantCode {
					t.Errorf("%s: %s %s = %d %.200s; want %d %q", r.name, r.method, r.path, status, body, r.wantStatus, r.wantCode)
					continue
				}
				if strings.Contains(answer.Error.Message, "float64") || strings.Contains(answer.Error.Message, "struct") || strings.Contains(answer.Error.Message, "json:") {
					t.Errorf("%s: message %q speaks Go, not the API", r.name, answer.Error.Message)
				}
				if after := w.state(t); after != before {
					t.Fatalf("%s: %s %s changed the stored state", r.name, r.method, r.path)
				}
			}
			v := valid[route]
			if status, body := w.raw(t, v.method, v.path, v.body); status != 200 {
				t.Fatalf("the valid request %s = %d %s, want 200", v.body, status, body)
			}
			if w.state(t) == before {
				t.Errorf("the valid request %s changed nothing the digest sees", v.body)
			}
		})
	}
	t.Logf("%d hostile requests over %d routes: each answered as documented, none changed anything", total, len(routes))
}

// raw sends a request exactly as given and returns the answer's status and body.
func (w *world) raw(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, w.frontURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// state digests every item of every table of the world: two equal digests mean
// nothing was written in between.
func (w *world) state(t *testing.T) string {
	t.Helper()
	h := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(w.Resources.Tables)) {
		var items []string
		pages := dynamodb.NewScanPaginator(w.DynamoDB, &dynamodb.ScanInput{TableName: aws.String(w.Resources.Tables[name]), ConsistentRead: aws.Bool(true)})
		for pages.HasMorePages() {
			page, err := pages.NextPage(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, item := range page.Items {
				items = append(items, render(&types.AttributeValueMemberM{Value: item}))
			}
		}
		slices.Sort(items)
		fmt.Fprintf(h, "%s:%d:%s\n", name, len(items), strings.Join(items, "\n"))
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// render writes an attribute value the same way whatever the order of its map keys
// and sets.
func render(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return "S" + strconv.Quote(v.Value)
	case *types.AttributeValueMemberN:
		return "N" + v.Value
	case *types.AttributeValueMemberB:
		return fmt.Sprintf("B%x", v.Value)
	case *types.AttributeValueMemberBOOL:
		return fmt.Sprintf("BOOL%v", v.Value)
	case *types.AttributeValueMemberNULL:
		return "NULL"
	case *types.AttributeValueMemberSS:
		return fmt.Sprintf("SS%q", slices.Sorted(slices.Values(v.Value)))
	case *types.AttributeValueMemberNS:
		return fmt.Sprintf("NS%q", slices.Sorted(slices.Values(v.Value)))
	case *types.AttributeValueMemberBS:
		return fmt.Sprintf("BS%x", v.Value)
	case *types.AttributeValueMemberL:
		parts := make([]string, len(v.Value))
		for i, e := range v.Value {
			parts[i] = render(e)
		}
		return "L[" + strings.Join(parts, ",") + "]"
	case *types.AttributeValueMemberM:
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(v.Value)) {
			parts = append(parts, strconv.Quote(k)+":"+render(v.Value[k]))
		}
		return "M{" + strings.Join(parts, ",") + "}"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// manyKeys is an object of n keys.
func manyKeys(n int) map[string]any {
	m := make(map[string]any, n)
	for i := range n {
		m[fmt.Sprintf("attribute%03d", i)] = "x"
	}
	return m
}
