// Package httpapi serves the API over HTTP: it wires the generated Echo strict server to the
// service, and gives every path paddles' wire behaviour (trailing slashes, HEAD, JSON errors).
// Echo stays inside this package, so moving to another Echo major version touches nothing else.
package httpapi

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/ceph/paddles-go/gen/api"
	"github.com/ceph/paddles-go/internal/metrics"
	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/service"
)

// Config is what the HTTP layer needs to know.
type Config struct {
	// PublicURL is the server's address as clients see it, the base of every href.
	PublicURL string
	// JobLogHrefTemplate gives a job's log URL; {run_name} and {job_id} are replaced.
	JobLogHrefTemplate string
	// MaxBodyBytes bounds request bodies.
	MaxBodyBytes int64
	// RequestTimeout bounds the time a request's handler may take, its database work included
	// (0: no bound). Past it the work is cancelled and the request answers 503.
	RequestTimeout time.Duration
	// Now gives the time that "today" and "yesterday" are relative to; tests pin it.
	Now func() time.Time
	// CORSOrigins are the origins browsers may read answers from; empty (or "*") is any origin.
	CORSOrigins []string
	// WriteTokens, when any are set, are the bearer tokens every request but GET, HEAD and
	// OPTIONS must carry.
	WriteTokens []string
	// Metrics, when set, gets the HTTP metrics and is served on /metrics.
	Metrics *metrics.Metrics
	// Events, when set, streams events on /events/ (unset: /events/ answers 503).
	Events *service.Events
	// EventHeartbeat is how often an idle event stream gets a comment line (0: every 15 s).
	EventHeartbeat time.Duration
}

// DefaultJobLogHrefTemplate is upstream paddles' default.
const DefaultJobLogHrefTemplate = "http://qa-proxy.ceph.com/teuthology/{run_name}/{job_id}/teuthology.log"

// New returns the API's HTTP handler.
func New(cfg Config, svc *service.Service, log *slog.Logger) http.Handler {
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.JobLogHrefTemplate == "" {
		cfg.JobLogHrefTemplate = DefaultJobLogHrefTemplate
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(log)
	e.JSONSerializer = rawBodies{}
	e.Pre(normalizePath)
	e.Use(
		requestID,
		httpMetrics(cfg.Metrics),
		accessLog(log),
		middleware.RecoverWithConfig(middleware.RecoverConfig{
			LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
				log.ErrorContext(c.Request().Context(), "panic", "err", err, "stack", string(stack))
				return err
			},
		}),
		cors(cfg.CORSOrigins),
		requireWriteToken(cfg.WriteTokens),
		readJSONBody(cfg.MaxBodyBytes),
		deadline(cfg.RequestTimeout, "/events/"),
	)
	if cfg.Metrics != nil {
		// Not in the spec: Prometheus' text format is no JSON API (see the README).
		e.GET("/metrics/", echo.WrapHandler(cfg.Metrics.Handler()))
	}
	h := &handlers{svc: svc, cfg: cfg, logTemplate: parseHrefTemplate(cfg.JobLogHrefTemplate)}
	routes := &headRouter{Echo: e, get: map[string]route{}, head: map[string]bool{}, methods: map[string]map[string]bool{}}
	api.RegisterHandlers(routes, api.NewStrictHandler(h, []api.StrictMiddlewareFunc{h.conditional, h.filterPathsFirst}))
	routes.GET("/runs/*", h.nestedRunQuery)
	registerDocs(e, routes)
	routes.finish()
	return e
}

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[paddles.Code]int{
	paddles.Invalid:     http.StatusBadRequest,
	paddles.Conflict:    http.StatusBadRequest, // paddles' "already exists" answers, which teuthology keys on
	paddles.Forbidden:   http.StatusForbidden,
	paddles.NotFound:    http.StatusNotFound,
	paddles.TooLarge:    http.StatusRequestEntityTooLarge,
	paddles.Unavailable: http.StatusServiceUnavailable,
	paddles.Internal:    http.StatusInternalServerError,
}
