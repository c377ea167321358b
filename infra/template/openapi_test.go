package template

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// loadOpenAPI resolves the project's API document for one value of ApiAuthorization
// and loads it with kin-openapi.
func loadOpenAPI(t *testing.T, iam bool) *openapi3.T {
	t.Helper()
	data, err := loadProject(t).OpenAPI(iam)
	if err != nil {
		t.Fatalf("OpenAPI(%v): %v", iam, err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatalf("load OpenAPI(%v): %v", iam, err)
	}
	return doc
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	routes, err := loadProject(t).HTTPRoutes()
	if err != nil {
		t.Fatal(err)
	}
	for _, iam := range []bool{true, false} {
		doc := loadOpenAPI(t, iam)
		if err := doc.Validate(context.Background()); err != nil {
			t.Errorf("OpenAPI(iam=%v) is not a valid OpenAPI document: %v", iam, err)
		}
		// The document describes exactly the routes the functions serve.
		var documented, served []string
		for path, item := range doc.Paths.Map() {
			for method := range item.Operations() {
				documented = append(documented, method+" "+path)
			}
		}
		for _, r := range routes {
			served = append(served, r.Key())
		}
		slices.Sort(documented)
		slices.Sort(served)
		if !reflect.DeepEqual(documented, served) {
			t.Errorf("OpenAPI(iam=%v) documents %v, the functions serve %v", iam, documented, served)
		}
	}
}

func TestOpenAPISecurityFollowsApiAuthorization(t *testing.T) {
	for _, iam := range []bool{true, false} {
		doc := loadOpenAPI(t, iam)
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				if op.Security == nil {
					t.Errorf("iam=%v: %s %s has no security, so the document's default would apply", iam, method, path)
					continue
				}
				signed := len(*op.Security) == 1 && reflect.DeepEqual((*op.Security)[0], openapi3.SecurityRequirement{"AWS_IAM": []string{}})
				open := len(*op.Security) == 0
				if (iam && !signed) || (!iam && !open) {
					t.Errorf("iam=%v: %s %s security = %v", iam, method, path, *op.Security)
				}
				if forbidden := op.Responses.Value("403") != nil; forbidden != iam {
					t.Errorf("iam=%v: %s %s documents 403: %v", iam, method, path, forbidden)
				}
			}
		}
	}
}

func TestOpenAPIErrorContract(t *testing.T) {
	doc := loadOpenAPI(t, true)
	codes := doc.Components.Schemas["Error"].Value.Properties["error"].Value.Properties["code"].Value.Enum
	if want := []any{"invalid", "not_found", "conflict", "too_large", "unavailable", "internal"}; !reflect.DeepEqual(codes, want) {
		t.Errorf("error codes = %v, want %v", codes, want)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			at := method + " " + path
			body := op.RequestBody
			if body == nil || !body.Value.Required {
				t.Errorf("%s: the request body is not required", at)
			} else if s := body.Value.Content.Get("application/json"); s == nil || s.Schema.Value.AdditionalProperties.Has == nil || *s.Schema.Value.AdditionalProperties.Has {
				t.Errorf("%s: the request body's schema allows unknown fields", at)
			}
			for _, status := range []string{"200", "400", "413", "429", "500", "503"} {
				r := op.Responses.Value(status)
				if r == nil || r.Value.Content.Get("application/json") == nil {
					t.Errorf("%s: no JSON answer for %s", at, status)
				}
			}
			if r := op.Responses.Value("503"); r != nil {
				h := r.Value.Headers["Retry-After"]
				if h == nil || !h.Value.Required {
					t.Errorf("%s: 503 without a required Retry-After header", at)
				}
			}
		}
	}
}

// TestOpenAPIRequestSchemas pins what the schemas accept, with kin-openapi's request
// validator: the contract the handlers enforce (infra/local's contract test checks that
// they do).
func TestOpenAPIRequestSchemas(t *testing.T) {
	doc := loadOpenAPI(t, false)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 129)
	tests := []struct {
		method, path, body string
		valid              bool
	}{
		{"POST", "/v1/decisions", `{"customerId":"C000042","channel":"web","placement":"home-hero","limit":2,"explain":true}`, true},
		{"POST", "/v1/decisions", `{"customerId":"mail:a.b+c=d@x/y-z_9","channel":"web"}`, true},
		{"POST", "/v1/decisions", `{"customerId":"C1","channel":"web","context":{"device":"mobile","basket":["p1",{"sku":"p2","qty":2}],"geo":{"lat":1.5},"n":null}}`, true},
		{"POST", "/v1/decisions", `{"customerId":"C1","channel":"web","context":{"deep":[[["too deep"]]]}}`, false},
		{"POST", "/v1/decisions", `{"customerId":"C1","channel":"web","context":{"s":"` + strings.Repeat("x", 1025) + `"}}`, false},
		{"POST", "/v1/decisions", `{"customerId":"C1"}`, false},
		{"POST", "/v1/decisions", `{"customerId":"C 1","channel":"web"}`, false},
		{"POST", "/v1/decisions", `{"customerId":"` + long + `","channel":"web"}`, false},
		{"POST", "/v1/decisions", `{"customerId":"C1","channel":"web","customerID":"C1"}`, false},
		{"POST", "/v1/decisions", `{"customerId":"C1","channel":"web","limit":-1}`, false},
		{"POST", "/v1/responses", `{"decisionId":"d1","customerId":"C1","actionId":"a1","channel":"web","outcome":"click","value":12.5,"responseId":"r1","occurredAt":"2026-11-25T10:00:00Z"}`, true},
		{"POST", "/v1/responses", `{"decisionId":"d1","customerId":"C1","actionId":"a1","channel":"web","outcome":"love"}`, false},
		{"POST", "/v1/responses", `{"decisionId":"d1","customerId":"C1","actionId":"a1","channel":"web","outcome":"click","value":-1}`, false},
		{"POST", "/v1/responses", `{"decisionId":"d1","customerId":"C1","actionId":"a1","channel":"web"}`, false},
		{"POST", "/v1/outcomes", `{"customerId":"C1","type":"purchase","value":49.9,"currency":"EUR","productId":"sku-1","eventId":"e1"}`, true},
		{"POST", "/v1/outcomes", `{"customerId":"C1","type":"purchase","currency":"euro"}`, false},
		{"POST", "/v1/outcomes", `{"customerId":"C1"}`, false},
		{"PATCH", "/v1/customers/C1", `{"attributes":{"age":42,"segment":"family","productsHeld":["tv"],"openComplaint":false,"firstName":null},"consents":{"email":false},"timeZone":"Europe/Paris"}`, true},
		{"PATCH", "/v1/customers/C1", `{}`, true},
		{"PATCH", "/v1/customers/C1", `{"attributes":{"address":{"city":"Paris"}}}`, false},
		{"PATCH", "/v1/customers/C1", `{"consents":{"email":"yes"}}`, false},
		{"PATCH", "/v1/customers/C1", `{"profile":{}}`, false},
		{"PATCH", "/v1/customers/C%201", `{}`, false},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		err = validateRequest(router, req)
		if (err == nil) != tt.valid {
			t.Errorf("%s %s %.120s: valid = %v (%v), want %v", tt.method, tt.path, tt.body, err == nil, err, tt.valid)
		}
	}
}

func validateRequest(router routers.Router, req *http.Request) error {
	route, params, err := router.FindRoute(req)
	if err != nil {
		return err
	}
	return openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	})
}

func TestOpenAPIResolvesIntrinsics(t *testing.T) {
	const src = `
Parameters:
  ApiAuthorization: {Type: String, Default: AWS_IAM}
  Stage: {Type: String, Default: prod}
Conditions:
  UseIam: !Equals [!Ref ApiAuthorization, AWS_IAM]
  Prod: !Equals [!Ref Stage, prod]
  IamInProd: !And [!Condition UseIam, !Condition Prod]
  Open: !Not [!Condition UseIam]
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        info:
          title: !Sub "${AWS::StackName}-${Stage}"
          summary: !Join ["/", [a, !Ref Stage]]
          x-escaped: !Sub "${!Literal}"
        security: !If [IamInProd, [{iam: []}], []]
        x-open: !If [Open, yes, !Ref AWS::NoValue]
        list: [a, !Ref AWS::NoValue, !If [UseIam, b, c]]
        "$ref-like": {$ref: "#/x"}
`
	tpl := mustParse(t, src)
	for _, tt := range []struct {
		iam  bool
		want string
	}{
		{true, `{"$ref-like":{"$ref":"#/x"},"info":{"summary":"a/prod","title":"nextbest-prod","x-escaped":"${Literal}"},"list":["a","b"],"security":[{"iam":[]}]}`},
		{false, `{"$ref-like":{"$ref":"#/x"},"info":{"summary":"a/prod","title":"nextbest-prod","x-escaped":"${Literal}"},"list":["a","c"],"security":[],"x-open":"yes"}`},
	} {
		got, err := tpl.OpenAPI(tt.iam)
		if err != nil {
			t.Fatalf("OpenAPI(%v): %v", tt.iam, err)
		}
		var a, b any
		_ = json.Unmarshal(got, &a)
		_ = json.Unmarshal([]byte(tt.want), &b)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("OpenAPI(%v) = %s, want %s", tt.iam, got, tt.want)
		}
	}

	errs := []struct{ name, src, want string }{
		{"no API", "Parameters: {ApiAuthorization: {Type: String}}\nResources:\n  T: {Type: AWS::SNS::Topic}\n", "want one AWS::Serverless::HttpApi"},
		{"no body", "Parameters: {ApiAuthorization: {Type: String}}\nResources:\n  A: {Type: AWS::Serverless::HttpApi, Properties: {DefinitionUri: x.yaml}}\n", "no inline DefinitionBody"},
		{"no parameter", "Resources:\n  A: {Type: AWS::Serverless::HttpApi, Properties: {DefinitionBody: {}}}\n", "no ApiAuthorization parameter"},
		{"resource", "Parameters: {ApiAuthorization: {Type: String}}\nResources:\n  A: {Type: AWS::Serverless::HttpApi, Properties: {DefinitionBody: {x: !Ref A}}}\n", "resource A has no value"},
		{"resource in Sub", "Parameters: {ApiAuthorization: {Type: String}}\nResources:\n  A: {Type: AWS::Serverless::HttpApi, Properties: {DefinitionBody: {x: !Sub \"${A}\"}}}\n", "resource A has no value"},
		{"GetAtt", "Parameters: {ApiAuthorization: {Type: String}}\nResources:\n  A: {Type: AWS::Serverless::HttpApi, Properties: {DefinitionBody: {x: !GetAtt A.Arn}}}\n", "Fn::GetAtt is not resolved"},
		{"unknown condition", "Parameters: {ApiAuthorization: {Type: String}}\nResources:\n  A: {Type: AWS::Serverless::HttpApi, Properties: {DefinitionBody: {x: !If [Nope, a, b]}}}\n", "no condition Nope"},
	}
	for _, tt := range errs {
		_, err := mustParse(t, tt.src).OpenAPI(true)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: OpenAPI error = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}
