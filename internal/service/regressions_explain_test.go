package service_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ceph/paddles-go/internal/service"
)

// A run's regressions read the run and the run compared with by name, the previous run off one
// entry of runs_previous_idx, and the two runs' tests off test_results_run_idx, with their
// descriptions and signatures by key: bounded by the two runs' sizes, never by runs, jobs or
// test_results as a whole. The data set has the lab's 120,000 runs (30 suites, 40 branches, 3
// machine types) and 100 jobs in each of the last 1,000, of 3,000 tests; a fifth fail, each test
// its own way. The plans
// are those of the exact queries the service runs (go test -v logs them).
func TestRegressionsUseIndexes(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 120,000 runs")
	}
	ctx := context.Background()
	setup, pool, rec := explainDB(t, `
		INSERT INTO runs (name, "user", scheduled, suite, branch, machine_type, posted)
		SELECT 'teuthology-run-' || i, 'teuthology', now() - i * interval '10 minutes', 'suite-' || (i % 30),
		       'branch-' || (i % 40), (ARRAY['smithi', 'gibba', 'mira'])[1 + i % 3], now() - i * interval '10 minutes'
		FROM generate_series(1, 120000) i;
		INSERT INTO jobs (run_id, job_id, status, description, failure_reason, posted, updated)
		SELECT r.id, k::text, CASE WHEN (r.id + k) % 5 = 0 THEN 'fail' ELSE 'pass' END,
		       'rados/thrash/' || ((r.id * 7 + k) % 3000),
		       CASE WHEN (r.id + k) % 5 = 0 THEN 'Command failed on smithi' || (r.id % 100) || ' with status 1: ' ||
		           translate(((r.id * 7 + k) % 3000)::text, '0123456789', 'abcdefghij') END,
		       r.posted + k * interval '1 second', r.posted
		FROM runs r, generate_series(1, 100) k WHERE r.name ~ '^teuthology-run-[0-9]{1,3}$' OR r.name = 'teuthology-run-1000';
		ANALYZE runs; ANALYZE jobs; ANALYZE test_results; ANALYZE job_descriptions; ANALYZE failure_signatures;`)
	svc := newService(pool, service.Options{})
	// teuthology-run-10's previous run is teuthology-run-130, posted 120 runs earlier (the suites,
	// branches and machine types repeat every 120 runs); then against a named run.
	against := "teuthology-run-11"
	for _, call := range []struct {
		run     string
		against *string
		prev    string
	}{{"teuthology-run-10", nil, "teuthology-run-130"}, {"teuthology-run-10", &against, against}} {
		r, err := svc.RunRegressions(ctx, call.run, call.against)
		if err != nil {
			t.Fatal(err)
		}
		if r.Against == nil || *r.Against != call.prev {
			t.Fatalf("%s compared with %v, want %s", call.run, r.Against, call.prev)
		}
		if n := len(r.NewTests) + len(r.MissingTests) + len(r.NewFailures) + len(r.Fixed) + len(r.StillFailing) + r.StillPassing + r.NotCompared; n < 100 {
			t.Fatalf("%s against %s: %d tests", call.run, call.prev, n)
		}
	}
	uses := map[string]string{"RegressionRun": "runs_name_key", "PreviousRun": "runs_previous_idx", "CompareRuns": "test_results_run_idx"}
	seen := map[string]int{}
	for _, q := range rec.queries {
		seen[q.name]++
		plan, ms := q.explain(t, setup)
		t.Logf("%s: %s ms\n%s", q.name, ms, plan)
		if strings.Contains(plan, "Seq Scan") || !strings.Contains(plan, uses[q.name]) {
			t.Errorf("%s does not read %s alone:\n%s", q.name, uses[q.name], plan)
		}
	}
	if seen["RegressionRun"] != 4 || seen["PreviousRun"] != 1 || seen["CompareRuns"] != 2 {
		t.Errorf("queries run: %v", seen)
	}
}
