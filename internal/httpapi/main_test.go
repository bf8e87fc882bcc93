package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"

	"github.com/ceph/paddles-go/internal/cli"
	"github.com/ceph/paddles-go/internal/pgtest"
	"github.com/ceph/paddles-go/internal/testserver"
)

// TestMain runs the tests, or, re-executed with PADDLES_TEST_MAIN=1, "paddles serve" itself: the
// outage tests run the server in a child process, to measure its memory apart from theirs.
func TestMain(m *testing.M) {
	if os.Getenv("PADDLES_TEST_MAIN") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	pgtest.Main(m, testserver.Migrated)
}

// publicURL is the address the test servers are told clients see.
const publicURL = testserver.PublicURL

// spec is the OpenAPI spec, as written.
var spec = testserver.Spec()

// serverOptions adjust a test server.
type serverOptions = testserver.Options

// client talks to one test server, over real HTTP, on a database of its own.
type client struct {
	t    testing.TB
	base string
	http *http.Client
	db   string // the database's URL, for checks that look past the API
}

// newServer starts the API on a fresh database and returns a client for it. Every response the
// client receives is checked against the OpenAPI spec (testserver.Transport), and a 5xx fails the
// test.
func newServer(t testing.TB, opts ...func(*serverOptions)) *client {
	t.Helper()
	var o serverOptions
	for _, f := range opts {
		f(&o)
	}
	s := testserver.Start(t, o)
	return &client{t: t, base: s.URL, db: s.DatabaseURL, http: testserver.Client(t)}
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
