package httpapi_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

const runName = "teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi"

// timestampRE is the wire format of every timestamp (DECISIONS 4).
var timestampRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{6})?$`)

// DECISIONS 1, 3: GET /runs/ is an array of run objects, newest first, each with every key upstream
// sends and a string href.
func TestListRunsShape(t *testing.T) {
	c := newServer(t)
	c.get("/runs/").must(t, 200)
	if got := decode[[]object](t, c.get("/runs/")); len(got) != 0 {
		t.Fatalf("empty server lists %v", got)
	}
	for _, name := range []string{"alice-2026-01-01_00:00:00-rbd-main-distro-default-smithi", runName} {
		c.post("/runs/", object{"name": name}).must(t, 200)
	}
	c.post("/runs/"+runName+"/jobs/", object{"job_id": "1", "status": "pass", "sha1": "abc", "flavor": "default"}).must(t, 200)
	c.post("/runs/"+runName+"/jobs/", object{"job_id": "2", "status": "running"}).must(t, 200)

	runs := decode[[]object](t, c.get("/runs/"))
	if len(runs) != 2 || runs[0]["name"] != runName {
		t.Fatalf("want 2 runs, %s first; got %v", runName, runs)
	}
	r := runs[0]
	for _, k := range []string{"name", "href", "user", "status", "results", "jobs_count", "posted", "scheduled",
		"started", "updated", "branch", "suite", "machine_type", "sha1", "priority", "flavor"} {
		if _, ok := r[k]; !ok {
			t.Errorf("run lacks %q: %v", k, r)
		}
	}
	if r["href"] != publicURL+"/runs/"+runName+"/" {
		t.Errorf("href %v, want a string URL from the public address", r["href"])
	}
	if r["status"] != "running" || r["user"] != "teuthology" || r["suite"] != "rados" {
		t.Errorf("run %v", r)
	}
	res := r["results"].(object)
	want := object{"queued": "0", "pass": "1", "running": "1", "waiting": "0", "fail": "0", "dead": "0",
		"unknown": "0", "total": "2", "sha1": "abc", "flavor": "default"}
	for k, v := range want {
		if fmt.Sprint(res[k]) != v {
			t.Errorf("results[%s] = %v, want %v", k, res[k], v)
		}
	}
	if fmt.Sprint(r["jobs_count"]) != "2" || r["sha1"] != "abc" {
		t.Errorf("jobs_count/sha1: %v", r)
	}
	other := runs[1]
	if other["status"] != "empty" || other["sha1"] != "none" || other["started"] != nil || other["updated"] != nil {
		t.Errorf("an empty run: %v", other)
	}
}

// DECISIONS 1: the default page is 100 runs (configurable), count and page select others.
func TestListRunsPages(t *testing.T) {
	c := newServer(t)
	for i := 0; i < 101; i++ {
		c.post("/runs/", object{"name": fmt.Sprintf("run-%03d", i)}).must(t, 200)
	}
	if got := decode[[]object](t, c.get("/runs/")); len(got) != 100 || got[0]["name"] != "run-100" {
		t.Fatalf("default page: %d runs, first %v", len(got), got[0]["name"])
	}
	page := decode[[]object](t, c.get("/runs/?count=10&page=3"))
	if len(page) != 10 || page[0]["name"] != "run-080" {
		t.Fatalf("count=10&page=3: %d runs, first %v", len(page), page[0]["name"])
	}
	if got := decode[[]object](t, c.get("/runs/?count=0")); len(got) != 0 {
		t.Errorf("count=0 gave %d runs", len(got))
	}
	if got := decode[[]object](t, c.get("/runs/?count=50&page=9")); len(got) != 0 {
		t.Errorf("past the end gave %d runs", len(got))
	}
	c.get("/runs/?count=-1").wantError(t, 400, "count must be a non-negative integer")
	c.get("/runs/?page=0").wantError(t, 400, "page must be a positive integer")
	if r := c.get("/runs/?count=abc"); r.Status != 400 {
		t.Errorf("count=abc: %d", r.Status)
	}

	small := newServer(t, func(o *serverOptions) { o.Service.RunsPageSize = 3 })
	for i := 0; i < 5; i++ {
		small.post("/runs/", object{"name": fmt.Sprintf("run-%d", i)}).must(t, 200)
	}
	if got := decode[[]object](t, small.get("/runs/")); len(got) != 3 {
		t.Errorf("configured page size 3 gave %d runs", len(got))
	}
}

func TestListRunsFields(t *testing.T) {
	c := newServer(t)
	c.post("/runs/", object{"name": runName}).must(t, 200)
	got := decode[[]object](t, c.get("/runs/?fields=name,status,results"))
	if len(got) != 1 || len(got[0]) != 3 || got[0]["status"] != "empty" || got[0]["results"] == nil {
		t.Errorf("fields=name,status,results: %v", got)
	}
	c.get("/runs/?fields=name,bogus").wantError(t, 400, "an invalid field was specified: bogus")
}

// DECISIONS 2, 4: GET /runs/{name}/ is the run object with a jobs array, ordered by job_id as
// strings; timestamps are naive UTC with microseconds only when non-zero.
func TestGetRun(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := newServer(t, func(o *serverOptions) { o.Service.Now = func() time.Time { return at } })
	for _, id := range []string{"2", "10", "1"} {
		c.post("/runs/"+runName+"/jobs/", object{"job_id": id, "status": "queued"}).must(t, 200)
	}
	run := decode[object](t, c.get("/runs/"+runName+"/"))
	jobs, ok := run["jobs"].([]any)
	if !ok || len(jobs) != 3 {
		t.Fatalf("run has no jobs array of 3: %v", run)
	}
	var ids []any
	for _, j := range jobs {
		ids = append(ids, j.(object)["job_id"])
	}
	if fmt.Sprint(ids) != "[1 10 2]" {
		t.Errorf("jobs ordered %v, want job_id string order [1 10 2]", ids)
	}
	if run["posted"] != "2026-03-01 12:00:00" || run["scheduled"] != "2026-01-15 10:20:30" || run["status"] != "queued" {
		t.Errorf("run %v", run)
	}

	at = at.Add(153258 * time.Microsecond)
	c.put("/runs/"+runName+"/jobs/1/", object{"status": "running"}).must(t, 200)
	job := decode[object](t, c.get("/runs/"+runName+"/jobs/1/"))
	if job["updated"] != "2026-03-01 12:00:00.153258" || job["started"] != "2026-03-01 12:00:00.153258" {
		t.Errorf("timestamps with microseconds: %v %v", job["updated"], job["started"])
	}
	for _, k := range []string{"posted", "updated", "started"} {
		if s, _ := job[k].(string); !timestampRE.MatchString(s) {
			t.Errorf("%s = %q is not a wire timestamp", k, job[k])
		}
	}
	run = decode[object](t, c.get("/runs/"+runName))
	if run["status"] != "running" || run["started"] != "2026-03-01 12:00:00.153258" {
		t.Errorf("run after a job started: %v", run)
	}
}

// Issue 18 item 3: GET /runs/{name}/summary/ is getRun's run without jobs, or with the job keys
// job_fields names; a filter key in its place stays a filter path.
func TestGetRunSummary(t *testing.T) {
	c := newServer(t)
	c.post("/runs/"+runName+"/jobs/", object{"job_id": "2", "status": "fail", "description": "b", "failure_reason": "boom"}).must(t, 200)
	c.post("/runs/"+runName+"/jobs/", object{"job_id": "10", "status": "pass", "description": "a"}).must(t, 200)
	full := decode[object](t, c.get("/runs/"+runName+"/"))
	delete(full, "jobs")

	for _, path := range []string{"/runs/" + runName + "/summary/", "/runs/" + runName + "/summary"} {
		summary := decode[object](t, c.get(path))
		if _, ok := summary["jobs"]; ok {
			t.Errorf("%s: has jobs: %v", path, summary["jobs"])
		}
		if fmt.Sprint(summary) != fmt.Sprint(full) {
			t.Errorf("%s:\n%v\nwant getRun's run without jobs:\n%v", path, summary, full)
		}
	}
	got := decode[object](t, c.get("/runs/"+runName+"/summary/?job_fields=status,failure_reason"))
	want := `[map[failure_reason:<nil> job_id:10 status:pass] map[failure_reason:boom job_id:2 status:fail]]`
	if fmt.Sprint(got["jobs"]) != want || got["results"] == nil || got["name"] != runName {
		t.Errorf("job_fields=status,failure_reason: jobs %v, want %s (and the run: %v)", got["jobs"], want, got)
	}
	c.get("/runs/"+runName+"/summary/?job_fields=status,bogus").wantError(t, 400, "an invalid field was specified: bogus")
	c.get("/runs/nosuchrun/summary/").wantError(t, 404, "run with name nosuchrun not found")
	// The runs of branch "summary", as before there were summaries.
	if got := decode[[]object](t, c.get("/runs/branch/summary/")); len(got) != 0 {
		t.Errorf("/runs/branch/summary/ is the filter branch=summary: %v", got)
	}
}

func TestCreateRun(t *testing.T) {
	c := newServer(t)
	c.post("/runs/", object{"name": runName, "ignored": true}).must(t, 200)
	if got := decode[object](t, c.post("/runs/", object{"name": "x"})); len(got) != 0 {
		t.Errorf("create answered %v, want {}", got)
	}
	// DECISIONS 5: texts clients parse, verbatim.
	c.post("/runs/", object{"name": runName}).wantError(t, 400, "run with name "+runName+" already exists")
	c.post("/runs/", object{}).wantError(t, 400, "could not find required key: 'name'")
	c.post("/runs/", object{"name": ""}).wantError(t, 400, "could not find required key: 'name'")
	c.post("/runs/", object{"name": nil}).wantError(t, 400, "could not find required key: 'name'")
	c.post("/runs/", "name=foo").wantError(t, 400, "could not decode JSON body")
	c.post("/runs/", `["a"]`).wantError(t, 400, "could not decode JSON body")
	c.post("/runs/", object{"name": 5}).wantError(t, 400, "invalid value for 'name': must be a string")
	c.post("/runs/", object{"name": "a/b"}).wantError(t, 400, `invalid run name "a/b": it may not contain '/'`)

	run := decode[object](t, c.get("/runs/"+runName+"/"))
	if run["user"] != "teuthology" || run["suite"] != "rados" || run["status"] != "empty" || len(run["jobs"].([]any)) != 0 {
		t.Errorf("created run %v", run)
	}
}

func TestDeleteRun(t *testing.T) {
	c := newServer(t)
	c.post("/runs/"+runName+"/jobs/", object{"job_id": "1"}).must(t, 200)
	c.delete("/runs/"+runName+"/").must(t, 200)
	c.get("/runs/"+runName+"/").wantError(t, 404, "run with name "+runName+" not found")
	c.get("/runs/"+runName+"/jobs/1/").must(t, 404)
	c.delete("/runs/"+runName+"/").wantError(t, 404, "attempted to delete a non-existent run")
	if got := decode[[]object](t, c.get("/runs/")); len(got) != 0 {
		t.Errorf("runs left: %v", got)
	}
}

// Issue 18 item 1 (ceph/paddles#140): tags set on create and by PUT, shown on every run, listed
// by /runs/tag/, filtered by path and query, counted as they change.
func TestRunTags(t *testing.T) {
	c := newServer(t)
	runA := "teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi"
	runB := "teuthology-2026-01-16_10:20:30-rbd-main-distro-default-smithi"
	runC := "alice-2026-01-17_10:20:30-fs-squid-distro-default-mira"
	c.post("/runs/", object{"name": runA, "tags": []string{"nightly", "v19.2.1", "nightly"}}).must(t, 200)
	c.post("/runs/"+runB+"/jobs/", object{"job_id": "1"}).must(t, 200) // a run created by its job has none
	c.post("/runs/", object{"name": runC}).must(t, 200)

	tagsOf := func(name string) any { return decode[object](t, c.get("/runs/"+name+"/"))["tags"] }
	if got := fmt.Sprint(tagsOf(runA)); got != "[nightly v19.2.1]" {
		t.Errorf("%s tags %s, want [nightly v19.2.1] (a repeated tag counts once)", runA, got)
	}
	if got, ok := tagsOf(runB).([]any); !ok || len(got) != 0 {
		t.Errorf("%s tags %#v, want []", runB, tagsOf(runB))
	}

	put := decode[object](t, c.put("/runs/"+runB, object{"tags": []string{"nightly"}}).must(t, 200))
	if fmt.Sprint(put["tags"]) != "[nightly]" || put["name"] != runB || put["jobs"] != nil || put["results"] == nil {
		t.Errorf("PUT answered %v, want the run with its new tags and no jobs", put)
	}
	c.put("/runs/"+runC+"/", object{"tags": []string{"rc"}}).must(t, 200)

	names := func(path string) string {
		r := c.get(path).must(t, 200)
		var out []string
		for _, run := range decode[[]object](t, r) {
			out = append(out, run["name"].(string))
		}
		return r.Header.Get("X-Total-Count") + " " + strings.Join(out, ",")
	}
	for path, want := range map[string]string{
		"/runs/tag/nightly/":                   "2 " + runB + "," + runA,
		"/runs/?tags=nightly":                  "2 " + runB + "," + runA,
		"/runs/tag/nightly/tag/v19.2.1/":       "1 " + runA,
		"/runs/?tags=v19.2.1,nightly":          "1 " + runA,
		"/runs/tag/nightly/tag/rc/":            "0 ",
		"/runs/tag/nightly/suite/rbd/":         "1 " + runB,
		"/runs/?tags=nightly&suite=rbd":        "1 " + runB,
		"/runs/suite/rados/tag/v19.2.1/":       "1 " + runA,
		"/runs/tag/unknown/":                   "0 ",
		"/runs/?tags=rc&machine_type=mira":     "1 " + runC,
		"/runs/?tags=rc&machine_type=smithi":   "0 ",
		"/runs/?tags=nightly,nightly,v19.2.1,": "1 " + runA,
	} {
		if got := names(path); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
	values := func(path string) string { return fmt.Sprint(decode[[]any](t, c.get(path).must(t, 200))) }
	for path, want := range map[string]string{
		"/runs/tag/":                   "[nightly rc v19.2.1]",
		"/runs/tag/?count=1&page=2":    "[rc]",
		"/runs/suite/rados/tag/":       "[nightly v19.2.1]",
		"/runs/tag/nightly/tag/":       "[nightly v19.2.1]",
		"/runs/tag/nightly/suite/":     "[rados rbd]",
		"/runs/user/alice/tag/":        "[rc]",
		"/runs/tag/nightly/tag/rc/tag": "[]",
	} {
		if got := values(path); got != want {
			t.Errorf("%s: %s, want %s", path, got, want)
		}
	}

	// Tags are counted as they change: replaced, cleared, and with their run deleted.
	c.put("/runs/"+runA+"/", object{"tags": []string{"v19.2.1", "rc"}}).must(t, 200)
	c.put("/runs/"+runB+"/", object{"tags": nil}).must(t, 200)
	if got := values("/runs/tag/"); got != "[rc v19.2.1]" {
		t.Errorf("after the changes /runs/tag/ is %s, want [rc v19.2.1]", got)
	}
	if got := names("/runs/tag/rc/"); got != "2 "+runC+","+runA {
		t.Errorf("/runs/tag/rc/: %q", got)
	}
	c.delete("/runs/"+runA+"/").must(t, 200)
	if got := values("/runs/tag/"); got != "[rc]" {
		t.Errorf("after deleting %s /runs/tag/ is %s, want [rc]", runA, got)
	}
	if got := names("/runs/tag/rc/"); got != "1 "+runC {
		t.Errorf("/runs/tag/rc/ after the delete: %q", got)
	}

	// Bad input: a clear 400, and nothing written.
	c.put("/runs/"+runC+"/", object{"tags": []string{"a,b"}}).wantError(t, 400, `invalid tag "a,b": it may not contain ',' or '/'`)
	c.put("/runs/"+runC+"/", object{"tags": "rc"}).wantError(t, 400, "invalid value for 'tags': must be an array of strings")
	c.put("/runs/"+runC+"/", object{"name": runC}).wantError(t, 400, "could not find required key: 'tags'")
	c.put("/runs/"+runC+"/", "tags").wantError(t, 400, "could not decode JSON body")
	c.post("/runs/", object{"name": "x-run", "tags": []string{""}}).wantError(t, 400, `invalid tag "": a tag may not be empty`)
	c.get("/runs/x-run/").must(t, 404)
	if got := fmt.Sprint(tagsOf(runC)); got != "[rc]" {
		t.Errorf("%s tags %s after refused updates, want [rc]", runC, got)
	}
	c.put("/runs/nosuchrun/", object{"tags": []string{"rc"}}).wantError(t, 404, "run with name nosuchrun not found")
	if got := fmt.Sprint(decode[[]object](t, c.get("/runs/?fields=name,tags"))); !strings.Contains(got, "tags:[rc]") {
		t.Errorf("fields=name,tags: %s", got)
	}
}

// Issue 19: GET /runs/{name}/?wait=finished answers when the run finishes, or at its timeout,
// with the run as it is then.
func TestWaitForRun(t *testing.T) {
	c := newServer(t)
	c.post("/runs/"+runName+"/jobs/", object{"job_id": "1", "status": "running"}).must(t, 200)
	type answer struct {
		run     object
		elapsed time.Duration
	}
	wait := func(query string) chan answer {
		out := make(chan answer, 1)
		go func() {
			t0 := time.Now()
			r := c.get("/runs/" + runName + "/?" + query)
			var run object
			if r.Status == 200 {
				_ = json.Unmarshal(r.Body, &run)
			}
			out <- answer{run, time.Since(t0)}
		}()
		return out
	}

	timedOut := <-wait("wait=finished&timeout=0.3")
	if timedOut.run["status"] != "running" || timedOut.elapsed < 300*time.Millisecond || timedOut.elapsed > 2*time.Second {
		t.Errorf("a wait of 0.3 s for a running run: %v after %v", timedOut.run["status"], timedOut.elapsed)
	}

	waiting := wait("wait=finished&timeout=30s")
	time.Sleep(300 * time.Millisecond)
	put := time.Now()
	c.put("/runs/"+runName+"/jobs/1/", object{"status": "pass"}).must(t, 200)
	select {
	case a := <-waiting:
		if a.run["status"] != "finished pass" || a.elapsed < 300*time.Millisecond || len(a.run["jobs"].([]any)) != 1 {
			t.Errorf("the wait answered %v with %v jobs after %v", a.run["status"], a.run["jobs"], a.elapsed)
		}
		if late := time.Since(put); late > 2*time.Second {
			t.Errorf("the wait answered %v after the run finished", late)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the wait did not answer within 5 s of the run finishing")
	}
	if done := <-wait("wait=finished"); done.run["status"] != "finished pass" || done.elapsed > time.Second {
		t.Errorf("waiting for a finished run: %v after %v", done.run["status"], done.elapsed)
	}

	c.get("/runs/"+runName+"/?wait=started").wantError(t, 400, `invalid wait "started": the run status to wait for is finished`)
	c.get("/runs/"+runName+"/?wait=finished&timeout=soon").wantError(t, 400, `invalid timeout "soon": seconds (60) or a duration (60s, 2m)`)
	c.get("/runs/nosuchrun/?wait=finished").wantError(t, 404, "run with name nosuchrun not found")
}
