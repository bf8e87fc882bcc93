package httpapi_test

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// failureDay is day 0 of the seeded lab; the tests read on day 20.
var failureDay = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Failure reasons as teuthology reports them. reasonA recurs on several nodes and sha1s, the
// others are failures of their own; reasonF differs from reasonA by its exit status only.
const (
	reasonA = "Command failed (workunit test rados/test.sh) on %s with status %d: 'mkdir -p -- /home/ubuntu/cephtest/mnt.0/client.0/tmp && cd -- /home/ubuntu/cephtest/mnt.0/client.0/tmp && CEPH_REF=%s adjust-ulimits ceph-coverage timeout 3h /home/ubuntu/cephtest/clone.client.0/qa/workunits/rados/test.sh'"
	reasonB = "hit max job timeout"
	reasonC = "saw valgrind issues"
	reasonD = "reached maximum tries (90) after waiting for 540 seconds"
	reasonE = "SELinux denials found on ubuntu@smithi123.front.sepia.ceph.com: ['type=AVC msg=audit(1700000000.123:456): avc:  denied  { read } for  pid=%d comm=\"ceph-osd\"']"
)

// The seeded runs' sha1s.
const (
	sha1Day1  = "9f3c2b1a0e7d6c5b4a3928171605f4e3d2c1b0a9"
	sha1Day2  = "1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e"
	sha1Day10 = "4a2e6b1c9d8f7e6a5b4c3d2e1f0a9b8c7d6e5f40"
	sha1Day15 = "e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6" // and day 18's: testD1 flakes on it
	sha1Day16 = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
	sha1Day17 = "7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b"
)

// The first reason seen of each signature (its example), by the name the tests give it.
var failureExamples = map[string]string{
	"A": fmt.Sprintf(reasonA, "smithi042", 1, sha1Day2),
	"B": reasonB,
	"C": reasonC,
	"D": reasonD,
	"E": fmt.Sprintf(reasonE, 3003),
	"F": fmt.Sprintf(reasonA, "smithi042", 124, sha1Day10),
}

// Tests (descriptions) of the seeded suites.
const (
	testD1 = "rados/thrash/{clusters/{fixed-2} msgr-failures/fastclose thrashers/careful workloads/snaps-few-objects}"
	testD2 = "rados/thrash/{clusters/{fixed-2} msgr-failures/few thrashers/morepggrow workloads/radosbench}"
	testD3 = "rados/singleton/{all/mon-auth-caps}"
	testD4 = "rbd/qemu/{features/defaults workloads/qemu_fsstress}"
	testD5 = "rados/thrash/{clusters/{fixed-2} msgr-failures/few thrashers/careful workloads/cache-snaps}"
)

// failureJob is one job teuthology reports: running, then its outcome, at the clock's time.
type failureJob struct {
	test, status, reason string
}

// failureRun is one run of the lab: its day, suite, branch, machine type, sha1 and jobs.
type failureRun struct {
	day                        int
	suite, branch, machineType string
	sha1                       string
	jobs                       []failureJob
}

func (r failureRun) name() string {
	at := failureDay.AddDate(0, 0, r.day)
	return fmt.Sprintf("teuthology-%s-%s-%s-distro-default-%s", at.Format("2006-01-02_15:04:05"), r.suite, r.branch, r.machineType)
}

// failureLab is several runs of rados over twenty days: passes, fails, a flake (testD1 passes in
// r2 and fails in r3 on one sha1), reasonA on five nodes, and runs of another branch, suite and
// machine type.
var failureLab = []failureRun{
	{day: 1, suite: "rados", branch: "main", machineType: "smithi", sha1: sha1Day1, jobs: []failureJob{
		{testD3, "fail", reasonC}}},
	{day: 2, suite: "rados", branch: "main", machineType: "smithi", sha1: sha1Day2, jobs: []failureJob{
		{testD1, "fail", failureExamples["A"]}}},
	{day: 10, suite: "rados", branch: "main", machineType: "smithi", sha1: sha1Day10, jobs: []failureJob{
		{testD1, "fail", fmt.Sprintf(reasonA, "smithi042", 1, sha1Day10)},
		{testD2, "fail", fmt.Sprintf(reasonA, "smithi117", 1, sha1Day10)},
		{testD3, "pass", ""},
		{testD5, "fail", failureExamples["F"]}}},
	{day: 15, suite: "rados", branch: "main", machineType: "smithi", sha1: sha1Day15, jobs: []failureJob{
		{testD1, "pass", ""},
		{testD2, "dead", reasonB},
		{testD3, "fail", failureExamples["E"]}}},
	{day: 16, suite: "rados", branch: "squid", machineType: "smithi", sha1: sha1Day16, jobs: []failureJob{
		{testD1, "fail", fmt.Sprintf(reasonA, "smithi050", 1, sha1Day16)},
		{testD2, "fail", reasonD}}},
	{day: 17, suite: "rbd", branch: "main", machineType: "mira", sha1: sha1Day17, jobs: []failureJob{
		{testD4, "dead", reasonB}}},
	{day: 18, suite: "rados", branch: "main", machineType: "smithi", sha1: sha1Day15, jobs: []failureJob{
		{testD1, "fail", fmt.Sprintf(reasonA, "smithi201", 1, sha1Day15)},
		{testD2, "pass", ""}}},
}

// jobPosted is when job k of a run was posted: minutes apart from the run's day.
func jobPosted(r failureRun, k int) time.Time {
	return failureDay.AddDate(0, 0, r.day).Add(time.Duration(k+1) * time.Minute)
}

// failureServer serves the seeded lab with its clock on day 20. Jobs are reported as teuthology
// reports them (POST running with targets, PUT the outcome), each at its own time: the clock the
// service stamps writes with is moved before every write.
func failureServer(t *testing.T, opts ...func(*serverOptions)) (c *client, setClock func(time.Time)) {
	t.Helper()
	now := failureDay
	clock := func() time.Time { return now }
	c = newServer(t, append([]func(*serverOptions){func(o *serverOptions) { o.Now = clock; o.Service.Now = clock }}, opts...)...)
	for _, r := range failureLab {
		for k, j := range r.jobs {
			now = jobPosted(r, k)
			path := "/runs/" + r.name() + "/jobs/"
			id := fmt.Sprint(100*r.day + k + 1)
			host := fmt.Sprintf("smithi%03d.front.sepia.ceph.com", 10+k)
			c.post(path, object{"job_id": id, "status": "running", "description": j.test, "sha1": r.sha1,
				"suite": r.suite, "branch": r.branch, "machine_type": r.machineType,
				"targets": object{"ubuntu@" + host: "ssh-ed25519 AAAA"}}).must(t, 200)
			now = now.Add(30 * time.Second)
			outcome := object{"status": j.status, "success": j.status == "pass"}
			if j.reason != "" {
				outcome["failure_reason"] = j.reason
			}
			c.put(path+id+"/", outcome).must(t, 200)
		}
	}
	now = failureDay.AddDate(0, 0, 20)
	return c, func(t time.Time) { now = t }
}

// signatureIDOf is the id a signature text has: its md5 as a UUID.
func signatureIDOf(signature string) string {
	h := md5.Sum([]byte(signature))
	x := hex.EncodeToString(h[:])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// wireDay is the wire timestamp of job k of run r.
func wireDay(r failureRun, k int) string { return jobPosted(r, k).Format("2006-01-02 15:04:05") }

// summarize lists signatures as "name jobs runs tests" lines, with the names given by id, and
// checks that each id is its signature's.
func summarize(t *testing.T, failures []object, names map[string]string) []string {
	t.Helper()
	var out []string
	for _, f := range failures {
		if got, want := f["id"], signatureIDOf(f["signature"].(string)); got != want {
			t.Errorf("signature %q: id %v, want its md5 %s", f["signature"], got, want)
		}
		out = append(out, fmt.Sprintf("%s jobs=%v runs=%v tests=%v", names[f["id"].(string)], f["jobs"], f["runs"], f["tests"]))
	}
	return out
}

// The same failure on different nodes, pids and runs has one signature; different failures
// (another exit status included) have their own; the window, the filters, the order, the counts,
// the top tests and the pages are as seeded.
func TestFailures(t *testing.T) {
	c, _ := failureServer(t)
	all := decode[[]object](t, c.get("/failures/?since_days=30").must(t, 200))
	names := map[string]string{}
	for _, f := range all {
		for name, example := range failureExamples {
			if f["example"] == example {
				names[f["id"].(string)] = name
			}
		}
	}
	if got := strings.Join(summarize(t, all, names), "\n"); got != strings.Join([]string{
		"A jobs=5 runs=4 tests=2", "B jobs=2 runs=2 tests=2", "D jobs=1 runs=1 tests=1",
		"E jobs=1 runs=1 tests=1", "F jobs=1 runs=1 tests=1", "C jobs=1 runs=1 tests=1"}, "\n") {
		t.Fatalf("since_days=30:\n%s", got)
	}
	a := all[0]
	if sig := a["signature"].(string); names[a["id"].(string)] != "A" || strings.Contains(sig, "smithi042") || strings.Contains(sig, sha1Day2) {
		t.Errorf("signature A keeps a node or sha1, or its example is not the first reason seen: %q", sig)
	}
	if a["first_seen"] != wireDay(failureLab[1], 0) || a["last_seen"] != wireDay(failureLab[6], 0) {
		t.Errorf("A seen %v to %v", a["first_seen"], a["last_seen"])
	}
	if a["tracker_url"] != nil || a["note"] != nil {
		t.Errorf("A is linked before any PUT: %v %v", a["tracker_url"], a["note"])
	}
	if got := fmt.Sprint(a["top_tests"]); got != fmt.Sprint([]object{
		{"description": testD1, "jobs": jsonNumber(4), "last_seen": wireDay(failureLab[6], 0)},
		{"description": testD2, "jobs": jsonNumber(1), "last_seen": wireDay(failureLab[2], 1)}}) {
		t.Errorf("top tests of A: %s", got)
	}

	cases := []struct {
		query string
		want  []string
		total string
	}{
		// The default window, 14 days, leaves out days 1 and 2; first_seen stays day 2's.
		{"", []string{"A jobs=4 runs=3 tests=2", "B jobs=2 runs=2 tests=2", "D jobs=1 runs=1 tests=1",
			"E jobs=1 runs=1 tests=1", "F jobs=1 runs=1 tests=1"}, "5"},
		{"?since_days=3", []string{"A jobs=1 runs=1 tests=1", "B jobs=1 runs=1 tests=1"}, "2"},
		{"?branch=squid", []string{"D jobs=1 runs=1 tests=1", "A jobs=1 runs=1 tests=1"}, "2"},
		{"?branch=main", []string{"A jobs=3 runs=2 tests=2", "B jobs=2 runs=2 tests=2",
			"E jobs=1 runs=1 tests=1", "F jobs=1 runs=1 tests=1"}, "4"},
		{"?suite=rbd", []string{"B jobs=1 runs=1 tests=1"}, "1"},
		{"?machine_type=mira", []string{"B jobs=1 runs=1 tests=1"}, "1"},
		{"?suite=rados&machine_type=smithi&branch=main", []string{"A jobs=3 runs=2 tests=2",
			"E jobs=1 runs=1 tests=1", "B jobs=1 runs=1 tests=1", "F jobs=1 runs=1 tests=1"}, "4"},
		{"?branch=nope", nil, "0"},
		{"?count=2&page=2", []string{"D jobs=1 runs=1 tests=1", "E jobs=1 runs=1 tests=1"}, "5"},
		{"?count=2&page=4", nil, "5"},
		{"?count=0", nil, "5"},
	}
	for _, tc := range cases {
		for _, path := range []string{"/failures/", "/failures"} {
			r := c.get(path+tc.query).must(t, 200)
			got := summarize(t, decode[[]object](t, r), names)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") || r.Header.Get("X-Total-Count") != tc.total {
				t.Errorf("%s%s: total %s, want %s:\n%s\nwant:\n%s", path, tc.query, r.Header.Get("X-Total-Count"), tc.total,
					strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		}
	}
	// Top tests follow the filter: on squid, A hit testD1 only; B's two tests tie, the later first.
	if squid := decode[[]object](t, c.get("/failures/?branch=squid")); fmt.Sprint(squid[1]["top_tests"]) != fmt.Sprint([]object{
		{"description": testD1, "jobs": jsonNumber(1), "last_seen": wireDay(failureLab[4], 0)}}) {
		t.Errorf("top tests of A on squid: %v", squid[1]["top_tests"])
	}
	if b := decode[[]object](t, c.get("/failures/"))[1]; fmt.Sprint(b["top_tests"]) != fmt.Sprint([]object{
		{"description": testD4, "jobs": jsonNumber(1), "last_seen": wireDay(failureLab[5], 0)},
		{"description": testD2, "jobs": jsonNumber(1), "last_seen": wireDay(failureLab[3], 1)}}) {
		t.Errorf("top tests of B: %v", b["top_tests"])
	}

	for query, message := range map[string]string{
		"since_days=0":  "since_days must be an integer from 1 to 90",
		"since_days=91": "since_days must be an integer from 1 to 90",
		"count=501":     "count must be at most 500",
		"count=-1":      "count must be a non-negative integer",
		"page=0":        "page must be a positive integer",
	} {
		c.get("/failures/?"+query).wantError(t, 400, message)
	}
}

// jsonNumber is n as decode gives it.
func jsonNumber(n int) any { return json.Number(fmt.Sprint(n)) }

// One signature: its counts over a window of any branch, its all-time span, its tests; its jobs,
// newest first, with a bounded total; 400 for a malformed id, 404 for an unknown one.
func TestFailure(t *testing.T) {
	c, _ := failureServer(t)
	id := signatureIDOf(decode[[]object](t, c.get("/failures/"))[0]["signature"].(string))
	f := decode[object](t, c.get("/failures/"+id+"/").must(t, 200))
	want := fmt.Sprintf("id=%s jobs=4 runs=3 tests=2 since_days=14 first=%s last=%s updated=<nil> tracker=<nil>", id,
		wireDay(failureLab[1], 0), wireDay(failureLab[6], 0))
	if got := fmt.Sprintf("id=%v jobs=%v runs=%v tests=%v since_days=%v first=%v last=%v updated=%v tracker=%v", f["id"], f["jobs"],
		f["runs"], f["tests"], f["since_days"], f["first_seen"], f["last_seen"], f["updated"], f["tracker_url"]); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	hit := fmt.Sprint([]object{
		{"description": testD1, "jobs": jsonNumber(3), "last_seen": wireDay(failureLab[6], 0)},
		{"description": testD2, "jobs": jsonNumber(1), "last_seen": wireDay(failureLab[2], 1)}})
	if fmt.Sprint(f["hit_tests"]) != hit || fmt.Sprint(f["top_tests"]) != hit {
		t.Errorf("tests: hit %v, top %v", f["hit_tests"], f["top_tests"])
	}
	// The window counts; the span is all time.
	f = decode[object](t, c.get("/failures/"+strings.ToUpper(id)+"?since_days=1").must(t, 200))
	if f["id"] != id || f["jobs"] != jsonNumber(0) || f["tests"] != jsonNumber(0) || fmt.Sprint(f["hit_tests"]) != "[]" ||
		f["first_seen"] != wireDay(failureLab[1], 0) || f["last_seen"] != wireDay(failureLab[6], 0) {
		t.Errorf("since_days=1: %v", f)
	}

	r := c.get("/failures/"+id+"/jobs/").must(t, 200)
	jobs := decode[[]object](t, r)
	var got []string
	for _, j := range jobs {
		got = append(got, fmt.Sprintf("%v %v %v %v %v %v", j["run"], j["job_id"], j["status"], j["branch"], j["posted"], j["failure_reason"]))
		if want := publicURL + "/runs/" + url.PathEscape(j["run"].(string)) + "/jobs/" + j["job_id"].(string) + "/"; j["href"] != want {
			t.Errorf("href %v, want %s", j["href"], want)
		}
	}
	var wantJobs []string
	for _, at := range [][2]int{{6, 0}, {4, 0}, {2, 1}, {2, 0}, {1, 0}} {
		run := failureLab[at[0]]
		wantJobs = append(wantJobs, fmt.Sprintf("%s %d fail %s %s %s", run.name(), 100*run.day+at[1]+1, run.branch,
			wireDay(run, at[1]), run.jobs[at[1]].reason))
	}
	if strings.Join(got, "\n") != strings.Join(wantJobs, "\n") || r.Header.Get("X-Total-Count") != "5" || r.Header.Get("X-Total-Count-Exact") != "true" {
		t.Errorf("jobs (total %s, exact %s):\n%s\nwant:\n%s", r.Header.Get("X-Total-Count"), r.Header.Get("X-Total-Count-Exact"),
			strings.Join(got, "\n"), strings.Join(wantJobs, "\n"))
	}
	if j := jobs[0]; j["description"] != testD1 || j["sha1"] != sha1Day15 || j["suite"] != "rados" || j["machine_type"] != "smithi" {
		t.Errorf("job: %v", j)
	}
	r = c.get("/failures/"+id+"/jobs?count=2&page=2").must(t, 200)
	if page := decode[[]object](t, r); len(page) != 2 || page[0]["job_id"] != jobs[2]["job_id"] || r.Header.Get("X-Total-Count") != "5" {
		t.Errorf("page 2: %v (total %s)", page, r.Header.Get("X-Total-Count"))
	}

	const unknown = "00000000-0000-0000-0000-000000000000"
	for _, path := range []string{"/failures/" + unknown + "/", "/failures/" + unknown + "/jobs/"} {
		c.get(path).wantError(t, 404, "failure signature "+unknown+" not found")
	}
	for _, bad := range []string{"xyz", id[:35], id + "0", strings.ReplaceAll(id, "-", "")} {
		msg := fmt.Sprintf("invalid failure signature id %q: want a UUID such as 0d9de8f5-3c0e-6ef3-4a2b-d64c0bb1f1a4", bad)
		c.get("/failures/"+bad+"/").wantError(t, 400, msg)
		c.get("/failures/"+bad+"/jobs/").wantError(t, 400, msg)
		c.put("/failures/"+bad+"/", object{"note": "x"}).wantError(t, 400, msg)
	}
	c.get("/failures/"+id+"/?since_days=91").wantError(t, 400, "since_days must be an integer from 1 to 90")
	c.get("/failures/"+id+"/jobs/?count=501").wantError(t, 400, "count must be at most 500")
}

// PUT links a signature to a tracker issue: the link shows in the signature's answers, a key left
// out keeps its value, null and "" clear; bad values answer 400 and change nothing.
func TestLinkFailure(t *testing.T) {
	c, setClock := failureServer(t)
	id := signatureIDOf(decode[[]object](t, c.get("/failures/"))[0]["signature"].(string))
	path := "/failures/" + id + "/"
	at := failureDay.AddDate(0, 0, 20).Add(90 * time.Minute)
	setClock(at)
	f := decode[object](t, c.put(path, object{"tracker_url": "https://tracker.ceph.com/issues/12345", "note": "msgr bug"}).must(t, 200))
	if f["tracker_url"] != "https://tracker.ceph.com/issues/12345" || f["note"] != "msgr bug" ||
		f["updated"] != at.Format("2006-01-02 15:04:05") || f["jobs"] != jsonNumber(4) || f["since_days"] != jsonNumber(14) {
		t.Errorf("PUT answered %v", f)
	}
	if l := decode[[]object](t, c.get("/failures/?branch=squid"))[1]; l["id"] != id || l["tracker_url"] != "https://tracker.ceph.com/issues/12345" || l["note"] != "msgr bug" {
		t.Errorf("listing: %v", l)
	}
	if other := decode[[]object](t, c.get("/failures/"))[1]; other["tracker_url"] != nil {
		t.Errorf("another signature got the link: %v", other)
	}

	steps := []struct {
		body          any
		tracker, note any
	}{
		{object{"note": nil}, "https://tracker.ceph.com/issues/12345", nil},
		{object{"note": "again"}, "https://tracker.ceph.com/issues/12345", "again"},
		{object{"tracker_url": "http://tracker.example.com/issues/1?x=1#y"}, "http://tracker.example.com/issues/1?x=1#y", "again"},
		{object{"tracker_url": ""}, nil, "again"},
		{object{}, nil, "again"},
		{object{"tracker_url": "https://tracker.ceph.com/issues/7", "note": ""}, "https://tracker.ceph.com/issues/7", nil},
	}
	for _, s := range steps {
		c.put(path, s.body).must(t, 200)
		if f := decode[object](t, c.get(path)); f["tracker_url"] != s.tracker || f["note"] != s.note {
			t.Errorf("after %v: tracker %v note %v, want %v %v", s.body, f["tracker_url"], f["note"], s.tracker, s.note)
		}
	}

	long := strings.Repeat("é", 2001)
	for body, message := range map[string]string{
		`{"tracker_url": "tracker.ceph.com/issues/1"}`:     `tracker_url must be an absolute http or https URL, such as https://tracker.ceph.com/issues/12345: "tracker.ceph.com/issues/1"`,
		`{"tracker_url": "ftp://tracker.ceph.com/1"}`:      `tracker_url must be an absolute http or https URL, such as https://tracker.ceph.com/issues/12345: "ftp://tracker.ceph.com/1"`,
		`{"tracker_url": "javascript:alert(1)"}`:           `tracker_url must be an absolute http or https URL, such as https://tracker.ceph.com/issues/12345: "javascript:alert(1)"`,
		`{"tracker_url": "https://tracker.ceph.com/a b"}`:  `tracker_url must be an absolute http or https URL, such as https://tracker.ceph.com/issues/12345: "https://tracker.ceph.com/a b"`,
		`{"tracker_url": 12345}`:                           "tracker_url must be a string or null",
		`{"note": "` + long + `"}`:                         "note must be at most 2000 characters, without NUL",
		`{"note": "a\u0000b"}`:                             "note must be at most 2000 characters, without NUL",
		`{"tracker": "https://tracker.ceph.com/issues/1"}`: `unknown key "tracker": a failure link takes tracker_url and note`,
		`[]`:   "could not decode JSON body: want an object with tracker_url and note",
		`null`: "could not decode JSON body: want an object with tracker_url and note",
		`{`:    "could not decode JSON body",
	} {
		c.put(path, body).wantError(t, 400, message)
	}
	if f := decode[object](t, c.get(path)); f["tracker_url"] != "https://tracker.ceph.com/issues/7" || f["note"] != nil {
		t.Errorf("a refused PUT changed the link: %v", f)
	}
	if f := decode[object](t, c.put(path, object{"note": strings.Repeat("é", 2000)}).must(t, 200)); f["note"] != strings.Repeat("é", 2000) {
		t.Errorf("a note of 2000 characters: %v", f["note"])
	}
	const unknown = "00000000-0000-0000-0000-000000000000"
	c.put("/failures/"+unknown+"/", object{"note": "x"}).wantError(t, 404, "failure signature "+unknown+" not found")
}

// PUT is a write like every other: with --write-tokens it needs a token; reads stay open.
func TestLinkFailureToken(t *testing.T) {
	c := newServer(t, func(o *serverOptions) { o.WriteTokens = []string{"token-one"} })
	auth := []string{"Authorization", "Bearer token-one"}
	path := "/runs/" + runName + "/jobs/"
	c.do("POST", path, object{"job_id": "1", "status": "running"}, auth...).must(t, 200)
	c.do("PUT", path+"1/", object{"status": "fail", "failure_reason": reasonB}, auth...).must(t, 200)
	id := decode[[]object](t, c.get("/failures/").must(t, 200))[0]["id"].(string)

	failure := "/failures/" + id + "/"
	body := object{"tracker_url": "https://tracker.ceph.com/issues/12345"}
	if r := c.put(failure, body); r.Status != 401 || r.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("without a token: %d %v", r.Status, r.Header)
	}
	c.do("PUT", failure, body, "Authorization", "Bearer token-two").must(t, 403)
	if f := decode[object](t, c.get(failure).must(t, 200)); f["tracker_url"] != nil {
		t.Errorf("a refused PUT linked it: %v", f["tracker_url"])
	}
	c.do("PUT", failure, body, auth...).must(t, 200)
	if f := decode[object](t, c.get(failure).must(t, 200)); f["tracker_url"] != "https://tracker.ceph.com/issues/12345" {
		t.Errorf("the link: %v", f["tracker_url"])
	}
	c.get(failure+"jobs/").must(t, 200)
}
