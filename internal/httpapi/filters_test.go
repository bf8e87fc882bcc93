package httpapi_test

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"
)

// seedRuns reports runs and jobs across branches, suites, machine types, users, days and statuses,
// as teuthology would, on a server whose clock reads 2026-03-01 12:00 UTC.
func seedRuns(t *testing.T) *client {
	t.Helper()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := newServer(t, func(o *serverOptions) { o.Now = func() time.Time { return now } })
	type job struct {
		run, branch, suite, machineType, sha1, flavor, status string
	}
	jobs := []job{
		{"teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi", "main", "rados", "smithi", "0123456789abcdef", "default", "pass"},
		{"teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi", "main", "rados", "smithi", "0123456789abcdef", "default", "running"},
		{"alice-2026-01-15_11:00:00-rbd-main-distro-crimson-smithi", "main", "rbd", "smithi", "abcdef0000", "crimson", "queued"},
		{"teuthology-2026-01-14_01:00:00-fs-squid-distro-default-smithi", "squid", "fs", "smithi", "fedcba9876", "default", "fail"},
		{"teuthology-2026-01-16_00:00:00-rados-main-distro-default-mira", "main", "rados", "mira", "0123456789abcdef", "default", "pass"},
		{"bob-2026-02-28_23:59:59-rgw-tentacle-distro-default-smithi", "tentacle", "rgw", "smithi", "1111111111", "default", "dead"},
	}
	for i, j := range jobs {
		c.post("/runs/"+j.run+"/jobs/", object{"job_id": i, "branch": j.branch, "suite": j.suite, "machine_type": j.machineType,
			"sha1": j.sha1, "flavor": j.flavor, "status": j.status, "description": fmt.Sprintf("%s/job-%d", j.suite, i)}).must(t, 200)
	}
	// A run without jobs keeps what its name says: master, big, plana.
	c.post("/runs/", object{"name": "teuthology-2013-01-02_00:00:00-big-master-testing-basic-plana"}).must(t, 200)
	return c
}

// names lists the runs of a response, in order, and checks X-Total-Count.
func names(t *testing.T, r response, total int) string {
	t.Helper()
	r.must(t, 200)
	if got := r.Header.Get("X-Total-Count"); got != fmt.Sprint(total) {
		t.Errorf("X-Total-Count %q, want %d", got, total)
	}
	var out []string
	for _, run := range decode[[]object](t, r) {
		out = append(out, strings.SplitN(run["name"].(string), "-20", 2)[0]+"@"+run["scheduled"].(string)[:10])
	}
	return strings.Join(out, " ")
}

func values(t *testing.T, r response) string {
	t.Helper()
	var out []string
	for _, v := range decode[[]any](t, r.must(t, 200)) {
		out = append(out, v.(string))
	}
	return strings.Join(out, ",")
}

// Acceptance 1: the filter paths pulpito builds answer as upstream does for the same data.
func TestRunFilters(t *testing.T) {
	c := seedRuns(t)
	valueCases := map[string]string{
		"/runs/branch/":              "main,master,squid,tentacle",
		"/runs/suite/":               "big,fs,rados,rbd,rgw",
		"/runs/machine_type/":        "mira,plana,smithi",
		"/runs/status/":              "empty,finished dead,finished fail,finished pass,queued,running",
		"/runs/user/":                "alice,bob,teuthology",
		"/runs/sha1/":                "0123456789abcdef,1111111111,abcdef0000,fedcba9876",
		"/runs/flavors/":             "crimson,default",
		"/runs/date/":                "2013-01-02,2026-01-14,2026-01-15,2026-01-16,2026-02-28",
		"/runs/branch/main/suite/":   "rados,rbd",
		"/runs/branch/main/flavor/":  "crimson,default",
		"/runs/status/running/user/": "teuthology",
		"/runs/suite/rados/date/":    "2026-01-15,2026-01-16",
		"/runs/branch/nope/suite/":   "",
		// Upstream listed the sha1s and flavors of every job here, whatever the filter.
		"/runs/branch/squid/sha1/":      "fedcba9876",
		"/runs/branch/tentacle/flavors": "default",
		"/runs/sha1/abc/branch":         "main",
	}
	for path, want := range valueCases {
		if got := values(t, c.get(path)); got != want {
			t.Errorf("GET %s = %q, want %q", path, got, want)
		}
	}
	runCases := []struct {
		path  string
		want  string
		total int
	}{
		{"/runs/branch/main/", "teuthology@2026-01-16 alice@2026-01-15 teuthology@2026-01-15", 3},
		{"/runs/branch/main/?count=2", "teuthology@2026-01-16 alice@2026-01-15", 3},
		{"/runs/branch/main/?count=2&page=2", "teuthology@2026-01-15", 3},
		{"/runs/branch/main/?count=2&page=3", "", 3},
		{"/runs/branch/main/suite/rados/?count=3", "teuthology@2026-01-16 teuthology@2026-01-15", 2},
		{"/runs/branch/main/machine_type/smithi/status/queued/", "alice@2026-01-15", 1},
		{"/runs/suite/rados/branch/main/", "teuthology@2026-01-16 teuthology@2026-01-15", 2},
		{"/runs/status/finished%20pass/", "teuthology@2026-01-16", 1},
		{"/runs/status/running/?count=9999&page=1", "teuthology@2026-01-15", 1},
		{"/runs/machine_type/plana/", "teuthology@2013-01-02", 1},
		{"/runs/user/alice/", "alice@2026-01-15", 1},
		{"/runs/sha1/abcdef/", "alice@2026-01-15", 1},
		{"/runs/sha1/0123/", "teuthology@2026-01-16 teuthology@2026-01-15", 2},
		{"/runs/sha1/0123/sha1/0123456/", "teuthology@2026-01-16 teuthology@2026-01-15", 2},
		{"/runs/sha1/0123/sha1/abc/", "", 0},
		{"/runs/flavors/crimson/", "alice@2026-01-15", 1},
		{"/runs/branch/main/flavor/default/", "teuthology@2026-01-16 teuthology@2026-01-15", 2},
		{"/runs/branch/main/branch/squid/", "", 0},
		{"/runs/date/2026-01-15/", "alice@2026-01-15 teuthology@2026-01-15", 2},
		{"/runs/date/from/2026-01-14/to/2026-01-15/", "alice@2026-01-15 teuthology@2026-01-15 teuthology@2026-01-14", 3},
		{"/runs/branch/main/date/from/2026-01-14/to/2026-01-15/", "alice@2026-01-15 teuthology@2026-01-15", 2},
		{"/runs/date/from/2026-01-14/to/2026-01-16/suite/rados/", "teuthology@2026-01-16 teuthology@2026-01-15", 2},
		{"/runs/branch/nope/suite/xyz/", "", 0},
		// since includes the day's midnight (upstream's "scheduled > day" left it out).
		{"/runs/branch/main/?since=2026-01-16", "teuthology@2026-01-16", 1},
		{"/runs/suite/rados/?since=2026-01-15", "teuthology@2026-01-16 teuthology@2026-01-15", 2},
		// yesterday on the 1st of a month is the last day of the previous one (upstream: 400).
		{"/runs/date/yesterday/", "bob@2026-02-28", 1},
		{"/runs/date/today/", "", 0},
		{"/runs/queued/", "alice@2026-01-15", 1},
	}
	for _, tc := range runCases {
		if got := names(t, c.get(tc.path), tc.total); got != tc.want {
			t.Errorf("GET %s = %q, want %q", tc.path, got, tc.want)
		}
	}
	// Filter listings carry full run objects.
	run := decode[[]object](t, c.get("/runs/user/alice/"))[0]
	if run["status"] != "queued" || run["href"] != publicURL+"/runs/alice-2026-01-15_11:00:00-rbd-main-distro-crimson-smithi/" || run["flavor"] != "crimson" {
		t.Errorf("filtered run %v", run)
	}
}

// A value list is whole unless count asks for a page (the lab's /runs/branch/ holds 57,000
// branches); count and page then page the sorted list, at every depth and for every key.
func TestValueListPages(t *testing.T) {
	c := seedRuns(t)
	cases := map[string]string{
		"/runs/branch/?count=2":                   "main,master",
		"/runs/branch/?count=2&page=2":            "squid,tentacle",
		"/runs/branch/?count=2&page=3":            "",
		"/runs/branch/?page=2":                    "main,master,squid,tentacle",
		"/runs/branch/?count=0":                   "",
		"/runs/status/?count=2&page=2":            "finished fail,finished pass",
		"/runs/date/?count=1&page=5":              "2026-02-28",
		"/runs/sha1/?count=3":                     "0123456789abcdef,1111111111,abcdef0000",
		"/runs/sha1/?count=3&page=2":              "fedcba9876",
		"/runs/flavors/?count=1&page=2":           "default",
		"/runs/branch/main/suite/?count=1&page=2": "rbd",
		"/runs/branch/main/flavor/?count=1":       "crimson",
		"/runs/suite/rados/date/?count=5":         "2026-01-15,2026-01-16",
	}
	for path, want := range cases {
		if got := values(t, c.get(path)); got != want {
			t.Errorf("GET %s = %q, want %q", path, got, want)
		}
	}
	for _, path := range []string{"/runs/branch/?count=-1", "/runs/sha1/?page=0", "/runs/suite/?count=x",
		"/runs/branch/main/suite/?count=-2", "/runs/branch/main/suite/?page=0"} {
		if r := c.get(path); r.Status != 400 || !strings.Contains(string(r.Body), `"message":`) {
			t.Errorf("GET %s: %d %s, want 400 with a message", path, r.Status, r.Body)
		}
	}
}

// Acceptance 3: every paginated list sends X-Total-Count; a page past the end is [].
func TestTotalCounts(t *testing.T) {
	c := seedRuns(t)
	if got := names(t, c.get("/runs/?count=2&page=4"), 6); got != "" {
		t.Errorf("past the end: %q", got)
	}
	names(t, c.get("/runs/?count=3"), 6)
	names(t, c.get("/runs/queued/?count=0"), 1)
	r := c.get("/jobs/?count=2").must(t, 200)
	if r.Header.Get("X-Total-Count") != "6" || len(decode[[]object](t, r)) != 2 {
		t.Errorf("/jobs/: total %q, body %s", r.Header.Get("X-Total-Count"), r.Body)
	}
}

// Acceptance 5: malformed filter values, dates, counts and pages answer 4xx, never 5xx.
func TestMalformedFilters(t *testing.T) {
	c := seedRuns(t)
	bad := []struct {
		path   string
		status int
	}{
		{"/runs/date/2026-13-45/", 400},
		{"/runs/date/yesterday-ish/", 400},
		{"/runs/branch/main/date/20260115/", 400},
		{"/runs/branch/main/?since=bad-date", 400},
		{"/runs/branch/main/suite/rados/?since=2026-02-30", 400},
		{"/runs/date/from/2026-01-14/", 400},
		{"/runs/date/from/2026-01-14/until/2026-01-15/", 400},
		{"/runs/date/from/x/to/2026-01-15/", 400},
		{"/runs/branch/main/?count=abc", 400},
		{"/runs/branch/main/?count=-1", 400},
		{"/runs/branch/main/?page=0", 400},
		{"/runs/branch/main/suite/rados/?count=1.5", 400},
		{"/runs/branch/main/suite/rados/?page=x", 400},
		{"/runs/?count=99999999999999999999", 400},
		{"/runs/branch/main/bogusfield/", 404},
		{"/runs/branch/main/bogusfield/x/", 404},
		{"/jobs/?posted_after=tomorrow", 400},
		{"/jobs/?status=bogus", 400},
		{"/jobs/?count=-5", 400},
		{"/jobs/?page=abc", 400},
	}
	for _, b := range bad {
		r := c.get(b.path)
		if r.Status != b.status || !strings.Contains(string(r.Body), `"message":`) {
			t.Errorf("GET %s: %d %s, want %d with a message", b.path, r.Status, r.Body, b.status)
		}
	}
	c.get("/runs/date/2026-13-45/").wantError(t, 400, `date format must match %Y-%m-%d (or be today or yesterday): "2026-13-45"`)
	// Filter values are data, never SQL or LIKE patterns.
	for _, v := range []string{"%27%3B%20DROP%20TABLE%20runs%3B--", "%25", "_", "%5C"} {
		names(t, c.get("/runs/branch/"+v+"/"), 0)
		names(t, c.get("/runs/sha1/"+v+"/"), 0)
	}
	names(t, c.get("/runs/"), 6)
}

func TestSearchJobs(t *testing.T) {
	c := seedRuns(t)
	cases := []struct {
		query string
		want  string
		total int
	}{
		{"", "5 4 3 2 1 0", 6},
		{"?count=2&page=2", "3 2", 6},
		{"?description=rados/", "4 1 0", 3},
		{"?description=RADOS", "", 0},
		{"?description=%25", "", 0},
		{"?status=pass", "4 0", 2},
		{"?status=fail,dead", "5 3", 2}, // several statuses (issue 18, item 4)
		{"?status=dead,pass,queued&branch=main", "4 2 0", 3},
		{"?description=rados/&status=running,pass", "4 1 0", 3},
		{"?sha1=0123456789abcdef&status=pass", "4 0", 2},
		{"?branch=squid", "3", 1},
		{"?user=nobody", "", 0},
		{"?posted_after=2026-02-28", "5 4 3 2 1 0", 6},
		{"?posted_before=2026-03-01", "", 0},
		{"?posted_after=yesterday&posted_before=today", "", 0},
	}
	for _, tc := range cases {
		r := c.get("/jobs/"+tc.query).must(t, 200)
		var ids []string
		for _, j := range decode[[]object](t, r) {
			ids = append(ids, j["job_id"].(string))
			if !strings.HasPrefix(j["log_href"].(string), "http://qa-proxy.ceph.com/teuthology/") || strings.Contains(j["log_href"].(string), "//0") {
				t.Errorf("log_href %v", j["log_href"])
			}
		}
		if got := strings.Join(ids, " "); got != tc.want || r.Header.Get("X-Total-Count") != fmt.Sprint(tc.total) {
			t.Errorf("GET /jobs/%s = %q (total %s), want %q (total %d)", tc.query, got, r.Header.Get("X-Total-Count"), tc.want, tc.total)
		}
	}
	if n := len(decode[[]object](t, c.get("/jobs/"))); n != 6 {
		t.Errorf("default page: %d jobs", n)
	}
}

// Issue 18, item 2: every filter given in the query of /runs/ selects the runs of the filter path
// with the same values, in the same order, with the same total, whatever the combination, and an
// updated_since older than every write (issue 19) changes none of it. Runs and combinations are
// drawn at random (replay with PADDLES_RELIABILITY_SEED).
func TestQueryFiltersMatchPaths(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := newServer(t, func(o *serverOptions) { o.Now = func() time.Time { return now } })
	rng := rand.New(rand.NewPCG(reliabilitySeed(t), 18))
	pick := func(vs ...string) string { return vs[rng.IntN(len(vs))] }
	statuses := []string{"pass", "fail", "running", "queued", "dead"}
	// Every run has jobs, written after this: updated_since=before selects them all (issue 19).
	before := time.Now().UTC().Add(-time.Second).Format("2006-01-02 15:04:05.000000")
	for i := range 60 {
		run := fmt.Sprintf("%s-2026-02-%02d_%02d:00:00-%s-%s-distro-default-%s", pick("teuthology", "alice", "bob"),
			1+rng.IntN(28), rng.IntN(24), pick("rados", "rbd", "fs"), pick("main", "squid"), pick("smithi", "mira"))
		for j := range 1 + rng.IntN(3) {
			c.post("/runs/"+run+"/jobs/", object{"job_id": fmt.Sprintf("%d-%d", i, j), "status": pick(statuses...),
				"sha1": pick("0123abcd", "0199ffff", "abcdef12"), "flavor": pick("default", "crimson")})
		}
		var tags []string
		for _, tag := range []string{"nightly", "rc", "v19.2.1"} {
			if rng.IntN(2) == 0 {
				tags = append(tags, tag)
			}
		}
		c.put("/runs/"+run+"/", object{"tags": tags}).must(t, 200)
	}
	keys := []string{"branch", "suite", "machine_type", "status", "user", "sha1", "flavor", "date", "tag"}
	choices := map[string][]string{"branch": {"main", "squid", "tentacle"}, "suite": {"rados", "rbd", "fs"},
		"machine_type": {"smithi", "mira"}, "status": {"finished pass", "finished fail", "running", "queued", "finished dead"},
		"user": {"teuthology", "alice", "bob"}, "sha1": {"01", "0123", "abc"}, "flavor": {"default", "crimson"}}
	nonEmpty := 0
	for range 80 {
		path, query := "/runs/", url.Values{"count": {"1000"}}
		for _, k := range rng.Perm(len(keys))[:1+rng.IntN(3)] {
			key := keys[k]
			if key == "date" {
				from := 1 + rng.IntN(28)
				to := from + rng.IntN(29-from)
				path += fmt.Sprintf("date/from/2026-02-%02d/to/2026-02-%02d/", from, to)
				query.Set("since", fmt.Sprintf("2026-02-%02d", from))
				query.Set("until", fmt.Sprintf("2026-02-%02d", to))
				continue
			}
			if key == "tag" {
				tags := []string{pick("nightly", "rc", "v19.2.1")}
				if rng.IntN(2) == 0 {
					tags = append(tags, pick("nightly", "rc", "v19.2.1"))
				}
				for _, tag := range tags {
					path += "tag/" + url.PathEscape(tag) + "/"
				}
				query.Set("tags", strings.Join(tags, ","))
				continue
			}
			v := pick(choices[key]...)
			path += key + "/" + url.PathEscape(v) + "/"
			query.Set(key, v)
		}
		if rng.IntN(2) == 0 {
			query.Set("updated_since", before)
		}
		byPath := c.get(path+"?count=1000").must(t, 200)
		byQuery := c.get("/runs/?"+query.Encode()).must(t, 200)
		if string(byPath.Body) != string(byQuery.Body) || byPath.Header.Get("X-Total-Count") != byQuery.Header.Get("X-Total-Count") {
			t.Errorf("%s and ?%s differ: %s runs against %s", path, query.Encode(),
				byPath.Header.Get("X-Total-Count"), byQuery.Header.Get("X-Total-Count"))
		}
		if byPath.Header.Get("X-Total-Count") != "0" {
			nonEmpty++
		}
	}
	if nonEmpty < 20 {
		t.Errorf("only %d of 80 combinations selected any run: the comparison proves little", nonEmpty)
	}
	// And the query form is checked as the path is, and paged.
	c.get("/runs/?since=2026-13-01").wantError(t, 400, `date format must match %Y-%m-%d (or be today or yesterday): "2026-13-01"`)
	if n := len(decode[[]object](t, c.get("/runs/?branch=main&count=2").must(t, 200))); n != 2 {
		t.Errorf("?branch=main&count=2 listed %d runs", n)
	}
}

// Issue 18 item 2: ?sort= orders the query form, newest posted or newest scheduled first, with
// or without filters; the defaults are GET /runs/'s and the filter paths'.
func TestRunsSort(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := newServer(t, func(o *serverOptions) { o.Now = func() time.Time { return now } })
	// Posted in the order a, b, c, d; scheduled in the order c, a, d, b.
	runs := map[string]string{
		"a": "teuthology-2026-02-02_00:00:00-rados-main-distro-default-smithi",
		"b": "teuthology-2026-02-04_00:00:00-rados-main-distro-default-smithi",
		"c": "teuthology-2026-02-01_00:00:00-rados-main-distro-default-smithi",
		"d": "teuthology-2026-02-03_00:00:00-rbd-main-distro-default-smithi",
	}
	for _, k := range []string{"a", "b", "c", "d"} {
		now = now.Add(time.Minute)
		c.post("/runs/", object{"name": runs[k]}).must(t, 200)
	}
	order := func(path string) string {
		r := c.get(path).must(t, 200)
		var out []string
		for _, run := range decode[[]object](t, r) {
			for k, name := range runs {
				if run["name"] == name {
					out = append(out, k)
				}
			}
		}
		return r.Header.Get("X-Total-Count") + " " + strings.Join(out, "")
	}
	for path, want := range map[string]string{
		"/runs/":                                       "4 dcba",
		"/runs/?sort=-posted":                          "4 dcba",
		"/runs/?sort=-scheduled":                       "4 bdac",
		"/runs/?suite=rados":                           "3 bac",
		"/runs/suite/rados/":                           "3 bac",
		"/runs/?suite=rados&sort=-scheduled":           "3 bac",
		"/runs/?suite=rados&sort=-posted":              "3 cba",
		"/runs/?since=2026-02-02&sort=-posted&count=2": "3 db",
	} {
		if got := order(path); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
	c.get("/runs/?sort=posted").wantError(t, 400, `invalid sort "posted": the orders are -posted and -scheduled`)
}
