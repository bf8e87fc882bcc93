package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

const jobsPath = "/runs/" + runName + "/jobs/"

// teuthologyJob is a whole job config as teuthology reports it (about 4 KB, dotted, dashed and
// unknown keys included).
func teuthologyJob(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/teuthology-job.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The README's flow: create a run, post jobs (with mon.a_kernel_sha1), update one, list.
func TestReadmeFlow(t *testing.T) {
	c := newServer(t)
	c.post("/runs/", object{"name": "teuthology-2013-09-01_23:59:59-rados-master-testing-basic-plana"}).must(t, 200)
	path := "/runs/teuthology-2013-09-01_23:59:59-rados-master-testing-basic-plana/jobs/"
	for _, id := range []string{"1500", "1501"} {
		c.post(path, object{"job_id": id, "mon.a_kernel_sha1": "a" + id, "mon.b_kernel_sha1": "b" + id, "status": "running"}).must(t, 200)
	}
	c.put(path+"1501/", object{"success": true}).must(t, 200)
	jobs := decode[[]object](t, c.get(path))
	if len(jobs) != 2 {
		t.Fatalf("jobs: %v", jobs)
	}
	byID := map[any]object{}
	for _, j := range jobs {
		byID[j["job_id"]] = j
	}
	if j := byID["1501"]; j["status"] != "pass" || j["mon_a_kernel_sha1"] != "a1501" || j["mon_b_kernel_sha1"] != "b1501" {
		t.Errorf("job 1501: %v", j)
	}
	runs := decode[[]object](t, c.get("/runs/"))
	res := runs[0]["results"].(object)
	if runs[0]["status"] != "running" || fmt.Sprintln(res["pass"], res["running"], res["fail"]) != "1 1 0\n" {
		t.Errorf("run: %v", runs[0])
	}
	if runs[0]["suite"] != "rados" || runs[0]["branch"] != "master" || runs[0]["machine_type"] != "plana" {
		t.Errorf("run name parsed as %v", runs[0])
	}
}

// Acceptance 4: the body teuthology sends works with and without the trailing slash and without a
// Content-Type; a second POST answers "already exists" and the PUT that follows applies.
func TestTeuthologyReport(t *testing.T) {
	c := newServer(t)
	body := teuthologyJob(t)
	for i, path := range []string{"/runs/" + runName + "/jobs/", "/runs/" + runName + "/jobs"} {
		b := bytes.Replace(body, []byte(`"job_id": 7510032`), []byte(fmt.Sprintf(`"job_id": %d`, 7510032+i)), 1)
		r := c.do("POST", path, b, "Content-Type", "").must(t, 200)
		if want := fmt.Sprintf(`{"job_id":"%d","status":"queued"}`, 7510032+i); string(r.Body) != want {
			t.Errorf("POST %s answered %s, want %s", path, r.Body, want)
		}
	}
	// teuthology's report_job: POST, and on "already exists", PUT the same body.
	running := bytes.Replace(body, []byte(`"status": "queued"`), []byte(`"status": "running"`), 1)
	r := c.do("POST", jobsPath, running, "Content-Type", "")
	r.wantError(t, 400, "job with job_id 7510032 already exists")
	if msg := decode[object](t, r)["message"].(string); !strings.HasSuffix(msg, "already exists") {
		t.Fatalf("teuthology switches to PUT on the suffix 'already exists'; got %q", msg)
	}
	c.do("PUT", jobsPath+"7510032/", running, "Content-Type", "").must(t, 200)

	job := decode[object](t, c.get(jobsPath+"7510032"))
	want := object{
		"job_id": "7510032", "status": "running", "pid": "1234567", "mon_a_kernel_sha1": "4a1a0e4c2cbe7a7e5e1bd13c2a3a9d3b8f2a1c55",
		"nuke_on_error": true, "os_version": "22.04", "timestamp": "2026-01-15 10:20:30", "machine_type": "smithi",
		"log_href": "http://qa-proxy.ceph.com/teuthology/" + runName + "/7510032/teuthology.log",
	}
	for k, v := range want {
		if job[k] != v {
			t.Errorf("%s = %v, want %v", k, job[k], v)
		}
	}
	for _, k := range []string{"tube", "repo", "teuthology_sha1", "mon.a_kernel_sha1", "nuke-on-error", "first_in_suite"} {
		if _, ok := job[k]; ok {
			t.Errorf("key %q outside the job schema was echoed", k)
		}
	}
	// JSON-valued fields come back exactly as sent (key order and number spelling included).
	var sent map[string]json.RawMessage
	if err := json.Unmarshal(body, &sent); err != nil {
		t.Fatal(err)
	}
	raw := decode[map[string]json.RawMessage](t, c.get(jobsPath+"7510032/"))
	for _, k := range []string{"overrides", "tasks", "roles", "targets", "kernel"} {
		if compact(t, sent[k]) != string(raw[k]) {
			t.Errorf("%s changed:\n sent %s\n  got %s", k, compact(t, sent[k]), raw[k])
		}
	}
}

func compact(t testing.TB, b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// DECISIONS 10: posting a job creates its run; job_id is required.
func TestCreateJob(t *testing.T) {
	c := newServer(t)
	c.head("/runs/"+runName+"/").must(t, 404)
	c.post(jobsPath, object{"job_id": 1}).must(t, 200)
	run := decode[object](t, c.get("/runs/"+runName+"/"))
	if run["status"] != "unknown" || run["branch"] != "main-distro" {
		t.Errorf("auto-created run %v", run)
	}
	c.post(jobsPath, object{"status": "queued"}).wantError(t, 400, "could not find required key: 'job_id'")
	c.post(jobsPath, object{"job_id": ""}).wantError(t, 400, "could not find required key: 'job_id'")
	c.post(jobsPath, object{}).wantError(t, 400, "could not find required key: 'job_id'")
	c.post(jobsPath, "{").wantError(t, 400, "could not decode JSON body")
	c.post(jobsPath, "").wantError(t, 400, "could not decode JSON body")
	c.post(jobsPath, `{"job_id": "2"} {"job_id": "3"}`).wantError(t, 400, "could not decode JSON body")
	c.post(jobsPath, `[{"job_id": "2"}]`).wantError(t, 400, "could not decode JSON body")
	c.post(jobsPath, "{\"job_id\": \"2\", \"description\": \"\xff\"}").wantError(t, 400, "could not decode JSON body: not valid UTF-8")
	if n := len(decode[[]object](t, c.get(jobsPath))); n != 1 {
		t.Errorf("%d jobs after rejected posts, want 1", n)
	}
}

// DECISIONS 10: with --assign-job-ids, a job posted without an id gets a unique one.
func TestAssignJobIDs(t *testing.T) {
	c := newServer(t, func(o *serverOptions) { o.Service.AssignJobIDs = true })
	seen := map[any]bool{}
	for i := 0; i < 3; i++ {
		id := decode[object](t, c.post(jobsPath, object{"status": "queued"}).must(t, 200))["job_id"]
		if s, ok := id.(string); !ok || s == "" || seen[id] {
			t.Fatalf("assigned job_id %v (seen before: %v)", id, seen[id])
		}
		seen[id] = true
		c.get(jobsPath+id.(string)+"/").must(t, 200)
	}
	if got := decode[object](t, c.post(jobsPath, object{"job_id": "explicit"}).must(t, 200)); got["job_id"] != "explicit" {
		t.Errorf("explicit id answered %v", got)
	}
	// Issue 18, item 6, found by running upstream's controller tests here: assigned ids go up by
	// one (they went 1, 3, 5), an id the run has already (posted with its job) is skipped, and {}
	// answers 400 as upstream does, creating nothing.
	assign := func() int {
		id := decode[object](t, c.post(jobsPath, object{"status": "queued"}).must(t, 200))["job_id"].(string)
		n, err := strconv.Atoi(id)
		if err != nil {
			t.Fatalf("assigned job_id %q", id)
		}
		return n
	}
	first := assign()
	if second := assign(); second != first+1 {
		t.Errorf("assigned %d then %d, want consecutive ids", first, second)
	}
	c.post(jobsPath, object{"job_id": first + 2}).must(t, 200)
	if next := assign(); next != first+3 {
		t.Errorf("assigned %d after %d was posted, want %d", next, first+2, first+3)
	}
	before := len(decode[[]object](t, c.get(jobsPath)))
	c.post(jobsPath, object{}).wantError(t, 400, "could not decode JSON body")
	if n := len(decode[[]object](t, c.get(jobsPath))); n != before {
		t.Errorf("{} made a job: %d jobs, were %d", n, before)
	}
	other := decode[object](t, c.post("/runs/"+runName+"-2/jobs/", object{"status": "queued"}).must(t, 200))["job_id"]
	if other != strconv.Itoa(first+4) {
		t.Errorf("another run's assigned id %v, want %d", other, first+4)
	}
}

// DECISIONS 11: keys are normalised ("-" and "." become "_"); unknown keys are ignored.
func TestKeyNormalisation(t *testing.T) {
	c := newServer(t)
	c.post(jobsPath, object{"job_id": "1", "mon.a_kernel_sha1": "aaa", "mon.b-kernel-sha1": "bbb",
		"nuke-on-error": true, "suite-branch": "main", "some_unknown_key": object{"x": 1}, "os.type": "ubuntu"}).must(t, 200)
	job := decode[object](t, c.get(jobsPath+"1/"))
	want := object{"mon_a_kernel_sha1": "aaa", "mon_b_kernel_sha1": "bbb", "nuke_on_error": true, "suite_branch": "main", "os_type": "ubuntu"}
	for k, v := range want {
		if job[k] != v {
			t.Errorf("%s = %v, want %v", k, job[k], v)
		}
	}
	if _, ok := job["some_unknown_key"]; ok {
		t.Error("unknown key echoed")
	}
	// The canonical spelling wins when both are sent, in either order.
	c.put(jobsPath+"1/", `{"nuke_on_error": false, "nuke-on-error": true}`).must(t, 200)
	if job := decode[object](t, c.get(jobsPath+"1/")); job["nuke_on_error"] != false {
		t.Errorf("nuke_on_error = %v, want the canonical key's false", job["nuke_on_error"])
	}
}

// DECISIONS 12: job_id can never change.
func TestJobIDImmutable(t *testing.T) {
	c := newServer(t)
	c.post(jobsPath, object{"job_id": "1"}).must(t, 200)
	c.put(jobsPath+"1/", object{"job_id": "2", "status": "dead"}).wantError(t, 400, "job_id cannot be changed (from 1 to 2)")
	c.put(jobsPath+"1/", object{"job_id": 1, "status": "running"}).must(t, 200)
	c.get(jobsPath+"2/").must(t, 404)
	if job := decode[object](t, c.get(jobsPath+"1/")); job["status"] != "running" {
		t.Errorf("status %v: the rejected PUT must not have been applied and the accepted one must", job["status"])
	}
}

// DECISIONS 13: upstream's coercions are kept; values that cannot be coerced answer 400 naming the
// key, and nothing of the request is written.
func TestCoercions(t *testing.T) {
	c := newServer(t)
	c.post(jobsPath, `{"job_id": 7, "pid": 4242, "duration": 1234.56, "seed": "17", "priority": 99.5, "os_version": 8.6}`).must(t, 200)
	job := decode[object](t, c.get(jobsPath+"7/"))
	want := map[string]string{"job_id": "7", "pid": "4242", "duration": "1235", "seed": "17", "priority": "100", "os_version": "8.6"}
	for k, v := range want {
		if fmt.Sprint(job[k]) != v {
			t.Errorf("%s = %#v, want %s", k, job[k], v)
		}
	}
	if _, ok := job["pid"].(string); !ok {
		t.Errorf("pid %#v is not a string", job["pid"])
	}
	if _, ok := job["job_id"].(string); !ok {
		t.Errorf("job_id %#v is not a string", job["job_id"])
	}

	other := "/runs/never-created/jobs/"
	bad := []struct{ body, msg string }{
		{`{"job_id": "1", "duration": "abc"}`, "invalid value for 'duration': must be a number"},
		{`{"job_id": "1", "success": "yes"}`, "invalid value for 'success': must be true, false or null"},
		{`{"job_id": "1", "status": "bogus"}`, "invalid value for 'status': must be one of pass, fail, queued, running, dead, unknown, waiting"},
		{`{"job_id": "1", "timestamp": "yesterday"}`, "invalid value for 'timestamp': must be a time like 2026-01-15_10:20:30 or 2026-01-15 10:20:30.123456"},
		{`{"job_id": "1", "description": {"a": 1}}`, "invalid value for 'description': must be a string"},
		{`{"job_id": "1", "description": "a\u0000b"}`, "invalid value for 'description': must not contain NUL (\\u0000) characters"},
		{`{"job_id": [1]}`, "invalid value for 'job_id': must be a string or an integer"},
		{`{"job_id": "1", "priority": 1e300}`, "invalid value for 'priority': is out of range"},
		{`{"job_id": "1", "last_in_suite": 1}`, "invalid value for 'last_in_suite': must be true, false or null"},
	}
	for _, b := range bad {
		c.post(other, b.body).wantError(t, 400, b.msg)
		c.put(jobsPath+"7/", b.body).must(t, 400)
	}
	c.head("/runs/never-created/").must(t, 404)
	if got := decode[object](t, c.get(jobsPath+"7/")); fmt.Sprint(got) != fmt.Sprint(job) {
		t.Errorf("a rejected PUT changed the job:\n%v\n%v", job, got)
	}
}

// JSON-valued fields holding \u0000 are stored faithfully (the json column keeps the escape).
func TestNULInJSONValues(t *testing.T) {
	c := newServer(t)
	c.post(jobsPath, `{"job_id": "1", "overrides": {"k\u0000": "v\u0000"}, "tasks": ["\u0000"]}`).must(t, 200)
	raw := decode[map[string]json.RawMessage](t, c.get(jobsPath+"1/"))
	if string(raw["overrides"]) != `{"k\u0000":"v\u0000"}` || string(raw["tasks"]) != `["\u0000"]` {
		t.Errorf("overrides %s, tasks %s", raw["overrides"], raw["tasks"])
	}
}

// DECISIONS 14: status rules, and run status and results derived from the jobs.
func TestStatusRules(t *testing.T) {
	c := newServer(t)
	status := func(id string) any { return decode[object](t, c.get(jobsPath+id+"/"))["status"] }
	steps := []struct {
		method, id, body, want string
	}{
		{"POST", "1", `{"job_id": "1"}`, "unknown"},
		{"POST", "2", `{"job_id": "2", "status": "dead", "success": false}`, "dead"},
		{"POST", "3", `{"job_id": "3", "success": true}`, "pass"},
		{"POST", "4", `{"job_id": "4", "success": null}`, "unknown"},
		{"PUT", "1", `{"status": "queued"}`, "queued"},
		{"PUT", "1", `{"status": "running", "success": true}`, "running"},
		{"PUT", "1", `{"success": false}`, "fail"},
		{"PUT", "1", `{"status": "dead"}`, "fail"},    // pass and fail are final for status...
		{"PUT", "1", `{"success": true}`, "pass"},     // ...but success still moves them
		{"PUT", "1", `{"status": "running"}`, "pass"}, // and a pass stays a pass
		{"PUT", "2", `{"status": "running"}`, "running"},
	}
	for _, s := range steps {
		path := jobsPath
		if s.method == "PUT" {
			path += s.id + "/"
		}
		c.do(s.method, path, s.body).must(t, 200)
		if got := status(s.id); got != s.want {
			t.Fatalf("after %s %s %s: status %v, want %s", s.method, s.id, s.body, got, s.want)
		}
	}
	run := decode[object](t, c.get("/runs/"+runName+"/"))
	res := run["results"].(object)
	if run["status"] != "running" || fmt.Sprintln(res["pass"], res["running"], res["unknown"], res["total"]) != "2 1 1 4\n" {
		t.Errorf("run %v %v", run["status"], res)
	}
	for _, id := range []string{"2", "4"} {
		c.put(jobsPath+id+"/", `{"status": "fail"}`).must(t, 200)
	}
	if run := decode[object](t, c.get("/runs/"+runName+"/")); run["status"] != "finished fail" {
		t.Errorf("run status %v, want finished fail", run["status"])
	}
	c.delete(jobsPath+"2/").must(t, 200)
	c.delete(jobsPath+"4/").must(t, 200)
	if run := decode[object](t, c.get("/runs/"+runName+"/")); run["status"] != "finished pass" || fmt.Sprint(run["jobs_count"]) != "2" {
		t.Errorf("after deletes: run status %v, jobs_count %v", run["status"], run["jobs_count"])
	}
}

// Run status follows upstream's table, first match wins.
func TestRunStatusTable(t *testing.T) {
	cases := []struct {
		statuses []string
		want     string
	}{
		{nil, "empty"},
		{[]string{"queued", "queued"}, "queued"},
		{[]string{"queued", "running", "fail"}, "running"},
		{[]string{"waiting", "pass"}, "waiting"},
		{[]string{"dead", "dead"}, "finished dead"},
		{[]string{"pass", "fail", "queued"}, "finished fail"},
		{[]string{"pass", "dead"}, "finished fail"},
		{[]string{"pass", "pass"}, "finished pass"},
		{[]string{"pass", "queued"}, "queued"},
		{[]string{"pass", "unknown"}, "unknown"},
	}
	c := newServer(t)
	for i, tc := range cases {
		name := fmt.Sprintf("run-%d", i)
		c.post("/runs/", object{"name": name}).must(t, 200)
		for j, s := range tc.statuses {
			c.post("/runs/"+name+"/jobs/", object{"job_id": j, "status": s}).must(t, 200)
		}
		if got := decode[object](t, c.get("/runs/"+name+"/"))["status"]; got != tc.want {
			t.Errorf("jobs %v: run status %v, want %s", tc.statuses, got, tc.want)
		}
	}
}

// Partial updates keep every other stored value; priority changes only while queued.
func TestPartialUpdate(t *testing.T) {
	c := newServer(t)
	c.post(jobsPath, object{"job_id": "1", "status": "queued", "priority": 100, "description": "d", "os_type": "ubuntu"}).must(t, 200)
	c.put(jobsPath+"1/", object{"priority": 50, "pid": "99"}).must(t, 200)
	c.put(jobsPath+"1/", object{"status": "running"}).must(t, 200)
	c.put(jobsPath+"1/", object{"priority": 1}).must(t, 200)
	job := decode[object](t, c.get(jobsPath+"1/"))
	if fmt.Sprintln(job["priority"], job["pid"], job["description"], job["os_type"], job["status"]) != "50 99 d ubuntu running\n" {
		t.Errorf("job %v", job)
	}
	c.put(jobsPath+"1/", object{"updated": "2026-02-03 04:05:06.5"}).must(t, 200)
	if job := decode[object](t, c.get(jobsPath+"1/")); job["updated"] != "2026-02-03 04:05:06.500000" {
		t.Errorf("explicit updated: %v", job["updated"])
	}
	if run := decode[object](t, c.get("/runs/"+runName+"/")); run["updated"] != "2026-02-03 04:05:06.500000" {
		t.Errorf("run updated: %v", run["updated"])
	}
}

func TestListRunJobs(t *testing.T) {
	c := newServer(t)
	for i, s := range []string{"pass", "fail", "pass"} {
		c.post(jobsPath, object{"job_id": i + 1, "status": s, "description": fmt.Sprint("d", i+1)}).must(t, 200)
	}
	jobs := decode[[]object](t, c.get(jobsPath))
	if len(jobs) != 3 || jobs[0]["job_id"] != "3" {
		t.Errorf("jobs not newest first: %v", jobs)
	}
	passed := decode[[]object](t, c.get(jobsPath+"?status=pass&fields=status"))
	if len(passed) != 2 || len(passed[0]) != 2 || passed[0]["status"] != "pass" || passed[0]["job_id"] == nil {
		t.Errorf("status=pass&fields=status: %v", passed)
	}
	c.get(jobsPath+"?fields=job_id,bogus").wantError(t, 400, "an invalid field was specified: bogus")
	c.get(jobsPath+"?status=bogus").wantError(t, 400, `invalid status "bogus"`)
	c.get("/runs/nope/jobs/").wantError(t, 404, "run with name nope not found")
}

// Unknown runs and jobs answer 404 with a JSON message on every method.
func TestNotFound(t *testing.T) {
	c := newServer(t)
	c.post(jobsPath, object{"job_id": "1"}).must(t, 200)
	c.get("/runs/nope/").wantError(t, 404, "run with name nope not found")
	c.get(jobsPath+"2/").wantError(t, 404, "job with job_id 2 not found in run "+runName)
	c.get("/runs/nope/jobs/1/").wantError(t, 404, "job with job_id 1 not found in run nope")
	c.put(jobsPath+"2/", object{"status": "pass"}).wantError(t, 404, "attempted to update a non-existent job")
	c.put("/runs/nope/jobs/1/", object{"status": "pass"}).wantError(t, 404, "attempted to update a non-existent job")
	c.delete(jobsPath+"2/").wantError(t, 404, "attempted to delete a non-existent job")
	c.head(jobsPath+"2/").must(t, 404)
	c.head("/runs/nope/").must(t, 404)
}

// rowCount counts rows straight from the database, past the API.
func rowCount(t testing.TB, c *client, query string, args ...any) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), c.db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A run's jobs filter by several statuses at once (a rerun of failures: status=fail,dead) and by
// text in the description and the failure reason (issue 18, item 4).
func TestRunJobFilters(t *testing.T) {
	c := newServer(t)
	jobs := []object{
		{"job_id": "1", "status": "pass", "description": "rados/thrash/{a}"},
		{"job_id": "2", "status": "fail", "description": "rados/thrash/{b}", "failure_reason": "Command failed on smithi001 with status 1"},
		{"job_id": "3", "status": "dead", "description": "rados/singleton/{c}", "failure_reason": "hit max job timeout"},
		{"job_id": "4", "status": "fail", "description": "rbd/basic/{d}", "failure_reason": "Command failed on smithi002 with status 124"},
		{"job_id": "5", "status": "running", "description": "rados/thrash/{e}"},
	}
	for _, j := range jobs {
		c.post("/runs/r/jobs/", j).must(t, 200)
	}
	ids := func(query string) string {
		var got []string
		for _, j := range decode[[]object](t, c.get("/runs/r/jobs/?fields=job_id&"+query).must(t, 200)) {
			got = append(got, j["job_id"].(string))
		}
		slices.Sort(got)
		return strings.Join(got, " ")
	}
	for _, tc := range []struct{ query, want string }{
		{"status=fail,dead", "2 3 4"},
		{"status=fail", "2 4"},
		{"status=dead,pass,running", "1 3 5"},
		{"description_contains=thrash", "1 2 5"},
		{"description_contains=Thrash", ""},
		{"failure_reason_contains=Command%20failed", "2 4"},
		{"status=fail,dead&description_contains=rados/", "2 3"},
		{"status=fail&failure_reason_contains=status%20124&description_contains=rbd", "4"},
		{"description_contains=%25", ""}, // no LIKE wildcards
	} {
		if got := ids(tc.query); got != tc.want {
			t.Errorf("%s: jobs %q, want %q", tc.query, got, tc.want)
		}
	}
	c.get("/runs/r/jobs/?status=fail,bogus").wantError(t, 400, `invalid status "bogus"`)
	c.get("/runs/r/jobs/?status=fail,").wantError(t, 400, `invalid status ""`)
	c.get("/runs/nope/jobs/?status=fail,dead").wantError(t, 404, "run with name nope not found")
}
