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
-- test_results_run_idx; a test with a job in one run only has NULLs for the other.
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
SELECT d.id AS test_id, d.description,
    this.job_id AS this_job_id, this.status AS this_status, this.signature_id AS this_signature_id,
    ts.tracker_url AS this_tracker_url,
    that.job_id AS that_job_id, that.status AS that_status, that.signature_id AS that_signature_id,
    os.tracker_url AS that_tracker_url
FROM this
FULL JOIN that ON that.test_id = this.test_id
JOIN job_descriptions d ON d.id = COALESCE(this.test_id, that.test_id)
LEFT JOIN failure_signatures ts ON ts.id = this.signature_id
LEFT JOIN failure_signatures os ON os.id = that.signature_id
ORDER BY d.description COLLATE "C", d.id;
