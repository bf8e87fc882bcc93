package httpapi

import (
	"context"
	"net/http"

	"github.com/ceph/paddles-go/gen/api"
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
