package service_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/service"
)

// The failure answers read a window of test_results off its posted index, a signature's jobs off
// its range of the signature index, and runs, jobs, descriptions and signatures by key: no
// sequential scan, and no scan of the whole signature index for a window. The data set is 20,000
// runs of 4 jobs over 200 days, 40% of them failures of 500 signatures (test_results written as
// the triggers would); the plans are those of the exact queries the service runs (go test -v logs
// their timings).
func TestFailuresUseIndexes(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 80,000 jobs")
	}
	ctx := context.Background()
	setup, pool, rec := explainDB(t, `
		ALTER TABLE jobs DISABLE TRIGGER USER;
		INSERT INTO runs (name, "user", scheduled, suite, branch, machine_type, posted)
		SELECT 'teuthology-run-' || i, 'teuthology', now() - i * interval '864 seconds', 'suite-' || (i % 10),
		       'branch-' || (i % 6), 'smithi', now() - i * interval '864 seconds'
		FROM generate_series(1, 20000) i;
		INSERT INTO jobs (run_id, job_id, status, sha1, branch, "user", description, failure_reason, posted, updated)
		SELECT r.id, k::text, CASE WHEN (r.id + k) % 5 < 2 THEN 'fail' ELSE 'pass' END, md5(r.id::text), r.branch,
		       'teuthology', 'rados/thrash/' || (r.id % 3000) || '/' || k,
		       CASE WHEN (r.id + k) % 5 < 2 THEN 'failure ' || ((r.id * 7 + k) % 500) END, r.posted, r.posted
		FROM runs r, generate_series(1, 4) k;
		INSERT INTO job_descriptions SELECT DISTINCT ON (1) md5(description)::uuid, description FROM jobs;
		INSERT INTO failure_signatures (id, signature, example)
		SELECT DISTINCT ON (1) md5(failure_reason)::uuid, failure_reason, failure_reason FROM jobs WHERE failure_reason IS NOT NULL;
		INSERT INTO test_results (id, job_id, run_id, test_id, posted, status, sha1, signature_id)
		SELECT id, job_id, run_id, md5(description)::uuid, posted, status, sha1, md5(failure_reason)::uuid FROM jobs;
		ALTER TABLE jobs ENABLE TRIGGER USER;
		ANALYZE runs; ANALYZE jobs; ANALYZE test_results; ANALYZE failure_signatures; ANALYZE job_descriptions;`)

	svc := newService(pool, service.Options{})
	branch, suite, count, far := "branch-3", "suite-3", 25, 9
	page, err := svc.ListFailures(ctx, paddles.FailureFilter{}, nil, service.Page{})
	if err != nil || len(page.Failures) != 100 || page.Total != 500 {
		t.Fatalf("listing: %d of %d signatures, %v", len(page.Failures), page.Total, err)
	}
	id := page.Failures[0].ID
	for _, err := range []error{
		func() error {
			_, err := svc.ListFailures(ctx, paddles.FailureFilter{Branch: &branch, Suite: &suite}, nil, service.Page{})
			return err
		}(),
		func() error {
			_, err := svc.ListFailures(ctx, paddles.FailureFilter{}, nil, service.Page{Page: &far})
			return err
		}(),
		func() error { _, _, err := svc.GetFailure(ctx, id, nil); return err }(),
		func() error { _, err := svc.FailureJobs(ctx, id, service.Page{Count: &count, Page: &far}); return err }(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}

	wholeSignatureIndex := regexp.MustCompile(`test_results_signature_idx[^\n]*\n[^\n]*Index Cond: \(posted`)
	names := map[string]bool{}
	for _, q := range rec.queries {
		names[q.name] = true
		plan, ms := q.explain(t, setup)
		t.Logf("%s: %s ms", q.name, ms)
		if strings.Contains(plan, "Seq Scan") || wholeSignatureIndex.MatchString(plan) {
			t.Errorf("%s scans a table or the whole signature index:\n%s", q.name, plan)
		}
		// A window's failures are read off the failures' own index, not every job's (index-only once
		// vacuumed; a fresh table is read through a bitmap).
		if (q.name == "WindowFailures" || q.name == "CountWindowFailures") && !strings.Contains(plan, "test_results_failed_idx") {
			t.Errorf("%s does not read the window off test_results_failed_idx:\n%s", q.name, plan)
		}
	}
	for _, name := range []string{"WindowFailures", "CountWindowFailures", "FailureSignature", "FailureSpan", "FailureTests",
		"FailureSignatureExists", "FailureJobIDs", "CountFailureJobs", "FailureJobs"} {
		if !names[name] {
			t.Errorf("%s was not run", name)
		}
	}
}
