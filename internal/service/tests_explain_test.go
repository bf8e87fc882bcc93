package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/service"
)

// A test's history reads test_results off its indexes, and the flaky tests of a window
// test_sha1s off test_sha1s_flaky_idx, never a table whole nor the window's results: 300,000
// jobs of 6,000 runs over 150 days, 3,000 tests of about 100 jobs each, sha1s shared by a
// branch's runs of a week. go test -v logs each query's time and plan.
// flakyWindow are the queries that select a window's flaky tests.
var flakyWindow = map[string]bool{"FlakyTests": true, "CountFlakyTests": true}

func TestTestsUseIndexes(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 300,000 jobs")
	}
	ctx := context.Background()
	// The triggers that keep test_results are off while seeding, and the rows they would write
	// are written at once (test_results' own triggers count them in test_sha1s); failure reasons
	// stand for their own signatures.
	setup, pool, rec := explainDB(t, `
		ALTER TABLE jobs DISABLE TRIGGER USER;
		INSERT INTO runs (name, "user", scheduled, suite, branch, machine_type, posted)
		SELECT 'teuthology-run-' || i, 'teuthology', ts, 'suite-' || (i % 10), (ARRAY['main', 'squid', 'reef'])[1 + i % 3],
		       (ARRAY['smithi', 'gibba'])[1 + i % 2], ts
		FROM generate_series(1, 6000) i, LATERAL (SELECT timestamptz '2026-06-01' - i * interval '36 minutes' AS ts) t;
		INSERT INTO jobs (run_id, job_id, status, sha1, branch, "user", description, failure_reason, posted, updated)
		SELECT r.id, k::text, s.status, md5(r.branch || date_trunc('week', r.posted)::text), r.branch, 'teuthology',
		       r.suite || '/test-' || ((r.id / 10 * 50 + k) % 300),
		       CASE WHEN s.status <> 'pass' THEN 'Command failed with status ' || ((r.id * 50 + k) % 5000) END,
		       r.posted + k * interval '1 second', r.posted + k * interval '1 second'
		FROM runs r, generate_series(1, 50) k,
		     LATERAL (SELECT CASE WHEN abs(hashtext(r.id || '-' || k)) % 100 < 82 THEN 'pass'
		                          WHEN abs(hashtext(r.id || '-' || k)) % 100 < 94 THEN 'fail' ELSE 'dead' END AS status) s;
		INSERT INTO test_results (id, job_id, run_id, test_id, posted, status, sha1, signature_id)
		SELECT id, job_id, run_id, md5(description)::uuid, posted, status, sha1,
		       CASE WHEN status <> 'pass' THEN md5(failure_reason)::uuid END FROM jobs;
		INSERT INTO failure_signatures (id, signature, example)
		SELECT DISTINCT ON (1) md5(failure_reason)::uuid, failure_reason, failure_reason FROM jobs WHERE status <> 'pass';
		INSERT INTO job_descriptions SELECT DISTINCT ON (1) md5(description)::uuid, description FROM jobs;
		ALTER TABLE jobs ENABLE TRIGGER USER;
		ANALYZE runs; ANALYZE jobs; ANALYZE test_results; ANALYZE test_sha1s; ANALYZE failure_signatures; ANALYZE job_descriptions;`)

	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	svc := newService(pool, service.Options{Now: func() time.Time { return now }})
	description, main, smithi, sha1 := "suite-3/test-17", "main", "smithi", ""
	if err := setup.QueryRow(ctx, `SELECT sha1 FROM jobs WHERE description = $1 LIMIT 1`, description).Scan(&sha1); err != nil {
		t.Fatal(err)
	}
	since := now.AddDate(0, 0, -30)
	count, far := 25, 3
	var calls []string
	call := func(name string, err error) {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		calls = append(calls, name)
	}
	for _, c := range []struct {
		name string
		f    paddles.TestFilter
		page service.Page
	}{
		{"history", paddles.TestFilter{}, service.Page{}},
		{"history, page 3", paddles.TestFilter{}, service.Page{Count: &count, Page: &far}},
		{"history, branch and machine type", paddles.TestFilter{Branch: &main, MachineType: &smithi}, service.Page{}},
		{"history, sha1", paddles.TestFilter{Sha1: &sha1}, service.Page{}},
		{"history, 30 days", paddles.TestFilter{Since: &since}, service.Page{}},
	} {
		h, err := svc.TestHistory(ctx, description, c.f, c.page)
		if err == nil && (c.name == "history" && (h.Summary.Total < 50 || len(h.Jobs) != 25)) {
			t.Errorf("%s: %d jobs of %d; the data set is not what it should be", c.name, len(h.Jobs), h.Summary.Total)
		}
		call(c.name, err)
	}
	_, err := svc.SearchJobs(ctx, paddles.JobSearch{Description: &description}, service.Page{Count: &count})
	call("/jobs/?description=", err)
	for _, days := range []int{1, 14, 90} {
		p, err := svc.FlakyTests(ctx, paddles.TestFilter{}, &days, service.Page{})
		if err == nil && days == 14 && p.Total == 0 {
			t.Errorf("no flaky test in 14 days; the data set is not what it should be")
		}
		call("flaky, "+time.Duration(days*24*int(time.Hour)).String(), err)
	}
	days, page := 14, 1000
	_, err = svc.FlakyTests(ctx, paddles.TestFilter{Branch: &main, MachineType: &smithi}, &days, service.Page{})
	call("flaky, branch and machine type", err)
	_, err = svc.FlakyTests(ctx, paddles.TestFilter{}, &days, service.Page{Page: &page})
	call("flaky, past the last page", err)

	// The queries of /jobs/ are logged, not checked: they are not this feature's. The flaky tests'
	// windows, even of 90 of this data set's 150 days, read test_sha1s_flaky_idx, never test_results.
	checked := map[int]bool{}
	for i, q := range rec.queries {
		checked[i] = !strings.Contains(q.sql, "job_descriptions WHERE description LIKE") && !strings.Contains(q.sql, "job_search(")
	}
	for i, q := range rec.queries {
		plan, ms := q.explain(t, setup)
		t.Logf("%s: %s ms\n%s", q.name, ms, plan)
		for _, table := range []string{"runs", "jobs", "test_results", "test_sha1s", "job_descriptions", "failure_signatures"} {
			if checked[i] && strings.Contains(plan, "Seq Scan on "+table) {
				t.Errorf("%s scans %s:\n%s", q.name, table, plan)
			}
		}
		if flakyWindow[q.name] && checked[i] && (strings.Contains(plan, "test_results") || !strings.Contains(plan, "test_sha1s_flaky_idx")) {
			t.Errorf("%s does not read test_sha1s_flaky_idx alone:\n%s", q.name, plan)
		}
	}
	t.Logf("calls: %s", strings.Join(calls, "; "))
}
