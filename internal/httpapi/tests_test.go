package httpapi_test

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// The lab as the test and flaky-test answers see it, seeded through the API as teuthology reports:
// nightly runs of rados over five days, each job posted queued and then finished, with the
// server's clock pinned at each write. Sha1 s1 is tested on the 10th and again by a rerun on the
// 11th; thrash passes on it one day and fails the next (a flake), api fails on it twice, on two
// nodes, with one failure signature, then passes in the rerun.
const (
	descThrash = "rados/thrash/{clusters/fixed-2 msgr/async objectstore/bluestore-hybrid}"
	descAPI    = "rados/basic/{clusters/fixed-2 tasks/rados_api_tests}"
	descTwin   = "rados/thrash/{clusters/fixed-2 msgr/async objectstore/bluestore-comp-lz4}" // flaky like thrash
	descRBD    = "rbd/basic/{tasks/rbd_cli_tests}"
	s1         = "1111111111111111111111111111111111111111"
	s2         = "2222222222222222222222222222222222222222"
	s3         = "3333333333333333333333333333333333333333"
	s4         = "4444444444444444444444444444444444444444"
	s5         = "5555555555555555555555555555555555555555"
)

type seededJob struct {
	run, jobID, description, sha1, status, node string
	day, hour                                   int
}

var (
	runA  = "teuthology-2026-01-10_01:00:00-rados-main-distro-default-smithi"
	runB  = "teuthology-2026-01-11_01:00:00-rados-main-distro-default-smithi"
	runB2 = "jsmith-2026-01-11_09:00:00-rados-main-distro-default-smithi" // a rerun of runA's api job
	runC  = "teuthology-2026-01-12_01:00:00-rados-main-distro-default-smithi"
	runD  = "teuthology-2026-01-13_01:00:00-rados-squid-distro-default-smithi"
	runE  = "teuthology-2026-01-14_01:00:00-rados-main-distro-default-gibba"
	runR  = "teuthology-2026-01-14_02:00:00-rbd-main-distro-default-smithi"
)

var seeded = []seededJob{
	{runA, "101", descThrash, s1, "pass", "smithi001", 10, 2},
	{runA, "102", descAPI, s1, "fail", "smithi042", 10, 3},
	{runA, "103", descTwin, s1, "pass", "smithi003", 10, 4},
	{runB, "201", descThrash, s1, "fail", "smithi042", 11, 2},
	{runB, "202", descAPI, s1, "fail", "smithi077", 11, 3},
	{runB, "203", descTwin, s1, "fail", "smithi003", 11, 4},
	{runB2, "251", descAPI, s1, "pass", "smithi010", 11, 10},
	{runC, "301", descThrash, s2, "pass", "smithi001", 12, 2},
	{runC, "302", descAPI, s2, "dead", "smithi042", 12, 3},
	{runD, "401", descThrash, s3, "pass", "smithi001", 13, 2},
	{runD, "402", descAPI, s3, "pass", "smithi002", 13, 3},
	{runE, "501", descThrash, s2, "running", "gibba001", 14, 2},
	{runR, "601", descRBD, s4, "pass", "smithi005", 14, 3},
	{runR, "602", descRBD, s5, "fail", "smithi006", 14, 4},
}

// testNow is the servers' clock once seeded: the day after the last runs.
var testNow = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

// newTestsServer starts a server and seeds it; the clock then stays at testNow.
func newTestsServer(t *testing.T) *client {
	c, _ := seedTestsServer(t)
	return c
}

// seedTestsServer starts a server and seeds it, returning the server's clock, at testNow.
func seedTestsServer(t *testing.T) (*client, *time.Time) {
	clock := new(time.Time)
	now := func() time.Time { return *clock }
	c := newServer(t, func(o *serverOptions) { o.Now = now; o.Service.Now = now })
	for _, j := range seeded {
		*clock = time.Date(2026, 1, j.day, j.hour, 0, 0, 0, time.UTC)
		// What teuthology reports of the run: suite, branch and machine type as the run's name says.
		parts := strings.Split(j.run, "-")
		job := object{"job_id": j.jobID, "description": j.description, "sha1": j.sha1, "status": "queued",
			"suite": parts[4], "branch": parts[5], "machine_type": parts[8], "os_type": "ubuntu", "os_version": "22.04"}
		c.post("/runs/"+j.run+"/jobs/", job).must(t, 200)
		*clock = clock.Add(40 * time.Minute)
		update := object{"status": "running", "targets": object{"ubuntu@" + j.node + ".front.sepia.ceph.com": "ssh-ed25519 AAAA"}}
		c.put("/runs/"+j.run+"/jobs/"+j.jobID+"/", update).must(t, 200)
		if j.status == "running" {
			continue
		}
		*clock = clock.Add(20 * time.Minute)
		update = object{"status": j.status, "success": j.status == "pass", "duration": 1234.5}
		switch j.status {
		case "fail":
			update["failure_reason"] = "Command failed on " + j.node + " with status 1: 'sudo ceph_test_rados_api_tier_pp'"
		case "dead":
			update["failure_reason"] = "hit max job timeout"
		}
		c.put("/runs/"+j.run+"/jobs/"+j.jobID+"/", update).must(t, 200)
	}
	*clock = testNow
	return c, clock
}

func posted(day, hour int) string {
	return time.Date(2026, 1, day, hour, 0, 0, 0, time.UTC).Format("2006-01-02 15:04:05")
}

type jobRef struct {
	Run    string  `json:"run"`
	JobID  string  `json:"job_id"`
	Sha1   *string `json:"sha1"`
	Posted string  `json:"posted"`
	Href   string  `json:"href"`
}

type historyAnswer struct {
	Description string `json:"description"`
	Summary     struct {
		Counts     map[string]int `json:"counts"`
		Total      int            `json:"total"`
		FirstSeen  *string        `json:"first_seen"`
		LastSeen   *string        `json:"last_seen"`
		LastPass   *jobRef        `json:"last_pass"`
		LastFail   *jobRef        `json:"last_fail"`
		Flaky      bool           `json:"flaky"`
		FlakySha1s []string       `json:"flaky_sha1s"`
	} `json:"summary"`
	Jobs []struct {
		Run           string  `json:"run"`
		Href          string  `json:"href"`
		JobID         string  `json:"job_id"`
		Status        string  `json:"status"`
		Success       *bool   `json:"success"`
		Sha1          *string `json:"sha1"`
		Branch        *string `json:"branch"`
		Suite         *string `json:"suite"`
		MachineType   *string `json:"machine_type"`
		OsType        *string `json:"os_type"`
		OsVersion     *string `json:"os_version"`
		Posted        string  `json:"posted"`
		Duration      *int    `json:"duration"`
		FailureReason *string `json:"failure_reason"`
		SignatureID   *string `json:"signature_id"`
		TrackerURL    *string `json:"tracker_url"`
	} `json:"jobs"`
}

func (h historyAnswer) jobIDs() string {
	var ids []string
	for _, j := range h.Jobs {
		ids = append(ids, j.JobID)
	}
	return strings.Join(ids, ",")
}

func (c *client) history(description, query string) (historyAnswer, response) {
	c.t.Helper()
	r := c.get("/tests/history/?description="+url.QueryEscape(description)+query).must(c.t, 200)
	return decode[historyAnswer](c.t, r), r
}

func ref(run, jobID string) string { return fmt.Sprintf("%s/%s", run, jobID) }

func refOf(r *jobRef) string {
	if r == nil {
		return "null"
	}
	return r.Run + "/" + r.JobID
}

func TestTestHistory(t *testing.T) {
	c := newTestsServer(t)

	h, r := c.history(descThrash, "")
	if h.Description != descThrash || h.jobIDs() != "501,401,301,201,101" {
		t.Fatalf("description %q, jobs %s; want thrash's five jobs newest first", h.Description, h.jobIDs())
	}
	if got := r.Header.Get("X-Total-Count"); got != "5" {
		t.Errorf("X-Total-Count %q, want 5", got)
	}
	s := h.Summary
	wantCounts := map[string]int{"pass": 3, "fail": 1, "dead": 0, "running": 1, "waiting": 0, "queued": 0, "unknown": 0}
	if fmt.Sprint(s.Counts) != fmt.Sprint(wantCounts) || s.Total != 5 {
		t.Errorf("counts %v total %d, want %v 5", s.Counts, s.Total, wantCounts)
	}
	if *s.FirstSeen != posted(10, 2) || *s.LastSeen != posted(14, 2) {
		t.Errorf("first and last seen %s, %s", *s.FirstSeen, *s.LastSeen)
	}
	if refOf(s.LastPass) != ref(runD, "401") || refOf(s.LastFail) != ref(runB, "201") {
		t.Errorf("last pass %s, last fail %s; want 401 and 201", refOf(s.LastPass), refOf(s.LastFail))
	}
	if lp := s.LastPass; *lp.Sha1 != s3 || lp.Posted != posted(13, 2) || lp.Href != publicURL+"/runs/"+runD+"/jobs/401/" {
		t.Errorf("last pass %+v", *lp)
	}
	if !s.Flaky || fmt.Sprint(s.FlakySha1s) != "["+s1+"]" {
		t.Errorf("flaky %v %v, want s1 only", s.Flaky, s.FlakySha1s)
	}
	j := h.Jobs[3] // 201: failed on smithi042
	if j.Run != runB || j.Href != publicURL+"/runs/"+runB+"/jobs/201/" || j.Status != "fail" || *j.Success ||
		*j.Sha1 != s1 || *j.Branch != "main" || *j.Suite != "rados" || *j.MachineType != "smithi" ||
		*j.OsType != "ubuntu" || *j.OsVersion != "22.04" || j.Posted != posted(11, 2) || *j.Duration != 1234 ||
		!strings.HasPrefix(*j.FailureReason, "Command failed on smithi042") || j.SignatureID == nil || j.TrackerURL != nil {
		t.Errorf("job 201: %+v", j)
	}
	if running := h.Jobs[0]; running.Status != "running" || running.Success != nil || running.SignatureID != nil ||
		*running.MachineType != "gibba" || running.Duration != nil || running.FailureReason != nil {
		t.Errorf("job 501: %+v", running)
	}
	if h.Jobs[4].SignatureID != nil || h.Jobs[4].FailureReason != nil {
		t.Errorf("a passed job has a signature: %+v", h.Jobs[4])
	}

	// The filters narrow the summary, the page and the total alike.
	for _, tc := range []struct {
		query, jobs, lastPass, lastFail string
		flaky                           bool
	}{
		{"&branch=main", "501,301,201,101", ref(runC, "301"), ref(runB, "201"), true},
		{"&branch=squid", "401", ref(runD, "401"), "null", false},
		{"&machine_type=gibba", "501", "null", "null", false},
		{"&suite=rbd", "", "null", "null", false},
		{"&branch=main&machine_type=smithi", "301,201,101", ref(runC, "301"), ref(runB, "201"), true},
		{"&sha1=" + s1, "201,101", ref(runA, "101"), ref(runB, "201"), true},
		{"&sha1=" + s1[:8], "", "null", "null", false}, // the whole sha1, not a prefix
		{"&since=2026-01-12", "501,401,301", ref(runD, "401"), "null", false},
		{"&since=2026-01-11T02:00:00Z", "501,401,301,201", ref(runD, "401"), ref(runB, "201"), false},
		{"&since=2026-01-11%2002:00:01", "501,401,301", ref(runD, "401"), "null", false},
		{"&since=2026-01-11T03:00:00%2B01:00", "501,401,301,201", ref(runD, "401"), ref(runB, "201"), false},
	} {
		h, r := c.history(descThrash, tc.query)
		total := len(h.Jobs)
		if h.jobIDs() != tc.jobs || h.Summary.Total != total || r.Header.Get("X-Total-Count") != fmt.Sprint(total) ||
			refOf(h.Summary.LastPass) != tc.lastPass || refOf(h.Summary.LastFail) != tc.lastFail || h.Summary.Flaky != tc.flaky {
			t.Errorf("%s: jobs %s total %d (%s), last pass %s, last fail %s, flaky %v; want %s, %s, %s, %v", tc.query,
				h.jobIDs(), h.Summary.Total, r.Header.Get("X-Total-Count"), refOf(h.Summary.LastPass),
				refOf(h.Summary.LastFail), h.Summary.Flaky, tc.jobs, tc.lastPass, tc.lastFail, tc.flaky)
		}
	}

	// Pages: the summary is the whole history's on every page.
	for _, tc := range []struct{ query, jobs string }{
		{"&count=2", "501,401"}, {"&count=2&page=2", "301,201"}, {"&count=2&page=3", "101"},
		{"&count=2&page=4", ""}, {"&count=0", ""}, {"&count=1000", "501,401,301,201,101"},
	} {
		h, r := c.history(descThrash, tc.query)
		if h.jobIDs() != tc.jobs || h.Summary.Total != 5 || r.Header.Get("X-Total-Count") != "5" || h.Summary.Counts["pass"] != 3 {
			t.Errorf("%s: jobs %s, total %d (%s), counts %v", tc.query, h.jobIDs(), h.Summary.Total, r.Header.Get("X-Total-Count"), h.Summary.Counts)
		}
	}

	// Dead counts as a failure; the same failure on two nodes is one signature.
	h, _ = c.history(descAPI, "")
	if h.jobIDs() != "402,302,251,202,102" || refOf(h.Summary.LastFail) != ref(runC, "302") ||
		refOf(h.Summary.LastPass) != ref(runD, "402") || h.Summary.Counts["dead"] != 1 || h.Summary.Counts["fail"] != 2 {
		t.Errorf("api: jobs %s, last fail %s, last pass %s, counts %v", h.jobIDs(), refOf(h.Summary.LastFail),
			refOf(h.Summary.LastPass), h.Summary.Counts)
	}
	if a, b := h.Jobs[3].SignatureID, h.Jobs[4].SignatureID; a == nil || b == nil || *a != *b || h.Jobs[1].SignatureID == nil || *h.Jobs[1].SignatureID == *a {
		t.Errorf("signatures of 202 (smithi077), 102 (smithi042), 302 (dead): %v %v %v", a, b, h.Jobs[1].SignatureID)
	}
	if fmt.Sprint(h.Summary.FlakySha1s) != "["+s1+"]" {
		t.Errorf("api's flaky sha1s %v, want s1 (the rerun passed)", h.Summary.FlakySha1s)
	}

	// A signature linked to a tracker issue says so in the history.
	c.put("/failures/"+*h.Jobs[3].SignatureID+"/", object{"tracker_url": "https://tracker.ceph.com/issues/70001"}).must(t, 200)
	h, _ = c.history(descAPI, "")
	for i, want := range []string{"", "", "", "https://tracker.ceph.com/issues/70001", "https://tracker.ceph.com/issues/70001"} {
		if got := h.Jobs[i].TrackerURL; (got == nil) != (want == "") || got != nil && *got != want {
			t.Errorf("job %s tracker_url %v, want %q", h.Jobs[i].JobID, got, want)
		}
	}

	// pulpito-ng's "Past 25 jobs with same description" lists the same jobs in the same order.
	var ids []string
	for _, j := range decode[[]object](t, c.get("/jobs/?description="+url.QueryEscape(descThrash)+"&count=25")) {
		ids = append(ids, j["job_id"].(string))
	}
	if strings.Join(ids, ",") != "501,401,301,201,101" {
		t.Errorf("/jobs/?description= lists %v", ids)
	}
}

func TestTestHistoryUnknownAndInvalid(t *testing.T) {
	c := newTestsServer(t)
	for _, path := range []string{
		"/tests/history/?description=" + url.QueryEscape("rados/none"),
		"/tests/history?description=" + url.QueryEscape("rados/none"),
		"/tests/history/?description=" + url.QueryEscape(descThrash) + "&branch=reef",
		"/tests/history/?description=" + url.QueryEscape(descThrash) + "&since=2026-01-15",
	} {
		r := c.get(path).must(t, 200)
		got := decode[object](t, r)
		want := `map[counts:map[dead:0 fail:0 pass:0 queued:0 running:0 unknown:0 waiting:0] first_seen:<nil> flaky:false flaky_sha1s:[] last_fail:<nil> last_pass:<nil> last_seen:<nil> total:0]`
		if fmt.Sprint(got["summary"]) != want || fmt.Sprint(got["jobs"]) != "[]" || r.Header.Get("X-Total-Count") != "0" {
			t.Errorf("%s: %s", path, r.Body)
		}
	}
	d := "&description=" + url.QueryEscape(descThrash)
	for query, message := range map[string]string{
		"":                      "Invalid format for parameter description: query parameter 'description' is required",
		d + "&count=1001":       "count must be an integer from 0 to 1000",
		d + "&count=-1":         "count must be an integer from 0 to 1000",
		d + "&page=0":           "page must be a positive integer",
		d + "&since=yesterday":  `since must be a day (YYYY-MM-DD) or a date-time (YYYY-MM-DD HH:MM:SS, optional fraction and zone): "yesterday"`,
		d + "&since=2026-13-01": `since must be a day (YYYY-MM-DD) or a date-time (YYYY-MM-DD HH:MM:SS, optional fraction and zone): "2026-13-01"`,
	} {
		c.get("/tests/history/?x=1"+query).wantError(t, 400, message)
	}
}

type flakyAnswer struct {
	Description string  `json:"description"`
	TestID      string  `json:"test_id"`
	Pass        int     `json:"pass"`
	Fail        int     `json:"fail"`
	FlakySha1s  int     `json:"flaky_sha1s"`
	FlakeRate   float64 `json:"flake_rate"`
	LastPass    jobRef  `json:"last_pass"`
	LastFail    jobRef  `json:"last_fail"`
}

func testID(description string) string {
	h := md5.Sum([]byte(description))
	s := hex.EncodeToString(h[:])
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

func TestFlakyTests(t *testing.T) {
	c, clock := seedTestsServer(t)
	flaky := func(query string) ([]flakyAnswer, string) {
		t.Helper()
		r := c.get("/tests/flaky/"+query).must(t, 200)
		return decode[[]flakyAnswer](t, r), r.Header.Get("X-Total-Count")
	}
	names := func(tests []flakyAnswer) string {
		var n []string
		for _, f := range tests {
			n = append(n, map[string]string{descThrash: "thrash", descAPI: "api", descTwin: "twin", descRBD: "rbd"}[f.Description])
		}
		return strings.Join(n, ",")
	}
	// Names of tests tied on flaky sha1s, flake rate and fail, in test_id order.
	tied := func(descs ...string) string {
		slices.SortFunc(descs, func(a, b string) int { return strings.Compare(testID(a), testID(b)) })
		return names(slices.Collect(func(yield func(flakyAnswer) bool) {
			for _, d := range descs {
				yield(flakyAnswer{Description: d})
			}
		}))
	}
	// On s1, api failed twice and passed in the rerun (2/3); thrash and twin passed and failed once
	// (1/2). Their other sha1s are not flaky and not counted.
	want := "api," + tied(descThrash, descTwin)
	got, total := flaky("")
	if names(got) != want || total != "3" {
		t.Fatalf("flaky tests %s (total %s), want %s (3)", names(got), total, want)
	}
	a := got[0]
	if a.TestID != testID(descAPI) || a.Pass != 1 || a.Fail != 2 || a.FlakySha1s != 1 || fmt.Sprintf("%.4f", a.FlakeRate) != "0.6667" ||
		refOf(&a.LastPass) != ref(runD, "402") || refOf(&a.LastFail) != ref(runC, "302") ||
		a.LastFail.Href != publicURL+"/runs/"+runC+"/jobs/302/" || *a.LastFail.Sha1 != s2 || a.LastFail.Posted != posted(12, 3) {
		t.Errorf("api: %+v", a)
	}
	th := got[slices.IndexFunc(got, func(f flakyAnswer) bool { return f.Description == descThrash })]
	if th.Pass != 1 || th.Fail != 1 || th.FlakeRate != 0.5 || refOf(&th.LastPass) != ref(runD, "401") || refOf(&th.LastFail) != ref(runB, "201") {
		t.Errorf("thrash: %+v", th)
	}
	// A sha1 is in the window when its newest result is, and then counts all its results: from
	// the 10th at noon, api's fail of the 10th at 3:00 too.
	got, _ = flaky("?since_days=5")
	if names(got) != want || got[0].Pass != 1 || got[0].Fail != 2 {
		t.Errorf("since_days=5: %+v, want %s, api 1 pass and 2 fails", got, want)
	}

	for _, tc := range []struct{ query, tests, total string }{
		{"?since_days=14&branch=main", want, "3"},
		{"?branch=main&suite=rados&machine_type=smithi", want, "3"},
		{"?branch=squid", "", "0"},
		{"?suite=rbd", "", "0"},
		{"?machine_type=gibba", "", "0"},
		{"?since_days=4", "", "0"}, // from the 11th at noon: s1's results are older
		{"?since_days=6", want, "3"},
		{"?count=1", "api", "3"}, // pages
		{"?count=1&page=3", want[strings.LastIndex(want, ",")+1:], "3"},
		{"?count=1&page=4", "", "3"},
		{"?count=2&page=2", want[strings.LastIndex(want, ",")+1:], "3"},
		{"?count=0", "", "3"},
	} {
		got, total := flaky(tc.query)
		if names(got) != tc.tests || total != tc.total {
			t.Errorf("%s: %s (total %s), want %s (%s)", tc.query, names(got), total, tc.tests, tc.total)
		}
	}

	write := func(method, run, jobID string, day, hour int, body object) {
		t.Helper()
		*clock = time.Date(2026, 1, day, hour, 0, 0, 0, time.UTC)
		path := "/runs/" + run + "/jobs/"
		if method == "PUT" {
			path += jobID + "/"
		}
		c.do(method, path, body).must(t, 200)
		*clock = testNow
	}
	// A pass and a failure on one sha1 but two machine types is not a flake.
	write("POST", runC, "303", 12, 5, object{"job_id": "303", "description": descTwin, "sha1": s2, "status": "pass",
		"suite": "rados", "branch": "main", "machine_type": "smithi"})
	write("POST", runE, "503", 14, 5, object{"job_id": "503", "description": descTwin, "sha1": s2, "status": "fail",
		"suite": "rados", "branch": "main", "machine_type": "gibba"})
	// A run's results count under its branch, suite and machine type as they end up: rbd passed
	// on s1 in a run named for main, whose next job says the branch is reef, then failed there.
	runF := "teuthology-2026-01-14_05:00:00-rbd-main-distro-default-smithi"
	write("POST", runF, "701", 14, 5, object{"job_id": "701", "description": descRBD, "sha1": s1, "status": "pass"})
	write("POST", runF, "702", 14, 6, object{"job_id": "702", "description": descRBD, "sha1": s1, "status": "fail",
		"branch": "reef", "failure_reason": "saw valgrind issues"})
	withRBD := "api," + tied(descThrash, descTwin, descRBD)
	for _, tc := range []struct{ query, tests, total string }{
		{"", withRBD, "4"},
		{"?branch=reef", "rbd", "1"},
		{"?branch=main", want, "3"},
		{"?machine_type=gibba", "", "0"},
	} {
		got, total := flaky(tc.query)
		if names(got) != tc.tests || total != tc.total {
			t.Errorf("%s: %s (total %s), want %s (%s)", tc.query, names(got), total, tc.tests, tc.total)
		}
	}
	got, _ = flaky("?branch=reef")
	if len(got) == 1 && (got[0].Pass != 1 || got[0].Fail != 1 || refOf(&got[0].LastPass) != ref(runF, "701") || refOf(&got[0].LastFail) != ref(runF, "702")) {
		t.Errorf("rbd on reef: %+v", got[0])
	}
	if got, _ := flaky(""); len(got) == 4 && got[slices.IndexFunc(got, func(f flakyAnswer) bool { return f.Description == descTwin })].FlakySha1s != 1 {
		t.Errorf("twin: %+v, want 1 flaky sha1", got)
	}
	// A result that changes or goes uncounts: thrash's failure was a pass after all (success
	// alone changes a finished job's status), and api's rerun is deleted.
	write("PUT", runB, "201", 11, 2, object{"success": true})
	c.delete("/runs/"+runB2+"/jobs/251/").must(t, 200)
	if got, total := flaky(""); names(got) != tied(descTwin, descRBD) || total != "2" {
		t.Errorf("after the changes: %s (total %s), want %s (2)", names(got), total, tied(descTwin, descRBD))
	}
	checkCounts(t, c.db)
	// A deleted run's results go with it.
	c.delete("/runs/"+runF+"/").must(t, 200)
	if got, total := flaky(""); names(got) != "twin" || total != "1" {
		t.Errorf("after runF is deleted: %s (total %s), want twin (1)", names(got), total)
	}
	checkCounts(t, c.db)

	for query, message := range map[string]string{
		"?since_days=0":  "since_days must be an integer from 1 to 90",
		"?since_days=91": "since_days must be an integer from 1 to 90",
		"?count=1001":    "count must be an integer from 0 to 1000",
		"?page=0":        "page must be a positive integer",
	} {
		c.get("/tests/flaky/"+query).wantError(t, 400, message)
	}
	c.get("/tests/flaky").must(t, 200)
}
