package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/ceph/paddles-go/internal/testserver"
)

// DECISIONS 6: every path answers with and without its trailing slash, for every method, without a
// redirect; repeated slashes are merged.
func TestTrailingSlashes(t *testing.T) {
	c := newServer(t)
	c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for i, p := range []string{"/runs/", "/runs", "//runs", "//runs//"} {
		c.post(p, object{"name": fmt.Sprint("run", i)}).must(t, 200)
		c.get(p).must(t, 200)
	}
	for i, p := range []string{"/runs/r1/jobs/", "/runs/r1/jobs", "//runs/r1/jobs/", "/runs//r1//jobs"} {
		c.post(p, object{"job_id": i}).must(t, 200)
		c.get(p).must(t, 200)
	}
	for _, p := range []string{"/runs/r1/jobs/0/", "/runs/r1/jobs/0", "//runs/r1/jobs/0/", "//runs//r1/jobs/0"} {
		c.put(p, object{"status": "running"}).must(t, 200)
		c.get(p).must(t, 200)
		c.head(p).must(t, 200)
	}
	for _, p := range []string{"/runs/r1/jobs/1", "//runs/r1/jobs/2/"} {
		c.delete(p).must(t, 200)
	}
	for _, p := range []string{"/runs/r1", "//runs/r1/", "/", ""} {
		c.get(p).must(t, 200)
	}
	c.delete("/runs/r1").must(t, 200)
	// Run names holding ":" work raw and escaped.
	c.post("/runs/"+runName+"/jobs/", object{"job_id": 1}).must(t, 200)
	c.get("/runs/"+strings.ReplaceAll(runName, ":", "%3A")).must(t, 200)
	c.get("/runs/"+strings.ReplaceAll(runName, ":", "%3A")+"/jobs/1").must(t, 200)
}

// DECISIONS 7: HEAD works wherever GET does.
func TestHead(t *testing.T) {
	c := newServer(t)
	c.post("/runs/"+runName+"/jobs/", object{"job_id": 1}).must(t, 200)
	for _, p := range []string{"/", "/runs/", "/runs/" + runName + "/", "/runs/" + runName, "/runs/" + runName + "/jobs/", "/runs/" + runName + "/jobs/1"} {
		r := c.head(p).must(t, 200)
		if len(r.Body) != 0 {
			t.Errorf("HEAD %s sent a body", p)
		}
	}
	c.head("/runs/nope/").must(t, 404)
	c.head("/runs/nope/jobs/").must(t, 404)
	c.head("/runs/"+runName+"/jobs/2/").must(t, 404)
}

// DECISIONS 8: bodies are JSON whatever their Content-Type.
func TestBodyContentTypes(t *testing.T) {
	c := newServer(t)
	for i, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-8"} {
		c.do("POST", "/runs/", fmt.Sprintf(`{"name": "run-%d"}`, i), "Content-Type", ct).must(t, 200)
		c.do("POST", "/runs/run-0/jobs/", fmt.Sprintf(`{"job_id": %d}`, i), "Content-Type", ct).must(t, 200)
		c.do("PUT", fmt.Sprintf("/runs/run-0/jobs/%d/", i), `{"status": "pass"}`, "Content-Type", ct).must(t, 200)
	}
	if n := len(decode[[]object](t, c.get("/runs/run-0/jobs/?status=pass"))); n != 4 {
		t.Errorf("%d passed jobs, want 4", n)
	}
}

// DECISIONS 5, 9: unknown URLs answer 404 and unsupported methods 405, with JSON messages.
func TestUnknownRoutesAndMethods(t *testing.T) {
	c := newServer(t)
	c.post("/runs/r/jobs/", object{"job_id": 1}).must(t, 200)
	c.get("/nope").wantError(t, 404, "resource was not found: /nope/")
	c.get("/runs/r/jobs/1/extra/").wantError(t, 404, "resource was not found: /runs/r/jobs/1/extra/")
	for _, m := range []struct{ method, path string }{
		{"PUT", "/runs/"}, {"DELETE", "/runs/"}, {"PATCH", "/runs/"}, {"POST", "/runs/r/"}, {"PATCH", "/runs/r"},
		{"PUT", "/runs/r/jobs/"}, {"POST", "/runs/r/jobs/1/"}, {"PATCH", "/runs/r/jobs/1"}, {"POST", "/"},
	} {
		c.do(m.method, m.path, `{}`).wantError(t, 405, fmt.Sprintf("method %s is not allowed on %s", m.method, testserver.Canonical(m.path)))
	}
}

func TestOversizeBody(t *testing.T) {
	c := newServer(t, func(o *serverOptions) { o.MaxBodyBytes = 4096 })
	big := fmt.Sprintf(`{"job_id": "1", "description": "%s"}`, strings.Repeat("x", 5000))
	c.post("/runs/r/jobs/", big).wantError(t, 413, "request body too large (limit 4096 bytes)")
	c.head("/runs/r/").must(t, 404)
}

// DECISIONS 15 and the acceptance's concurrency test: 16 clients report the same 20 jobs of one
// run at once, as teuthology does (POST, then PUT on "already exists"). Each job ends as exactly
// one row, the run's results equal its jobs' statuses, and no request gets a 5xx.
func TestConcurrentReports(t *testing.T) {
	c := newServer(t)
	const clients, jobs = 16, 20
	statuses := []string{"queued", "running", "pass", "fail", "dead"}
	var wg sync.WaitGroup
	created := make([]int, jobs)
	var mu sync.Mutex
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for j := 0; j < jobs; j++ {
				body := fmt.Sprintf(`{"job_id": %d, "status": %q}`, j, statuses[(w+j)%len(statuses)])
				r := c.do("POST", "/runs/"+runName+"/jobs/", body)
				switch {
				case r.Status == 200:
					mu.Lock()
					created[j]++
					mu.Unlock()
				case r.Status == 400 && strings.HasSuffix(string(r.Body), `already exists"}`):
					c.do("PUT", fmt.Sprintf("/runs/%s/jobs/%d/", runName, j), body).must(t, 200)
				default:
					t.Errorf("POST job %d: %d %s", j, r.Status, r.Body)
				}
			}
		}(w)
	}
	wg.Wait()
	for j, n := range created {
		if n != 1 {
			t.Errorf("job %d: %d POSTs answered 200, want exactly 1", j, n)
		}
	}
	if n := rowCount(t, c, "SELECT count(*) FROM jobs"); n != jobs {
		t.Errorf("%d job rows, want %d", n, jobs)
	}
	if n := rowCount(t, c, "SELECT count(*) FROM runs"); n != 1 {
		t.Errorf("%d runs, want 1", n)
	}
	list := decode[[]object](t, c.get("/runs/"+runName+"/jobs/?fields=status"))
	count := map[string]int{}
	for _, j := range list {
		count[j["status"].(string)]++
	}
	res := decode[object](t, c.get("/runs/"+runName+"/"))["results"].(object)
	for _, s := range statuses {
		if fmt.Sprint(res[s]) != fmt.Sprint(count[s]) {
			t.Errorf("results[%s] = %v, but %d jobs have that status", s, res[s], count[s])
		}
	}
	if fmt.Sprint(res["total"]) != fmt.Sprint(jobs) {
		t.Errorf("results total %v, want %d", res["total"], jobs)
	}
}

// DECISIONS 15: concurrent POSTs of one new job give exactly one 200; the rest answer 400
// "already exists".
func TestConcurrentDuplicatePosts(t *testing.T) {
	c := newServer(t)
	const n = 24
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := c.post("/runs/fresh-run/jobs/", object{"job_id": "1", "status": "running"})
			codes[i] = r.Status
			if r.Status == 400 && !strings.Contains(string(r.Body), "job with job_id 1 already exists") {
				t.Errorf("400 with %s", r.Body)
			}
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, code := range codes {
		switch code {
		case 200:
			ok++
		case 400:
		default:
			t.Errorf("status %d", code)
		}
	}
	if ok != 1 {
		t.Errorf("%d POSTs succeeded, want 1", ok)
	}
	if n := rowCount(t, c, "SELECT count(*) FROM jobs"); n != 1 {
		t.Errorf("%d job rows", n)
	}
}
