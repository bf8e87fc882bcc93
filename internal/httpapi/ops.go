package httpapi

import (
	"context"
	"net/http"

	"github.com/labstack/echo-contrib/echoprometheus"
	"github.com/labstack/echo/v4"

	"github.com/ceph/paddles-go/gen/api"
	"github.com/ceph/paddles-go/internal/metrics"
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
