package template

import (
	"reflect"
	"testing"
)

func TestProjectHTTPRoutes(t *testing.T) {
	routes, err := loadProject(t).HTTPRoutes()
	if err != nil {
		t.Fatal(err)
	}
	want := []Route{
		{Method: "PATCH", Path: "/v1/customers/{customerId}", Function: "RecordResponseFunction"},
		{Method: "POST", Path: "/v1/decisions", Function: "DecideFunction"},
		{Method: "POST", Path: "/v1/outcomes", Function: "RecordResponseFunction"},
		{Method: "POST", Path: "/v1/responses", Function: "RecordResponseFunction"},
	}
	if !reflect.DeepEqual(routes, want) {
		t.Errorf("HTTPRoutes() = %+v, want %+v", routes, want)
	}
}

func TestRouteMatch(t *testing.T) {
	customer := Route{Method: "PATCH", Path: "/v1/customers/{customerId}"}
	decisions := Route{Method: "POST", Path: "/v1/decisions"}
	tests := []struct {
		route        Route
		method, path string
		want         map[string]string
		wantOK       bool
	}{
		{customer, "PATCH", "/v1/customers/C000042", map[string]string{"customerId": "C000042"}, true},
		{customer, "patch", "/v1/customers/C1/", map[string]string{"customerId": "C1"}, true},
		{customer, "POST", "/v1/customers/C1", nil, false},
		{customer, "PATCH", "/v1/customers/", nil, false},
		{customer, "PATCH", "/v1/customers/C1/orders", nil, false},
		{decisions, "POST", "/v1/decisions", nil, true},
		{decisions, "POST", "/v1/decision", nil, false},
	}
	for _, tt := range tests {
		got, ok := tt.route.Match(tt.method, tt.path)
		if ok != tt.wantOK || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s.Match(%s %s) = %v, %v; want %v, %v", tt.route.Key(), tt.method, tt.path, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestBucketPropertiesTheStackWouldLoseAreRefused(t *testing.T) {
	src := "Resources:\n  Files:\n    Type: AWS::S3::Bucket\n    Properties: {NotificationConfiguration: {}}\n"
	if _, err := mustParse(t, src).Buckets(); err == nil {
		t.Error("Buckets() = nil error for a bucket with notifications, want the property named")
	}
}
