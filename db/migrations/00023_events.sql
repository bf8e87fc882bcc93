-- +goose NO TRANSACTION
-- +goose Up
-- What changes, for GET /events/ (issue 19): job status changes, run status changes and node lock
-- and up/down changes, written by triggers in the transaction of the change, so that an event
-- exists exactly when its change committed, whichever replica wrote it. Each trigger also
-- signals the channel paddles_events (one signal per transaction: PostgreSQL folds identical
-- ones), on which every replica's reader LISTENs; the events' ids say the order. A pass of the
-- server deletes events past the retention window (--event-retention).
--
-- Writers that must not flood the stream (paddles import) set paddles.events = 'off' in their
-- transactions.
--
-- The triggers are named to fire before the other row triggers of their tables (PostgreSQL fires
-- them in name order), so that a job's event precedes the event of the run status it changes.
-- They list no columns (UPDATE OF): a status that a trigger sets is not in the UPDATE's SET list.
--
-- Online (README.md): a new table; the triggers are created under a lock_timeout of 1 s each.
CREATE TABLE IF NOT EXISTS events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    type         text NOT NULL CHECK (type IN ('job', 'run', 'node')),
    run          text,
    job_id       text,
    node         text,
    branch       text,
    machine_type text,
    -- The event's fields as the stream sends them, but its id, type, time and href.
    detail       json NOT NULL
);
-- No index on at: every write pays for each index, and the retention pass walks the oldest ids,
-- which are the oldest events.

-- The highest event id the retention pass deleted: a client resuming from an id below it missed
-- events, and is told so.
CREATE TABLE IF NOT EXISTS events_pruned (
    one            boolean PRIMARY KEY DEFAULT true CHECK (one),
    pruned_through bigint NOT NULL
);
INSERT INTO events_pruned (pruned_through) VALUES (0) ON CONFLICT DO NOTHING;

-- event_time writes a timestamp as the API does: UTC, microseconds only when there are some.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION event_time(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT regexp_replace(to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), '\.000000$', '')
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION events_enabled() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT current_setting('paddles.events', true) IS DISTINCT FROM 'off'
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION jobs_note_event() RETURNS trigger LANGUAGE plpgsql SET plan_cache_mode = auto AS $$
DECLARE
    r record;
BEGIN
    SELECT name, branch, machine_type INTO r FROM runs WHERE id = NEW.run_id;
    INSERT INTO events (type, run, job_id, branch, machine_type, detail)
    VALUES ('job', r.name, NEW.job_id, COALESCE(NEW.branch, r.branch), COALESCE(NEW.machine_type, r.machine_type),
            json_build_object('run', r.name, 'job_id', NEW.job_id,
                              'from', CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, 'to', NEW.status,
                              'updated', event_time(NEW.updated)));
    PERFORM pg_notify('paddles_events', '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION runs_note_event() RETURNS trigger LANGUAGE plpgsql SET plan_cache_mode = auto AS $$
BEGIN
    INSERT INTO events (type, run, branch, machine_type, detail)
    VALUES ('run', NEW.name, NEW.branch, NEW.machine_type,
            json_build_object('run', NEW.name,
                              'from', CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, 'to', NEW.status,
                              'results', json_build_object('queued', NEW.queued_count, 'pass', NEW.pass_count,
                                  'running', NEW.running_count, 'waiting', NEW.waiting_count, 'fail', NEW.fail_count,
                                  'dead', NEW.dead_count, 'unknown', NEW.unknown_count,
                                  'total', NEW.queued_count + NEW.pass_count + NEW.running_count + NEW.waiting_count
                                      + NEW.fail_count + NEW.dead_count + NEW.unknown_count),
                              'updated', event_time(NEW.updated)));
    PERFORM pg_notify('paddles_events', '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION nodes_note_event() RETURNS trigger LANGUAGE plpgsql SET plan_cache_mode = auto AS $$
BEGIN
    INSERT INTO events (type, node, machine_type, detail)
    VALUES ('node', NEW.name, NEW.machine_type,
            json_build_object('node', NEW.name, 'machine_type', NEW.machine_type,
                              'locked', NEW.locked, 'locked_by', NEW.locked_by, 'up', NEW.up,
                              'was_locked', CASE WHEN TG_OP = 'UPDATE' THEN OLD.locked END,
                              'was_up', CASE WHEN TG_OP = 'UPDATE' THEN OLD.up END));
    PERFORM pg_notify('paddles_events', '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd

SET lock_timeout = '1s';
DROP TRIGGER IF EXISTS jobs_announce_insert ON jobs;
CREATE TRIGGER jobs_announce_insert AFTER INSERT ON jobs FOR EACH ROW WHEN (events_enabled())
    EXECUTE FUNCTION jobs_note_event();
DROP TRIGGER IF EXISTS jobs_announce_update ON jobs;
CREATE TRIGGER jobs_announce_update AFTER UPDATE ON jobs FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status AND events_enabled())
    EXECUTE FUNCTION jobs_note_event();
DROP TRIGGER IF EXISTS runs_announce_insert ON runs;
CREATE TRIGGER runs_announce_insert AFTER INSERT ON runs FOR EACH ROW WHEN (events_enabled())
    EXECUTE FUNCTION runs_note_event();
DROP TRIGGER IF EXISTS runs_announce_update ON runs;
CREATE TRIGGER runs_announce_update AFTER UPDATE ON runs FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status AND events_enabled())
    EXECUTE FUNCTION runs_note_event();
DROP TRIGGER IF EXISTS nodes_announce_insert ON nodes;
CREATE TRIGGER nodes_announce_insert AFTER INSERT ON nodes FOR EACH ROW WHEN (events_enabled())
    EXECUTE FUNCTION nodes_note_event();
DROP TRIGGER IF EXISTS nodes_announce_update ON nodes;
CREATE TRIGGER nodes_announce_update AFTER UPDATE ON nodes FOR EACH ROW
    WHEN ((OLD.locked, OLD.locked_by, OLD.up) IS DISTINCT FROM (NEW.locked, NEW.locked_by, NEW.up) AND events_enabled())
    EXECUTE FUNCTION nodes_note_event();
RESET lock_timeout;

-- +goose Down
DROP TRIGGER IF EXISTS nodes_announce_update ON nodes;
DROP TRIGGER IF EXISTS nodes_announce_insert ON nodes;
DROP TRIGGER IF EXISTS runs_announce_update ON runs;
DROP TRIGGER IF EXISTS runs_announce_insert ON runs;
DROP TRIGGER IF EXISTS jobs_announce_update ON jobs;
DROP TRIGGER IF EXISTS jobs_announce_insert ON jobs;
DROP FUNCTION IF EXISTS nodes_note_event();
DROP FUNCTION IF EXISTS runs_note_event();
DROP FUNCTION IF EXISTS jobs_note_event();
DROP FUNCTION IF EXISTS events_enabled();
DROP FUNCTION IF EXISTS event_time(timestamptz);
DROP TABLE IF EXISTS events_pruned;
DROP TABLE IF EXISTS events;
