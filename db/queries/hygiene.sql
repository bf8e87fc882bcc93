-- Lab hygiene (issue 20): the lock audit trail, stale locks, failing nodes and retention.

-- RecordNodeLocks writes lock trail rows, from a JSON array of objects (NULLs included), in the
-- order given.
-- name: RecordNodeLocks :exec
INSERT INTO node_locks (node, machine_type, action, locked_before, locked_after, owner_before, owner_after,
                        description_before, description_after, at, request_id)
SELECT x.node, x.machine_type, x.action, x.locked_before, x.locked_after, x.owner_before, x.owner_after,
       x.description_before, x.description_after, x.at, x.request_id
FROM jsonb_to_recordset(@rows::jsonb) AS x(node text, machine_type text, action text, locked_before boolean,
     locked_after boolean, owner_before text, owner_after text, description_before text, description_after text,
     at timestamptz, request_id text)
ORDER BY x.node;

-- NodeLockTrail pages one node's trail, newest first, off node_locks_node_idx.
-- name: NodeLockTrail :many
SELECT * FROM node_locks WHERE node = @node
ORDER BY at DESC, id DESC LIMIT @max::bigint OFFSET @skip::bigint;

-- CountNodeLockTrail counts a node's trail up to @up_to rows.
-- name: CountNodeLockTrail :one
SELECT count(*) FROM (SELECT 1 FROM node_locks WHERE node = @node LIMIT @up_to::bigint) found;

-- LockTrail pages the lab's trail, newest first, optionally of one owner, one machine type and
-- since a time: each filter has an index that reads in this order.
-- name: LockTrail :many
SELECT * FROM node_locks
WHERE (sqlc.narg(owner)::text IS NULL OR owner = sqlc.narg(owner))
  AND (sqlc.narg(machine_type)::text IS NULL OR machine_type = sqlc.narg(machine_type))
  AND (sqlc.narg(since)::timestamptz IS NULL OR at >= sqlc.narg(since))
ORDER BY at DESC, id DESC LIMIT @max::bigint OFFSET @skip::bigint;

-- name: CountLockTrail :one
SELECT count(*) FROM (
    SELECT 1 FROM node_locks
    WHERE (sqlc.narg(owner)::text IS NULL OR owner = sqlc.narg(owner))
      AND (sqlc.narg(machine_type)::text IS NULL OR machine_type = sqlc.narg(machine_type))
      AND (sqlc.narg(since)::timestamptz IS NULL OR at >= sqlc.narg(since))
    LIMIT @up_to::bigint
) found;

-- LockedNodes lists the locked nodes, optionally of one owner and machine type (the nodes table
-- holds the lab's machines, a few thousand rows).
-- name: LockedNodes :many
SELECT n.id, n.name, n.machine_type, n.locked_by, n.locked_since, n.description
FROM nodes n
WHERE n.locked
  AND (sqlc.narg(owner)::text IS NULL OR n.locked_by = sqlc.narg(owner))
  AND (sqlc.narg(machine_type)::text IS NULL OR n.machine_type = sqlc.narg(machine_type))
ORDER BY n.name;

-- LinkedJobsSince reads, for each node of @node_ids, the newest job its targets linked to it
-- posted at or after the time of the same index in @since (job_nodes_node_posted_idx).
-- name: LinkedJobsSince :many
SELECT k.node_id::bigint AS node_id, lj.run_name, lj.job_id, lj.status, lj.updated
FROM (SELECT unnest(@node_ids::bigint[]) AS node_id, unnest(@since::timestamptz[]) AS since) k
CROSS JOIN LATERAL (
    SELECT r.name AS run_name, j.job_id, j.status::text AS status, j.updated
    FROM job_nodes jn JOIN jobs j ON j.id = jn.job_id JOIN runs r ON r.id = j.run_id
    WHERE jn.node_id = k.node_id AND jn.posted >= k.since
    ORDER BY jn.posted DESC, jn.job_id DESC LIMIT 1
) lj;

-- JobsByName reads jobs by run name and job_id (pairs of the two arrays).
-- name: JobsByName :many
SELECT r.name AS run_name, j.job_id, j.status::text AS status, j.updated
FROM (SELECT unnest(@run_names::text[]) AS run_name, unnest(@job_ids::text[]) AS job_id) k
JOIN runs r ON r.name = k.run_name JOIN jobs j ON j.run_id = r.id AND j.job_id = k.job_id;

-- NodeStreaks reads, for every node (optionally of one machine type), its last @streak finished
-- (passed, failed or dead) jobs, newest first, off job_nodes_node_posted_idx and test_results:
-- the work is the nodes times the streak, whatever the history's size.
-- name: NodeStreaks :many
SELECT n.name, n.machine_type, n.up, n.locked, n.locked_by, n.description,
       t.id, t.job_id, t.status, t.posted, COALESCE(t.signature_id::text, '')::text AS signature_id, r.name AS run_name
FROM nodes n
CROSS JOIN LATERAL (
    SELECT t.id, t.job_id, t.status, t.posted, t.signature_id, t.run_id, jn.posted AS linked
    FROM job_nodes jn JOIN test_results t ON t.id = jn.job_id
    WHERE jn.node_id = n.id AND t.status IN ('pass', 'fail', 'dead')
    ORDER BY jn.posted DESC, jn.job_id DESC LIMIT @streak::int
) t
JOIN runs r ON r.id = t.run_id
WHERE (sqlc.narg(machine_type)::text IS NULL OR n.machine_type = sqlc.narg(machine_type))
ORDER BY n.name, t.linked DESC, t.id DESC;

-- JobFailures reads the failure reasons of jobs by id.
-- name: JobFailures :many
SELECT j.id, j.failure_reason FROM jobs j WHERE j.id = ANY(@ids::bigint[]);

-- name: SignaturesByID :many
SELECT id::text AS id, signature, tracker_url FROM failure_signatures WHERE id = ANY((@ids::text[])::uuid[]);

-- PruneCandidates walks the runs a retention policy deletes, oldest scheduled first from a
-- (scheduled, id) cursor, off runs_scheduled_idx: runs scheduled before @cutoff, carrying none of
-- @keep_tags, and, with failures (failed or dead jobs), scheduled before @failed_cutoff. It
-- returns each run's number of jobs (its counts, kept by triggers).
-- name: PruneCandidates :many
SELECT id, scheduled,
       (queued_count + pass_count + running_count + waiting_count + fail_count + dead_count + unknown_count)::bigint AS jobs
FROM runs
WHERE scheduled < @cutoff AND (scheduled, id) > (@after_scheduled::timestamptz, @after_id::bigint)
  AND NOT (tags && @keep_tags::text[])
  AND (fail_count + dead_count = 0 OR scheduled < @failed_cutoff)
ORDER BY scheduled, id
LIMIT @max::int;

-- LockPrunedRuns locks the runs of a batch in id order (as expiry and every multi-run write) and
-- returns those the policy still deletes: a run tagged, or failed, since it was picked stays.
-- name: LockPrunedRuns :many
SELECT id, (queued_count + pass_count + running_count + waiting_count + fail_count + dead_count + unknown_count)::bigint AS jobs
FROM runs
WHERE id = ANY(@ids::bigint[]) AND scheduled < @cutoff
  AND NOT (tags && @keep_tags::text[])
  AND (fail_count + dead_count = 0 OR scheduled < @failed_cutoff)
ORDER BY id
FOR UPDATE;

-- CountRunLinks counts the job_nodes links of runs' jobs (job_nodes_job_idx).
-- name: CountRunLinks :one
SELECT count(*) FROM jobs j JOIN job_nodes jn ON jn.job_id = j.id WHERE j.run_id = ANY(@ids::bigint[]);

-- DeleteRuns deletes runs; their jobs, links and test results go by ON DELETE CASCADE and the
-- triggers, which keep run_values and test_sha1s counted.
-- name: DeleteRuns :execrows
DELETE FROM runs WHERE id = ANY(@ids::bigint[]);

-- PruneLock keeps prune passes of several replicas (and the command) from running at once; it is
-- held by a session for its whole pass.
-- name: PruneLock :one
SELECT pg_try_advisory_lock(hashtext('paddles.prune'));

-- name: PruneUnlock :exec
SELECT pg_advisory_unlock(hashtext('paddles.prune'));

-- PruneCount counts the runs a retention policy deletes and their jobs (PruneCandidates' rows).
-- name: PruneCount :one
SELECT count(*) AS runs,
       COALESCE(sum(queued_count + pass_count + running_count + waiting_count + fail_count + dead_count + unknown_count), 0)::bigint AS jobs
FROM runs
WHERE scheduled < @cutoff
  AND NOT (tags && @keep_tags::text[])
  AND (fail_count + dead_count = 0 OR scheduled < @failed_cutoff);
