package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/ceph/paddles-go/gen/api"
	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/service"
)

// Run filters: the spec's operations cover the depths clients use; every filter path, nested to
// any depth, goes through runQuery, so all forms answer alike.

// answer is a response ready to be written, and its entity tag (conditional.go).
type answer interface {
	write(http.ResponseWriter) error
	tagged
}

// runQuery answers a filter path given as segments after /runs/.
func (h *handlers) runQuery(ctx context.Context, segments []string, page service.Page, since *string) (answer, error) {
	q, err := paddles.ParseRunQuery(segments, h.cfg.Now())
	if err != nil {
		return nil, err
	}
	if q.Values != "" {
		values, err := h.svc.RunValues(ctx, q.Filter, q.Values, page)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(values)
		return jsonBody(b), err
	}
	if since != nil {
		day, err := paddles.ParseDay(*since, h.cfg.Now())
		if err != nil {
			return nil, err
		}
		q.Filter.Since(day)
	}
	runs, err := h.svc.FilterRuns(ctx, q.Filter, page, q.Range)
	if err != nil {
		return nil, err
	}
	return h.runPage(runs, nil), nil
}

// nestedRunQuery serves the filter paths deeper than the spec spells out (GET /runs/*).
func (h *handlers) nestedRunQuery(c echo.Context) error {
	path := strings.Trim(strings.TrimPrefix(c.Request().URL.EscapedPath(), "/runs/"), "/")
	var segments []string
	for _, s := range strings.Split(path, "/") {
		seg, err := url.PathUnescape(s)
		if err != nil {
			return paddles.Errorf(paddles.Invalid, "invalid path segment %q", s)
		}
		segments = append(segments, seg)
	}
	if !paddles.IsRunFilter(segments[0]) {
		// Not a filter path at all, e.g. /runs/{name}/jobs/{id}/extra/.
		return echo.ErrNotFound
	}
	var page service.Page
	for name, p := range map[string]**int{"count": &page.Count, "page": &page.Page} {
		if v := c.QueryParam(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return paddles.Errorf(paddles.Invalid, "%s must be an integer, not %q", name, v)
			}
			*p = &n
		}
	}
	var since *string
	if v := c.QueryParam("since"); v != "" {
		since = &v
	}
	a, err := h.runQuery(c.Request().Context(), segments, page, since)
	if err != nil {
		return err
	}
	return writeConditional(c, a)
}

func (h *handlers) valueList(ctx context.Context, key string, count, page *int) (answer, error) {
	return h.runQuery(ctx, []string{key}, service.Page{Count: count, Page: page}, nil)
}

func (h *handlers) ListRunBranches(ctx context.Context, req api.ListRunBranchesRequestObject) (api.ListRunBranchesResponseObject, error) {
	a, err := h.valueList(ctx, "branch", req.Params.Count, req.Params.Page)
	return valuesAnswer{a}, err
}

func (h *handlers) ListRunSuites(ctx context.Context, req api.ListRunSuitesRequestObject) (api.ListRunSuitesResponseObject, error) {
	a, err := h.valueList(ctx, "suite", req.Params.Count, req.Params.Page)
	return valuesAnswer{a}, err
}

func (h *handlers) ListRunMachineTypes(ctx context.Context, req api.ListRunMachineTypesRequestObject) (api.ListRunMachineTypesResponseObject, error) {
	a, err := h.valueList(ctx, "machine_type", req.Params.Count, req.Params.Page)
	return valuesAnswer{a}, err
}

func (h *handlers) ListRunStatuses(ctx context.Context, req api.ListRunStatusesRequestObject) (api.ListRunStatusesResponseObject, error) {
	a, err := h.valueList(ctx, "status", req.Params.Count, req.Params.Page)
	return valuesAnswer{a}, err
}

func (h *handlers) ListRunUsers(ctx context.Context, req api.ListRunUsersRequestObject) (api.ListRunUsersResponseObject, error) {
	a, err := h.valueList(ctx, "user", req.Params.Count, req.Params.Page)
	return valuesAnswer{a}, err
}

func (h *handlers) ListRunShas(ctx context.Context, req api.ListRunShasRequestObject) (api.ListRunShasResponseObject, error) {
	a, err := h.valueList(ctx, "sha1", req.Params.Count, req.Params.Page)
	return valuesAnswer{a}, err
}

func (h *handlers) ListRunFlavors(ctx context.Context, req api.ListRunFlavorsRequestObject) (api.ListRunFlavorsResponseObject, error) {
	a, err := h.valueList(ctx, "flavors", req.Params.Count, req.Params.Page)
	return valuesAnswer{a}, err
}

func (h *handlers) ListRunTags(ctx context.Context, req api.ListRunTagsRequestObject) (api.ListRunTagsResponseObject, error) {
	a, err := h.valueList(ctx, "tag", req.Params.Count, req.Params.Page)
	return valuesAnswer{a}, err
}

func (h *handlers) ListRunDates(ctx context.Context, req api.ListRunDatesRequestObject) (api.ListRunDatesResponseObject, error) {
	a, err := h.valueList(ctx, "date", req.Params.Count, req.Params.Page)
	return valuesAnswer{a}, err
}

func (h *handlers) FilterRuns(ctx context.Context, req api.FilterRunsRequestObject) (api.FilterRunsResponseObject, error) {
	p := req.Params
	a, err := h.runQuery(ctx, []string{string(req.Field), req.Value}, service.Page{Count: p.Count, Page: p.Page}, p.Since)
	return valuesAnswer{a}, err
}

func (h *handlers) ListRunsBetween(ctx context.Context, req api.ListRunsBetweenRequestObject) (api.ListRunsBetweenResponseObject, error) {
	p := req.Params
	a, err := h.runQuery(ctx, []string{"date", "from", req.From, "to", req.To}, service.Page{Count: p.Count, Page: p.Page}, nil)
	return valuesAnswer{a}, err
}

func (h *handlers) ListQueuedRuns(ctx context.Context, req api.ListQueuedRunsRequestObject) (api.ListQueuedRunsResponseObject, error) {
	page, err := h.svc.QueuedRuns(ctx, service.Page{Count: req.Params.Count, Page: req.Params.Page})
	if err != nil {
		return nil, err
	}
	return h.runPage(page, nil), nil
}

// valuesAnswer lets one answer serve as the response of every filter operation.
type valuesAnswer struct{ answer }

func (a valuesAnswer) VisitListRunBranchesResponse(w http.ResponseWriter) error { return a.write(w) }
func (a valuesAnswer) VisitListRunSuitesResponse(w http.ResponseWriter) error   { return a.write(w) }
func (a valuesAnswer) VisitListRunMachineTypesResponse(w http.ResponseWriter) error {
	return a.write(w)
}
func (a valuesAnswer) VisitListRunStatusesResponse(w http.ResponseWriter) error { return a.write(w) }
func (a valuesAnswer) VisitListRunUsersResponse(w http.ResponseWriter) error    { return a.write(w) }
func (a valuesAnswer) VisitListRunShasResponse(w http.ResponseWriter) error     { return a.write(w) }
func (a valuesAnswer) VisitListRunFlavorsResponse(w http.ResponseWriter) error  { return a.write(w) }
func (a valuesAnswer) VisitListRunDatesResponse(w http.ResponseWriter) error    { return a.write(w) }
func (a valuesAnswer) VisitListRunTagsResponse(w http.ResponseWriter) error     { return a.write(w) }
func (a valuesAnswer) VisitFilterRunsResponse(w http.ResponseWriter) error      { return a.write(w) }
func (a valuesAnswer) VisitListRunsBetweenResponse(w http.ResponseWriter) error { return a.write(w) }
