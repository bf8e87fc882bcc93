-- name: GetJob :one
SELECT j.* FROM jobs j JOIN runs r ON r.id = j.run_id WHERE r.name = @run_name AND j.job_id = @job_id;

-- name: JobExists :one
SELECT EXISTS (
    SELECT 1 FROM jobs j JOIN runs r ON r.id = j.run_id WHERE r.name = @run_name AND j.job_id = @job_id
);

-- ListRunJobs lists a run's jobs, newest first, optionally only those with one of @statuses
-- (none: any), whose description and failure reason contain the texts given, and updated at or
-- after @updated_since.
-- name: ListRunJobs :many
SELECT * FROM jobs
WHERE run_id = @run_id
  AND (coalesce(cardinality(@statuses::text[]), 0) = 0 OR status = ANY(@statuses::text[]))
  AND (sqlc.narg(description_contains)::text IS NULL OR strpos(description, sqlc.narg(description_contains)) > 0)
  AND (sqlc.narg(failure_reason_contains)::text IS NULL OR strpos(failure_reason, sqlc.narg(failure_reason_contains)) > 0)
  AND (sqlc.narg(updated_since)::timestamptz IS NULL OR updated >= sqlc.narg(updated_since))
ORDER BY posted DESC, id DESC;

-- name: ListRunJobsByJobID :many
SELECT * FROM jobs WHERE run_id = @run_id ORDER BY job_id;

-- name: RunID :one
SELECT id FROM runs WHERE name = @name;

-- name: DeleteJob :execrows
DELETE FROM jobs j USING runs r WHERE r.id = j.run_id AND r.name = @run_name AND j.job_id = @job_id;

-- NextJobID draws an id for a job posted without one (--assign-job-ids), one more than the last
-- (migration 00017).
-- name: NextJobID :one
SELECT nextval('job_ids')::text;

-- The job search reads job_search's overload with updated_since (00022).
-- name: SearchJobIDs :many
SELECT j.id FROM job_search(
    sqlc.narg(description_like), sqlc.narg(statuses)::text[], sqlc.narg(sha1), sqlc.narg(branch), sqlc.narg(user_name),
    sqlc.narg(posted_after), sqlc.narg(posted_before), sqlc.narg(updated_since)::timestamptz
) j
ORDER BY j.posted DESC, j.id DESC LIMIT sqlc.narg(max)::bigint OFFSET @skip::bigint;

-- CountSearchedJobs counts the jobs a search selects, up to @up_to: a broad search at the lab's
-- size selects millions, which nobody pages through (store.SearchCountBeyond).
-- name: CountSearchedJobs :one
SELECT count(*) FROM (
    SELECT 1 FROM job_search(
        sqlc.narg(description_like), sqlc.narg(statuses)::text[], sqlc.narg(sha1), sqlc.narg(branch), sqlc.narg(user_name),
        sqlc.narg(posted_after), sqlc.narg(posted_before), sqlc.narg(updated_since)::timestamptz
    ) j
    -- Newest first, as the page: a broad search then reads the recent jobs the page just read,
    -- not the oldest ones at the start of the table.
    ORDER BY j.posted DESC, j.id DESC
    LIMIT sqlc.narg(up_to)::bigint
) found;

-- MatchingDescriptions lists up to @max distinct job descriptions LIKE a pattern (migration 00007).
-- name: MatchingDescriptions :many
SELECT description FROM job_descriptions WHERE description LIKE @description_like::text LIMIT @max::bigint;

-- DescriptionsContaining is MatchingDescriptions for a long text, such as the whole description
-- pulpito-ng's job history sends: strpos reads the lab's 30,000 descriptions in 10 ms where
-- LIKE's matcher takes 24 ms, and pg_trgm's index (a trigram for every character of the text)
-- costs the planner more than either, so both are sequential scans.
-- name: DescriptionsContaining :many
SELECT description FROM job_descriptions WHERE strpos(description, @text::text) > 0 LIMIT @max::bigint;

-- DescribedJobIDs pages the jobs of some descriptions a search selects, newest first: each
-- description's newest jobs are read off jobs_description_idx, no more of them than the page needs.
-- name: DescribedJobIDs :many
SELECT found.id FROM unnest(@descriptions::text[]) d (description)
CROSS JOIN LATERAL (
    SELECT j.id, j.posted FROM job_search(
        NULL, sqlc.narg(statuses)::text[], sqlc.narg(sha1), sqlc.narg(branch), sqlc.narg(user_name),
        sqlc.narg(posted_after), sqlc.narg(posted_before), sqlc.narg(updated_since)::timestamptz
    ) j
    WHERE md5(j.description)::uuid = md5(d.description)::uuid AND j.description = d.description
    ORDER BY j.posted DESC, j.id DESC
    LIMIT sqlc.narg(depth)::bigint
) found
ORDER BY found.posted DESC, found.id DESC LIMIT sqlc.narg(max)::bigint OFFSET @skip::bigint;

-- name: CountDescribedJobs :one
SELECT count(*) FROM (
    SELECT 1 FROM unnest(@descriptions::text[]) d (description)
    CROSS JOIN LATERAL (
        SELECT 1 FROM job_search(
            NULL, sqlc.narg(statuses)::text[], sqlc.narg(sha1), sqlc.narg(branch), sqlc.narg(user_name),
            sqlc.narg(posted_after), sqlc.narg(posted_before), sqlc.narg(updated_since)::timestamptz
        ) j
        WHERE md5(j.description)::uuid = md5(d.description)::uuid AND j.description = d.description
    ) found
    LIMIT sqlc.narg(up_to)::bigint
) counted;

-- name: JobsByID :many
SELECT sqlc.embed(j), r.name AS run_name FROM jobs j JOIN runs r ON r.id = j.run_id WHERE j.id = ANY(@ids::bigint[]);

-- ExpireJobs marks up to @batch stale jobs dead: running, waiting or unknown jobs not updated since
-- @active_before, and queued jobs not updated since @queued_before. It locks the jobs' runs first,
-- in id order, as every job write does, so it never deadlocks with reporters; the conditions are
-- checked again on the locked rows, so concurrent passes never expire a job that just reported.
-- It returns the status each job had.
-- name: ExpireJobs :many
WITH stale AS (
    SELECT id, run_id, status FROM jobs
    WHERE (status IN ('running', 'waiting', 'unknown') AND updated < @active_before)
       OR (status = 'queued' AND updated < @queued_before)
    ORDER BY id
    LIMIT @batch
), locked AS (
    SELECT id FROM runs WHERE id IN (SELECT run_id FROM stale) ORDER BY id FOR UPDATE
)
UPDATE jobs j SET status = 'dead', updated = @now
FROM stale
WHERE j.id = stale.id
  AND j.run_id IN (SELECT id FROM locked)
  AND ((j.status IN ('running', 'waiting', 'unknown') AND j.updated < @active_before)
       OR (j.status = 'queued' AND j.updated < @queued_before))
RETURNING stale.status::text AS old_status;

-- ExpiryLock keeps expiry passes of several replicas from running at once.
-- name: ExpiryLock :one
SELECT pg_try_advisory_xact_lock(hashtext('paddles.expire_jobs'));

-- ReadJobForWrite reads a job and its row version, which JobUnchanged checks once the job's run
-- is locked.
-- name: ReadJobForWrite :one
SELECT sqlc.embed(j), j.xmin::text AS version FROM jobs j JOIN runs r ON r.id = j.run_id
WHERE r.name = @run_name AND j.job_id = @job_id;

-- name: JobUnchanged :exec
SELECT job_unchanged(@id, @version);
