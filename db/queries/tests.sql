-- Test history and flaky tests (issue 15), read off test_results (00012): a test's rows off
-- test_results_test_idx, a window's off test_results_posted_idx. A test's rows look their run up
-- by primary key, one by one (a test has hundreds of jobs, not the runs table's 120k); a window's
-- keep the runs the filters select. Conditions on a NULL argument fold away: the server plans
-- with the actual values.

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

-- FlakyTests pages the tests that passed and failed (or died) on one sha1 among the finished
-- jobs posted since @since (test_results_posted_idx), most flaky first, with how many there are
-- in all (no row past the last page: CountFlakyTests then). Only the page's descriptions are read.
-- name: FlakyTests :many
WITH by_sha1 AS (
    SELECT t.test_id, t.sha1 IS NOT NULL AS has_sha1,
           -- int, so that the sums below are bigint, not numeric (a third of the query's time)
           count(*) FILTER (WHERE t.status = 'pass')::int AS pass, count(*) FILTER (WHERE t.status <> 'pass')::int AS fail
    FROM test_results t
    WHERE t.posted >= @since::timestamptz AND t.test_id IS NOT NULL AND t.status IN ('pass', 'fail', 'dead')
      AND (sqlc.narg(branch)::text IS NULL AND sqlc.narg(suite)::text IS NULL AND sqlc.narg(machine_type)::text IS NULL
           OR t.run_id IN (SELECT r.id FROM runs r
                           WHERE (sqlc.narg(branch)::text IS NULL OR r.branch = sqlc.narg(branch))
                             AND (sqlc.narg(suite)::text IS NULL OR r.suite = sqlc.narg(suite))
                             AND (sqlc.narg(machine_type)::text IS NULL OR r.machine_type = sqlc.narg(machine_type))))
    GROUP BY t.test_id, t.sha1
), flaky AS (
    SELECT test_id, sum(pass) AS pass, sum(fail) AS fail,
           count(*) FILTER (WHERE has_sha1 AND pass > 0 AND fail > 0) AS flaky_sha1s,
           ((sum(fail) FILTER (WHERE has_sha1 AND pass > 0 AND fail > 0))::float8
            / sum(pass + fail) FILTER (WHERE has_sha1 AND pass > 0 AND fail > 0))::float8 AS flake_rate
    FROM by_sha1 GROUP BY test_id HAVING bool_or(has_sha1 AND pass > 0 AND fail > 0)
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
SELECT count(DISTINCT test_id) FROM (
    SELECT t.test_id FROM test_results t
    WHERE t.posted >= @since::timestamptz AND t.test_id IS NOT NULL AND t.sha1 IS NOT NULL AND t.status IN ('pass', 'fail', 'dead')
      AND (sqlc.narg(branch)::text IS NULL AND sqlc.narg(suite)::text IS NULL AND sqlc.narg(machine_type)::text IS NULL
           OR t.run_id IN (SELECT r.id FROM runs r
                           WHERE (sqlc.narg(branch)::text IS NULL OR r.branch = sqlc.narg(branch))
                             AND (sqlc.narg(suite)::text IS NULL OR r.suite = sqlc.narg(suite))
                             AND (sqlc.narg(machine_type)::text IS NULL OR r.machine_type = sqlc.narg(machine_type))))
    GROUP BY t.test_id, t.sha1 HAVING bool_or(t.status = 'pass') AND bool_or(t.status <> 'pass')
) flaky;

-- FlakyTestsLatest reads, for each of a page's tests, its newest passed and newest failed-or-dead
-- job in the window, off test_results_test_idx from the newest entry down to the first match.
-- name: FlakyTestsLatest :many
SELECT p.test_id::uuid AS test_id, 'pass'::text AS kind, l.job_id, l.sha1, l.posted, r.name AS run_name
FROM unnest(@test_ids::uuid[]) p (test_id)
CROSS JOIN LATERAL (
    SELECT t.job_id, t.sha1, t.posted, t.run_id FROM test_results t
    WHERE t.test_id = p.test_id AND t.posted >= @since::timestamptz AND t.status = 'pass'
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
    WHERE t.test_id = p.test_id AND t.posted >= @since::timestamptz AND t.status IN ('fail', 'dead')
      AND (sqlc.narg(branch)::text IS NULL AND sqlc.narg(suite)::text IS NULL AND sqlc.narg(machine_type)::text IS NULL
           OR (SELECT (sqlc.narg(branch)::text IS NULL OR r.branch = sqlc.narg(branch))
                      AND (sqlc.narg(suite)::text IS NULL OR r.suite = sqlc.narg(suite))
                      AND (sqlc.narg(machine_type)::text IS NULL OR r.machine_type = sqlc.narg(machine_type))
               FROM runs r WHERE r.id = t.run_id))
    ORDER BY t.posted DESC, t.id DESC LIMIT 1
) l
JOIN runs r ON r.id = l.run_id;
