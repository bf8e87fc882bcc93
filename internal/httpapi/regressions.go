package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/ceph/paddles-go/gen/api"
	"github.com/ceph/paddles-go/internal/paddles"
)

func (h *handlers) GetRunRegressions(ctx context.Context, req api.GetRunRegressionsRequestObject) (api.GetRunRegressionsResponseObject, error) {
	r, err := h.svc.RunRegressions(ctx, req.Name, req.Params.Against)
	if err != nil {
		return nil, err
	}
	out := api.Regressions{
		Run:          api.RegressionRun{Name: r.Run, Href: h.runHref(r.Run)},
		NewFailures:  regressionTests(r.NewFailures),
		Fixed:        regressionTests(r.Fixed),
		StillFailing: regressionTests(r.StillFailing),
		NewTests:     regressionTests(r.NewTests),
		MissingTests: regressionTests(r.MissingTests),
		Counts: api.RegressionCounts{NewFailures: len(r.NewFailures), Fixed: len(r.Fixed), StillFailing: len(r.StillFailing),
			NewTests: len(r.NewTests), MissingTests: len(r.MissingTests), StillPassing: r.StillPassing, NotCompared: r.NotCompared},
	}
	if r.Against != nil {
		out.Against = &api.RegressionRun{Name: *r.Against, Href: h.runHref(*r.Against)}
	}
	b, err := json.Marshal(out)
	return jsonBody(b), err
}

func regressionTests(pairs []paddles.TestPair) []api.RegressionTest {
	tests := make([]api.RegressionTest, len(pairs))
	for i, p := range pairs {
		tests[i] = api.RegressionTest{Description: p.Description, TestId: openapi_types.UUID(p.TestID),
			This: regressionJob(p.This), That: regressionJob(p.That)}
	}
	return tests
}

func regressionJob(j *paddles.TestJob) *api.RegressionJob {
	if j == nil {
		return nil
	}
	out := &api.RegressionJob{JobId: j.JobID, Status: api.JobStatus(j.Status), TrackerUrl: j.TrackerURL}
	if j.SignatureID != nil {
		id := openapi_types.UUID(*j.SignatureID)
		out.SignatureId = &id
	}
	return out
}

func (b jsonBody) VisitGetRunRegressionsResponse(w http.ResponseWriter) error { return b.write(w) }

// filterPathsFirst keeps /runs/{key}/regressions/ and /runs/{key}/summary/, for a run filter
// key, the filter paths they were before runs had regressions and summaries (the runs whose key
// is "regressions" or "summary"), as /runs/{key}/{value}/ is everywhere else: a run named like a
// filter key has none to ask for.
func (h *handlers) filterPathsFirst(f api.StrictHandlerFunc, operationID string) api.StrictHandlerFunc {
	if operationID != "GetRunRegressions" && operationID != "GetRunSummary" {
		return f
	}
	return func(c echo.Context, req any) (any, error) {
		var name string
		switch r := req.(type) {
		case api.GetRunRegressionsRequestObject:
			name = r.Name
		case api.GetRunSummaryRequestObject:
			name = r.Name
		}
		if paddles.IsRunFilter(name) {
			return nil, h.nestedRunQuery(c)
		}
		return f(c, req)
	}
}
