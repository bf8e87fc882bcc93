package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"

	"github.com/ceph/paddles-go/internal/swaggerui"
)

// The served spec is the embedded one, with servers set to the public URL, in JSON and YAML.
func TestServedSpec(t *testing.T) {
	c := newServer(t)
	r := c.get("/openapi.json").must(t, 200)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	served, err := openapi3.NewLoader().LoadFromData(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := served.Validate(context.Background()); err != nil {
		t.Errorf("the served spec is invalid: %v", err)
	}
	if len(served.Servers) != 1 || served.Servers[0].URL != publicURL {
		t.Errorf("servers %+v, want the public URL %s", served.Servers, publicURL)
	}
	// It is api/openapi.yaml itself (operationIds included, which oapi-codegen capitalises in the
	// embedded spec unless told not to), bar the servers.
	source, err := openapi3.NewLoader().LoadFromFile("../../api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	source.Servers = served.Servers
	sj, _ := source.MarshalJSON()
	if !bytes.Equal(sj, r.Body) {
		t.Errorf("the served spec differs from api/openapi.yaml (operations %v, source %v)", operationIDs(served), operationIDs(source))
	}

	y := c.get("/openapi.yaml").must(t, 200)
	if ct := y.Header.Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("Content-Type %q", ct)
	}
	var fromJSON, fromYAML any
	if err := json.Unmarshal(r.Body, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(y.Body, &fromYAML); err != nil {
		t.Fatal(err)
	}
	// YAML decodes integers as int, JSON as float64: compare through JSON.
	yj, _ := json.Marshal(fromYAML)
	var fromYAMLviaJSON any
	json.Unmarshal(yj, &fromYAMLviaJSON)
	if !reflect.DeepEqual(fromJSON, fromYAMLviaJSON) {
		t.Errorf("openapi.yaml and openapi.json differ")
	}
	if bytes.HasPrefix(bytes.TrimSpace(y.Body), []byte("{")) {
		t.Errorf("openapi.yaml is flow-style:\n%.200s", y.Body)
	}

	// Files keep their names: no trailing slash is added, repeated slashes still merge, HEAD
	// works, other methods answer 405.
	c.get("//openapi.json").must(t, 200)
	if h := c.head("/openapi.yaml").must(t, 200); len(h.Body) != 0 {
		t.Error("HEAD sent a body")
	}
	c.get("/openapi.json/").wantError(t, 404, "resource was not found: /openapi.json/")
	c.post("/openapi.json", `{}`).wantError(t, 405, "method POST is not allowed on /openapi.json")
}

func operationIDs(spec *openapi3.T) []string {
	var ids []string
	for _, item := range spec.Paths.Map() {
		for _, op := range item.Operations() {
			ids = append(ids, op.OperationID)
		}
	}
	sort.Strings(ids)
	return ids
}

// /docs/ serves Swagger UI from the binary; / sends browsers there and API clients {}.
func TestDocsPage(t *testing.T) {
	c := newServer(t)
	c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	page := c.get("/docs/").must(t, 200)
	if ct := page.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	for _, ref := range []string{`src="swagger-ui-bundle.js"`, `src="paddles-docs.js"`, `href="swagger-ui.css"`} {
		if !bytes.Contains(page.Body, []byte(ref)) {
			t.Errorf("the page lacks %s", ref)
		}
	}
	for _, name := range []string{"index.html", "paddles-docs.js"} {
		if b := swaggerui.Files()[name]; bytes.Contains(b, []byte("http://")) || bytes.Contains(b, []byte("https://")) {
			t.Errorf("%s refers to another site", name)
		}
	}
	r := c.get("/docs").must(t, 301)
	if loc := r.Header.Get("Location"); loc != "docs/" {
		t.Errorf("/docs redirects to %q", loc)
	}

	// Every embedded file is served; large ones gzipped when the client accepts it, with ETags.
	files := swaggerui.Files()
	for _, name := range swaggerui.Names() {
		plain := c.do("GET", "/docs/"+name, nil, "Accept-Encoding", "identity").must(t, 200)
		if !bytes.Equal(plain.Body, files[name]) {
			t.Errorf("/docs/%s: served %d bytes, embedded %d", name, len(plain.Body), len(files[name]))
		}
		if plain.Header.Get("ETag") == "" {
			t.Errorf("/docs/%s has no ETag", name)
		}
	}
	gz := c.do("GET", "/docs/swagger-ui-bundle.js", nil, "Accept-Encoding", "gzip, br").must(t, 200)
	if gz.Header.Get("Content-Encoding") != "gzip" || gz.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Fatalf("headers %v", gz.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz.Body))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if !bytes.Equal(unzipped, files["swagger-ui-bundle.js"]) {
		t.Error("the gzipped bundle differs from the embedded one")
	}
	t.Logf("swagger-ui-bundle.js: %d bytes, %d gzipped", len(unzipped), len(gz.Body))
	c.do("GET", "/docs/swagger-ui-bundle.js", nil, "Accept-Encoding", "gzip", "If-None-Match", gz.Header.Get("ETag")).must(t, 304)
	c.head("/docs/swagger-ui.css").must(t, 200)
	c.get("/docs/nope.js").wantError(t, 404, "resource was not found: /docs/nope.js")

	// A browser asking for / is sent to the docs; API clients keep getting upstream's {}.
	browser := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	r = c.do("GET", "/", nil, "Accept", browser).must(t, 302)
	if loc := r.Header.Get("Location"); loc != "docs/" {
		t.Errorf("/ redirects to %q", loc)
	}
	c.do("HEAD", "/", nil, "Accept", browser).must(t, 302)
	for _, accept := range []string{"", "*/*", "application/json", "text/html;q=0, */*"} {
		r := c.do("GET", "/", nil, "Accept", accept).must(t, 200)
		if string(r.Body) != "{}" || !strings.Contains(strings.Join(r.Header.Values("Vary"), ","), "Accept") {
			t.Errorf("Accept %q: %s, Vary %q", accept, r.Body, r.Header.Values("Vary"))
		}
	}
}
