-- EventsAfter reads the events after an id, in id order, up to an id (at most max of them).
-- name: EventsAfter :many
SELECT id, at, type, run, job_id, node, branch, machine_type, detail FROM events
WHERE id > @after::bigint AND id <= @upto::bigint ORDER BY id LIMIT @max::bigint;

-- EventHorizon says, in the reading transaction's snapshot, the oldest transaction still running
-- (xmin) and the first transaction id not yet assigned (xmax), as text (xid8), and the newest
-- event id.
-- name: EventHorizon :one
SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin, pg_snapshot_xmax(pg_current_snapshot())::text AS xmax,
       COALESCE((SELECT max(id) FROM events), 0)::bigint AS newest;

-- name: EventsPrunedThrough :one
SELECT pruned_through FROM events_pruned;

-- DeleteEvents deletes the events older than a time among the max oldest ids (ids follow the
-- events' times), and records the highest id deleted; it returns how many it deleted.
-- name: DeleteEvents :one
WITH gone AS (
    DELETE FROM events d WHERE d.id <= (SELECT min(e.id) FROM events e) + @max::bigint AND d.at < @before
    RETURNING id
), noted AS (
    UPDATE events_pruned SET pruned_through = GREATEST(pruned_through, (SELECT max(id) FROM gone))
    WHERE EXISTS (SELECT 1 FROM gone)
)
SELECT count(*) FROM gone;
