package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/labstack/echo-contrib/echoprometheus"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/ceph/paddles-go/gen/api"
	"github.com/ceph/paddles-go/internal/metrics"
	"github.com/ceph/paddles-go/internal/paddles"
)

// The probes (spec tag "ops").

func (h *handlers) GetHealthz(context.Context, api.GetHealthzRequestObject) (api.GetHealthzResponseObject, error) {
	return jsonBody(`{"status":"ok"}`), nil
}

func (h *handlers) GetReadyz(ctx context.Context, _ api.GetReadyzRequestObject) (api.GetReadyzResponseObject, error) {
	if err := h.svc.Ready(ctx); err != nil {
		return nil, err // Unavailable: 503 with the reason
	}
	return jsonBody(`{"status":"ok"}`), nil
}

func (b jsonBody) VisitGetHealthzResponse(w http.ResponseWriter) error { return b.write(w) }
func (b jsonBody) VisitGetReadyzResponse(w http.ResponseWriter) error  { return b.write(w) }

// requestID gives every request an id, echoed in X-Request-Id and logged on its access line. A
// client's own id is kept when it looks like one (at most 128 visible ASCII characters), so a
// request can be followed from teuthology or a proxy into these logs; anything else is replaced.
func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !validRequestID(id) {
			id = newRequestID()
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		// The id goes down to the service as a domain value, for what it records (the lock trail).
		c.SetRequest(c.Request().WithContext(paddles.WithRequestID(c.Request().Context(), paddles.RequestID(id))))
		return next(c)
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// cors answers as upstream paddles by default: any origin may read, with the methods GET, HEAD
// and OPTIONS and the request headers origin, authorization and accept. With the default origin
// "*", Access-Control-Allow-Origin is sent on every answer, as upstream did, not only to requests
// carrying an Origin header. Given origins (exact, or with "*" wildcards such as
// https://*.example.com), only those get the header, and answers vary on Origin. Listings'
// totals are exposed to the page (pulpito-ng pages with them).
func cors(origins []string) echo.MiddlewareFunc {
	allowAll := len(origins) == 0
	for _, o := range origins {
		if o == "*" {
			allowAll = true
		}
	}
	if allowAll {
		origins = []string{"*"}
	}
	mw := middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins:  origins,
		AllowMethods:  []string{http.MethodGet, http.MethodHead, http.MethodOptions},
		AllowHeaders:  []string{echo.HeaderOrigin, echo.HeaderAuthorization, echo.HeaderAccept, "If-None-Match"},
		ExposeHeaders: []string{"X-Total-Count", "X-Total-Count-Exact", "ETag"},
	})
	if !allowAll {
		return mw
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		h := mw(next)
		return func(c echo.Context) error {
			c.Response().Header().Set(echo.HeaderAccessControlAllowOrigin, "*")
			return h(c)
		}
	}
}

// requireWriteToken guards every request but GET, HEAD and OPTIONS with tokens, when any are
// configured: "Authorization: Bearer <token>", or Basic credentials whose password is the token
// (the user is ignored), which python-requests, and so teuthology, sends by itself from a
// ~/.netrc entry. No credentials answer 401 (with WWW-Authenticate), an unknown token 403.
// Tokens are compared through their SHA-256 sums in constant time, every configured token each
// time, so the answer's timing tells nothing about them.
// readsByPost are the routes that read with POST (the queue is named in a JSON body, as
// teuthology's queue client sends it): like every read, they need no token.
var readsByPost = map[string]bool{"/queue/stats/": true, "/queue/queued_jobs/": true}

func requireWriteToken(tokens []string) echo.MiddlewareFunc {
	var sums [][sha256.Size]byte
	for _, t := range tokens {
		if t != "" {
			sums = append(sums, sha256.Sum256([]byte(t)))
		}
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if len(sums) == 0 {
			return next
		}
		return func(c echo.Context) error {
			switch c.Request().Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
				return next(c)
			}
			if readsByPost[c.Path()] {
				return next(c)
			}
			token, ok := presentedToken(c.Request())
			if !ok {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="paddles"`)
				c.Response().Header().Add(echo.HeaderWWWAuthenticate, `Basic realm="paddles"`)
				return echo.NewHTTPError(http.StatusUnauthorized, "this server requires a write token: send Authorization: Bearer <token>")
			}
			sum := sha256.Sum256([]byte(token))
			match := 0
			for i := range sums {
				match |= subtle.ConstantTimeCompare(sum[:], sums[i][:])
			}
			if match != 1 {
				return echo.NewHTTPError(http.StatusForbidden, "the write token is not valid")
			}
			return next(c)
		}
	}
}

// presentedToken returns the token of a Bearer header, or the password of Basic credentials.
func presentedToken(req *http.Request) (string, bool) {
	if _, password, ok := req.BasicAuth(); ok {
		return password, password != ""
	}
	scheme, token, _ := strings.Cut(req.Header.Get(echo.HeaderAuthorization), " ")
	token = strings.TrimSpace(token)
	return token, strings.EqualFold(scheme, "Bearer") && token != ""
}

// httpMetrics counts requests and times them in m, labelled by status code, method and route
// template (the "url" label: /runs/:name/, never the raw path; "unmatched" for unknown paths). The
// "host" label of echoprometheus is left empty: a client-chosen Host header would make the
// number of series unbounded. It must run outside the access log, which writes errors out, so that
// it sees the status the client got.
func httpMetrics(m *metrics.Metrics) echo.MiddlewareFunc {
	if m == nil {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	return echoprometheus.NewMiddlewareWithConfig(echoprometheus.MiddlewareConfig{
		Namespace:  metrics.Namespace,
		Subsystem:  "http",
		Registerer: m.Registry,
		LabelFuncs: map[string]echoprometheus.LabelValueFunc{
			"host": func(echo.Context, error) string { return "" },
			"url": func(c echo.Context, _ error) string {
				if c.Path() == "" {
					return "unmatched"
				}
				return c.Path()
			},
		},
	})
}
