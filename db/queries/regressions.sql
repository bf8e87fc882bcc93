-- A run's regressions (GET /runs/{name}/regressions/): the run, the previous run of its suite,
-- branch and machine type, and the two runs' newest job of each test side by side.

-- name: RegressionRun :one
SELECT id, name, suite, branch, machine_type, posted FROM runs WHERE name = @name;

-- PreviousRun is the newest run posted before the run (posted, id), with its suite, branch and
-- machine type: one entry of runs_previous_idx.
-- name: PreviousRun :one
SELECT name FROM runs
WHERE suite = @suite::text AND branch = @branch::text AND machine_type = @machine_type::text
  AND (posted, id) < (@posted::timestamptz, @id::bigint)
ORDER BY posted DESC, id DESC
LIMIT 1;

-- CompareRuns pairs the newest job of each test of two runs (that_run NULL: none), off
-- test_results_run_idx, in no order; a test with a job in one run only has NULLs for the other.
-- name: CompareRuns :many
WITH this AS (
    SELECT DISTINCT ON (t.test_id) t.test_id, t.job_id, t.status, t.signature_id
    FROM test_results t
    WHERE t.run_id = @this_run::bigint AND t.test_id IS NOT NULL
    ORDER BY t.test_id, t.posted DESC, t.id DESC
), that AS (
    SELECT DISTINCT ON (t.test_id) t.test_id, t.job_id, t.status, t.signature_id
    FROM test_results t
    WHERE t.run_id = sqlc.narg(that_run)::bigint AND t.test_id IS NOT NULL
    ORDER BY t.test_id, t.posted DESC, t.id DESC
)
-- The descriptions and tracker links are looked up per test (subplans), so that the work stays
-- bounded by the two runs whatever the size of job_descriptions and failure_signatures.
SELECT p.test_id::uuid AS test_id,
    (SELECT d.description FROM job_descriptions d WHERE d.id = p.test_id)::text AS description,
    p.this_job_id, p.this_status, p.this_signature_id,
    (SELECT s.tracker_url FROM failure_signatures s WHERE s.id = p.this_signature_id) AS this_tracker_url,
    p.that_job_id, p.that_status, p.that_signature_id,
    (SELECT s.tracker_url FROM failure_signatures s WHERE s.id = p.that_signature_id) AS that_tracker_url
FROM (
    SELECT COALESCE(this.test_id, that.test_id) AS test_id,
        this.job_id AS this_job_id, this.status AS this_status, this.signature_id AS this_signature_id,
        that.job_id AS that_job_id, that.status AS that_status, that.signature_id AS that_signature_id
    FROM this FULL JOIN that ON that.test_id = this.test_id
) p;
