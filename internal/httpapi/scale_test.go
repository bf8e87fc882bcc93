package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// execSQL runs statements on the test's database: bulk data that would take thousands of requests.
func execSQL(t *testing.T, dbURL, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatal(err)
	}
}

// The value lists and totals read off run_values follow every kind of write.
func TestMaintainedRunValuesFollowEveryWrite(t *testing.T) {
	c := seedRuns(t)
	checkCounts(t, c.db)
	run := "/runs/teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi/"
	steps := []struct {
		name string
		do   func()
	}{
		{"a job finishes and its run with it", func() { c.put(run+"jobs/1/", object{"status": "pass"}).must(t, 200) }},
		{"a job reports another branch", func() { c.put(run+"jobs/1/", object{"branch": "reef"}).must(t, 200) }},
		{"a job is deleted", func() { c.delete(run+"jobs/0/").must(t, 200) }},
		{"a run is deleted", func() {
			c.delete("/runs/bob-2026-02-28_23:59:59-rgw-tentacle-distro-default-smithi/").must(t, 200)
		}},
		{"many runs and jobs in one statement", func() {
			execSQL(t, c.db, `
				WITH r AS (
					INSERT INTO runs (name, "user", scheduled, suite, branch, machine_type, posted)
					SELECT 'bulk-' || g, 'bulk', '2026-02-01'::timestamptz + g * interval '1 day', 'upgrade', 'wip-' || (g % 3), 'gibba', now()
					FROM generate_series(1, 5) g RETURNING id
				)
				INSERT INTO jobs (run_id, job_id, status, description, posted, updated)
				SELECT r.id, g::text, (ARRAY['queued', 'running', 'pass'])[1 + g % 3], 'upgrade/t-' || g, now(), now()
				FROM r, generate_series(1, 4) g`)
		}},
	}
	for _, s := range steps {
		s.do()
		checkCounts(t, c.db)
		if t.Failed() {
			t.Fatalf("after %s", s.name)
		}
	}
	if got := values(t, c.get("/runs/branch/")); got != "main,master,reef,squid,wip-0,wip-1,wip-2" {
		t.Errorf("/runs/branch/ = %s", got)
	}
	if got := values(t, c.get("/runs/date/")); got != "2013-01-02,2026-01-14,2026-01-15,2026-01-16,2026-02-02,2026-02-03,2026-02-04,2026-02-05,2026-02-06" {
		t.Errorf("/runs/date/ = %s", got)
	}
	names(t, c.get("/runs/"), 10)
	names(t, c.get("/runs/branch/reef/"), 1)
	names(t, c.get("/runs/status/running/"), 5)
	names(t, c.get("/runs/user/bulk/"), 5)
}

// A job search counts no further than 1,000 jobs past its page, and says so; the description
// search gives the same answers whether it goes description by description or reads the newest
// jobs (more than 500 distinct descriptions match).
func TestJobSearchAtScale(t *testing.T) {
	c := newServer(t)
	c.post("/runs/", object{"name": "teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi"}).must(t, 200)
	execSQL(t, c.db, `
		INSERT INTO jobs (run_id, job_id, status, description, posted, updated)
		SELECT (SELECT id FROM runs), g::text, CASE WHEN g % 7 = 0 THEN 'fail' ELSE 'pass' END,
		       'rados/t-' || (g % 600), '2026-01-15'::timestamptz + g * interval '1 minute', now()
		FROM generate_series(1, 1300) g`)
	checkCounts(t, c.db)
	ids := func(r response) string {
		var out []string
		for _, j := range decode[[]object](t, r.must(t, 200)) {
			out = append(out, j["job_id"].(string))
		}
		return strings.Join(out, " ")
	}
	cases := []struct {
		query, want, total, exact string
	}{
		// Every job: counted up to 1,000 past the first page of 10.
		{"?count=3", "1300 1299 1298", "1003", "false"},
		{"?count=3&page=2", "1297 1296 1295", "1006", "false"},
		{"?count=2000&page=1", "", "1300", "true"},
		{"?status=fail&count=2", "1295 1288", "185", "true"},
		// 600 descriptions match: the newest jobs are read and tested.
		{"?description=rados/t-&count=2", "1300 1299", "1002", "false"},
		// rados/t-7 and t-70..79: 11 descriptions of 3 jobs each, read one by one.
		{"?description=rados/t-7&count=4", "1279 1278 1277 1276", "33", "true"},
		{"?description=rados/t-7&count=4&page=6", "670 607 79 78", "33", "true"},
		{"?description=rados/t-7&status=fail&count=2", "1274 679", "6", "true"},
		{"?description=rados/t-599", "1199 599", "2", "true"},
		{"?description=nothing", "", "0", "true"},
	}
	for _, tc := range cases {
		r := c.get("/jobs/" + tc.query)
		got := ids(r)
		if tc.want != "" && got != tc.want {
			t.Errorf("GET /jobs/%s = %s, want %s", tc.query, got, tc.want)
		}
		if h := r.Header.Get("X-Total-Count") + " " + r.Header.Get("X-Total-Count-Exact"); h != tc.total+" "+tc.exact {
			t.Errorf("GET /jobs/%s: X-Total-Count, -Exact = %s, want %s %s", tc.query, h, tc.total, tc.exact)
		}
	}
	// Both ways of searching descriptions page alike through every match.
	var byDescription, byScan []string
	for p := 1; p <= 4; p++ {
		byDescription = append(byDescription, ids(c.get(fmt.Sprintf("/jobs/?description=rados/t-7&count=10&page=%d", p))))
	}
	for p := 1; p <= 130; p++ {
		page := ids(c.get(fmt.Sprintf("/jobs/?description=rados/t-&count=10&page=%d", p)))
		for _, id := range strings.Fields(page) {
			var n int
			fmt.Sscan(id, &n)
			if d := fmt.Sprint(n % 600); d == "7" || strings.HasPrefix(d, "7") {
				byScan = append(byScan, id)
			}
		}
	}
	if a, b := strings.Fields(strings.Join(byDescription, " ")), byScan; strings.Join(a, " ") != strings.Join(b, " ") {
		t.Errorf("description by description: %v\nnewest jobs tested: %v", a, b)
	}
}

// A whole description, as pulpito-ng's job history sends it, is looked for with strpos rather
// than LIKE (32 characters or more): it matches itself and the descriptions holding it, and its
// '_' and '%' match only themselves, as LIKE's escaped pattern did.
func TestJobSearchLongDescription(t *testing.T) {
	c := newServer(t)
	run := "/runs/teuthology-2026-01-15_10:20:30-rados-main-distro-default-smithi/jobs/"
	long := "rados/thrash/{clusters/fixed-2 msgr_failures/few 100%-careful}"
	for i, d := range []string{
		long,
		"upgrade/" + long + "/x",
		"rados/thrash/{clusters/fixed-2 msgrXfailures/few 100%-careful}", // '_' is not a wildcard
		"rados/thrash/{clusters/fixed-2 msgr_failures/few 100-careful}",  // nor is '%'
		"rados/thrash/{clusters/fixed-2 msgr_failures/few 100%-careful",  // one character short
	} {
		c.post(run, object{"job_id": fmt.Sprint(i + 1), "status": "pass", "description": d}).must(t, 200)
	}
	var got []string
	for _, j := range decode[[]object](t, c.get("/jobs/?description="+url.QueryEscape(long)).must(t, 200)) {
		got = append(got, j["job_id"].(string))
	}
	if strings.Join(got, " ") != "2 1" {
		t.Errorf("jobs of %q: %v, want 2 1", long, got)
	}
}
