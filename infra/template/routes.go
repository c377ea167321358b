package template

import (
	"fmt"
	"sort"
	"strings"
)

// Route is an HTTP API route of the template: an HttpApi event of a function.
type Route struct {
	Method string // POST, PATCH...
	// Path is API Gateway's path template, with {name} for a path parameter.
	Path     string
	Function string // the function's logical id
}

// Key is the route key API Gateway puts in the event: "PATCH /v1/customers/{customerId}".
func (r Route) Key() string { return r.Method + " " + r.Path }

// Match reports whether a request's method and path take this route, and the path
// parameters it binds.
func (r Route) Match(method, path string) (map[string]string, bool) {
	if !strings.EqualFold(method, r.Method) {
		return nil, false
	}
	want, got := strings.Split(strings.Trim(r.Path, "/"), "/"), strings.Split(strings.Trim(path, "/"), "/")
	if len(want) != len(got) {
		return nil, false
	}
	var params map[string]string
	for i, w := range want {
		if name, ok := strings.CutPrefix(w, "{"); ok && strings.HasSuffix(name, "}") {
			if got[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[strings.TrimSuffix(name, "}")] = got[i]
			continue
		}
		if w != got[i] {
			return nil, false
		}
	}
	return params, true
}

// HTTPRoutes returns every HttpApi event of the template's functions, sorted by path
// and method, so the local stack's front door serves exactly the deployed routes.
func (t *Template) HTTPRoutes() ([]Route, error) {
	var routes []Route
	for _, fn := range t.Functions() {
		props, err := t.properties(fn)
		if err != nil {
			return nil, err
		}
		evs, _ := props["Events"].(map[string]any)
		for name, raw := range evs {
			ev, ok := raw.(map[string]any)
			if !ok || ev["Type"] != "HttpApi" {
				continue
			}
			p, _ := ev["Properties"].(map[string]any)
			method, ok1 := scalar(p["Method"])
			path, ok2 := scalar(p["Path"])
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("%s.Events.%s: an HttpApi event needs a literal Method and Path", fn, name)
			}
			routes = append(routes, Route{Method: strings.ToUpper(method), Path: path, Function: fn})
		}
	}
	sort.Slice(routes, func(i, j int) bool {
		if routes[i].Path != routes[j].Path {
			return routes[i].Path < routes[j].Path
		}
		return routes[i].Method < routes[j].Method
	})
	return routes, nil
}
