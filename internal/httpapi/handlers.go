package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ceph/paddles-go/gen/api"
	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/service"
)

// handlers implements the generated strict server on the service. Handlers translate requests
// into service calls and results into wire bytes; the rules live in the service and in paddles.
type handlers struct {
	svc         *service.Service
	cfg         Config
	logTemplate hrefTemplate // cfg.JobLogHrefTemplate, parsed
}

var _ api.StrictServerInterface = (*handlers)(nil)

func (h *handlers) GetRoot(context.Context, api.GetRootRequestObject) (api.GetRootResponseObject, error) {
	return jsonBody(`{}`), nil
}

func (h *handlers) ListRuns(ctx context.Context, req api.ListRunsRequestObject) (api.ListRunsResponseObject, error) {
	sel, err := paddles.ParseRunFields(deref(req.Params.Fields))
	if err != nil {
		return nil, err
	}
	p := req.Params
	if p.Status != nil && !p.Status.Valid() {
		// The query names the enum's values; the path form, as upstream, matches nothing instead.
		return nil, paddles.Errorf(paddles.Invalid, "invalid status %q", *p.Status)
	}
	if p.Sort != nil && !p.Sort.Valid() {
		return nil, paddles.Errorf(paddles.Invalid, "invalid sort %q: the orders are -posted and -scheduled", *p.Sort)
	}
	pg := service.Page{Count: p.Count, Page: p.Page}
	// The query form of the filters is the filter path with the same values, read by the same
	// parser; since and until narrow it as on a date range.
	var segments []string
	for _, kv := range []struct {
		key   string
		value *string
	}{{"branch", p.Branch}, {"suite", p.Suite}, {"machine_type", p.MachineType}, {"status", (*string)(p.Status)},
		{"user", p.User}, {"sha1", p.Sha1}, {"flavor", p.Flavor}} {
		if kv.value != nil {
			segments = append(segments, kv.key, *kv.value)
		}
	}
	if p.Tags != nil {
		for _, t := range strings.Split(*p.Tags, ",") {
			if t != "" { // "a,b," is a and b
				segments = append(segments, "tag", t)
			}
		}
	}
	updatedSince, err := updatedSince(p.UpdatedSince)
	if err != nil {
		return nil, err
	}
	filtered := segments != nil || p.Since != nil || p.Until != nil || updatedSince != nil
	if !filtered && (p.Sort == nil || *p.Sort == api.MinusPosted) {
		page, err := h.svc.ListRuns(ctx, pg)
		if err != nil {
			return nil, err
		}
		return h.runPage(page, sel), nil
	}
	q, err := paddles.ParseRunQuery(segments, h.cfg.Now())
	if err != nil {
		return nil, err
	}
	since, err := h.day(p.Since)
	if err != nil {
		return nil, err
	}
	until, err := h.day(p.Until)
	if err != nil {
		return nil, err
	}
	if since != nil {
		q.Filter.Since(*since)
	}
	if until != nil {
		q.Filter.Until(*until)
	}
	q.Filter.UpdatedSince = updatedSince
	// updated_since alone keeps the latest runs' order: it narrows them to those that changed.
	order := service.ByScheduled
	if p.Sort != nil && *p.Sort == api.MinusPosted || p.Sort == nil && segments == nil && p.Since == nil && p.Until == nil {
		order = service.ByPosted
	}
	page, err := h.svc.SortRuns(ctx, q.Filter, pg, order)
	if err != nil {
		return nil, err
	}
	return h.runPage(page, sel), nil
}

// runPage writes a page of runs with the listing's total in X-Total-Count.
func (h *handlers) runPage(page service.RunPage, sel paddles.RunFields) jsonPage {
	b := make([]byte, 1, 16+1024*len(page.Runs))
	b[0] = '['
	for i := range page.Runs {
		if i > 0 {
			b = append(b, ',')
		}
		b = paddles.AppendRun(b, &page.Runs[i], sel, h.runHref(page.Runs[i].Name), false)
	}
	return jsonPage{body: append(b, ']'), total: page.Total}
}

func (h *handlers) CreateRun(ctx context.Context, req api.CreateRunRequestObject) (api.CreateRunResponseObject, error) {
	run, err := paddles.ParseRunBody(*req.Body)
	if err != nil {
		return nil, err
	}
	if err := h.svc.CreateRun(ctx, run); err != nil {
		return nil, err
	}
	return jsonBody(`{}`), nil
}

func (h *handlers) UpdateRun(ctx context.Context, req api.UpdateRunRequestObject) (api.UpdateRunResponseObject, error) {
	tags, err := paddles.ParseRunUpdate(*req.Body)
	if err != nil {
		return nil, err
	}
	run, err := h.svc.SetRunTags(ctx, req.Name, tags)
	if err != nil {
		return nil, err
	}
	return jsonBody(paddles.AppendRun(nil, &run, nil, h.runHref(run.Name), false)), nil
}

func (h *handlers) GetRun(ctx context.Context, req api.GetRunRequestObject) (api.GetRunResponseObject, error) {
	if req.Params.Wait != nil {
		return h.waitForRun(ctx, req)
	}
	if _, err := parseWait(deref(req.Params.Timeout)); err != nil {
		return nil, err // a timeout without a wait waits for nothing, but must read as one
	}
	run, jobs, err := h.svc.GetRun(ctx, req.Name, true)
	if err != nil {
		return nil, err
	}
	return h.runDetail(&run, jobs), nil
}

func (h *handlers) runDetail(run *paddles.Run, jobs []paddles.Job) jsonBody {
	b := paddles.AppendRun(nil, run, nil, h.runHref(run.Name), true)
	b = append(b, `,"jobs":`...)
	return jsonBody(append(h.appendJobs(b, run.Name, jobs, nil), '}'))
}

// Bounds of GET /runs/{name}/?wait=: its default and longest wait.
const (
	defaultRunWait = time.Minute
	maxRunWait     = 10 * time.Minute
)

// waitForRun answers GET /runs/{name}/?wait=finished once the run has finished or the timeout
// has passed. It subscribes to the run's events before it reads the run, so that no change
// between the read and the wait goes unseen, and reads the run again after each of them.
func (h *handlers) waitForRun(ctx context.Context, req api.GetRunRequestObject) (api.GetRunResponseObject, error) {
	if !req.Params.Wait.Valid() {
		return nil, paddles.Errorf(paddles.Invalid, "invalid wait %q: the run status to wait for is finished", *req.Params.Wait)
	}
	timeout, err := parseWait(deref(req.Params.Timeout))
	if err != nil {
		return nil, err
	}
	if h.cfg.RequestTimeout > 0 {
		timeout = min(timeout, h.cfg.RequestTimeout-time.Second)
	}
	deadline := time.Now().Add(timeout)
	var sub *service.Subscription
	if h.cfg.Events != nil {
		sub, err = h.cfg.Events.Subscribe(ctx, paddles.EventFilter{Run: req.Name, Types: []string{paddles.EventRun}}, -1)
		if err != nil {
			return nil, err
		}
		defer sub.Close()
	}
	for {
		run, jobs, err := h.svc.GetRun(ctx, req.Name, true)
		if err != nil {
			return nil, err
		}
		left := time.Until(deadline)
		if strings.HasPrefix(run.Status, "finished") || left <= 0 || sub == nil {
			return h.runDetail(&run, jobs), nil
		}
		if _, err := sub.Next(ctx, left); err != nil && !errors.Is(err, service.ErrEventsGone) {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			sub = nil // the stream closed (the server is shutting down): answer what is
		}
	}
}

// parseWait reads the timeout of a wait: seconds, or a duration with a unit (ms, s, m).
func parseWait(s string) (time.Duration, error) {
	if s == "" {
		return defaultRunWait, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		var secs float64
		if secs, err = strconv.ParseFloat(s, 64); err == nil {
			d = time.Duration(secs * float64(time.Second))
		}
	}
	if err != nil || d < 0 {
		return 0, paddles.Errorf(paddles.Invalid, "invalid timeout %q: seconds (60) or a duration (60s, 2m)", s)
	}
	return min(d, maxRunWait), nil
}

func (h *handlers) GetRunSummary(ctx context.Context, req api.GetRunSummaryRequestObject) (api.GetRunSummaryResponseObject, error) {
	sel, err := paddles.ParseJobFields(deref(req.Params.JobFields))
	if err != nil {
		return nil, err
	}
	run, jobs, err := h.svc.GetRun(ctx, req.Name, sel != nil)
	if err != nil {
		return nil, err
	}
	b := paddles.AppendRun(nil, &run, nil, h.runHref(run.Name), true)
	if sel != nil {
		b = append(b, `,"jobs":`...)
		b = h.appendJobs(b, run.Name, jobs, sel)
	}
	return jsonBody(append(b, '}')), nil
}

func (h *handlers) HeadRun(ctx context.Context, req api.HeadRunRequestObject) (api.HeadRunResponseObject, error) {
	ok, err := h.svc.RunExists(ctx, req.Name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, paddles.Errorf(paddles.NotFound, "run with name %s not found", req.Name)
	}
	return api.HeadRun200Response{}, nil
}

func (h *handlers) DeleteRun(ctx context.Context, req api.DeleteRunRequestObject) (api.DeleteRunResponseObject, error) {
	if err := h.svc.DeleteRun(ctx, req.Name); err != nil {
		return nil, err
	}
	return jsonBody(`{}`), nil
}

func (h *handlers) ListRunJobs(ctx context.Context, req api.ListRunJobsRequestObject) (api.ListRunJobsResponseObject, error) {
	sel, err := paddles.ParseJobFields(deref(req.Params.Fields))
	if err != nil {
		return nil, err
	}
	statuses, err := paddles.ParseStatuses(deref(req.Params.Status))
	if err != nil {
		return nil, err
	}
	since, err := updatedSince(req.Params.UpdatedSince)
	if err != nil {
		return nil, err
	}
	jobs, err := h.svc.ListRunJobs(ctx, req.Name, paddles.RunJobFilter{Statuses: statuses,
		DescriptionContains: req.Params.DescriptionContains, FailureReasonContains: req.Params.FailureReasonContains,
		UpdatedSince: since})
	if err != nil {
		return nil, err
	}
	return jsonBody(h.appendJobs(nil, req.Name, jobs, sel)), nil
}

func (h *handlers) CreateJob(ctx context.Context, req api.CreateJobRequestObject) (api.CreateJobResponseObject, error) {
	// A bad run name is the answer before a bad body.
	if err := paddles.ValidateRunName(req.Name); err != nil {
		return nil, err
	}
	patch, err := paddles.ParseJobPatch(*req.Body)
	if err != nil {
		return nil, err
	}
	job, err := h.svc.CreateJob(ctx, req.Name, patch)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(api.JobCreated{JobId: job.JobID, Status: api.JobStatus(job.Status)})
	return jsonBody(b), err
}

func (h *handlers) GetJob(ctx context.Context, req api.GetJobRequestObject) (api.GetJobResponseObject, error) {
	job, err := h.svc.GetJob(ctx, req.Name, req.JobId)
	if err != nil {
		return nil, err
	}
	return jsonBody(paddles.AppendJob(nil, &job, nil, h.logHref(req.Name))), nil
}

func (h *handlers) HeadJob(ctx context.Context, req api.HeadJobRequestObject) (api.HeadJobResponseObject, error) {
	ok, err := h.svc.JobExists(ctx, req.Name, req.JobId)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, paddles.Errorf(paddles.NotFound, "job with job_id %s not found in run %s", req.JobId, req.Name)
	}
	return api.HeadJob200Response{}, nil
}

func (h *handlers) UpdateJob(ctx context.Context, req api.UpdateJobRequestObject) (api.UpdateJobResponseObject, error) {
	patch, err := paddles.ParseJobPatch(*req.Body)
	if err != nil {
		return nil, err
	}
	if err := h.svc.UpdateJob(ctx, req.Name, req.JobId, patch); err != nil {
		return nil, err
	}
	return jsonBody(`{}`), nil
}

func (h *handlers) DeleteJob(ctx context.Context, req api.DeleteJobRequestObject) (api.DeleteJobResponseObject, error) {
	if err := h.svc.DeleteJob(ctx, req.Name, req.JobId); err != nil {
		return nil, err
	}
	return jsonBody(`{}`), nil
}

// appendJobs writes the jobs of run runName as a JSON array.
func (h *handlers) SearchJobs(ctx context.Context, req api.SearchJobsRequestObject) (api.SearchJobsResponseObject, error) {
	p := req.Params
	statuses, err := paddles.ParseStatuses(deref(p.Status))
	if err != nil {
		return nil, err
	}
	search := paddles.JobSearch{Description: p.Description, Statuses: statuses, Sha1: p.Sha1, Branch: p.Branch, User: p.User}
	if search.PostedAfter, err = h.day(p.PostedAfter); err != nil {
		return nil, err
	}
	if search.PostedBefore, err = h.day(p.PostedBefore); err != nil {
		return nil, err
	}
	if search.UpdatedSince, err = updatedSince(p.UpdatedSince); err != nil {
		return nil, err
	}
	page, err := h.svc.SearchJobs(ctx, search, service.Page{Count: p.Count, Page: p.Page})
	if err != nil {
		return nil, err
	}
	return jsonPage{body: h.appendJobPage(page), total: page.Total, exact: &page.TotalExact}, nil
}

// updatedSince reads an optional updated_since parameter (paddles.ParseUpdatedSince).
func updatedSince(s *string) (*time.Time, error) {
	if s == nil {
		return nil, nil
	}
	t, err := paddles.ParseUpdatedSince(*s)
	return &t, err
}

// day reads an optional day parameter.
func (h *handlers) day(s *string) (*time.Time, error) {
	if s == nil {
		return nil, nil
	}
	d, err := paddles.ParseDay(*s, h.cfg.Now())
	return &d, err
}

func (h *handlers) appendJobs(b []byte, runName string, jobs []paddles.Job, sel paddles.JobFields) []byte {
	logHref := h.logHref(runName)
	b = slices.Grow(b, jobsSize(jobs, sel))
	b = append(b, '[')
	for i := range jobs {
		if i > 0 {
			b = append(b, ',')
		}
		b = paddles.AppendJob(b, &jobs[i], sel, logHref)
	}
	return append(b, ']')
}

func (h *handlers) runHref(name string) string {
	return h.cfg.PublicURL + "/runs/" + url.PathEscape(name) + "/"
}

// jobsSize is about the size of a listing of jobs, for sizing its buffer once.
func jobsSize(jobs []paddles.Job, sel paddles.JobFields) int {
	if sel != nil {
		return 16 + len(jobs)*(64+32*len(sel))
	}
	n := 16
	for i := range jobs {
		n += paddles.EncodedSize(&jobs[i])
	}
	return n
}

// logHref returns the function that fills the log URL template for the jobs of run runName.
func (h *handlers) logHref(runName string) func(*paddles.Job) string {
	return func(j *paddles.Job) string { return h.logTemplate.fill(runName, j.JobID) }
}

// hrefTemplate is a URL template cut at its {run_name} and {job_id} keys, once, instead of for
// every job of a listing.
type hrefTemplate []hrefPart

type hrefPart struct {
	text string
	key  int // 0: text; 1: the run name; 2: the job id
}

// parseHrefTemplate cuts t as strings.NewReplacer("{run_name}", ..., "{job_id}", ...) reads it:
// left to right, a key's text replaced wherever it starts.
func parseHrefTemplate(t string) hrefTemplate {
	var parts hrefTemplate
	start := 0
	for i := 0; i < len(t); {
		key, n := 0, 0
		switch {
		case strings.HasPrefix(t[i:], "{run_name}"):
			key, n = 1, len("{run_name}")
		case strings.HasPrefix(t[i:], "{job_id}"):
			key, n = 2, len("{job_id}")
		default:
			i++
			continue
		}
		if start < i {
			parts = append(parts, hrefPart{text: t[start:i]})
		}
		parts = append(parts, hrefPart{key: key})
		i += n
		start = i
	}
	if start < len(t) {
		parts = append(parts, hrefPart{text: t[start:]})
	}
	return parts
}

func (t hrefTemplate) fill(runName, jobID string) string {
	n := 0
	for _, p := range t {
		n += len(p.text) + max(len(runName), len(jobID))
	}
	var b strings.Builder
	b.Grow(n)
	for _, p := range t {
		switch p.key {
		case 0:
			b.WriteString(p.text)
		case 1:
			b.WriteString(runName)
		case 2:
			b.WriteString(jobID)
		}
	}
	return b.String()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// jsonBody is a 200 answer whose JSON is already encoded. The generated response types encode
// with encoding/json, which would lose the wire details paddles' clients rely on (every key
// present, key order, stored JSON values verbatim); this type answers for every operation.
type jsonBody []byte

func (b jsonBody) write(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b)
	return err
}

func (b jsonBody) VisitGetRootResponse(w http.ResponseWriter) error       { return b.write(w) }
func (b jsonBody) VisitListRunsResponse(w http.ResponseWriter) error      { return b.write(w) }
func (b jsonBody) VisitCreateRunResponse(w http.ResponseWriter) error     { return b.write(w) }
func (b jsonBody) VisitCreateJobResponse(w http.ResponseWriter) error     { return b.write(w) }
func (b jsonBody) VisitGetRunResponse(w http.ResponseWriter) error        { return b.write(w) }
func (b jsonBody) VisitGetRunSummaryResponse(w http.ResponseWriter) error { return b.write(w) }
func (b jsonBody) VisitUpdateRunResponse(w http.ResponseWriter) error     { return b.write(w) }
func (b jsonBody) VisitDeleteRunResponse(w http.ResponseWriter) error     { return b.write(w) }
func (b jsonBody) VisitListRunJobsResponse(w http.ResponseWriter) error   { return b.write(w) }
func (b jsonBody) VisitGetJobResponse(w http.ResponseWriter) error        { return b.write(w) }
func (b jsonBody) VisitUpdateJobResponse(w http.ResponseWriter) error     { return b.write(w) }
func (b jsonBody) VisitDeleteJobResponse(w http.ResponseWriter) error     { return b.write(w) }

// jsonPage is a 200 answer holding one page of a listing, with the listing's total; exact, when
// set, says whether the total is exact or a lower bound (the job search counts only so far).
type jsonPage struct {
	body  []byte
	total int64
	exact *bool
}

func (p jsonPage) write(w http.ResponseWriter) error {
	w.Header().Set("X-Total-Count", strconv.FormatInt(p.total, 10))
	if p.exact != nil {
		w.Header().Set("X-Total-Count-Exact", strconv.FormatBool(*p.exact))
	}
	return jsonBody(p.body).write(w)
}

func (p jsonPage) VisitListRunsResponse(w http.ResponseWriter) error       { return p.write(w) }
func (p jsonPage) VisitListQueuedRunsResponse(w http.ResponseWriter) error { return p.write(w) }
func (p jsonPage) VisitSearchJobsResponse(w http.ResponseWriter) error     { return p.write(w) }
