//go:build integration

package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/nextbest/nextbest/shared/decision"
)

// The contract tests send real requests through the local stack's front door to every
// route of template.yaml's HTTP API and hold each exchange to the API's OpenAPI
// document (HttpApi's DefinitionBody, resolved by template.OpenAPI): the request is
// valid by the document exactly when the test means it to be, and the answer (status,
// headers, body) is one the document describes for the operation. A request that the
// document refuses must be refused by the functions too; one that the document accepts
// may still be refused for what only the catalog knows (an unknown channel, outcome
// type or attribute), with a documented error.
//
// The local stack has no authorizer, as a stack deployed with ApiAuthorization NONE;
// the document for AWS_IAM differs only in its security and its 403 answers.

// contract is one world's front door with the document to check it against.
type contract struct {
	w      *world
	router routers.Router
}

func newContract(t *testing.T) *contract {
	t.Helper()
	w := newWorld(t, worldOptions{})
	data, err := w.Template.OpenAPI(false)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the API document is invalid: %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &contract{w: w, router: router}
}

// exchange is one request and what the test expects of it.
type exchange struct {
	method, path, body string
	// docValid is whether the document accepts the request.
	docValid bool
	// status is the answer's status; code, for an error, its error code.
	status int
	code   string
}

// check sends the request through the front door, checks the request and the answer
// against the document, and returns the answer's body.
func (c *contract) check(t *testing.T, x exchange) []byte {
	t.Helper()
	name := fmt.Sprintf("%s %s %.100s", x.method, x.path, x.body)

	// The request, as the document sees it.
	req, err := http.NewRequest(x.method, x.path, strings.NewReader(x.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	route, params, routeErr := c.router.FindRoute(req)
	var input *openapi3filter.RequestValidationInput
	reqErr := routeErr
	if routeErr == nil {
		input = &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{MultiError: true}}
		reqErr = openapi3filter.ValidateRequest(context.Background(), input)
	}
	if (reqErr == nil) != x.docValid {
		t.Errorf("%s: the document finds the request valid: %v (%v), want %v", name, reqErr == nil, reqErr, x.docValid)
	}

	// The answer, from the functions.
	sent, err := http.NewRequest(x.method, c.w.frontURL+x.path, strings.NewReader(x.body))
	if err != nil {
		t.Fatal(err)
	}
	sent.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(sent)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != x.status {
		t.Errorf("%s = %d %s, want %d", name, resp.StatusCode, body, x.status)
	}
	if x.code != "" {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		if json.Unmarshal(body, &e) != nil || e.Error.Code != x.code {
			t.Errorf("%s = %d %s, want error code %q", name, resp.StatusCode, body, x.code)
		}
	}
	if routeErr != nil {
		// No operation: nothing in the document to hold the answer to. The front door
		// answers like API Gateway, with 404.
		if !errors.Is(routeErr, routers.ErrPathNotFound) && !errors.Is(routeErr, routers.ErrMethodNotAllowed) {
			t.Errorf("%s: FindRoute: %v", name, routeErr)
		}
		return body
	}
	respErr := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
	if respErr != nil {
		t.Errorf("%s = %d %s %s: the answer is not one the document describes: %v", name, resp.StatusCode, resp.Header, body, respErr)
	}
	return body
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// decided asks for a decision that offers actions, trying the world's seeded customers
// in order from first, and returns it with its request.
func (c *contract) decided(t *testing.T, first int, channel, placement string) (decision.Decision, decision.Request) {
	t.Helper()
	for n := first; n < first+50; n++ {
		req := decision.Request{CustomerID: fmt.Sprintf("C%06d", n), Channel: channel, Placement: placement, Limit: 3}
		body := c.check(t, exchange{method: "POST", path: "/v1/decisions", body: mustJSON(t, req), docValid: true, status: 200})
		var d decision.Decision
		if err := json.Unmarshal(body, &d); err != nil {
			t.Fatal(err)
		}
		if len(d.Actions) > 0 {
			return d, req
		}
	}
	t.Fatalf("no customer from C%06d on %s/%s was offered an action", first, channel, placement)
	return decision.Decision{}, decision.Request{}
}

func TestContractDecisions(t *testing.T) {
	c := newContract(t)
	padded := `{"customerId":"C000021","channel":"web"` + strings.Repeat(" ", 16<<10) + `}`
	for _, x := range []exchange{
		// A known customer, explained: actions with their figures and every exclusion.
		{method: "POST", path: "/v1/decisions", body: `{"customerId":"C000011","channel":"web","placement":"home-hero","explain":true}`, docValid: true, status: 200},
		{method: "POST", path: "/v1/decisions", body: `{"customerId":"C000012","channel":"app","placement":"offers-tab","limit":5}`, docValid: true, status: 200},
		// An outbound channel: consent, caps and silences.
		{method: "POST", path: "/v1/decisions", body: `{"customerId":"C000013","channel":"email","explain":true}`, docValid: true, status: 200},
		// An unknown customer, with a context of each kind of value.
		{method: "POST", path: "/v1/decisions", body: `{"customerId":"visitor:a.b+c=d@example.org/x-y_1","channel":"web","context":{"intent":"cancel","device":"mobile","basket":["p1",{"sku":"p2","qty":2}],"geo":{"lat":48.85},"ref":null,"vip":true}}`, docValid: true, status: 200},
		// Refused by the document and by the function alike.
		{method: "POST", path: "/v1/decisions", body: `{"customerId":"C000014"}`, status: 400, code: "invalid"},
		{method: "POST", path: "/v1/decisions", body: `{"customerId":"C 14","channel":"web"}`, status: 400, code: "invalid"},
		{method: "POST", path: "/v1/decisions", body: `{"customerId":"C000014","channel":"web","customerID":"C000014"}`, status: 400, code: "invalid"},
		{method: "POST", path: "/v1/decisions", body: `{"customerId":"C000014","channel":"web","limit":-1}`, status: 400, code: "invalid"},
		{method: "POST", path: "/v1/decisions", body: `{"customerId":"C000014","channel":"web","context":{"deep":[[["x"]]]}}`, status: 400, code: "invalid"},
		{method: "POST", path: "/v1/decisions", body: `{"customerId":"C000014","channel":"web"`, status: 400, code: "invalid"},
		// Accepted by the document, refused by what only the catalog knows.
		{method: "POST", path: "/v1/decisions", body: `{"customerId":"C000014","channel":"fax"}`, docValid: true, status: 400, code: "invalid"},
		{method: "POST", path: "/v1/decisions", body: `{"customerId":"C000014","channel":"web","placement":"home-card"}`, docValid: true, status: 400, code: "invalid"},
		{method: "POST", path: "/v1/decisions", body: `{"customerId":"C000014","channel":"web","limit":99}`, docValid: true, status: 400, code: "invalid"},
		// Over the body limit; the document bounds fields, the function the body.
		{method: "POST", path: "/v1/decisions", body: padded, docValid: true, status: 413, code: "too_large"},
	} {
		c.check(t, x)
	}
}

func TestContractResponses(t *testing.T) {
	c := newContract(t)
	w := c.w
	d, req := c.decided(t, 31, "web", "account-sidebar")
	action := d.Actions[0].ActionID
	response := func(outcome string, edit func(*decision.Response)) string {
		r := decision.Response{DecisionID: d.DecisionID, CustomerID: req.CustomerID, ActionID: action, Channel: req.Channel, Outcome: outcome}
		if edit != nil {
			edit(&r)
		}
		return mustJSON(t, r)
	}
	at := w.Now().UTC().Truncate(time.Second)
	valued := response("convert", func(r *decision.Response) {
		value := 29.99
		r.Value, r.ResponseID, r.OccurredAt = &value, "contract-convert-1", &at
	})
	other := "C000049"
	if other == req.CustomerID {
		other = "C000048"
	}
	for _, x := range []exchange{
		{method: "POST", path: "/v1/responses", body: response("impression", nil), docValid: true, status: 200},
		{method: "POST", path: "/v1/responses", body: response("impression", nil), docValid: true, status: 200}, // a retry: duplicate
		{method: "POST", path: "/v1/responses", body: response("click", nil), docValid: true, status: 200},
		{method: "POST", path: "/v1/responses", body: valued, docValid: true, status: 200},
		// An unknown decision, and one made for another customer, said alike.
		{method: "POST", path: "/v1/responses", body: response("click", func(r *decision.Response) { r.DecisionID = "0000000000000000000000000000dead" }), docValid: true, status: 404, code: "not_found"},
		{method: "POST", path: "/v1/responses", body: response("click", func(r *decision.Response) { r.CustomerID = other }), docValid: true, status: 404, code: "not_found"},
		// A response that contradicts its decision: another channel, an action not offered.
		{method: "POST", path: "/v1/responses", body: response("click", func(r *decision.Response) { r.Channel = "app" }), docValid: true, status: 409, code: "conflict"},
		{method: "POST", path: "/v1/responses", body: response("click", func(r *decision.Response) { r.ActionID = "never-offered" }), docValid: true, status: 409, code: "conflict"},
		// Refused by the document and by the function alike.
		{method: "POST", path: "/v1/responses", body: response("love", nil), status: 400, code: "invalid"},
		{method: "POST", path: "/v1/responses", body: response("click", func(r *decision.Response) { r.DecisionID = "" }), status: 400, code: "invalid"},
		{method: "POST", path: "/v1/responses", body: strings.Replace(response("click", nil), `"outcome"`, `"Outcome"`, 1), status: 400, code: "invalid"},
		{method: "POST", path: "/v1/responses", body: strings.Replace(valued, "29.99", "-1", 1), status: 400, code: "invalid"},
	} {
		c.check(t, x)
	}
}

func TestContractOutcomes(t *testing.T) {
	c := newContract(t)
	at := c.w.Now().UTC().Add(-time.Hour).Truncate(time.Second).Format(time.RFC3339)
	purchase := `{"customerId":"C000061","type":"purchase","value":49.9,"currency":"EUR","occurredAt":"` + at + `","productId":"sku-42","eventId":"contract-order-1"}`
	for _, x := range []exchange{
		{method: "POST", path: "/v1/outcomes", body: purchase, docValid: true, status: 200},
		{method: "POST", path: "/v1/outcomes", body: purchase, docValid: true, status: 200}, // a retry: duplicate
		{method: "POST", path: "/v1/outcomes", body: `{"customerId":"C000062","type":"cancellation"}`, docValid: true, status: 200},
		// Refused by the document and by the function alike.
		{method: "POST", path: "/v1/outcomes", body: `{"customerId":"C000063"}`, status: 400, code: "invalid"},
		{method: "POST", path: "/v1/outcomes", body: `{"customerId":"C000063","type":"purchase","value":-5}`, status: 400, code: "invalid"},
		{method: "POST", path: "/v1/outcomes", body: `{"customerId":"C000063","type":"purchase","currency":"euro"}`, status: 400, code: "invalid"},
		{method: "POST", path: "/v1/outcomes", body: `{"customerId":"C000063","type":"purchase","store":"Lyon"}`, status: 400, code: "invalid"},
		// Accepted by the document, refused by the catalog.
		{method: "POST", path: "/v1/outcomes", body: `{"customerId":"C000063","type":"love"}`, docValid: true, status: 400, code: "invalid"},
		{method: "POST", path: "/v1/outcomes", body: `{"customerId":"C000063","type":"purchase","value":5,"currency":"USD"}`, docValid: true, status: 400, code: "invalid"},
	} {
		c.check(t, x)
	}
}

func TestContractCustomers(t *testing.T) {
	c := newContract(t)
	for _, x := range []exchange{
		// A new customer, then a change, then the same change again (nothing written).
		{method: "PATCH", path: "/v1/customers/contract-new-1", body: `{"attributes":{"age":42,"segment":"family","productsHeld":["tv","mobile"]},"consents":{"email":true},"timeZone":"Europe/Paris"}`, docValid: true, status: 200},
		{method: "PATCH", path: "/v1/customers/C000071", body: `{"consents":{"email":false},"attributes":{"firstName":null,"openComplaint":true}}`, docValid: true, status: 200},
		{method: "PATCH", path: "/v1/customers/C000071", body: `{"consents":{"email":false}}`, docValid: true, status: 200},
		// Refused by the document and by the function alike.
		{method: "PATCH", path: "/v1/customers/C000072", body: `{"profile":{"age":42}}`, status: 400, code: "invalid"},
		{method: "PATCH", path: "/v1/customers/C000072", body: `{"consents":{"email":"yes"}}`, status: 400, code: "invalid"},
		{method: "PATCH", path: "/v1/customers/C000072", body: `{"attributes":{"address":{"city":"Lyon"}}}`, status: 400, code: "invalid"},
		{method: "PATCH", path: "/v1/customers/C%20072", body: `{"consents":{"email":true}}`, status: 400, code: "invalid"},
		// Accepted by the document, refused by the catalog's profile schema.
		{method: "PATCH", path: "/v1/customers/C000072", body: `{"attributes":{"age":"forty"}}`, docValid: true, status: 400, code: "invalid"},
		{method: "PATCH", path: "/v1/customers/C000072", body: `{"attributes":{"shoeSize":42}}`, docValid: true, status: 400, code: "invalid"},
		{method: "PATCH", path: "/v1/customers/C000072", body: `{"consents":{"web":true}}`, docValid: true, status: 400, code: "invalid"},
		{method: "PATCH", path: "/v1/customers/C000072", body: `{"timeZone":"Mars/Olympus"}`, docValid: true, status: 400, code: "invalid"},
	} {
		c.check(t, x)
	}
}

// Requests on no route of the document are answered 404, as API Gateway does.
func TestContractUnknownRoutes(t *testing.T) {
	c := newContract(t)
	for _, x := range []exchange{
		{method: "GET", path: "/v1/decisions", status: 404},
		{method: "POST", path: "/v1/decision", body: `{"customerId":"C000081","channel":"web"}`, status: 404},
		{method: "POST", path: "/v1/customers/C000081", body: `{}`, status: 404},
		{method: "PATCH", path: "/v1/customers", body: `{}`, status: 404},
	} {
		c.check(t, x)
	}
}
