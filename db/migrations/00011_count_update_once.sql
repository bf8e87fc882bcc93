-- +goose Up
-- A job's status change updates its run once. jobs_count_status (00001) updated the run twice,
-- taking the old status away and then adding the new one, so the run's status passed through an
-- intermediate value (a run of one running job became 'empty', then 'finished pass'), and each
-- UPDATE moved the run between run_values rows (00008) in a pass of its own. Each pass locks its
-- rows in (key, value) order, but two passes need not follow one order: two writers deadlocked
-- (make bench-migrate: a few a second under 8 writers, each costing its writer deadlock_timeout,
-- 1 s, before the store retried), and every status change also locked the intermediate value's
-- row, which every writer shares. A job moved to another run still updates both runs.
--
-- Replacing a function takes no lock on any table; the triggers call the new body at once.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION jobs_count_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.run_id = NEW.run_id THEN
        UPDATE runs SET
            queued_count  = queued_count  + (NEW.status = 'queued')::int  - (OLD.status = 'queued')::int,
            pass_count    = pass_count    + (NEW.status = 'pass')::int    - (OLD.status = 'pass')::int,
            running_count = running_count + (NEW.status = 'running')::int - (OLD.status = 'running')::int,
            waiting_count = waiting_count + (NEW.status = 'waiting')::int - (OLD.status = 'waiting')::int,
            fail_count    = fail_count    + (NEW.status = 'fail')::int    - (OLD.status = 'fail')::int,
            dead_count    = dead_count    + (NEW.status = 'dead')::int    - (OLD.status = 'dead')::int,
            unknown_count = unknown_count + (NEW.status = 'unknown')::int - (OLD.status = 'unknown')::int
        WHERE id = NEW.run_id;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE runs SET
            queued_count  = queued_count  - (OLD.status = 'queued')::int,
            pass_count    = pass_count    - (OLD.status = 'pass')::int,
            running_count = running_count - (OLD.status = 'running')::int,
            waiting_count = waiting_count - (OLD.status = 'waiting')::int,
            fail_count    = fail_count    - (OLD.status = 'fail')::int,
            dead_count    = dead_count    - (OLD.status = 'dead')::int,
            unknown_count = unknown_count - (OLD.status = 'unknown')::int
        WHERE id = OLD.run_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE runs SET
            queued_count  = queued_count  + (NEW.status = 'queued')::int,
            pass_count    = pass_count    + (NEW.status = 'pass')::int,
            running_count = running_count + (NEW.status = 'running')::int,
            waiting_count = waiting_count + (NEW.status = 'waiting')::int,
            fail_count    = fail_count    + (NEW.status = 'fail')::int,
            dead_count    = dead_count    + (NEW.status = 'dead')::int,
            unknown_count = unknown_count + (NEW.status = 'unknown')::int
        WHERE id = NEW.run_id;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION jobs_count_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE runs SET
            queued_count  = queued_count  - (OLD.status = 'queued')::int,
            pass_count    = pass_count    - (OLD.status = 'pass')::int,
            running_count = running_count - (OLD.status = 'running')::int,
            waiting_count = waiting_count - (OLD.status = 'waiting')::int,
            fail_count    = fail_count    - (OLD.status = 'fail')::int,
            dead_count    = dead_count    - (OLD.status = 'dead')::int,
            unknown_count = unknown_count - (OLD.status = 'unknown')::int
        WHERE id = OLD.run_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE runs SET
            queued_count  = queued_count  + (NEW.status = 'queued')::int,
            pass_count    = pass_count    + (NEW.status = 'pass')::int,
            running_count = running_count + (NEW.status = 'running')::int,
            waiting_count = waiting_count + (NEW.status = 'waiting')::int,
            fail_count    = fail_count    + (NEW.status = 'fail')::int,
            dead_count    = dead_count    + (NEW.status = 'dead')::int,
            unknown_count = unknown_count + (NEW.status = 'unknown')::int
        WHERE id = NEW.run_id;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
