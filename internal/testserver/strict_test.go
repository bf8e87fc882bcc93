package testserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The strict check refuses keys the spec does not declare, also in allOf compositions, and keeps
// every declared key, from each part of a composition, and the free-form values open.
func TestStrictSchemas(t *testing.T) {
	json := http.Header{"Content-Type": {"application/json"}}
	paged := http.Header{"Content-Type": {"application/json"}, "X-Total-Count": {"1"}}
	for _, tc := range []struct {
		path    string
		header  http.Header
		body    string
		refused string // the undeclared key, or "" when the body passes
	}{
		{"/runs/", paged, `[{"name":"r","status":"empty"}]`, ""},
		{"/runs/", paged, `[{"name":"r","bogus":1}]`, "bogus"},
		{"/runs/", paged, `[{"name":"r","results":{"pass":1,"bogus":1}}]`, "bogus"},
		{"/runs/r/", json, strings.TrimSuffix(WholeRun, "}") + `,"jobs":[]}`, ""},
		{"/runs/r/", json, `{"name":"r","jobs":[],"bogus":1}`, "bogus"},
		{"/runs/r/", json, `{"name":"r","jobs":[{"job_id":"1","bogus":1}]}`, "bogus"},
		{"/runs/r/jobs/?fields=overrides", json, `[{"job_id":"1","overrides":{"ceph":{"any":"key"}}}]`, ""},
		{"/runs/branch/main/suite/rados/", paged, `[{"name":"r","bogus":1}]`, "bogus"},
		{"/openapi.json", json, `{"openapi":"3.0.3","info":{"title":"t","version":"1","x-any":1},"paths":{},"x-any":1}`, ""},
	} {
		err := ValidateResponse(httptest.NewRequest("GET", tc.path, nil), 200, tc.header, []byte(tc.body))
		switch {
		case tc.refused == "" && err != nil:
			t.Errorf("GET %s %s: %v", tc.path, tc.body, err)
		case tc.refused != "" && (err == nil || !strings.Contains(err.Error(), `property "`+tc.refused+`" is unsupported`)):
			t.Errorf("GET %s %s: %v, want %q refused", tc.path, tc.body, err, tc.refused)
		}
	}
}
