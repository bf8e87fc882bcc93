package httpapi

// The contract as a product: the spec the server was generated from, served at /openapi.json and
// /openapi.yaml with its servers set to the public URL; Swagger UI at /docs/, from files embedded
// in the binary; and / redirecting browsers there.

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"go.yaml.in/yaml/v3"

	"github.com/ceph/paddles-go/gen/api"
	"github.com/ceph/paddles-go/internal/swaggerui"
)

// servedAsIs reports whether the canonical form of path p is p itself: the spec documents and the
// documentation page's files are files, not API paths, so normalizePath adds no trailing slash to
// them. (/docs itself is redirected to /docs/, so that the page's relative URLs resolve.)
func servedAsIs(p string) bool {
	return p == "/openapi.json" || p == "/openapi.yaml" || p == "/docs" || strings.HasPrefix(p, "/docs/")
}

// registerDocs adds the documentation routes, and the redirect of browsers from / to /docs/.
func registerDocs(e *echo.Echo, routes *headRouter) {
	e.Use(browsersToDocs)
	routes.GET("/docs", func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, "docs/") })
	routes.GET("/docs/*", serveDocsFile)
}

// browsersToDocs redirects a request for / whose Accept header names text/html (a browser) to the
// documentation; API clients (Accept */*, application/json or none) keep getting upstream's {}.
func browsersToDocs(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.URL.Path != "/" || (req.Method != http.MethodGet && req.Method != http.MethodHead) {
			return next(c)
		}
		c.Response().Header().Add(echo.HeaderVary, "Accept")
		if accepts(req.Header.Values(echo.HeaderAccept), "text/html") {
			return c.Redirect(http.StatusFound, "docs/")
		}
		return next(c)
	}
}

// accepts reports whether the values of an Accept or Accept-Encoding header name want with a
// non-zero quality.
func accepts(values []string, want string) bool {
	for _, v := range values {
		for _, r := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(r, ";")
			if !strings.EqualFold(strings.TrimSpace(name), want) {
				continue
			}
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); ok && strings.EqualFold(strings.TrimSpace(k), "q") && err == nil {
					q = f
				}
			}
			if q > 0 {
				return true
			}
		}
	}
	return false
}

// servedSpec is the spec as this server serves it.
type servedSpec struct {
	json, yaml []byte
	err        error
}

// servedSpecs caches the served spec by public URL (a process has one or a few).
var servedSpecs sync.Map

// specFor returns the spec with its servers set to publicURL (none when empty: clients then use
// the URL they fetched it from, as OpenAPI says).
func specFor(publicURL string) *servedSpec {
	if s, ok := servedSpecs.Load(publicURL); ok {
		return s.(*servedSpec)
	}
	s := &servedSpec{}
	s.json, s.yaml, s.err = buildSpec(publicURL)
	actual, _ := servedSpecs.LoadOrStore(publicURL, s)
	return actual.(*servedSpec)
}

func buildSpec(publicURL string) (jsonDoc, yamlDoc []byte, err error) {
	// The embedded spec's JSON is edited as plain JSON, not loaded with kin-openapi: the loader
	// would add 1.3 MB to the binary for this one use.
	raw, err := api.GetSpecJSON()
	if err != nil {
		return nil, nil, err
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var doc map[string]any
	if err := d.Decode(&doc); err != nil {
		return nil, nil, err
	}
	delete(doc, "servers")
	if publicURL != "" {
		doc["servers"] = []map[string]string{{"url": publicURL, "description": "this server"}}
	}
	if jsonDoc, err = json.Marshal(doc); err != nil {
		return nil, nil, err
	}
	yamlDoc, err = jsonToYAML(jsonDoc)
	return jsonDoc, yamlDoc, err
}

// jsonToYAML re-encodes a JSON document as block-style YAML, keeping its key order.
func jsonToYAML(j []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(j, &doc); err != nil {
		return nil, err
	}
	var plain func(n *yaml.Node)
	plain = func(n *yaml.Node) {
		n.Style = 0 // block collections; scalars quoted only where YAML needs it
		for _, c := range n.Content {
			plain(c)
		}
	}
	plain(&doc)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (h *handlers) GetSpecJson(context.Context, api.GetSpecJsonRequestObject) (api.GetSpecJsonResponseObject, error) {
	s := specFor(h.cfg.PublicURL)
	return specDocument{s.json, echo.MIMEApplicationJSON}, s.err
}

func (h *handlers) GetSpecYaml(context.Context, api.GetSpecYamlRequestObject) (api.GetSpecYamlResponseObject, error) {
	s := specFor(h.cfg.PublicURL)
	return specDocument{s.yaml, "application/yaml"}, s.err
}

// specDocument answers with one form of the spec.
type specDocument struct {
	body        []byte
	contentType string
}

func (d specDocument) write(w http.ResponseWriter) error {
	w.Header().Set(echo.HeaderContentType, d.contentType)
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(d.body)
	return err
}

func (d specDocument) VisitGetSpecJsonResponse(w http.ResponseWriter) error { return d.write(w) }
func (d specDocument) VisitGetSpecYamlResponse(w http.ResponseWriter) error { return d.write(w) }

// docsFile is one file of the documentation page, ready to serve plain or gzipped.
type docsFile struct {
	contentType string
	raw, gz     []byte
	etag        string
}

// docsFiles are read and compressed on first use, not at start-up.
var docsFiles = sync.OnceValue(func() map[string]*docsFile {
	files := map[string]*docsFile{}
	for name, raw := range swaggerui.Files() {
		f := &docsFile{contentType: contentTypeOf(name), raw: raw}
		sum := sha256.Sum256(raw)
		f.etag = `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
		if len(raw) > 1024 && !strings.HasPrefix(f.contentType, "image/") {
			var b bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
			zw.Write(raw)
			zw.Close()
			f.gz = b.Bytes()
		}
		files[name] = f
	}
	return files
})

func contentTypeOf(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".json":
		return "application/json"
	case ".png":
		return "image/png"
	}
	return "text/plain; charset=utf-8" // LICENSE, NOTICE, *.txt
}

// serveDocsFile answers GET /docs/{file}: /docs/ is the page itself.
func serveDocsFile(c echo.Context) error {
	req := c.Request()
	name := strings.TrimPrefix(req.URL.Path, "/docs/")
	if name == "" {
		name = "index.html"
	}
	f, ok := docsFiles()[name]
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, f.contentType)
	// Revalidated on every use (a 304 is cheap), so a new binary's page shows at once.
	h.Set("Cache-Control", "no-cache")
	body, etag := f.raw, f.etag
	if f.gz != nil {
		h.Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
		if accepts(req.Header.Values(echo.HeaderAcceptEncoding), "gzip") {
			body, etag = f.gz, strings.TrimSuffix(f.etag, `"`)+`-gzip"`
			h.Set(echo.HeaderContentEncoding, "gzip")
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(c.Response(), req, "", time.Time{}, bytes.NewReader(body))
	return nil
}
