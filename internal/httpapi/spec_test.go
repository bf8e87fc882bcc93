package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/ceph/paddles-go/gen/api"
	"github.com/ceph/paddles-go/internal/testserver"
)

// The contract and the server agree: the spec is valid, and full objects carry exactly the keys
// the spec's schemas list, so no key goes undocumented and no documented key goes missing.
func TestSpecMatchesObjects(t *testing.T) {
	spec, err := api.GetSwagger()
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.Validate(context.Background()); err != nil {
		t.Fatalf("the spec is invalid: %v", err)
	}
	for _, op := range spec.Paths.Map() {
		for method, o := range op.Operations() {
			if o.OperationID == "" || o.Summary == "" || len(o.Tags) == 0 {
				t.Errorf("%s operation %q lacks an operationId, summary or tag", method, o.OperationID)
			}
		}
	}

	c := newServer(t)
	c.post("/runs/"+runName+"/jobs/", object{"job_id": "1"}).must(t, 200)
	schemaKeys := func(name string) string {
		var keys []string
		for k := range spec.Components.Schemas[name].Value.Properties {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return strings.Join(keys, " ")
	}
	objectKeys := func(o object) string {
		var keys []string
		for k := range o {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return strings.Join(keys, " ")
	}
	job := decode[object](t, c.get("/runs/"+runName+"/jobs/1/"))
	if got, want := objectKeys(job), schemaKeys("Job"); got != want {
		t.Errorf("job keys\n got %s\nwant %s", got, want)
	}
	run := decode[[]object](t, c.get("/runs/"))[0]
	if got, want := objectKeys(run), schemaKeys("Run"); got != want {
		t.Errorf("run keys\n got %s\nwant %s", got, want)
	}
}

// The validating transport catches what it should: each case is a response the server must never
// send.
func TestResponseValidationCatches(t *testing.T) {
	json := http.Header{"Content-Type": {"application/json"}}
	paged := http.Header{"Content-Type": {"application/json"}, "X-Total-Count": {"1"}}
	for _, tc := range []struct {
		method, path string
		status       int
		header       http.Header
		body         string
	}{
		{"GET", "/runs/", 200, paged, `[{"name":5}]`},                                 // a field's type
		{"GET", "/runs/", 201, paged, `[]`},                                           // an undeclared status
		{"GET", "/runs/", 200, paged, `[{"name":"r","bogus":1}]`},                     // an undeclared key
		{"GET", "/runs/r/", 200, json, `{"name":"r","jobs":[],"bogus":1}`},            // in an allOf (RunDetail)
		{"GET", "/runs/r/jobs/1/", 200, json, `{"job_id":"1","bogus":1}`},             // in a Job
		{"GET", "/runs", 200, paged, `[{"status":"bogus"}]`},                          // another spelling of the path
		{"GET", "//runs//r//jobs", 200, json, `[{"status":"pass"}]`},                  // job_id is required
		{"HEAD", "/runs/", 200, paged, `[]`},                                          // HEAD with a body
		{"HEAD", "/runs/r/jobs/", 201, json, ``},                                      // HEAD: GET's statuses
		{"HEAD", "/runs/r/jobs/1/", 418, nil, ``},                                     // HEAD declared in the spec
		{"GET", "/runs/branch/main/suite/rados/", 200, paged, `[{"status":"bogus"}]`}, // nested: a run status
		{"GET", "/runs/branch/main/suite/", 200, json, `[1]`},                         // nested: values are strings
		{"GET", "/nope/", 404, http.Header{"Content-Type": {"text/html"}}, `<h1>404</h1>`},
		{"PUT", "/runs/", 405, json, `{"error":"no"}`}, // outside the contract: the error object
		{"GET", "/openapi.json", 200, json, `{"openapi":"3.0.3"}`},
		{"GET", "/elsewhere/", 200, json, `{}`},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		if err := testserver.ValidateResponse(req, tc.status, tc.header, []byte(tc.body)); err == nil {
			t.Errorf("%s %s answering %d %s passed", tc.method, tc.path, tc.status, tc.body)
		}
	}
	// And lets correct answers through.
	req := httptest.NewRequest("HEAD", "/runs/r/jobs/", nil)
	if err := testserver.ValidateResponse(req, 200, json, nil); err != nil {
		t.Error(err)
	}
	req = httptest.NewRequest("GET", "/runs/branch/main/suite/rados/", nil)
	if err := testserver.ValidateResponse(req, 200, paged, []byte(`[`+testserver.WholeRun+`]`)); err != nil {
		t.Error(err)
	}
}
