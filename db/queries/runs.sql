-- name: CreateRun :one
INSERT INTO runs (name, "user", scheduled, suite, branch, machine_type, posted)
VALUES (@name, @user_name, @scheduled, @suite, @branch, @machine_type, @posted)
ON CONFLICT (name) DO NOTHING
RETURNING id;

-- LockOrCreateRun creates the run if needed and locks its row either way: every job write holds
-- its run's row lock, so writers of one run queue up instead of deadlocking.
-- name: LockOrCreateRun :one
INSERT INTO runs (name, "user", scheduled, suite, branch, machine_type, posted)
VALUES (@name, @user_name, @scheduled, @suite, @branch, @machine_type, @posted)
ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
RETURNING id, status;

-- name: LockRun :one
SELECT id, status FROM runs WHERE name = @name FOR UPDATE;

-- FinishRunWrite records a job write on its run: the write time, the suite, branch and machine type
-- the job reported, and the start time when the run has just started running.
-- name: FinishRunWrite :exec
UPDATE runs SET
    updated      = @updated,
    suite        = COALESCE(sqlc.narg(suite), suite),
    branch       = COALESCE(sqlc.narg(branch), branch),
    machine_type = COALESCE(sqlc.narg(machine_type), machine_type),
    started      = CASE WHEN status = 'running' AND NOT @was_running::boolean THEN sqlc.narg(started) ELSE started END
WHERE id = @id;

-- name: RunExists :one
SELECT EXISTS (SELECT 1 FROM runs WHERE name = @name);

-- name: GetRun :one
SELECT sqlc.embed(r), f.sha1 AS first_sha1, f.flavor AS first_flavor, f.priority AS first_priority
FROM runs r
LEFT JOIN LATERAL (
    SELECT j.sha1, j.flavor, j.priority FROM jobs j WHERE j.run_id = r.id ORDER BY j.job_id LIMIT 1
) f ON true
WHERE r.name = @name;

-- name: ListRuns :many
SELECT sqlc.embed(r), f.sha1 AS first_sha1, f.flavor AS first_flavor, f.priority AS first_priority
FROM runs r
LEFT JOIN LATERAL (
    SELECT j.sha1, j.flavor, j.priority FROM jobs j WHERE j.run_id = r.id ORDER BY j.job_id LIMIT 1
) f ON true
ORDER BY r.posted DESC, r.id DESC
LIMIT sqlc.arg(max)::bigint OFFSET sqlc.arg(skip)::bigint;

-- name: DeleteRun :execrows
DELETE FROM runs WHERE name = @name;
