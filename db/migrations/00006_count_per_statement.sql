-- +goose Up
-- A run's job counts, counted once per statement instead of once per job. The row-level
-- jobs_count_insert_delete trigger updated the run's row once per inserted or deleted job: an
-- import's 20,000-job INSERT spent about 2 s of its 3 s in it (docs/import.md). Statement-level
-- triggers see the statement's rows as a transition table and update each run once, with the
-- counts of its jobs in the statement.
--
-- Every path keeps the counts exact:
--   * INSERT (a job POST, the importer's COPY or INSERT ... SELECT, any multi-row insert):
--     jobs_count_insert, with the inserted rows. For INSERT ... ON CONFLICT DO UPDATE the NEW
--     TABLE holds only the rows inserted; the rows updated instead fire the row-level update
--     trigger below.
--   * DELETE (a job DELETE, and a run DELETE, whose foreign-key cascade deletes its jobs with a
--     DELETE statement of its own): jobs_count_delete, with the deleted rows. After a run DELETE
--     the run's row is already gone and the trigger's UPDATE finds nothing to update.
--   * UPDATE (a job PUT, expiry's one statement over many jobs, the importer's upserts): the
--     row-level jobs_count_update trigger, unchanged. PostgreSQL allows no transition tables on
--     a trigger with a column list (UPDATE OF status, run_id), and without the column list a
--     statement trigger would run for every UPDATE of a job; the row-level trigger runs only for
--     the rows whose status or run changed, which are few.
--   * The benchmark's seeder disables the user triggers and sets the counts itself.
--
-- Online: swapping the triggers takes a SHARE ROW EXCLUSIVE lock on jobs, which waits for the
-- transactions writing jobs and, while it waits, queues every new writer behind it. lock_timeout
-- bounds that wait: on a busy database the migration fails after 1 s instead of blocking writers
-- (start the server again to retry). Once the lock is taken the swap changes only the catalog.
SET LOCAL lock_timeout = '1s';

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION jobs_count_statement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sign int := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
    n bigint;
    run bigint;
    st text;
BEGIN
    -- changed_jobs is the statement's inserted rows (jobs_count_insert) or deleted rows
    -- (jobs_count_delete). A single row (a job POST or DELETE) takes the plain UPDATE by id the
    -- row-level trigger ran: the join below costs a single-row insert about 0.1 ms more.
    SELECT count(*), min(run_id), min(status) INTO n, run, st FROM changed_jobs;
    IF n = 0 THEN
        RETURN NULL;
    ELSIF n = 1 THEN
        UPDATE runs SET
            queued_count  = queued_count  + sign * (st = 'queued')::int,
            pass_count    = pass_count    + sign * (st = 'pass')::int,
            running_count = running_count + sign * (st = 'running')::int,
            waiting_count = waiting_count + sign * (st = 'waiting')::int,
            fail_count    = fail_count    + sign * (st = 'fail')::int,
            dead_count    = dead_count    + sign * (st = 'dead')::int,
            unknown_count = unknown_count + sign * (st = 'unknown')::int
        WHERE id = run;
        RETURN NULL;
    END IF;
    UPDATE runs r SET
        queued_count  = r.queued_count  + sign * c.queued,
        pass_count    = r.pass_count    + sign * c.pass,
        running_count = r.running_count + sign * c.running,
        waiting_count = r.waiting_count + sign * c.waiting,
        fail_count    = r.fail_count    + sign * c.fail,
        dead_count    = r.dead_count    + sign * c.dead,
        unknown_count = r.unknown_count + sign * c.unknown
    FROM (
        SELECT run_id,
               count(*) FILTER (WHERE status = 'queued')::int  AS queued,
               count(*) FILTER (WHERE status = 'pass')::int    AS pass,
               count(*) FILTER (WHERE status = 'running')::int AS running,
               count(*) FILTER (WHERE status = 'waiting')::int AS waiting,
               count(*) FILTER (WHERE status = 'fail')::int    AS fail,
               count(*) FILTER (WHERE status = 'dead')::int    AS dead,
               count(*) FILTER (WHERE status = 'unknown')::int AS unknown
        FROM changed_jobs
        GROUP BY run_id
    ) c
    WHERE r.id = c.run_id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

DROP TRIGGER jobs_count_insert_delete ON jobs;
-- (One trigger per event: PostgreSQL allows transition tables only on single-event triggers.)
CREATE TRIGGER jobs_count_insert AFTER INSERT ON jobs
    REFERENCING NEW TABLE AS changed_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION jobs_count_statement();
CREATE TRIGGER jobs_count_delete AFTER DELETE ON jobs
    REFERENCING OLD TABLE AS changed_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION jobs_count_statement();

-- +goose Down
SET LOCAL lock_timeout = '1s';
DROP TRIGGER jobs_count_delete ON jobs;
DROP TRIGGER jobs_count_insert ON jobs;
DROP FUNCTION jobs_count_statement();
CREATE TRIGGER jobs_count_insert_delete AFTER INSERT OR DELETE ON jobs
    FOR EACH ROW EXECUTE FUNCTION jobs_count_status();
