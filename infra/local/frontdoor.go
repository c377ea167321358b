package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nextbest/nextbest/infra/template"
)

// maxFrontDoorBody bounds what the front door passes on: a body over Lambda's 6 MB
// invoke limit would make the emulator fail with a 500; the front door answers 413
// itself, in the API's error shape. The functions enforce their own, smaller limit.
const maxFrontDoorBody = 1 << 20

// FrontDoor is an http.Handler that turns requests into API Gateway HTTP API
// (payload 2.0) events, invokes the routed function and writes back its answer.
// Its routes are template.yaml's HttpApi events, so it serves exactly what API Gateway
// would.
func (e *Env) FrontDoor() http.Handler {
	routes, routesErr := e.Template.HTTPRoutes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if routesErr != nil {
			writeJSONError(w, http.StatusInternalServerError, "internal", "template routes: "+routesErr.Error())
			return
		}
		var route template.Route
		var params map[string]string
		found := false
		for _, rt := range routes {
			if params, found = rt.Match(r.Method, r.URL.Path); found {
				route = rt
				break
			}
		}
		if !found {
			writeJSONError(w, http.StatusNotFound, "not_found", "no route "+r.Method+" "+r.URL.Path)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxFrontDoorBody+1))
		if err != nil {
			writeJSONError(w, http.StatusBadRequest, "invalid", "cannot read body")
			return
		}
		if len(body) > maxFrontDoorBody {
			writeJSONError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body is over %d bytes", maxFrontDoorBody))
			return
		}
		event := httpEvent(r, route.Key(), body, e.Now())
		event.PathParameters = params
		payload, _ := json.Marshal(event)
		out, err := e.Invoke(r.Context(), route.Function, payload)
		var fe *FunctionError
		if errors.As(err, &fe) {
			// API Gateway answers a function's failure with a bare 500.
			writeJSONError(w, http.StatusInternalServerError, "internal", "internal error")
			return
		}
		if err != nil {
			writeJSONError(w, http.StatusBadGateway, "internal", "function invocation failed")
			return
		}
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode == 0 {
			writeJSONError(w, http.StatusBadGateway, "internal", "function answered an invalid response")
			return
		}
		for k, v := range resp.Headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(resp.StatusCode)
		io.WriteString(w, resp.Body)
	})
}

func httpEvent(r *http.Request, routeKey string, body []byte, now time.Time) events.APIGatewayV2HTTPRequest {
	// The event carries the request's own path; the route key keeps the template's.
	headers := map[string]string{}
	for k, v := range r.Header {
		if len(v) > 0 {
			headers[http.CanonicalHeaderKey(k)] = v[0]
		}
	}
	event := HTTPEvent(routeKey, headers, body, r.UserAgent(), now)
	event.RawPath, event.RequestContext.HTTP.Path = r.URL.Path, r.URL.Path
	return event
}

// HTTPEvent is the API Gateway HTTP API (payload 2.0) event for a request on routeKey
// ("POST /v1/decisions"), as API Gateway would deliver it to the routed function.
// A request on a route with path parameters gets the request's own path: see
// FrontDoor.
func HTTPEvent(routeKey string, headers map[string]string, body []byte, userAgent string, now time.Time) events.APIGatewayV2HTTPRequest {
	method, path, _ := strings.Cut(routeKey, " ")
	return events.APIGatewayV2HTTPRequest{
		Version:  "2.0",
		RouteKey: routeKey,
		RawPath:  path,
		Headers:  headers,
		Body:     string(body),
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:  routeKey,
			Stage:     "$default",
			RequestID: strconv.FormatInt(now.UnixNano(), 36),
			Time:      now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", UserAgent: userAgent,
			},
		},
	}
}

func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"code":%q,"message":%q}}`, code, message)
}
