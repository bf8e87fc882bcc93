package httpapi_test

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// The server enforces what the spec declares about query parameters, and accepts what it
// documents. For every GET operation of the spec: the documented examples of its parameters are
// answered 200 (or 404, when they name something this test did not create); a value that breaks one parameter's schema (a non-integer, a number below its
// minimum, a value outside its enum or pattern) is answered 400 with the JSON error object. The
// checks are the server's own, with upstream's messages (see README, "Request validation").
func TestQueryParametersAsSpecified(t *testing.T) {
	c := newServer(t)
	c.post("/runs/"+runName+"/jobs/", object{"job_id": "1", "status": "running", "branch": "main", "suite": "rados",
		"targets": object{"ubuntu@smithi001.front.sepia.ceph.com": "ssh-ed25519 AAAA"}}).must(t, 200)
	c.post("/queue/", object{"queue": "smithi"}).must(t, 200)

	checked := 0
	for _, path := range sortedPaths(spec) {
		item := spec.Paths.Value(path)
		op := item.Get
		if op == nil || op.OperationID == "streamEvents" { // a stream does not end: events_test.go
			continue
		}
		params := append(openapi3.Parameters{}, item.Parameters...)
		params = append(params, op.Parameters...)
		target := path
		query := url.Values{}
		for _, p := range params {
			v := exampleOf(p.Value)
			switch p.Value.In {
			case "path":
				if v == "" {
					v = "x"
				}
				target = strings.ReplaceAll(target, "{"+p.Value.Name+"}", url.PathEscape(v))
			case "query":
				if v != "" {
					query.Set(p.Value.Name, v)
				}
			}
		}
		switch r := c.get(target + "?" + query.Encode()); r.Status {
		case 200:
		case 404:
			// The example names nothing this test created: the parameters' checks may come
			// after the lookup, so they cannot be tested here.
			t.Logf("%s: %s answered 404; its query parameters are not checked", op.OperationID, target)
			continue
		default:
			t.Errorf("%s: the documented examples answered %d: %s", op.OperationID, r.Status, r.Body)
			continue
		}

		for _, p := range params {
			if p.Value.In != "query" {
				continue
			}
			for _, bad := range violations(p.Value.Schema.Value) {
				q := url.Values{}
				for k, v := range query {
					q[k] = v
				}
				q.Set(p.Value.Name, bad)
				r := c.get(target + "?" + q.Encode())
				if r.Status != 400 {
					t.Errorf("%s: %s=%q answered %d, want 400 (%s)", op.OperationID, p.Value.Name, bad, r.Status, r.Body)
				}
				checked++
			}
		}
	}
	t.Logf("%d invalid query values answered 400", checked)
}

func sortedPaths(spec *openapi3.T) []string {
	var paths []string
	for p := range spec.Paths.Map() {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// exampleOf gives a parameter's documented example, or its schema's.
func exampleOf(p *openapi3.Parameter) string {
	for _, ex := range []any{p.Example, p.Schema.Value.Example} {
		if ex != nil {
			return fmt.Sprint(ex)
		}
	}
	return ""
}

// violations returns values that break a parameter's schema, each checked against it.
func violations(s *openapi3.Schema) []string {
	var out []string
	if s.Type.Is("integer") {
		out = append(out, "x", "1.5")
		if s.Min != nil {
			out = append(out, fmt.Sprint(int(*s.Min)-1))
		}
	}
	if len(s.Enum) > 0 || s.Pattern != "" {
		out = append(out, "not-a-value")
	}
	for _, v := range out {
		var value any = v
		if s.Type.Is("integer") {
			var n float64
			if _, err := fmt.Sscan(v, &n); err == nil {
				value = n
			}
		}
		if s.VisitJSON(value) == nil {
			panic(fmt.Sprintf("%q is valid for the schema", v))
		}
	}
	return out
}
