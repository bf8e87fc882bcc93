-- name: ListQueues :many
SELECT * FROM queues
WHERE (sqlc.narg(queue)::text IS NULL OR queue = sqlc.narg(queue))
  AND (sqlc.narg(paused_by)::text IS NULL OR paused_by = sqlc.narg(paused_by))
ORDER BY queue;

-- name: InsertQueue :one
INSERT INTO queues (queue, paused_by, paused_since, paused_until)
VALUES (@queue, @paused_by, @paused_since, @paused_until)
ON CONFLICT (queue) DO NOTHING
RETURNING queue;

-- name: LockQueue :one
SELECT * FROM queues WHERE queue = @queue FOR UPDATE;

-- name: GetQueue :one
SELECT * FROM queues WHERE queue = @queue;

-- name: UpdateQueue :exec
UPDATE queues SET paused_by = @paused_by, paused_since = @paused_since, paused_until = @paused_until
WHERE queue = @queue;

-- QueuedJobIDs lists queued jobs, lowest priority number first (no priority last), then oldest
-- first: either a run's queued jobs, or a queue's (optionally one user's).
-- name: QueuedJobIDs :many
SELECT j.id FROM jobs j
WHERE j.status = 'queued'
  AND CASE WHEN sqlc.narg(run_name)::text IS NOT NULL
           THEN j.run_id = (SELECT r.id FROM runs r WHERE r.name = sqlc.narg(run_name))
           ELSE j.queue = @queue AND (sqlc.narg(user_name)::text IS NULL OR j."user" = sqlc.narg(user_name))
      END
ORDER BY j.priority NULLS LAST, j.posted, j.id
LIMIT sqlc.narg(max)::bigint;

-- name: CountQueuedJobs :one
SELECT count(*) FROM jobs WHERE status = 'queued' AND queue = @queue;
