-- Test history and flaky tests (issue 15), read off test_results and test_sha1s (00012): a test's
-- rows off test_results_test_idx, looking their run up by primary key, one by one (a test has
-- hundreds of jobs, not the runs table's 120k); the flaky tests off test_sha1s_flaky_idx.
-- Conditions on a NULL argument fold away: the server plans with the actual values.

-- TestHistorySummary counts a test's jobs matching the filters by status, with when the first
-- and last were posted and up to 100 flaky sha1s (a pass and a fail or dead job), newest first.
-- name: TestHistorySummary :one
WITH m AS MATERIALIZED (
    SELECT t.posted, t.status, t.sha1 FROM test_results t
    WHERE t.test_id = md5(@description::text)::uuid
      AND (sqlc.narg(sha1)::text IS NULL OR t.sha1 = sqlc.narg(sha1))
      AND (sqlc.narg(since)::timestamptz IS NULL OR t.posted >= sqlc.narg(since))
      AND (sqlc.narg(branch)::text IS NULL AND sqlc.narg(suite)::text IS NULL AND sqlc.narg(machine_type)::text IS NULL
           OR (SELECT (sqlc.narg(branch)::text IS NULL OR r.branch = sqlc.narg(branch))
                      AND (sqlc.narg(suite)::text IS NULL OR r.suite = sqlc.narg(suite))
                      AND (sqlc.narg(machine_type)::text IS NULL OR r.machine_type = sqlc.narg(machine_type))
               FROM runs r WHERE r.id = t.run_id))
)
SELECT
    count(*) FILTER (WHERE status = 'pass') AS pass,
    count(*) FILTER (WHERE status = 'fail') AS fail,
    count(*) FILTER (WHERE status = 'dead') AS dead,
    count(*) FILTER (WHERE status = 'running') AS running,
    count(*) FILTER (WHERE status = 'waiting') AS waiting,
    count(*) FILTER (WHERE status = 'queued') AS queued,
    count(*) FILTER (WHERE status = 'unknown') AS unknown,
    count(*) AS total,
    COALESCE(min(posted), 'epoch')::timestamptz AS first_seen, -- read only when total > 0
    COALESCE(max(posted), 'epoch')::timestamptz AS last_seen,
    ARRAY(
        SELECT f.sha1 FROM m f WHERE f.sha1 IS NOT NULL GROUP BY f.sha1
        HAVING bool_or(f.status = 'pass') AND bool_or(f.status IN ('fail', 'dead'))
        ORDER BY max(f.posted) DESC, f.sha1 LIMIT 100
    )::text[] AS flaky_sha1s
FROM m;

-- TestHistoryLatest reads a test's newest passed and newest failed-or-dead job matching the
-- filters, each off test_results_test_idx from the newest entry down to the first match.
-- name: TestHistoryLatest :many
SELECT l.kind, l.job_id, l.sha1, l.posted, r.name AS run_name FROM (
    SELECT 'pass'::text AS kind, t.job_id, t.sha1, t.posted, t.run_id FROM test_results t
    WHERE t.test_id = md5(@description::text)::uuid AND t.status = 'pass'
      AND (sqlc.narg(sha1)::text IS NULL OR t.sha1 = sqlc.narg(sha1))
      AND (sqlc.narg(since)::timestamptz IS NULL OR t.posted >= sqlc.narg(since))
      AND (sqlc.narg(branch)::text IS NULL AND sqlc.narg(suite)::text IS NULL AND sqlc.narg(machine_type)::text IS NULL
           OR (SELECT (sqlc.narg(branch)::text IS NULL OR r.branch = sqlc.narg(branch))
                      AND (sqlc.narg(suite)::text IS NULL OR r.suite = sqlc.narg(suite))
                      AND (sqlc.narg(machine_type)::text IS NULL OR r.machine_type = sqlc.narg(machine_type))
               FROM runs r WHERE r.id = t.run_id))
    ORDER BY t.posted DESC, t.id DESC LIMIT 1
) l JOIN runs r ON r.id = l.run_id
UNION ALL
SELECT l.kind, l.job_id, l.sha1, l.posted, r.name AS run_name FROM (
    SELECT 'fail'::text AS kind, t.job_id, t.sha1, t.posted, t.run_id FROM test_results t
    WHERE t.test_id = md5(@description::text)::uuid AND t.status IN ('fail', 'dead')
      AND (sqlc.narg(sha1)::text IS NULL OR t.sha1 = sqlc.narg(sha1))
      AND (sqlc.narg(since)::timestamptz IS NULL OR t.posted >= sqlc.narg(since))
      AND (sqlc.narg(branch)::text IS NULL AND sqlc.narg(suite)::text IS NULL AND sqlc.narg(machine_type)::text IS NULL
           OR (SELECT (sqlc.narg(branch)::text IS NULL OR r.branch = sqlc.narg(branch))
                      AND (sqlc.narg(suite)::text IS NULL OR r.suite = sqlc.narg(suite))
                      AND (sqlc.narg(machine_type)::text IS NULL OR r.machine_type = sqlc.narg(machine_type))
               FROM runs r WHERE r.id = t.run_id))
    ORDER BY t.posted DESC, t.id DESC LIMIT 1
) l JOIN runs r ON r.id = l.run_id;

-- TestHistoryPage pages a test's jobs matching the filters, newest first, with their failure
-- signatures' tracker links; the jobs themselves are then read by id (JobsByID).
-- name: TestHistoryPage :many
SELECT t.id, t.signature_id,
       (SELECT f.tracker_url FROM failure_signatures f WHERE f.id = t.signature_id) AS tracker_url
FROM test_results t
WHERE t.test_id = md5(@description::text)::uuid
  AND (sqlc.narg(sha1)::text IS NULL OR t.sha1 = sqlc.narg(sha1))
  AND (sqlc.narg(since)::timestamptz IS NULL OR t.posted >= sqlc.narg(since))
  AND (sqlc.narg(branch)::text IS NULL AND sqlc.narg(suite)::text IS NULL AND sqlc.narg(machine_type)::text IS NULL
       OR (SELECT (sqlc.narg(branch)::text IS NULL OR r.branch = sqlc.narg(branch))
                  AND (sqlc.narg(suite)::text IS NULL OR r.suite = sqlc.narg(suite))
                  AND (sqlc.narg(machine_type)::text IS NULL OR r.machine_type = sqlc.narg(machine_type))
           FROM runs r WHERE r.id = t.run_id))
ORDER BY t.posted DESC, t.id DESC
LIMIT @max::bigint OFFSET @skip::bigint;

-- FlakyTests pages the tests that passed and failed (or died) on one sha1 and run branch, suite
-- and machine type, among those whose newest result was posted since @since: the test_sha1s
-- rows of test_sha1s_flaky_idx in the window, grouped by test, most flaky first, with how many
-- tests there are in all (no row past the last page: CountFlakyTests then). Only the page's
-- descriptions are read.
-- name: FlakyTests :many
WITH flaky AS (
    SELECT s.test_id, sum(s.pass) AS pass, sum(s.fail) AS fail, count(*) AS flaky_sha1s,
           (sum(s.fail)::float8 / sum(s.pass + s.fail))::float8 AS flake_rate
    FROM test_sha1s s
    WHERE s.last_posted >= @since::timestamptz AND s.pass > 0 AND s.fail > 0
      AND (sqlc.narg(branch)::text IS NULL OR s.branch = sqlc.narg(branch))
      AND (sqlc.narg(suite)::text IS NULL OR s.suite = sqlc.narg(suite))
      AND (sqlc.narg(machine_type)::text IS NULL OR s.machine_type = sqlc.narg(machine_type))
    GROUP BY s.test_id
), page AS (
    SELECT f.*, count(*) OVER () AS total FROM flaky f
    ORDER BY f.flaky_sha1s DESC, f.flake_rate DESC, f.fail DESC, f.test_id
    LIMIT @max::bigint OFFSET @skip::bigint
)
SELECT p.test_id, (SELECT d.description FROM job_descriptions d WHERE d.id = p.test_id)::text AS description,
       p.pass, p.fail, p.flaky_sha1s, p.flake_rate, p.total
FROM page p
ORDER BY p.flaky_sha1s DESC, p.flake_rate DESC, p.fail DESC, p.test_id;

-- name: CountFlakyTests :one
SELECT count(DISTINCT s.test_id) FROM test_sha1s s
WHERE s.last_posted >= @since::timestamptz AND s.pass > 0 AND s.fail > 0
  AND (sqlc.narg(branch)::text IS NULL OR s.branch = sqlc.narg(branch))
  AND (sqlc.narg(suite)::text IS NULL OR s.suite = sqlc.narg(suite))
  AND (sqlc.narg(machine_type)::text IS NULL OR s.machine_type = sqlc.narg(machine_type));

-- FlakyTestsLatest reads, for each of a page's tests, its newest passed and newest failed-or-dead
-- job of runs matching the filters, off test_results_test_idx from the newest entry down to the
-- first match. Not bounded by the window: a flaky sha1's pass (or failure) may be older than its
-- newest result, which put it in the window.
-- name: FlakyTestsLatest :many
SELECT p.test_id::uuid AS test_id, 'pass'::text AS kind, l.job_id, l.sha1, l.posted, r.name AS run_name
FROM unnest(@test_ids::uuid[]) p (test_id)
CROSS JOIN LATERAL (
    SELECT t.job_id, t.sha1, t.posted, t.run_id FROM test_results t
    WHERE t.test_id = p.test_id AND t.status = 'pass'
      AND (sqlc.narg(branch)::text IS NULL AND sqlc.narg(suite)::text IS NULL AND sqlc.narg(machine_type)::text IS NULL
           OR (SELECT (sqlc.narg(branch)::text IS NULL OR r.branch = sqlc.narg(branch))
                      AND (sqlc.narg(suite)::text IS NULL OR r.suite = sqlc.narg(suite))
                      AND (sqlc.narg(machine_type)::text IS NULL OR r.machine_type = sqlc.narg(machine_type))
               FROM runs r WHERE r.id = t.run_id))
    ORDER BY t.posted DESC, t.id DESC LIMIT 1
) l
JOIN runs r ON r.id = l.run_id
UNION ALL
SELECT p.test_id::uuid AS test_id, 'fail'::text AS kind, l.job_id, l.sha1, l.posted, r.name AS run_name
FROM unnest(@test_ids::uuid[]) p (test_id)
CROSS JOIN LATERAL (
    SELECT t.job_id, t.sha1, t.posted, t.run_id FROM test_results t
    WHERE t.test_id = p.test_id AND t.status IN ('fail', 'dead')
      AND (sqlc.narg(branch)::text IS NULL AND sqlc.narg(suite)::text IS NULL AND sqlc.narg(machine_type)::text IS NULL
           OR (SELECT (sqlc.narg(branch)::text IS NULL OR r.branch = sqlc.narg(branch))
                      AND (sqlc.narg(suite)::text IS NULL OR r.suite = sqlc.narg(suite))
                      AND (sqlc.narg(machine_type)::text IS NULL OR r.machine_type = sqlc.narg(machine_type))
               FROM runs r WHERE r.id = t.run_id))
    ORDER BY t.posted DESC, t.id DESC LIMIT 1
) l
JOIN runs r ON r.id = l.run_id;
