package testserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/ceph/paddles-go/gen/api"
	"github.com/ceph/paddles-go/internal/paddles"
)

// /openapi.yaml is YAML text to a client (type string, format binary): the validator takes its
// body as bytes instead of decoding it (TestServedSpec reads the document itself).
func init() { openapi3filter.RegisterBodyDecoder("application/yaml", openapi3filter.FileBodyDecoder) }

// Transport checks every response against the OpenAPI spec: an undeclared status or a body that
// does not match its schema fails the test, and so does any 5xx. The check is strict: an object
// schema that lists properties and does not say otherwise allows no other key (see strict.go).
// Beyond the operations as the spec writes them it checks
//   - every spelling of a path (no trailing slash, repeated slashes), by its canonical form;
//   - HEAD wherever GET is answered: the GET operation's statuses and headers, and no body;
//   - the nested filter paths (/runs/branch/main/suite/rados/...): a page of runs or a value list;
//   - every error outside the contract (404 on unknown paths, 405 on unsupported methods): the
//     JSON error object.
type Transport struct {
	T    testing.TB
	Next http.RoundTripper // nil: http.DefaultTransport
	// Gaps, when set, counts the responses whose only mismatches are the known contract gaps of
	// knownGaps, instead of failing the test (the randomized tests send such values).
	Gaps *atomic.Int64
}

func (v *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	next := v.Next
	if next == nil {
		next = http.DefaultTransport
	}
	res, err := next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	return v.Check(req, res)
}

// Check checks a response to req as RoundTrip does, and returns it with its body still to read.
func (v *Transport) Check(req *http.Request, res *http.Response) (*http.Response, error) {
	// 503 is an answer of the contract (lock_many short of nodes, a paused queue, the database
	// away), checked against the spec below like any other; every other 5xx is a defect.
	if res.StatusCode >= 500 && res.StatusCode != http.StatusServiceUnavailable {
		v.T.Errorf("%s %s answered %d", req.Method, req.URL.Path, res.StatusCode)
	}
	if res.StatusCode == http.StatusOK && strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		// A stream does not end: the tests that read it check its events (ValidateEvent).
		return res, nil
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	switch err := ValidateResponse(req, res.StatusCode, res.Header, body); {
	case err == nil:
	case v.Gaps != nil && knownGaps(err):
		v.Gaps.Add(1)
	default:
		v.T.Errorf("%s %s: response %d does not match the spec: %v\nbody: %.500s", req.Method, req.URL.Path, res.StatusCode, err, body)
	}
	return res, nil
}

// knownGaps reports whether every mismatch in a validation error is a JSON-valued job field
// (AnyJSON) that the contract cannot describe yet, though the server stores and returns it exactly
// as sent (docs/reliability.md, "Contract gaps"): an array with a null item, which kin-openapi
// reads items: {} as refusing, or a number beyond float64's range, such as 1e400.
func knownGaps(err error) bool {
	parts := strings.Split(err.Error(), `Error at "`)[1:]
	for _, p := range parts {
		path, rest, _ := strings.Cut(p, `"`)
		field := path[strings.LastIndexByte(path, '/')+1:]
		switch field {
		case "kernel", "overrides", "roles", "targets", "tasks":
		default:
			return false
		}
		if !strings.HasPrefix(rest, `: doesn't match any schema from "anyOf"`) {
			return false
		}
	}
	return len(parts) > 0
}

// Spec returns the OpenAPI spec as written (a copy of its own for the caller, not the strict one
// responses are checked against), its servers set to "/".
func Spec() *openapi3.T {
	spec, err := api.GetSpec()
	if err != nil {
		panic(err)
	}
	spec.Servers = openapi3.Servers{{URL: "/"}}
	return spec
}

// strictSpec is the spec responses are checked against: Spec, closed by closeSchemas.
var strictSpec, specRouter = func() (*openapi3.T, routers.Router) {
	spec := Spec()
	closeSchemas(spec)
	r, err := gorillamux.NewRouter(spec)
	if err != nil {
		panic(err)
	}
	return spec, r
}()

// ValidateResponse checks one response against the spec, as Transport does.
func ValidateResponse(req *http.Request, status int, header http.Header, body []byte) error {
	if req.Method == http.MethodHead && len(body) > 0 {
		return errors.New("HEAD answered with a body")
	}
	route, params, canon := findRoute(req)
	switch {
	case route != nil:
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if req.Method == http.MethodHead {
			// kin-openapi validates nothing of a HEAD answer: present it as GET (the route keeps
			// the HEAD operation, when the spec has one), without the body.
			canon.Method = http.MethodGet
		}
		return openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: canon, PathParams: params, Route: route},
			Status:                 status,
			Header:                 header,
			Body:                   io.NopCloser(bytes.NewReader(body)),
			Options: &openapi3filter.Options{
				IncludeResponseStatus: true,
				MultiError:            true,
				ExcludeResponseBody:   req.Method == http.MethodHead,
			},
		})
	case status >= 400:
		// Outside the contract: unknown paths (404), unsupported methods (405), and errors of the
		// nested filter paths. Every one is the JSON error object.
		if req.Method == http.MethodHead {
			return nil
		}
		if ct := header.Get("Content-Type"); ct != "application/json" {
			return fmt.Errorf("error answered with Content-Type %q", ct)
		}
		return matchesSchema(strictSpec.Components.Schemas["ErrorMessage"].Value, body)
	case status >= 300:
		return nil // /docs -> /docs/
	case strings.HasPrefix(canon.URL.Path, "/runs/") && (req.Method == http.MethodGet || req.Method == http.MethodHead):
		// A nested filter path: a page of runs, or the values of a key.
		if req.Method == http.MethodHead {
			return nil
		}
		// Run pages carry X-Total-Count; value lists do not.
		if _, err := strconv.Atoi(header.Get("X-Total-Count")); err == nil {
			return matchesSchema(strictSpec.Components.Responses["RunPage"].Value.Content.Get("application/json").Schema.Value, body)
		}
		return matchesSchema(strictSpec.Components.Responses["Values"].Value.Content.Get("application/json").Schema.Value, body)
	case strings.HasPrefix(canon.URL.Path, "/docs/"):
		return nil // the documentation page's files
	case req.Method == http.MethodOptions && status == http.StatusNoContent:
		return nil // a CORS preflight, answered by the CORS middleware for every path
	case canon.URL.Path == "/metrics/":
		return nil // Prometheus' format, outside the JSON contract (see the README)
	}
	return fmt.Errorf("a %d answer outside the contract", status)
}

// findRoute finds the operation a request reaches: by the path's canonical form, which the server
// answers for every spelling, or as written (the spec documents); for HEAD, the GET operation when
// the spec declares no HEAD one. It also returns the request the route was found for.
func findRoute(req *http.Request) (*routers.Route, map[string]string, *http.Request) {
	canon := req.Clone(req.Context())
	canon.URL.RawPath = ""
	for _, p := range []string{Canonical(req.URL.Path), mergeSlashes(req.URL.Path)} {
		canon.URL.Path = p
		methods := []string{req.Method}
		if req.Method == http.MethodHead {
			methods = append(methods, http.MethodGet)
		}
		for _, method := range methods {
			canon.Method = method
			if route, params, err := specRouter.FindRoute(canon); err == nil {
				if op := route.Operation.OperationID; (op == "getRunRegressions" || op == "getRunSummary") && paddles.IsRunFilter(params["name"]) {
					// /runs/{key}/regressions/ and /runs/{key}/summary/ are filter paths (the operations say so).
					break
				}
				canon.Method = req.Method
				return route, params, canon
			}
		}
	}
	canon.Method = req.Method
	canon.URL.Path = Canonical(req.URL.Path)
	return nil, nil, canon
}

// ValidateEvent checks the data of an event of GET /events/ against the schema of its type.
func ValidateEvent(data []byte) error {
	var e struct{ Type string }
	if err := json.Unmarshal(data, &e); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	name := map[string]string{"job": "JobEvent", "run": "RunEvent", "node": "NodeEvent", "reset": "ResetEvent"}[e.Type]
	if name == "" {
		return fmt.Errorf("an event of no known type: %s", data)
	}
	return matchesSchema(strictSpec.Components.Schemas[name].Value, data)
}

// matchesSchema checks a JSON body against a schema.
func matchesSchema(schema *openapi3.Schema, body []byte) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return schema.VisitJSON(v, openapi3.MultiErrors())
}

// Canonical is the path the server answers a spelling of a path as: slashes merged, one at the
// end.
func Canonical(p string) string {
	p = mergeSlashes(p)
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

func mergeSlashes(p string) string {
	for strings.Contains(p, "//") {
		p = strings.ReplaceAll(p, "//", "/")
	}
	return p
}

// WholeRun is a run object as the server writes it, every key present, for checks of the
// validation itself.
const WholeRun = `{"name":"r","href":"http://paddles.example.com/runs/r/","user":"teuthology","status":"empty",` +
	`"results":{"queued":0,"pass":0,"running":0,"waiting":0,"fail":0,"dead":0,"unknown":0,"total":0,"sha1":"none","flavor":"none"},` +
	`"jobs_count":0,"posted":"2026-01-15 10:21:03","scheduled":"2026-01-15 10:20:30","started":null,"updated":null,` +
	`"branch":null,"suite":null,"machine_type":null,"sha1":"none","priority":null,"flavor":"none","tags":[]}`
