-- Nodes are read with their VM host (if any) by name.

-- name: ListNodes :many
SELECT sqlc.embed(n), h.name AS host_name FROM nodes n LEFT JOIN nodes h ON h.id = n.vm_host_id
WHERE (sqlc.narg(machine_types)::text[] IS NULL OR n.machine_type = ANY(sqlc.narg(machine_types)::text[]))
  AND (sqlc.narg(locked)::boolean IS NULL OR n.locked = sqlc.narg(locked))
  AND (sqlc.narg(up)::boolean IS NULL OR n.up = sqlc.narg(up))
  AND (sqlc.narg(os_type)::text IS NULL OR n.os_type = sqlc.narg(os_type))
  AND (sqlc.narg(os_version)::text IS NULL OR n.os_version = sqlc.narg(os_version))
  AND (sqlc.narg(locked_by)::text IS NULL OR n.locked_by = sqlc.narg(locked_by))
ORDER BY n.name
LIMIT sqlc.narg(max)::bigint;

-- name: GetNodes :many
SELECT sqlc.embed(n), h.name AS host_name FROM nodes n LEFT JOIN nodes h ON h.id = n.vm_host_id
WHERE n.name = ANY(@names::text[]);

-- LockNodes locks the named nodes' rows, in id order like every multi-node write, for a
-- read-modify-write.
-- name: LockNodes :many
SELECT sqlc.embed(n), h.name AS host_name FROM nodes n LEFT JOIN nodes h ON h.id = n.vm_host_id
WHERE n.name = ANY(@names::text[])
ORDER BY n.id
FOR UPDATE OF n;

-- LockFreeNodes locks up to @max free nodes. Rows are taken in id order and waited for rather than
-- skipped, so concurrent callers queue behind each other and each sees the outcome of the one
-- before: a serial order.
-- name: LockFreeNodes :many
SELECT sqlc.embed(n), h.name AS host_name FROM nodes n LEFT JOIN nodes h ON h.id = n.vm_host_id
WHERE n.machine_type = ANY(@machine_types::text[]) AND n.up AND NOT n.locked
  AND (sqlc.narg(os_type)::text IS NULL OR n.os_type = sqlc.narg(os_type))
  AND (sqlc.narg(os_version)::text IS NULL OR n.os_version = sqlc.narg(os_version))
  AND (sqlc.narg(arch)::text IS NULL OR n.arch = sqlc.narg(arch))
ORDER BY n.id
LIMIT @max
FOR UPDATE OF n;

-- name: InsertNode :one
INSERT INTO nodes (name, description, up, machine_type, arch, is_vm, os_type, os_version, vm_host_id,
                   locked, locked_by, locked_since, mac_address, ssh_pub_key)
VALUES (@name, @description, @up, @machine_type, @arch, @is_vm, @os_type, @os_version, @vm_host_id,
        @locked, @locked_by, @locked_since, @mac_address, @ssh_pub_key)
ON CONFLICT (name) DO NOTHING
RETURNING id;

-- name: UpdateNode :exec
UPDATE nodes SET
    description = @description, up = @up, machine_type = @machine_type, arch = @arch, is_vm = @is_vm,
    os_type = @os_type, os_version = @os_version, vm_host_id = @vm_host_id, locked = @locked,
    locked_by = @locked_by, locked_since = @locked_since, mac_address = @mac_address, ssh_pub_key = @ssh_pub_key
WHERE id = @id;

-- name: NodeID :one
SELECT id FROM nodes WHERE name = @name;

-- VMHostID finds a node's VM host and takes a key-share lock on it (which blocks only its
-- deletion) until the write that points at it commits: a host deleted in between failed the write
-- with a foreign key violation.
-- name: VMHostID :one
SELECT id FROM nodes WHERE name = @name FOR KEY SHARE;

-- name: DeleteNode :execrows
DELETE FROM nodes WHERE name = @name;

-- NodeLockStats counts the locked nodes per owner and machine type (the nodes table holds the
-- lab's machines, a few thousand rows).
-- name: NodeLockStats :many
SELECT locked_by, machine_type, count(*) AS nodes FROM nodes
WHERE locked AND (sqlc.narg(machine_type)::text IS NULL OR machine_type = sqlc.narg(machine_type))
GROUP BY locked_by, machine_type
ORDER BY count(*) DESC, locked_by NULLS LAST, machine_type NULLS LAST;

-- name: MachineTypes :many
SELECT DISTINCT machine_type::text FROM nodes WHERE machine_type <> '' ORDER BY 1;

-- CreateNodesByName creates the nodes a job's targets name that do not exist yet (with the job's
-- machine type), in name order so that concurrent writers take the same order; none when there is
-- no such job (its insert, in the same pipeline, found no run).
-- name: CreateNodesByName :exec
INSERT INTO nodes (name, machine_type)
SELECT n, sqlc.narg(machine_type)::text FROM unnest(@names::text[]) AS n
WHERE EXISTS (SELECT FROM jobs j JOIN runs r ON r.id = j.run_id WHERE r.name = @run_name AND j.job_id = @job_id)
ORDER BY n
ON CONFLICT (name) DO NOTHING;

-- LinkJobNodes links a job, by its run's name and job_id (so that it can follow the job's insert in
-- one pipeline), to the nodes its targets name. It takes a key-share lock on each node (which
-- blocks only its deletion) in id order: without it a node deleted between this statement's read
-- and its foreign key check failed the whole job report with a foreign key violation. A node
-- deleted before the read is skipped, as if the deletion had come after the report.
-- name: LinkJobNodes :exec
INSERT INTO job_nodes (job_id, node_id)
SELECT j.id, n.id FROM runs r JOIN jobs j ON j.run_id = r.id, nodes n
WHERE r.name = @run_name AND j.job_id = @job_id AND n.name = ANY(@names::text[])
ORDER BY n.id FOR KEY SHARE OF n
ON CONFLICT DO NOTHING;

-- NodeJobIDs pages a node's jobs newest first off job_nodes_node_posted_idx; jobs are read only
-- when a run or status narrows the history (without them the condition folds away, since the
-- connection plans with the actual values).
-- name: NodeJobIDs :many
SELECT jn.job_id FROM job_nodes jn
WHERE jn.node_id = @node_id
  AND ((sqlc.narg(run_name)::text IS NULL AND sqlc.narg(status)::text IS NULL) OR EXISTS (
      SELECT 1 FROM jobs j WHERE j.id = jn.job_id
        AND (sqlc.narg(run_name)::text IS NULL OR j.run_id = (SELECT r.id FROM runs r WHERE r.name = sqlc.narg(run_name)))
        AND (sqlc.narg(status)::text IS NULL OR j.status = sqlc.narg(status))))
ORDER BY jn.posted DESC, jn.job_id DESC
LIMIT sqlc.narg(max)::bigint OFFSET @skip::bigint;

-- name: CountNodeJobs :one
SELECT count(*) FROM job_nodes jn
WHERE jn.node_id = @node_id
  AND ((sqlc.narg(run_name)::text IS NULL AND sqlc.narg(status)::text IS NULL) OR EXISTS (
      SELECT 1 FROM jobs j WHERE j.id = jn.job_id
        AND (sqlc.narg(run_name)::text IS NULL OR j.run_id = (SELECT r.id FROM runs r WHERE r.name = sqlc.narg(run_name)))
        AND (sqlc.narg(status)::text IS NULL OR j.status = sqlc.narg(status))));

-- name: NodeJobStats :many
SELECT j.status::text AS status, count(*) AS jobs FROM job_nodes jn JOIN jobs j ON j.id = jn.job_id
WHERE jn.node_id = @node_id
GROUP BY j.status;

-- NodesJobStats counts by node and status the jobs posted since @since, optionally only jobs of
-- @machine_type (or "multi") on nodes of @machine_type.
-- name: NodesJobStats :many
SELECT n.name, j.status::text AS status, count(*) AS jobs
FROM jobs j JOIN job_nodes jn ON jn.job_id = j.id JOIN nodes n ON n.id = jn.node_id
WHERE j.posted >= @since
  AND (sqlc.narg(machine_type)::text IS NULL
       OR (j.machine_type IN (sqlc.narg(machine_type), 'multi') AND n.machine_type = sqlc.narg(machine_type)))
GROUP BY n.name, j.status;
