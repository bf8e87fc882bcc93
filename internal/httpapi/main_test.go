package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
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
	"github.com/ceph/paddles-go/internal/database"
	"github.com/ceph/paddles-go/internal/httpapi"
	"github.com/ceph/paddles-go/internal/metrics"
	"github.com/ceph/paddles-go/internal/pgtest"
	"github.com/ceph/paddles-go/internal/service"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, func(ctx context.Context, url string) error {
		pool, err := database.Open(ctx, url)
		if err != nil {
			return err
		}
		defer pool.Close()
		return database.Migrate(ctx, pool, slog.New(slog.DiscardHandler))
	})
}

// publicURL is the address the test servers are told clients see.
const publicURL = "http://paddles.example.com"

// serverOptions adjust a test server.
type serverOptions struct {
	svc     service.Options
	maxBody int64
	now     func() time.Time
	cors    []string // --cors-origins
	tokens  []string // --write-tokens
}

// client talks to one test server, over real HTTP, on a database of its own.
type client struct {
	t    testing.TB
	base string
	http *http.Client
	db   string // the database's URL, for checks that look past the API
	tr   *validatingTransport
}

// newServer starts the API on a fresh database and returns a client for it. Every response the
// client receives is checked against the OpenAPI spec, and a 5xx fails the test.
func newServer(t testing.TB, opts ...func(*serverOptions)) *client {
	t.Helper()
	o := serverOptions{maxBody: 1 << 20}
	for _, f := range opts {
		f(&o)
	}
	url := pgtest.NewDatabase(t)
	pool, err := database.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	m := metrics.New()
	m.WatchPool(pool)
	if o.svc.StatusChanged == nil {
		o.svc.StatusChanged = m.StatusChanged
	}
	h := httpapi.New(httpapi.Config{PublicURL: publicURL, MaxBodyBytes: o.maxBody, Now: o.now, CORSOrigins: o.cors, WriteTokens: o.tokens, Metrics: m},
		service.New(pool, o.svc, log), log)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	tr := &validatingTransport{t: t, next: http.DefaultTransport}
	return &client{t: t, base: srv.URL, db: url, http: &http.Client{Transport: tr}, tr: tr}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// response is what the client got back.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends a request. body is sent as is when it is a string or []byte, else encoded as JSON.
// headers come in pairs.
func (c *client) do(method, path string, body any, headers ...string) response {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

func (c *client) get(path string) response            { c.t.Helper(); return c.do("GET", path, nil) }
func (c *client) post(path string, body any) response { c.t.Helper(); return c.do("POST", path, body) }
func (c *client) put(path string, body any) response  { c.t.Helper(); return c.do("PUT", path, body) }
func (c *client) delete(path string) response         { c.t.Helper(); return c.do("DELETE", path, nil) }
func (c *client) head(path string) response           { c.t.Helper(); return c.do("HEAD", path, nil) }

// must fails the test unless the response has the status.
func (r response) must(t testing.TB, status int) response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	return r
}

// decode decodes the body into a fresh value of type T.
func decode[T any](t testing.TB, r response) T {
	t.Helper()
	var v T
	d := json.NewDecoder(bytes.NewReader(r.Body))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decoding %s: %v", r.Body, err)
	}
	return v
}

// object is a decoded JSON object.
type object = map[string]any

// wantError checks an error answer: its status, JSON content type, and message.
func (r response) wantError(t testing.TB, status int, message string) {
	t.Helper()
	r.must(t, status)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	got := decode[object](t, r)
	if got["message"] != message {
		t.Errorf("message %q, want %q", got["message"], message)
	}
	if len(got) != 1 {
		t.Errorf("error body %s has keys besides message", r.Body)
	}
}

// validatingTransport checks every response against the OpenAPI spec: an undeclared status or a
// body that does not match its schema fails the test, and so does any 5xx. Beyond the operations
// as the spec writes them it checks
//   - every spelling of a path (no trailing slash, repeated slashes), by its canonical form;
//   - HEAD wherever GET is answered: the GET operation's statuses and headers, and no body;
//   - the nested filter paths (/runs/branch/main/suite/rados/...): a page of runs or a value list;
//   - every error outside the contract (404 on unknown paths, 405 on unsupported methods): the
//     JSON error object.
type validatingTransport struct {
	t    testing.TB
	next http.RoundTripper
	// gaps, when set, counts the responses whose only mismatches are the known contract gaps of
	// knownGaps, instead of failing the test (the randomized tests send such values).
	gaps *atomic.Int64
}

var spec, specRouter = func() (*openapi3.T, routers.Router) {
	spec, err := api.GetSpec()
	if err != nil {
		panic(err)
	}
	spec.Servers = openapi3.Servers{{URL: "/"}}
	r, err := gorillamux.NewRouter(spec)
	if err != nil {
		panic(err)
	}
	return spec, r
}()

func (v *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := v.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	return v.check(req, res)
}

// check checks a response to req as RoundTrip does.
func (v *validatingTransport) check(req *http.Request, res *http.Response) (*http.Response, error) {
	// 503 is an answer of the contract (lock_many short of nodes, a paused queue, the database
	// away), checked against the spec below like any other; every other 5xx is a defect.
	if res.StatusCode >= 500 && res.StatusCode != http.StatusServiceUnavailable {
		v.t.Errorf("%s %s answered %d", req.Method, req.URL.Path, res.StatusCode)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	switch err := validateResponse(req, res.StatusCode, res.Header, body); {
	case err == nil:
	case v.gaps != nil && knownGaps(err):
		v.gaps.Add(1)
	default:
		v.t.Errorf("%s %s: response %d does not match the spec: %v\nbody: %.500s", req.Method, req.URL.Path, res.StatusCode, err, body)
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

// validateResponse checks one response against the spec.
func validateResponse(req *http.Request, status int, header http.Header, body []byte) error {
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
		return matchesSchema(spec.Components.Schemas["ErrorMessage"].Value, body)
	case status >= 300:
		return nil // /docs -> /docs/
	case strings.HasPrefix(canon.URL.Path, "/runs/") && (req.Method == http.MethodGet || req.Method == http.MethodHead):
		// A nested filter path: a page of runs, or the values of a key.
		if req.Method == http.MethodHead {
			return nil
		}
		// Run pages carry X-Total-Count; value lists do not.
		if _, err := strconv.Atoi(header.Get("X-Total-Count")); err == nil {
			return matchesSchema(spec.Components.Responses["RunPage"].Value.Content.Get("application/json").Schema.Value, body)
		}
		return matchesSchema(spec.Components.Responses["Values"].Value.Content.Get("application/json").Schema.Value, body)
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
	for _, p := range []string{canonical(req.URL.Path), mergeSlashes(req.URL.Path)} {
		canon.URL.Path = p
		methods := []string{req.Method}
		if req.Method == http.MethodHead {
			methods = append(methods, http.MethodGet)
		}
		for _, method := range methods {
			canon.Method = method
			if route, params, err := specRouter.FindRoute(canon); err == nil {
				canon.Method = req.Method
				return route, params, canon
			}
		}
	}
	canon.Method = req.Method
	canon.URL.Path = canonical(req.URL.Path)
	return nil, nil, canon
}

// matchesSchema checks a JSON body against a schema.
func matchesSchema(schema *openapi3.Schema, body []byte) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return schema.VisitJSON(v, openapi3.MultiErrors())
}

func canonical(p string) string {
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
