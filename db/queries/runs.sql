-- name: CreateRun :one
INSERT INTO runs (name, "user", scheduled, suite, branch, machine_type, posted, tags)
VALUES (@name, @user_name, @scheduled, @suite, @branch, @machine_type, @posted, COALESCE(sqlc.narg(tags)::text[], '{}'))
ON CONFLICT (name) DO NOTHING
RETURNING id;

-- SetRunTags replaces a run's tags.
-- name: SetRunTags :one
UPDATE runs SET tags = @tags::text[] WHERE name = @name RETURNING id;

-- name: LockRun :one
SELECT id, status FROM runs WHERE name = @name FOR UPDATE;

-- LockRunForJob locks a run for a write of one of its jobs and, in the same statement, records
-- the write on it: the write time and the suite, branch and machine type the job reported. It
-- updates nothing when there is no such run.
-- name: LockRunForJob :execrows
UPDATE runs SET
    updated      = @updated,
    suite        = COALESCE(sqlc.narg(suite), suite),
    branch       = COALESCE(sqlc.narg(branch), branch),
    machine_type = COALESCE(sqlc.narg(machine_type), machine_type)
WHERE name = @name;

-- StartRun follows a write that made a job of the run running: when that job is the only one
-- running, the run has just begun running, and takes the job's start time.
-- name: StartRun :exec
UPDATE runs SET started = sqlc.narg(started) WHERE name = @name AND running_count = 1;

-- name: RunExists :one
SELECT EXISTS (SELECT 1 FROM runs WHERE name = @name);

-- Listings select a page of run ids first, then read those runs with RunsByID, so that the
-- per-run work (the first job's values) is done for the page only.

-- name: LatestRunIDs :many
SELECT id FROM runs ORDER BY posted DESC, id DESC LIMIT sqlc.narg(max)::bigint OFFSET @skip::bigint;

-- Totals and value lists of runs are read off run_values, which triggers keep (migration 00008):
-- every run has one status, so the status counts add up to the number of runs.
-- name: CountRuns :one
SELECT COALESCE(sum(runs), 0)::bigint FROM run_values WHERE key = 'status';

-- name: CountRunsWithValue :one
SELECT COALESCE((SELECT runs FROM run_values WHERE key = @key AND value = @value), 0)::bigint;

-- name: RunValues :many
SELECT value FROM run_values WHERE key = @key AND value <> '' AND runs > 0 ORDER BY value
LIMIT sqlc.narg(max)::bigint OFFSET @skip::bigint;

-- The listings and their count take updated_since (00022's overload of filtered_runs); the value
-- lists do not.
-- name: FilteredRunIDs :many
SELECT r.id FROM filtered_runs(
    sqlc.narg(branch), sqlc.narg(suite), sqlc.narg(machine_type), sqlc.narg(status), sqlc.narg(user_name),
    sqlc.narg(run_ids)::bigint[], sqlc.narg(flavor), sqlc.narg(scheduled_from), sqlc.narg(scheduled_before),
    sqlc.narg(tags)::text[], sqlc.narg(updated_since)::timestamptz
) r
ORDER BY r.scheduled DESC, r.id DESC LIMIT sqlc.narg(max)::bigint OFFSET @skip::bigint;

-- FilteredRunIDsByPosted is FilteredRunIDs most recently posted first (GET /runs/?sort=-posted).
-- name: FilteredRunIDsByPosted :many
SELECT r.id FROM filtered_runs(
    sqlc.narg(branch), sqlc.narg(suite), sqlc.narg(machine_type), sqlc.narg(status), sqlc.narg(user_name),
    sqlc.narg(run_ids)::bigint[], sqlc.narg(flavor), sqlc.narg(scheduled_from), sqlc.narg(scheduled_before),
    sqlc.narg(tags)::text[], sqlc.narg(updated_since)::timestamptz
) r
ORDER BY r.posted DESC, r.id DESC LIMIT sqlc.narg(max)::bigint OFFSET @skip::bigint;

-- name: CountFilteredRuns :one
SELECT count(*) FROM filtered_runs(
    sqlc.narg(branch), sqlc.narg(suite), sqlc.narg(machine_type), sqlc.narg(status), sqlc.narg(user_name),
    sqlc.narg(run_ids)::bigint[], sqlc.narg(flavor), sqlc.narg(scheduled_from), sqlc.narg(scheduled_before),
    sqlc.narg(tags)::text[], sqlc.narg(updated_since)::timestamptz
);

-- CountUpdatedRuns is CountFilteredRuns with updated_since. Counting most runs (updated_since long
-- ago), the planner would read the whole table, which no listing does; in updated order it walks
-- runs_updated_idx instead (index-only when nothing else filters), or, with a filter key, that
-- key's index and a sort of its runs.
-- name: CountUpdatedRuns :one
SELECT count(*) FROM (
    SELECT 1 FROM filtered_runs(
        sqlc.narg(branch), sqlc.narg(suite), sqlc.narg(machine_type), sqlc.narg(status), sqlc.narg(user_name),
        sqlc.narg(run_ids)::bigint[], sqlc.narg(flavor), sqlc.narg(scheduled_from), sqlc.narg(scheduled_before),
        sqlc.narg(tags)::text[], @updated_since::timestamptz
    ) r
    ORDER BY r.updated
) found;

-- JobSha1Values lists the distinct non-empty sha1s of all jobs: one descent of jobs_sha1_idx
-- (text_pattern_ops, hence its operators) per value instead of reading every job.
-- name: JobSha1Values :many
WITH RECURSIVE found (sha1) AS (
    (SELECT j.sha1 FROM jobs j WHERE j.sha1 ~>~ '' ORDER BY j.sha1 USING ~<~ LIMIT 1)
    UNION ALL
    SELECT (SELECT j.sha1 FROM jobs j WHERE j.sha1 ~>~ f.sha1 ORDER BY j.sha1 USING ~<~ LIMIT 1)
    FROM found f WHERE f.sha1 IS NOT NULL
)
-- The recursion runs only as far as the page needs.
SELECT found.sha1::text AS value FROM found WHERE found.sha1 IS NOT NULL
LIMIT sqlc.narg(max)::bigint OFFSET @skip::bigint;

-- JobFlavorValues is JobSha1Values for flavors, off jobs_flavor_idx.
-- name: JobFlavorValues :many
WITH RECURSIVE found (flavor) AS (
    (SELECT j.flavor FROM jobs j WHERE j.flavor > '' ORDER BY j.flavor LIMIT 1)
    UNION ALL
    SELECT (SELECT j.flavor FROM jobs j WHERE j.flavor > f.flavor ORDER BY j.flavor LIMIT 1)
    FROM found f WHERE f.flavor IS NOT NULL
)
SELECT found.flavor::text AS value FROM found WHERE found.flavor IS NOT NULL
LIMIT sqlc.narg(max)::bigint OFFSET @skip::bigint;

-- FilteredRunValues lists the distinct non-empty values of one run key among the filtered runs.
-- name: FilteredRunValues :many
SELECT DISTINCT v::text AS value FROM (
    SELECT CASE @field::text
        WHEN 'branch' THEN r.branch WHEN 'suite' THEN r.suite WHEN 'machine_type' THEN r.machine_type
        WHEN 'status' THEN r.status WHEN 'user' THEN r."user"
        WHEN 'date' THEN to_char(r.scheduled AT TIME ZONE 'UTC', 'YYYY-MM-DD')
    END AS v
    FROM filtered_runs(
        sqlc.narg(branch), sqlc.narg(suite), sqlc.narg(machine_type), sqlc.narg(status), sqlc.narg(user_name),
    sqlc.narg(run_ids)::bigint[], sqlc.narg(flavor), sqlc.narg(scheduled_from), sqlc.narg(scheduled_before),
    sqlc.narg(tags)::text[]
    ) r
    WHERE @field::text NOT IN ('sha1', 'flavor', 'tag')
    UNION ALL
    SELECT CASE @field::text WHEN 'sha1' THEN j.sha1 ELSE j.flavor END
    FROM filtered_runs(
        sqlc.narg(branch), sqlc.narg(suite), sqlc.narg(machine_type), sqlc.narg(status), sqlc.narg(user_name),
    sqlc.narg(run_ids)::bigint[], sqlc.narg(flavor), sqlc.narg(scheduled_from), sqlc.narg(scheduled_before),
    sqlc.narg(tags)::text[]
    ) r
    JOIN jobs j ON j.run_id = r.id
    WHERE @field::text IN ('sha1', 'flavor')
    UNION ALL
    SELECT unnest(r.tags)
    FROM filtered_runs(
        sqlc.narg(branch), sqlc.narg(suite), sqlc.narg(machine_type), sqlc.narg(status), sqlc.narg(user_name),
    sqlc.narg(run_ids)::bigint[], sqlc.narg(flavor), sqlc.narg(scheduled_from), sqlc.narg(scheduled_before),
    sqlc.narg(tags)::text[]
    ) r
    WHERE @field::text = 'tag'
) found
WHERE v <> ''
ORDER BY 1 LIMIT sqlc.narg(max)::bigint OFFSET @skip::bigint;

-- name: QueuedRunIDs :many
SELECT id FROM runs WHERE queued_count > 0 ORDER BY scheduled, id
LIMIT sqlc.narg(max)::bigint OFFSET @skip::bigint;

-- name: CountQueuedRuns :one
SELECT count(*) FROM runs WHERE queued_count > 0;

-- RunsByID reads runs with the sha1, flavor and priority of each run's first job (by job_id).
-- Sha1RunIDs lists the runs with a job whose sha1 starts with a prefix (a LIKE pattern).
-- name: Sha1RunIDs :many
SELECT DISTINCT run_id FROM jobs WHERE sha1 LIKE @sha1_prefix::text || '%';

-- name: RunsByID :many
SELECT sqlc.embed(r), f.sha1 AS first_sha1, f.flavor AS first_flavor, f.priority AS first_priority
FROM runs r
LEFT JOIN LATERAL (
    SELECT j.sha1, j.flavor, j.priority FROM jobs j WHERE j.run_id = r.id ORDER BY j.job_id LIMIT 1
) f ON true
WHERE r.id = ANY(@ids::bigint[]);

-- name: DeleteRun :execrows
DELETE FROM runs WHERE name = @name;

-- ReplicaLag is how far a streaming replica's replay is behind what it has received, in seconds:
-- 0 on a primary and on a replica that has replayed everything it received.
-- name: ReplicaLag :one
SELECT (CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
END)::float8 AS lag_seconds;
