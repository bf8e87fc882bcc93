package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/ceph/paddles-go/gen/api"
	"github.com/ceph/paddles-go/internal/paddles"
)

// normalizePath gives every path its canonical form before routing: repeated slashes merged
// (teuthology builds "//runs/..." from a results_server ending in "/") and a trailing slash
// added. The request is rewritten, not redirected, so POST and PUT keep their bodies.
func normalizePath(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := c.Request().URL
		u.Path = canonicalPath(u.Path)
		if u.RawPath != "" {
			u.RawPath = canonicalPath(u.RawPath)
		}
		return next(c)
	}
}

func canonicalPath(p string) string {
	for strings.Contains(p, "//") {
		p = strings.ReplaceAll(p, "//", "/")
	}
	if !strings.HasSuffix(p, "/") && !servedAsIs(p) {
		p += "/"
	}
	return p
}

// readJSONBody reads request bodies up front: past the size limit they answer 413, and bodies that
// are not UTF-8 JSON answer 400 with paddles' message. Bodies are parsed as JSON whatever their
// Content-Type, as upstream did (teuthology sends some without one). Only POST and PUT take a body
// in the contract; the body of any other method (a DELETE, say) is ignored, not checked, since
// those operations have no 400 or 413 answer.
func readJSONBody(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.Body == nil || req.Body == http.NoBody || (req.Method != http.MethodPost && req.Method != http.MethodPut) {
				return next(c)
			}
			body, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, limit))
			var tooLarge *http.MaxBytesError
			switch {
			case errors.As(err, &tooLarge):
				return paddles.Errorf(paddles.TooLarge, "request body too large (limit %d bytes)", limit)
			case err != nil:
				return paddles.Errorf(paddles.Invalid, "could not read the request body: %v", err)
			case len(body) > 0 && !utf8.Valid(body):
				return paddles.Errorf(paddles.Invalid, "could not decode JSON body: not valid UTF-8")
			case len(body) > 0 && !json.Valid(body):
				return paddles.Errorf(paddles.Invalid, "could not decode JSON body")
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
			req.ContentLength = int64(len(body))
			req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
			return next(c)
		}
	}
}

// rawBodies is Echo's JSON serializer, except that a body bound to a json.RawMessage (a job's,
// which paddles.ParseJobPatch reads) is taken as it is, since readJSONBody has checked it: Echo's
// own binding decoded every job body once more only to copy it.
type rawBodies struct{ echo.DefaultJSONSerializer }

func (s rawBodies) Deserialize(c echo.Context, i any) error {
	raw, ok := i.(*json.RawMessage)
	if !ok {
		return s.DefaultJSONSerializer.Deserialize(c, i)
	}
	b, err := io.ReadAll(c.Request().Body)
	*raw = b
	return err
}

// deadline gives each request's handler, once the body is read, at most d (0: no bound). Past it
// the database work is cancelled and the request answers 503 "please retry". Without it a hung
// database (a frozen server, a network partition) held every request, and its client, for as long
// as the database hung: the pool's connections all wait on their queries, and new requests wait
// for a connection. Streams (the paths in streams) last as long as their clients stay.
func deadline(d time.Duration, streams ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if d <= 0 {
			return next
		}
		return func(c echo.Context) error {
			if slices.Contains(streams, c.Request().URL.Path) {
				return next(c)
			}
			ctx, cancel := context.WithTimeout(c.Request().Context(), d)
			defer cancel()
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
}

// headRouter answers HEAD wherever GET is answered: the spec declares HEAD where clients rely on
// it (and where it is cheaper than GET); every other GET route also gets a HEAD route that runs
// it, and net/http drops the body. It also keeps static paths such as /nodes/lock_many/ from
// falling through to a parameter route (/nodes/{node}/) for methods they do not support: those
// answer 405.
type headRouter struct {
	*echo.Echo
	get     map[string]route
	head    map[string]bool
	methods map[string]map[string]bool // static path -> methods routed
}

func (r *headRouter) POST(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) *echo.Route {
	r.note(http.MethodPost, path)
	return r.Echo.POST(path, h, mw...)
}

func (r *headRouter) PUT(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) *echo.Route {
	r.note(http.MethodPut, path)
	return r.Echo.PUT(path, h, mw...)
}

func (r *headRouter) DELETE(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) *echo.Route {
	r.note(http.MethodDelete, path)
	return r.Echo.DELETE(path, h, mw...)
}

func (r *headRouter) note(method, path string) {
	if strings.ContainsAny(path, ":*") {
		return
	}
	if r.methods[path] == nil {
		r.methods[path] = map[string]bool{}
	}
	r.methods[path][method] = true
}

type route struct {
	h  echo.HandlerFunc
	mw []echo.MiddlewareFunc
}

func (r *headRouter) GET(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) *echo.Route {
	r.get[path] = route{h, mw}
	r.note(http.MethodGet, path)
	return r.Echo.GET(path, h, mw...)
}

func (r *headRouter) HEAD(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) *echo.Route {
	r.head[path] = true
	r.note(http.MethodHead, path)
	return r.Echo.HEAD(path, h, mw...)
}

// finish adds the HEAD routes and the 405 answers described above.
func (r *headRouter) finish() {
	for path, g := range r.get {
		if !r.head[path] {
			r.Echo.HEAD(path, g.h, g.mw...)
			r.note(http.MethodHead, path)
		}
	}
	notAllowed := func(echo.Context) error { return echo.ErrMethodNotAllowed }
	for path, routed := range r.methods {
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
			if !routed[m] {
				r.Echo.Add(m, path, notAllowed)
			}
		}
	}
}

// errorHandler answers every error with paddles' JSON body {"message": ...}.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status, msg := describe(err, c.Request())
		var coded *paddles.Error
		isCoded := errors.As(err, &coded)
		if status == http.StatusInternalServerError || (isCoded && coded.Err != nil) {
			// A failure whose cause is logged once for all (the database went away) is logged
			// with its request at debug level only: an outage under load is not a line a request.
			level := slog.LevelError
			if isCoded && coded.Logged && status != http.StatusInternalServerError {
				level = slog.LevelDebug
			}
			log.Log(c.Request().Context(), level, "request failed", "method", c.Request().Method,
				"path", c.Request().URL.Path, "status", status, "err", err,
				"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
		}
		if isCoded && coded.RetryAfter > 0 {
			c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(coded.RetryAfter.Seconds()))))
		}
		body, _ := json.Marshal(api.ErrorMessage{Message: msg})
		if werr := c.Blob(status, echo.MIMEApplicationJSON, body); werr != nil {
			log.DebugContext(c.Request().Context(), "writing an error response", "err", werr)
		}
	}
}

// describe maps an error to a status and a message for the client.
func describe(err error, req *http.Request) (int, string) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return he.Code, fmt.Sprintf("resource was not found: %s", req.URL.Path)
		case http.StatusMethodNotAllowed:
			return he.Code, fmt.Sprintf("method %s is not allowed on %s", req.Method, req.URL.Path)
		}
		if msg, ok := he.Message.(string); ok && he.Code < 500 {
			return he.Code, msg
		}
		return he.Code, http.StatusText(he.Code)
	}
	code := paddles.ErrorCode(err)
	return statusOf[code], paddles.ErrorMessage(err)
}

// accessLog writes one line per request.
func accessLog(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			req, res := c.Request(), c.Response()
			log.LogAttrs(req.Context(), slog.LevelInfo, "request",
				slog.String("method", req.Method),
				slog.String("path", req.URL.RequestURI()),
				slog.Int("status", res.Status),
				slog.Int64("bytes", res.Size),
				slog.Duration("duration", time.Since(start)),
				slog.String("remote", c.RealIP()),
				slog.String("request_id", res.Header().Get(echo.HeaderXRequestID)),
			)
			return nil
		}
	}
}
