-- Failure signatures (migration 00012): the failed and dead jobs of a window are read off
-- test_results_failed_idx, one signature's jobs off test_results_signature_idx; jobs and runs are
-- read by primary key, for a page or a window's runs only. A run filter (branch, suite, machine
-- type) is the run's values, as /runs/ filters; with none, runs are not read at all. Signature ids are passed and
-- returned as text, so that no database type leaks past package store.

-- WindowFailures pages the signatures of the failed and dead jobs posted since @since, most jobs
-- first, then most recently seen, then by id, in one pass over the window's failures (hit): a run
-- filter looks up each run of the window once, by key (kept); each signature of the page comes
-- with its @per_signature tests hit most (ties: the later, then by test id), looked up in
-- job_descriptions by key. total is how many signatures the window holds, counted before the
-- page is cut (a page past the end has no row to carry it: see CountWindowFailures).
-- first_seen is all-time, the last entry of the signature's index.
-- name: WindowFailures :many
WITH hit AS MATERIALIZED (
    SELECT t.signature_id, t.run_id, t.test_id, t.posted
    FROM test_results t
    WHERE t.posted >= @since AND t.signature_id IS NOT NULL
), kept AS MATERIALIZED (
    SELECT h.* FROM hit h
    WHERE sqlc.narg(branch)::text IS NULL AND sqlc.narg(suite)::text IS NULL AND sqlc.narg(machine_type)::text IS NULL
       OR h.run_id IN (
           SELECT r.id FROM runs r
           WHERE r.id IN (SELECT DISTINCT run_id FROM hit)
             AND (sqlc.narg(branch)::text IS NULL OR r.branch = sqlc.narg(branch))
             AND (sqlc.narg(suite)::text IS NULL OR r.suite = sqlc.narg(suite))
             AND (sqlc.narg(machine_type)::text IS NULL OR r.machine_type = sqlc.narg(machine_type)))
), page AS (
    SELECT signature_id, count(*) AS jobs, count(DISTINCT run_id) AS runs, count(DISTINCT test_id) AS tests,
           max(posted)::timestamptz AS last_seen, count(*) OVER () AS total
    FROM kept
    GROUP BY signature_id
    ORDER BY jobs DESC, last_seen DESC, signature_id
    LIMIT @max::bigint OFFSET @skip::bigint
), tests AS (
    SELECT k.signature_id, k.test_id, count(*) AS jobs, max(k.posted)::timestamptz AS last_seen,
           row_number() OVER (PARTITION BY k.signature_id ORDER BY count(*) DESC, max(k.posted) DESC, k.test_id) AS rank
    FROM kept k
    WHERE k.test_id IS NOT NULL AND k.signature_id IN (SELECT signature_id FROM page)
    GROUP BY k.signature_id, k.test_id
), top AS (
    SELECT t.signature_id, array_agg(d.description ORDER BY t.rank)::text[] AS test_descriptions,
           array_agg(t.jobs ORDER BY t.rank)::bigint[] AS test_jobs,
           array_agg(t.last_seen ORDER BY t.rank)::timestamptz[] AS test_last_seen
    FROM tests t
    JOIN LATERAL (SELECT d.description FROM job_descriptions d WHERE d.id = t.test_id OFFSET 0) d ON true
    WHERE t.rank <= @per_signature::bigint
    GROUP BY t.signature_id
)
SELECT p.signature_id::text AS id, s.signature, s.example, s.tracker_url, s.note, s.updated,
       p.jobs, p.runs, p.tests, p.last_seen, first.posted AS first_seen, p.total,
       top.test_descriptions, top.test_jobs, top.test_last_seen
FROM page p
JOIN LATERAL (SELECT * FROM failure_signatures s WHERE s.id = p.signature_id OFFSET 0) s ON true
CROSS JOIN LATERAL (
    SELECT t.posted FROM test_results t WHERE t.signature_id = p.signature_id ORDER BY t.posted, t.id LIMIT 1
) first
LEFT JOIN top ON top.signature_id = p.signature_id
ORDER BY p.jobs DESC, p.last_seen DESC, p.signature_id;

-- CountWindowFailures is WindowFailures' total, for a page past the end.
-- name: CountWindowFailures :one
WITH hit AS MATERIALIZED (
    SELECT t.signature_id, t.run_id
    FROM test_results t
    WHERE t.posted >= @since AND t.signature_id IS NOT NULL
)
SELECT count(DISTINCT h.signature_id) FROM hit h
WHERE sqlc.narg(branch)::text IS NULL AND sqlc.narg(suite)::text IS NULL AND sqlc.narg(machine_type)::text IS NULL
   OR h.run_id IN (
       SELECT r.id FROM runs r
       WHERE r.id IN (SELECT DISTINCT run_id FROM hit)
         AND (sqlc.narg(branch)::text IS NULL OR r.branch = sqlc.narg(branch))
         AND (sqlc.narg(suite)::text IS NULL OR r.suite = sqlc.narg(suite))
         AND (sqlc.narg(machine_type)::text IS NULL OR r.machine_type = sqlc.narg(machine_type)));

-- FailureTests lists the @max tests (descriptions) a signature hit most since @since (ties: the
-- later, then by test id), off a range of its index; only those are looked up in
-- job_descriptions, by key (OFFSET 0 keeps the lookup a nested loop).
-- name: FailureTests :many
WITH counted AS (
    SELECT t.test_id, count(*) AS jobs, max(t.posted)::timestamptz AS last_seen
    FROM test_results t
    WHERE t.signature_id = (@id::text)::uuid AND t.posted >= @since AND t.test_id IS NOT NULL
    GROUP BY t.test_id
    ORDER BY jobs DESC, last_seen DESC, t.test_id
    LIMIT @max::bigint
)
SELECT d.description, c.jobs, c.last_seen
FROM counted c
JOIN LATERAL (SELECT d.description FROM job_descriptions d WHERE d.id = c.test_id OFFSET 0) d ON true
ORDER BY c.jobs DESC, c.last_seen DESC, c.test_id;

-- FailureSignature reads one signature with its counts since @since, a range of its index.
-- name: FailureSignature :one
SELECT s.id::text AS id, s.signature, s.example, s.tracker_url, s.note, s.updated, w.jobs, w.runs, w.tests
FROM failure_signatures s
CROSS JOIN LATERAL (
    SELECT count(*) AS jobs, count(DISTINCT t.run_id) AS runs, count(DISTINCT t.test_id) AS tests
    FROM test_results t WHERE t.signature_id = s.id AND t.posted >= @since
) w
WHERE s.id = (@id::text)::uuid;

-- FailureSpan gives a signature's first and last occurrences, all time: its index's two ends
-- (no row when no job has the signature now).
-- name: FailureSpan :many
(SELECT t.posted FROM test_results t WHERE t.signature_id = (@id::text)::uuid ORDER BY t.posted, t.id LIMIT 1)
UNION ALL
(SELECT t.posted FROM test_results t WHERE t.signature_id = (@id::text)::uuid ORDER BY t.posted DESC, t.id DESC LIMIT 1);

-- name: FailureSignatureExists :one
SELECT EXISTS (SELECT 1 FROM failure_signatures WHERE id = (@id::text)::uuid);

-- LinkFailure sets a signature's tracker link and note, each only when its set_ flag is true.
-- name: LinkFailure :execrows
UPDATE failure_signatures SET
    tracker_url = CASE WHEN @set_tracker_url::boolean THEN sqlc.narg(tracker_url)::text ELSE tracker_url END,
    note        = CASE WHEN @set_note::boolean THEN sqlc.narg(note)::text ELSE note END,
    updated     = @updated
WHERE id = (@id::text)::uuid;

-- FailureJobIDs pages a signature's jobs, newest first, off its index.
-- name: FailureJobIDs :many
SELECT t.id FROM test_results t WHERE t.signature_id = (@id::text)::uuid
ORDER BY t.posted DESC, t.id DESC LIMIT @max::bigint OFFSET @skip::bigint;

-- CountFailureJobs counts a signature's jobs, up to @up_to (store.SearchCountBeyond past the
-- page, as the job search): an all-time count of a common failure reads its whole index range.
-- name: CountFailureJobs :one
SELECT count(*) FROM (
    SELECT 1 FROM test_results t WHERE t.signature_id = (@id::text)::uuid LIMIT @up_to::bigint
) found;

-- FailureJobs reads the jobs of a page by primary key, with their runs' values.
-- name: FailureJobs :many
SELECT j.id, j.job_id, j.status::text AS status, j.description, j.sha1, j.posted, j.failure_reason,
       r.name AS run_name, r.branch, r.suite, r.machine_type
FROM jobs j JOIN runs r ON r.id = j.run_id
WHERE j.id = ANY(@ids::bigint[]);
