package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"pgregory.net/rapid"
)

// TestModel checks random sequences of job and run writes, sent over HTTP to a real server,
// against a small in-memory model of upstream's rules (paddles-api.md 6.3 and 6.4): status wins
// over success; success true/false/null gives pass/fail/unknown; once pass or fail, a status key
// no longer changes a job; priority changes only while the job is queued; a run's results count
// its jobs by status, its status follows upstream's table, and its sha1 and priority are those of
// its first job by job_id. After every step, every run the model knows is read back and compared.
// rapid shrinks a failing sequence to a minimal one. -rapid.checks (make reliability: 2000) runs
// more sequences.
func TestModel(t *testing.T) {
	t.Parallel()
	c := newServer(t)
	var sequences atomic.Int64
	var steps atomic.Int64
	rapid.Check(t, func(rt *rapid.T) {
		m := &model{c: c, prefix: fmt.Sprintf("model-%d-", sequences.Add(1)), runs: map[string]*modelRun{}}
		rt.Repeat(map[string]func(*rapid.T){
			"post job":   m.postJob,
			"put job":    m.putJob,
			"delete job": m.deleteJob,
			"delete run": m.deleteRun,
			"post run":   m.postRun,
			"":           func(rt *rapid.T) { steps.Add(1); m.check(rt) },
		})
	})
	t.Logf("%d sequences, %d steps, each followed by a full read-back", sequences.Load(), steps.Load())
}

var modelStatuses = []string{"queued", "pass", "running", "waiting", "fail", "dead", "unknown"}

type model struct {
	c      *client
	prefix string
	runs   map[string]*modelRun // by run name
}

type modelRun struct {
	jobs map[string]*modelJob // by job_id
}

type modelJob struct {
	status   string
	success  *bool
	priority *int64
	sha1     *string
}

// modelBody is a drawn job body: which of the keys the rules care about it sets, and to what.
type modelBody struct {
	status   string // "" when absent
	success  string // "", "true", "false" or "null"
	priority *int64
	sha1     string // "", "null" or a value
	withID   bool
}

func drawBody(rt *rapid.T) modelBody {
	b := modelBody{
		status:  rapid.SampledFrom(append([]string{"", "", ""}, modelStatuses...)).Draw(rt, "status"),
		success: rapid.SampledFrom([]string{"", "", "true", "false", "null"}).Draw(rt, "success"),
		sha1:    rapid.SampledFrom([]string{"", "null", "aaa", "bbb"}).Draw(rt, "sha1"),
		withID:  rapid.Bool().Draw(rt, "with job_id"),
	}
	if rapid.Bool().Draw(rt, "set priority") {
		p := rapid.Int64Range(-5, 1000).Draw(rt, "priority")
		b.priority = &p
	}
	return b
}

func (b modelBody) json(jobID string) string {
	var kv []string
	if b.withID {
		kv = append(kv, fmt.Sprintf(`"job_id": %q`, jobID))
	}
	if b.status != "" {
		kv = append(kv, fmt.Sprintf(`"status": %q`, b.status))
	}
	if b.success != "" {
		kv = append(kv, `"success": `+b.success)
	}
	if b.priority != nil {
		kv = append(kv, fmt.Sprintf(`"priority": %d`, *b.priority))
	}
	switch b.sha1 {
	case "":
	case "null":
		kv = append(kv, `"sha1": null`)
	default:
		kv = append(kv, fmt.Sprintf(`"sha1": %q`, b.sha1))
	}
	return "{" + strings.Join(kv, ", ") + "}"
}

// apply is the model of a job write (paddles-api.md 6.4).
func (b modelBody) apply(j *modelJob, created bool) {
	old := j.status
	if b.priority != nil && (created || old == "queued") {
		j.priority = b.priority
	}
	switch {
	case b.status != "":
		if created || (old != "pass" && old != "fail") {
			j.status = b.status
		}
		if b.success != "" {
			j.success = successOf(b.success)
		}
	case b.success != "":
		j.success = successOf(b.success)
		j.status = map[string]string{"true": "pass", "false": "fail", "null": "unknown"}[b.success]
	case created:
		j.status = "unknown"
	}
	switch b.sha1 {
	case "":
	case "null":
		j.sha1 = nil
	default:
		s := b.sha1
		j.sha1 = &s
	}
}

func successOf(s string) *bool {
	if s == "null" {
		return nil
	}
	v := s == "true"
	return &v
}

func (m *model) drawRun(rt *rapid.T) string {
	return m.prefix + rapid.SampledFrom([]string{"a", "b"}).Draw(rt, "run")
}

func drawJobID(rt *rapid.T) string {
	return rapid.SampledFrom([]string{"1", "2", "3", "10"}).Draw(rt, "job_id")
}

// send makes a request over the client's validating transport (a 5xx or an answer outside the
// contract also fails the enclosing test) and returns the status and body.
func (m *model) send(rt *rapid.T, method, path, body string) (int, string) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, m.c.base+path, r)
	if err != nil {
		rt.Fatal(err)
	}
	res, err := m.c.http.Do(req)
	if err != nil {
		rt.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		rt.Fatal(err)
	}
	return res.StatusCode, string(b)
}

func (m *model) want(rt *rapid.T, what string, status int, body string, wantStatus int, wantBody string) {
	if status != wantStatus || (wantBody != "" && body != wantBody) {
		rt.Fatalf("%s: %d %s, want %d %s", what, status, body, wantStatus, wantBody)
	}
}

func (m *model) postJob(rt *rapid.T) {
	run, id, b := m.drawRun(rt), drawJobID(rt), drawBody(rt)
	b.withID = true
	status, body := m.send(rt, "POST", "/runs/"+run+"/jobs/", b.json(id))
	r := m.runs[run]
	if r != nil && r.jobs[id] != nil {
		m.want(rt, "POST "+b.json(id), status, body, 400, fmt.Sprintf(`{"message":"job with job_id %s already exists"}`, id))
		return
	}
	j := &modelJob{}
	b.apply(j, true)
	m.want(rt, "POST "+b.json(id), status, body, 200, fmt.Sprintf(`{"job_id":%q,"status":%q}`, id, j.status))
	if r == nil {
		r = &modelRun{jobs: map[string]*modelJob{}}
		m.runs[run] = r
	}
	r.jobs[id] = j
}

func (m *model) putJob(rt *rapid.T) {
	run, id, b := m.drawRun(rt), drawJobID(rt), drawBody(rt)
	status, body := m.send(rt, "PUT", "/runs/"+run+"/jobs/"+id+"/", b.json(id))
	r := m.runs[run]
	if r == nil || r.jobs[id] == nil {
		m.want(rt, "PUT "+b.json(id), status, body, 404, `{"message":"attempted to update a non-existent job"}`)
		return
	}
	m.want(rt, "PUT "+b.json(id), status, body, 200, `{}`)
	b.apply(r.jobs[id], false)
}

func (m *model) deleteJob(rt *rapid.T) {
	run, id := m.drawRun(rt), drawJobID(rt)
	status, body := m.send(rt, "DELETE", "/runs/"+run+"/jobs/"+id+"/", "")
	r := m.runs[run]
	if r == nil || r.jobs[id] == nil {
		m.want(rt, "DELETE job", status, body, 404, `{"message":"attempted to delete a non-existent job"}`)
		return
	}
	m.want(rt, "DELETE job", status, body, 200, `{}`)
	delete(r.jobs, id)
}

func (m *model) deleteRun(rt *rapid.T) {
	run := m.drawRun(rt)
	status, body := m.send(rt, "DELETE", "/runs/"+run+"/", "")
	if m.runs[run] == nil {
		m.want(rt, "DELETE run", status, body, 404, `{"message":"attempted to delete a non-existent run"}`)
		return
	}
	m.want(rt, "DELETE run", status, body, 200, `{}`)
	delete(m.runs, run)
}

func (m *model) postRun(rt *rapid.T) {
	run := m.drawRun(rt)
	status, body := m.send(rt, "POST", "/runs/", fmt.Sprintf(`{"name": %q}`, run))
	if m.runs[run] != nil {
		m.want(rt, "POST run", status, body, 400, fmt.Sprintf(`{"message":"run with name %s already exists"}`, run))
		return
	}
	m.want(rt, "POST run", status, body, 200, `{}`)
	m.runs[run] = &modelRun{jobs: map[string]*modelJob{}}
}

// runStatus is upstream's Run.set_status (paddles-api.md 6.3), first match wins.
func runStatus(n map[string]int) string {
	total := 0
	for _, v := range n {
		total += v
	}
	switch {
	case total == 0:
		return "empty"
	case n["queued"] == total:
		return "queued"
	case n["running"] > 0:
		return "running"
	case n["waiting"] > 0:
		return "waiting"
	case n["dead"] == total:
		return "finished dead"
	case n["fail"] > 0, n["dead"] > 0:
		return "finished fail"
	case n["pass"] == total:
		return "finished pass"
	case n["queued"] > 0:
		return "queued"
	}
	return "unknown"
}

// check reads every run of the model back and compares it, jobs included.
func (m *model) check(rt *rapid.T) {
	for _, name := range []string{m.prefix + "a", m.prefix + "b"} {
		status, body := m.send(rt, "GET", "/runs/"+name+"/", "")
		r := m.runs[name]
		if r == nil {
			m.want(rt, "GET run", status, body, 404, "")
			continue
		}
		m.want(rt, "GET run", status, body, 200, "")
		var got struct {
			Status   string
			Priority *int64
			Sha1     *string
			Results  map[string]json.RawMessage
			Jobs     []struct {
				JobID    string `json:"job_id"`
				Status   string
				Success  *bool
				Priority *int64
				Sha1     *string
			}
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			rt.Fatalf("GET run: %v\n%s", err, body)
		}
		counts := map[string]int{}
		ids := make([]string, 0, len(r.jobs))
		for id, j := range r.jobs {
			counts[j.status]++
			ids = append(ids, id)
		}
		sort.Strings(ids) // job_id order, as strings
		for _, s := range append([]string{"total"}, modelStatuses...) {
			want := counts[s]
			if s == "total" {
				want = len(r.jobs)
			}
			if string(got.Results[s]) != fmt.Sprint(want) {
				rt.Fatalf("run %s: results[%s] = %s, want %d\n%s", name, s, got.Results[s], want, body)
			}
		}
		if want := runStatus(counts); got.Status != want {
			rt.Fatalf("run %s: status %q, want %q (counts %v)", name, got.Status, want, counts)
		}
		wantSha1, wantPriority := ptrTo("none"), (*int64)(nil)
		if len(ids) > 0 {
			wantSha1, wantPriority = r.jobs[ids[0]].sha1, r.jobs[ids[0]].priority
		}
		if !equalPtr(got.Sha1, wantSha1) || !equalPtr(got.Priority, wantPriority) {
			rt.Fatalf("run %s: sha1 %v priority %v, want those of its first job: %v %v", name, str(got.Sha1), str(got.Priority), str(wantSha1), str(wantPriority))
		}
		if len(got.Jobs) != len(ids) {
			rt.Fatalf("run %s: %d jobs, want %d", name, len(got.Jobs), len(ids))
		}
		for i, gj := range got.Jobs {
			wj := r.jobs[ids[i]]
			if gj.JobID != ids[i] || gj.Status != wj.status || !equalPtr(gj.Success, wj.success) ||
				!equalPtr(gj.Priority, wj.priority) || !equalPtr(gj.Sha1, wj.sha1) {
				rt.Fatalf("run %s job %s: status %s success %s priority %s sha1 %s; want job %s: %s %s %s %s", name, gj.JobID,
					gj.Status, str(gj.Success), str(gj.Priority), str(gj.Sha1), ids[i], wj.status, str(wj.success), str(wj.priority), str(wj.sha1))
			}
		}
	}
}

func ptrTo[T any](v T) *T { return &v }

func equalPtr[T comparable](a, b *T) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func str[T any](p *T) string {
	if p == nil {
		return "null"
	}
	var b bytes.Buffer
	fmt.Fprint(&b, *p)
	return b.String()
}
