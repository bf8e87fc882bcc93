package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/cespare/xxhash/v2"
	"github.com/labstack/echo/v4"

	"github.com/ceph/paddles-go/gen/api"
)

// Conditional reads (issue 19): the reads pollers repeat answer with a strong ETag, a hash of the
// answer they send (its body, and the paging headers, which say things the body does not), and a
// request whose If-None-Match names it answers 304 with no body. The tag costs no query: it is
// computed from the bytes the handler built, once they are built, in one place (conditional,
// for the operations of conditionalOps and the nested filter paths).

// conditionalOps are the operations whose 200 answers carry an ETag and honour If-None-Match.
var conditionalOps = map[string]bool{
	"ListRuns": true, "FilterRuns": true, "ListRunsBetween": true, "ListQueuedRuns": true,
	"ListRunBranches": true, "ListRunSuites": true, "ListRunMachineTypes": true, "ListRunStatuses": true,
	"ListRunUsers": true, "ListRunShas": true, "ListRunFlavors": true, "ListRunTags": true, "ListRunDates": true,
	"GetRun": true, "GetRunSummary": true, "HeadRun": true, "ListRunJobs": true,
	"GetJob": true, "HeadJob": true, "SearchJobs": true,
	"ListNodes": true, "GetNode": true, "ListMachineTypes": true,
}

// tagged is an answer whose entity tag can be computed from what it is about to send.
type tagged interface {
	etag() string
}

// conditional is the strict middleware of conditional reads. The HEAD operations of the spec are
// existence checks, which read no body to hash: HEAD of a job reads the job instead (one row by
// key, as the check did), and so does HEAD of a run when the request is conditional. A plain HEAD
// of a run stays the check teuthology's report_run makes for every run it reports, whose answer
// would otherwise read all the run's jobs.
func (h *handlers) conditional(f api.StrictHandlerFunc, operationID string) api.StrictHandlerFunc {
	if !conditionalOps[operationID] {
		return f
	}
	return func(c echo.Context, req any) (any, error) {
		switch r := req.(type) {
		case api.HeadJobRequestObject:
			f = func(c echo.Context, _ any) (any, error) {
				return h.GetJob(c.Request().Context(), api.GetJobRequestObject{Name: r.Name, JobId: r.JobId})
			}
		case api.HeadRunRequestObject:
			if c.Request().Header.Get("If-None-Match") != "" {
				f = func(c echo.Context, _ any) (any, error) {
					return h.GetRun(c.Request().Context(), api.GetRunRequestObject{Name: r.Name})
				}
			}
		}
		res, err := f(c, req)
		if err != nil {
			return res, err
		}
		if a, ok := res.(tagged); ok && notModified(c, a) {
			return nil, nil
		}
		return res, nil
	}
}

// notModified sets the answer's ETag and, when the request's If-None-Match names it, answers 304
// and reports so. The headers set so far (Vary, CORS) stay on the 304, as RFC 9110 asks; the
// paging headers are not sent with it, since the cache's stored answer has them.
func notModified(c echo.Context, a tagged) bool {
	tag := a.etag()
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, "no-cache")
	h.Set("ETag", tag)
	req := c.Request()
	if (req.Method != http.MethodGet && req.Method != http.MethodHead) || !noneMatch(req.Header.Values("If-None-Match"), tag) {
		return false
	}
	c.Response().WriteHeader(http.StatusNotModified)
	return true
}

// noneMatch reports whether If-None-Match values name tag (RFC 9110 section 13.1.2): "*", or a
// list of entity tags one of which matches tag by the weak comparison (W/"x" matches "x").
func noneMatch(values []string, tag string) bool {
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || strings.TrimPrefix(t, "W/") == tag {
				return true
			}
		}
	}
	return false
}

// entityTag is the strong entity tag of an answer: the 64-bit xxhash of its body and of meta, the
// headers that describe it, in quotes. xxhash hashes 10 GB/s and more, and is the same on every
// replica (a tag from one replica is good on the others behind a load balancer).
func entityTag(body []byte, meta ...string) string {
	var d xxhash.Digest
	d.Reset()
	d.Write(body)
	for _, m := range meta {
		// A NUL never appears in JSON text: the parts cannot run into each other.
		d.WriteString("\x00")
		d.WriteString(m)
	}
	var b [18]byte
	b[0], b[17] = '"', '"'
	const hex = "0123456789abcdef"
	sum := d.Sum64()
	for i := 16; i > 0; i-- {
		b[i] = hex[sum&0xf]
		sum >>= 4
	}
	return string(b[:])
}

func (b jsonBody) etag() string { return entityTag(b) }

func (p jsonPage) etag() string {
	if p.exact != nil {
		return entityTag(p.body, strconv.FormatInt(p.total, 10), strconv.FormatBool(*p.exact))
	}
	return entityTag(p.body, strconv.FormatInt(p.total, 10))
}

func (a valuesAnswer) etag() string { return a.answer.etag() }

// writeConditional writes an answer of the nested filter paths (served outside the strict
// server) as conditional does the others.
func writeConditional(c echo.Context, a answer) error {
	if notModified(c, a) {
		return nil
	}
	return a.write(c.Response())
}

// The answers HEAD of a run and of a job give when they read what GET does (see conditional).
func (b jsonBody) VisitHeadRunResponse(w http.ResponseWriter) error { return b.write(w) }
func (b jsonBody) VisitHeadJobResponse(w http.ResponseWriter) error { return b.write(w) }
