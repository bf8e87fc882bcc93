package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/ceph/paddles-go/gen/api"
	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/service"
)

func (h *handlers) ListFailures(ctx context.Context, req api.ListFailuresRequestObject) (api.ListFailuresResponseObject, error) {
	p := req.Params
	page, err := h.svc.ListFailures(ctx, paddles.FailureFilter{Branch: p.Branch, Suite: p.Suite, MachineType: p.MachineType},
		p.SinceDays, service.Page{Count: p.Count, Page: p.Page})
	if err != nil {
		return nil, err
	}
	out := make([]api.FailureSignature, len(page.Failures))
	for i := range page.Failures {
		out[i] = wireFailure(&page.Failures[i])
	}
	b, err := marshal(out)
	return jsonPage{body: b, total: page.Total}, err
}

func (h *handlers) GetFailure(ctx context.Context, req api.GetFailureRequestObject) (api.GetFailureResponseObject, error) {
	fl, days, err := h.svc.GetFailure(ctx, req.Id, req.Params.SinceDays)
	if err != nil {
		return nil, err
	}
	return failureDetail(&fl, days)
}

func (h *handlers) LinkFailure(ctx context.Context, req api.LinkFailureRequestObject) (api.LinkFailureResponseObject, error) {
	// A bad id is the answer before a bad body.
	if _, err := paddles.ParseSignatureID(req.Id); err != nil {
		return nil, err
	}
	l, err := paddles.ParseFailureLink(*req.Body)
	if err != nil {
		return nil, err
	}
	fl, err := h.svc.LinkFailure(ctx, req.Id, l)
	if err != nil {
		return nil, err
	}
	return failureDetail(&fl, paddles.FailureDefaultDays)
}

func (h *handlers) ListFailureJobs(ctx context.Context, req api.ListFailureJobsRequestObject) (api.ListFailureJobsResponseObject, error) {
	page, err := h.svc.FailureJobs(ctx, req.Id, service.Page{Count: req.Params.Count, Page: req.Params.Page})
	if err != nil {
		return nil, err
	}
	out := make([]api.FailureJob, len(page.Jobs))
	for i, j := range page.Jobs {
		out[i] = api.FailureJob{
			Run: j.RunName, Href: h.jobHref(j.RunName, j.JobID), JobId: j.JobID,
			Status: api.FailureJobStatus(j.Status), Description: j.Description, Sha1: j.Sha1, Branch: j.Branch,
			Suite: j.Suite, MachineType: j.MachineType, Posted: paddles.FormatTime(j.Posted), FailureReason: j.FailureReason,
		}
	}
	b, err := marshal(out)
	return jsonPage{body: b, total: page.Total, exact: &page.TotalExact}, err
}

// wireFailure is a signature as listings show it, with its top tests.
func wireFailure(fl *paddles.Failure) api.FailureSignature {
	return api.FailureSignature{
		Id: fl.ID, Signature: fl.Signature, Example: fl.Example, TrackerUrl: fl.TrackerURL, Note: fl.Note,
		Jobs: int(fl.Jobs), Runs: int(fl.Runs), Tests: int(fl.Tests),
		TopTests:  wireFailureTests(fl.HitTests[:min(len(fl.HitTests), paddles.FailureTopTests)]),
		FirstSeen: wireTime(fl.FirstSeen), LastSeen: wireTime(fl.LastSeen),
	}
}

func failureDetail(fl *paddles.Failure, days int) (jsonBody, error) {
	w := wireFailure(fl)
	b, err := marshal(api.FailureSignatureDetail{
		Id: w.Id, Signature: w.Signature, Example: w.Example, TrackerUrl: w.TrackerUrl, Note: w.Note,
		Jobs: w.Jobs, Runs: w.Runs, Tests: w.Tests, TopTests: w.TopTests, FirstSeen: w.FirstSeen, LastSeen: w.LastSeen,
		SinceDays: days, Updated: wireTime(fl.Updated), HitTests: wireFailureTests(fl.HitTests),
	})
	return jsonBody(b), err
}

// marshal encodes v as JSON without escaping <, > and &: signatures are full of <n> and <host>,
// and people read these answers with curl.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	err := e.Encode(v)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), err
}

func wireFailureTests(tests []paddles.FailureTest) []api.FailureTest {
	out := make([]api.FailureTest, len(tests))
	for i, t := range tests {
		out[i] = api.FailureTest{Description: t.Description, Jobs: int(t.Jobs), LastSeen: paddles.FormatTime(t.LastSeen)}
	}
	return out
}

func (p jsonPage) VisitListFailuresResponse(w http.ResponseWriter) error    { return p.write(w) }
func (b jsonBody) VisitGetFailureResponse(w http.ResponseWriter) error      { return b.write(w) }
func (b jsonBody) VisitLinkFailureResponse(w http.ResponseWriter) error     { return b.write(w) }
func (p jsonPage) VisitListFailureJobsResponse(w http.ResponseWriter) error { return p.write(w) }
