package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/ceph/paddles-go/gen/api"
	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/service"
)

// The test answers are encoded from the generated models: they hold no stored JSON to pass
// through verbatim, and every key is required, so encoding/json writes them as the spec says.

func (h *handlers) GetTestHistory(ctx context.Context, req api.GetTestHistoryRequestObject) (api.GetTestHistoryResponseObject, error) {
	p := req.Params
	f := paddles.TestFilter{Branch: p.Branch, Suite: p.Suite, MachineType: p.MachineType, Sha1: p.Sha1}
	if p.Since != nil {
		since, err := paddles.ParseSince(*p.Since)
		if err != nil {
			return nil, err
		}
		f.Since = &since
	}
	th, err := h.svc.TestHistory(ctx, p.Description, f, service.Page{Count: p.Count, Page: p.Page})
	if err != nil {
		return nil, err
	}
	s := th.Summary
	out := api.TestHistory{Description: p.Description, Jobs: make([]api.TestJob, len(th.Jobs)), Summary: api.TestSummary{
		Counts: api.JobStatusCounts{Pass: int(s.Counts[paddles.StatusPass]), Fail: int(s.Counts[paddles.StatusFail]),
			Dead: int(s.Counts[paddles.StatusDead]), Running: int(s.Counts[paddles.StatusRunning]),
			Waiting: int(s.Counts[paddles.StatusWaiting]), Queued: int(s.Counts[paddles.StatusQueued]),
			Unknown: int(s.Counts[paddles.StatusUnknown])},
		Total:     int(s.Total),
		FirstSeen: wireTime(s.FirstSeen),
		LastSeen:  wireTime(s.LastSeen),
		Flaky:     len(s.FlakySha1s) > 0,
		// Never null: an empty list when no sha1 is flaky.
		FlakySha1s: append([]string{}, s.FlakySha1s...),
	}}
	if s.LastPass != nil {
		ref := h.testJobRef(*s.LastPass)
		out.Summary.LastPass = &ref
	}
	if s.LastFail != nil {
		ref := h.testJobRef(*s.LastFail)
		out.Summary.LastFail = &ref
	}
	for i, tj := range th.Jobs {
		j := &tj.Job
		out.Jobs[i] = api.TestJob{Run: tj.Run, Href: h.jobHref(tj.Run, j.JobID), JobId: j.JobID, Status: api.JobStatus(j.Status),
			Success: j.Success, Sha1: j.Sha1, Branch: j.Branch, Suite: j.Suite, MachineType: j.MachineType,
			OsType: j.OsType, OsVersion: j.OsVersion, Posted: paddles.FormatTime(j.Posted), FailureReason: j.FailureReason,
			TrackerUrl: tj.TrackerURL}
		if j.Duration != nil {
			d := int(*j.Duration)
			out.Jobs[i].Duration = &d
		}
		if tj.SignatureID != nil {
			id := openapi_types.UUID(*tj.SignatureID)
			out.Jobs[i].SignatureId = &id
		}
	}
	b, err := json.Marshal(out)
	return jsonPage{body: b, total: s.Total}, err
}

func (h *handlers) ListFlakyTests(ctx context.Context, req api.ListFlakyTestsRequestObject) (api.ListFlakyTestsResponseObject, error) {
	p := req.Params
	f := paddles.TestFilter{Branch: p.Branch, Suite: p.Suite, MachineType: p.MachineType}
	page, err := h.svc.FlakyTests(ctx, f, p.SinceDays, service.Page{Count: p.Count, Page: p.Page})
	if err != nil {
		return nil, err
	}
	out := make([]api.FlakyTest, len(page.Tests))
	for i, t := range page.Tests {
		out[i] = api.FlakyTest{Description: t.Description, TestId: openapi_types.UUID(t.TestID), Pass: int(t.Pass),
			Fail: int(t.Fail), FlakySha1s: int(t.FlakySha1s), FlakeRate: t.FlakeRate,
			LastPass: h.testJobRef(t.LastPass), LastFail: h.testJobRef(t.LastFail)}
	}
	b, err := json.Marshal(out)
	return jsonPage{body: b, total: page.Total}, err
}

func (h *handlers) testJobRef(r paddles.TestJobRef) api.TestJobRef {
	return api.TestJobRef{Run: r.Run, JobId: r.JobID, Sha1: r.Sha1, Posted: paddles.FormatTime(r.Posted), Href: h.jobHref(r.Run, r.JobID)}
}

// jobHref is the absolute URL of a job, under its run's.
func (h *handlers) jobHref(run, jobID string) string {
	return h.runHref(run) + "jobs/" + url.PathEscape(jobID) + "/"
}

func wireTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := paddles.FormatTime(*t)
	return &s
}

func (p jsonPage) VisitGetTestHistoryResponse(w http.ResponseWriter) error { return p.write(w) }
func (p jsonPage) VisitListFlakyTestsResponse(w http.ResponseWriter) error { return p.write(w) }
